"""Where the detect job judges its days: in its own process, or one task per province on a Dask cluster.

``engine.kind = "local"`` calls the detect job's ``judge_days`` on the store as it always did. With
``"dask"`` the job first brings the store's Parquet export up to date (surveillance.store.export), then
each province is judged by a worker of the cluster on an in-memory store filled from that province's
partitions (surveillance.store.dataset), with the same ``judge_days``; the job merges the provinces'
results per day in the order the in-process run gives them, and runs the checks of the whole store (a
feed not delivering) once, itself. The store stays the one writer: workers return signals, findings and
completeness, and never open the database file. See :mod:`surveillance.engine.on_dask`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ..config import Config
from .on_dask import EngineFailed, judge_on_dask

__all__ = ["EngineFailed", "judge_plan"]


def judge_plan(con, config: Config, plan: list[tuple[date, date]], *, judge, database: str | Path,
               reader=None, progress=None) -> list[dict]:
    """``judge(con, config, plan, reader=..., progress=...)`` (the detect job's ``judge_days``) on the
    configured engine: one result per ``(day, as_of)`` of ``plan``, in order. ``database``: the store's
    file, beside which the Parquet export lives by default."""
    if config.engine.kind == "dask":
        return judge_on_dask(con, config, plan, judge=judge, dataset=config.engine.dataset_for(Path(database)),
                             reader=reader, progress=progress)
    return judge(con, config, plan, reader=reader, progress=progress)
