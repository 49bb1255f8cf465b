"""The Dask client of a detect run: the configured scheduler's, or a local cluster's started for the run."""

from __future__ import annotations

from contextlib import contextmanager

from ..config import EngineConfig
from ..errors import SurveillanceError


@contextmanager
def dask_client(settings: EngineConfig):
    """A ``distributed.Client`` for the run, closed after it (a local cluster is stopped with it)."""
    from distributed import Client, LocalCluster

    if settings.scheduler:
        try:
            client = Client(settings.scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise SurveillanceError(f"engine.scheduler {settings.scheduler}: cannot connect: {exc}") from None
        try:
            yield client
        finally:
            client.close()
        return
    # one thread per worker: DuckDB and the detectors use the process's cores themselves; the dashboard on
    # any free port, so that two runs (or a test cluster) on one machine do not compete for 8787
    with LocalCluster(n_workers=settings.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        yield client
