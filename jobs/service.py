"""`surveillance serve`: one process owns the database and runs the web server and the scheduler.

Commands on the machine reach it through its control channel (:mod:`jobs.control`) to manage users and
tokens while it holds the database. SIGTERM (and Ctrl-C) stop it cleanly: the web server stops
accepting requests, a running job finishes its transaction, then the database is closed.
"""

from __future__ import annotations

import gc
import logging
import signal

import waitress

from dashboards.server import create_server, settle_heap
from surveillance.config import Config
from surveillance.store.reference import load_configured_reference
from surveillance.service.cycle import mark_interrupted_runs
from surveillance.store import open_store

from .control import ControlChannel
from .scheduler import create_scheduler

log = logging.getLogger(__name__)


def _stop(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt


def run_service(config: Config, host: str | None = None, port: int | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = host or config.service.host
    port = port or config.service.port
    store = open_store(config.database.path, memory_limit=config.database.memory_limit)
    mark_interrupted_runs(store)
    load_configured_reference(store, config)
    scheduler = create_scheduler(store, config)
    scheduler.start()
    next_runs = lambda: [{"job": job.id, "next_run": job.next_run_time} for job in scheduler.get_jobs()]  # noqa: E731
    server = create_server(store, config, next_runs=next_runs)
    control = ControlChannel(store).start()
    settle_heap()
    previous = signal.signal(signal.SIGTERM, _stop)
    log.info("serving on http://%s:%s", host, port)
    try:
        waitress.serve(server, host=host, port=port, threads=config.service.threads)
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        signal.signal(signal.SIGTERM, previous)
        control.stop()
        scheduler.shutdown(wait=True)
        gc.unfreeze()  # what settle_heap froze is finalised normally on the way out
        store.close()
        log.info("stopped")
