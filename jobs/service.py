"""`surveillance serve`: one process owns the database and runs the web server and the scheduler."""

from __future__ import annotations

import logging

import waitress

from dashboards.server import create_server
from surveillance.config import Config
from surveillance.cycle import load_configured_reference
from surveillance.store import open_store

from .scheduler import create_scheduler

log = logging.getLogger(__name__)


def run_service(config: Config, host: str | None = None, port: int | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = host or config.service.host
    port = port or config.service.port
    store = open_store(config.database.path, memory_limit=config.database.memory_limit)
    load_configured_reference(store, config)
    scheduler = create_scheduler(store, config)
    scheduler.start()
    server = create_server(store, config)
    log.info("serving on http://%s:%s", host, port)
    try:
        waitress.serve(server, host=host, port=port, threads=config.service.threads)
    finally:
        scheduler.shutdown(wait=False)
        store.close()
