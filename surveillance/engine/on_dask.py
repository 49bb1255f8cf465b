"""Judging a plan on a Dask cluster: export, one task per province, merge per day.

What runs where: the job (on the store's machine) exports the store (only the partitions that changed),
sends each province's task to the cluster, checks the feeds once for each day, merges and returns the
days' results to the detect job, which applies the alarm budget, stores the signals and updates the
episodes as for an in-process run. Workers read the export (a folder they must all see: a shared
filesystem) and hold one province's history in memory while they judge it.

Every detector sees one province's series: a space-time scan looks for clusters within a province, and a
detector pooling its panel's series (``gbm``) pools a province's. ``regional_excess`` at province level,
which compares the provinces with each other, is refused.

A province whose task fails (its worker died, its partitions could not be read, ...) fails the whole run
with :class:`EngineFailed` naming the province and the error: nothing of the run is stored.
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from ..config import Config
from ..errors import ConfigError, SurveillanceError
from ..quality import feed_silences
from ..store.dataset import dataset_provinces
from ..store.export import NO_PROVINCE, export_dataset
from .cluster import dask_client
from .merge import merge_day
from .province import history_start, judge_province, reader_settings, worker_config


class EngineFailed(SurveillanceError):
    """A province's task failed on the cluster; the run stored nothing."""


def check_engine(config: Config) -> None:
    """Refuse the detectors that compare provinces with each other: each province is judged alone."""
    for i, spec in enumerate(config.detection.detectors):
        if spec.name == "regional_excess" and "province" in spec.levels:
            raise ConfigError(f"detection.detectors[{i}] ({spec.id}): regional_excess at level province compares "
                              "the provinces with each other, and engine.kind = \"dask\" judges each province "
                              "alone; drop the level province or use engine.kind = \"local\"")


def judge_on_dask(con, config: Config, plan: list[tuple[date, date]], *, judge, dataset: Path, reader=None,
                  progress=None) -> list[dict]:
    """``judge_days`` of ``plan``, one task per province on the cluster of ``config.engine``, merged per day."""
    check_engine(config)
    export_dataset(con, dataset)
    provinces = [p for p in dataset_provinces(dataset) if p != NO_PROVINCE]
    per_province = _run_tasks(config, provinces, str(dataset), history_start(config, plan), plan, judge,
                              reader_settings(reader))
    feeds = [f.name for f in config.feeds if f.enabled]
    out = []
    for i, (day, as_of) in enumerate(plan):
        feed_findings = feed_silences(con, config.quality, as_of, feeds) if feeds else None
        out.append(merge_day([(p, per_province[p][i]) for p in provinces], config, feed_findings, as_of))
        if progress:
            progress(day, len(out[-1]["signals"]))
    return out


def _run_tasks(config: Config, provinces: list[str], dataset: str, since: date, plan, judge,
               reader) -> dict[str, list[dict]]:
    from distributed import as_completed

    settings = worker_config(config)
    results: dict[str, list[dict]] = {}
    run = uuid.uuid4().hex[:8]  # the tasks' keys are this run's own on a shared scheduler
    with dask_client(config.engine) as client:
        futures = {client.submit(judge_province, dataset, p, since, settings, plan, judge, reader,
                                 key=f"judge-province-{p}-{run}", pure=False): p for p in provinces}
        try:
            for future in as_completed(futures):
                province = futures[future]
                try:
                    results[province] = future.result()
                except Exception as exc:  # any failure of a task fails the run, named by its province
                    raise EngineFailed(f"detection on the Dask cluster failed for province {province}: "
                                       f"{_error_line(exc)}") from exc
        finally:
            client.cancel(list(futures))
    return results


def _error_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
