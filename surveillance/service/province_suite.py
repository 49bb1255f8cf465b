"""The operational evaluation as a suite (``surveillance evaluate --suite province`` or ``store``).

``province``: for each seed, build the demo province (10 counties, 300 facilities, three years, its
outbreaks in ``outbreaks.csv``), backfill the configured detection over its last ``days`` days, each
day judged as known the morning after (``surveillance detect --since``), and count the alerts the
teams would have had to answer against the outbreaks that happened
(:func:`surveillance.evaluation.province.workload_figures`); then the same figures over all seeds
together (:func:`~surveillance.evaluation.province.pooled_figures`).

``store``: the same on a copy of a real store, against the alerts its users closed as confirmed
outbreaks (read before the copy's own judgements are cleared and judged again).

The detection judged is the shipped default (the demo's own configuration), or the ``[detection]`` and
``[alerts]`` sections of another configuration file, so a change of detectors or budget is measured on
the same provinces. The first judged week is not counted: its alerts may carry on from before.
"""

from __future__ import annotations

import shutil
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import tomli_w

from ..config import load_config
from ..errors import SurveillanceError
from ..evaluation.oracle import oracle_delays
from ..evaluation.province import confirmed_as_truth, pooled_figures, store_workload

DEFAULT_SEEDS = (0, 2, 4)
WARMUP_DAYS = 7
JUDGED_SECTIONS = ("detection", "alerts")


def judged_sections(config_path: Path | None) -> dict:
    """The ``[detection]`` and ``[alerts]`` sections of ``config_path`` (empty: the shipped defaults)."""
    if config_path is None:
        return {}
    raw = tomllib.loads(Path(config_path).read_text(encoding="utf-8"))
    return {key: raw[key] for key in JUDGED_SECTIONS if key in raw}


def _with_sections(config_path: Path, sections: dict) -> None:
    """Write ``sections`` over the config file's own (the run stays reproducible from its folder)."""
    if not sections:
        return
    raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    raw.update(sections)
    config_path.write_text(tomli_w.dumps(raw), encoding="utf-8")


def _backfill(config_path: Path, days: int, truth: pd.DataFrame | None) -> dict:
    """Judge the last ``days`` days of the store of ``config_path`` as first known; its workload figures."""
    from .detect import run_detection
    from ..store import open_store
    from ..store.counts import date_range

    config = load_config(config_path)
    started = time.perf_counter()
    with open_store(config.database.path) as store:
        newest = date_range(store.con)[1]
        if newest is None:
            raise SurveillanceError(f"{config.database.path}: no data to judge")
        since = newest - timedelta(days=days - 1)
        run_detection(store, config, newest + timedelta(days=1), since=since)
        figures = store_workload(store.con, since + timedelta(days=WARMUP_DAYS), newest, outbreaks=truth)
        if truth is not None and "units" in truth.columns:  # the demo's truth knows where it struck
            figures.update(_oracle_figures(store.con, truth, config, since + timedelta(days=WARMUP_DAYS), newest))
    figures.update({"first_day": str(since + timedelta(days=WARMUP_DAYS)), "last_day": str(newest),
                    "seconds": time.perf_counter() - started})
    return figures


def _oracle_figures(con, truth: pd.DataFrame, config, start, end) -> dict:
    """How early an oracle spending the county's whole daily budget on each outbreak's own series could
    have alerted (surveillance.evaluation.oracle): the bound on the median delay at this budget."""
    from ..alerts.budget import DAYS_PER_QUARTER
    from ..store.counts import units_daily

    alpha = config.detection.budget.noise_alerts_per_quarter / DAYS_PER_QUARTER
    if not 0 < alpha < 1:
        return {"oracle_delays_days": [], "oracle_median_delay_days": float("nan")}

    def read(units, syndrome, age_group, first, last):
        return units_daily(con, units=units, syndrome=syndrome, age_group=age_group, start=first, end=last)

    delays = oracle_delays(truth, read, alpha=alpha, start=start, end=end)["first_day"].dropna()
    return {"oracle_delays_days": sorted(int(d) for d in delays),
            "oracle_median_delay_days": float(delays.median()) if len(delays) else float("nan")}


def evaluate_seed(seed: int, workdir: Path, *, days: int, sections: dict, end: date | None = None,
                  demo_days: int | None = None, geography_options: dict | None = None) -> dict:
    """Build the demo of ``seed`` in ``workdir/seed<seed>``, backfill ``days`` days, and count."""
    from ..synthetic.demo import build_demo

    db = Path(workdir) / f"seed{seed}" / "surveillance.duckdb"
    started = time.perf_counter()
    build_demo(db, seed=seed, end=end, days=demo_days, geography_options=geography_options)
    built = time.perf_counter() - started
    config_path = db.parent / "surveillance.toml"
    _with_sections(config_path, sections)
    truth = pd.read_csv(db.parent / "outbreaks.csv", dtype=str)
    figures = _backfill(config_path, days, truth)
    return {"seed": seed, "demo_seconds": built, **figures}


def evaluate_province(seeds, workdir: Path, *, days: int = 365, sections: dict | None = None, jobs: int = 1,
                      end: date | None = None, demo_days: int | None = None,
                      geography_options: dict | None = None) -> dict:
    """``{"runs": [figures per seed], "pooled": figures over all seeds}``; ``jobs`` seeds side by side."""
    seeds = list(seeds)
    if not seeds:
        raise SurveillanceError("no seeds to evaluate; give --seeds, e.g. 0,2,4")
    options = {"days": days, "sections": sections or {}, "end": end, "demo_days": demo_days,
               "geography_options": geography_options}
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if jobs > 1 and len(seeds) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(seeds))) as pool:
            runs = list(pool.map(_seed_job, [(seed, workdir, options) for seed in seeds]))
    else:
        runs = [evaluate_seed(seed, workdir, **options) for seed in seeds]
    return {"runs": runs, "pooled": pooled_figures(runs)}


def _seed_job(args) -> dict:
    seed, workdir, options = args
    return evaluate_seed(seed, workdir, **options)


def evaluate_store(config_path: Path, workdir: Path, *, days: int = 365, sections: dict | None = None) -> dict:
    """The suite on a copy of a real store (in ``workdir``): its confirmed outbreaks as the truth, its
    judgements cleared in the copy and the last ``days`` judged again with the configured detection."""
    from ..store import open_store
    from ..store.alerts import clear_judgements, episodes_table

    config = load_config(config_path)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / Path(config.database.path).name
    if copy.exists():
        raise SurveillanceError(f"{copy}: already exists; choose an empty --workdir")
    shutil.copy2(config.database.path, copy)
    raw = tomllib.loads(Path(config_path).read_text(encoding="utf-8"))
    raw["database"] = {**raw.get("database", {}), "path": str(copy),
                       "snapshot_path": str(copy.with_suffix(".snapshot.duckdb"))}
    raw.update(sections or {})
    copied_config = workdir / "surveillance.toml"
    copied_config.write_text(tomli_w.dumps(_absolute_paths(raw, Path(config_path).parent)), encoding="utf-8")
    with open_store(copy) as store:
        truth = confirmed_as_truth(episodes_table(store.con))
        with store.transaction() as cur:
            clear_judgements(cur)
    if truth.empty:
        raise SurveillanceError(f"{config.database.path}: no alerts closed as confirmed outbreaks to judge against")
    figures = _backfill(copied_config, days, truth)
    return {"runs": [{"seed": None, **figures}], "pooled": figures}


def _absolute_paths(raw: dict, folder: Path) -> dict:
    """Relative file paths of the regions and feeds sections made absolute (the copy's config lives elsewhere)."""
    regions = raw.get("regions", {})
    for key, value in list(regions.items()):
        if isinstance(value, str) and value and not Path(value).is_absolute():
            regions[key] = str((folder / value).resolve())
    for feed in raw.get("feeds", []):
        path = feed.get("path")
        if isinstance(path, str) and not Path(path).is_absolute() and "://" not in path:
            feed["path"] = str((folder / path).resolve())
    return raw


FIGURE_LABELS = {
    "alerts_per_county_week": "alerts per county-week",
    "red_per_county_week": "red per county-week",
    "quality_per_county_week": "data-quality alerts per county-week",
    "emails_per_week": "emails per week (a subscription to all, yellow and red)",
    "detected": "true outbreaks alerted",
    "median_delay_days": "median days to first alert",
    "oracle_median_delay_days": "median days an oracle needs (the bound)",
    "matched": "alerts matching a true outbreak",
}


def figures_table(result: dict) -> pd.DataFrame:
    """One row per seed and one for all seeds together, the figures of :data:`FIGURE_LABELS` as columns."""
    rows = []
    for run in result["runs"]:
        rows.append({"run": "store" if run["seed"] is None else f"seed {run['seed']}",
                     "alerts": run["alerts"], "outbreaks": run["outbreaks"],
                     **{k: run.get(k, float("nan")) for k in FIGURE_LABELS}})
    if len(result["runs"]) > 1:
        pooled = result["pooled"]
        rows.append({"run": "all", "alerts": pooled["alerts"], "outbreaks": pooled["outbreaks"],
                     **{k: pooled.get(k, float("nan")) for k in FIGURE_LABELS}})
    return pd.DataFrame(rows)
