"""Run detectors over a simulation suite and tabulate how well they find the outbreaks."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from ..detectors import Status, detect, get
from ..errors import SurveillanceError
from .metrics import METRIC_COLUMNS, per_series, summarise
from .suites import select_scenarios, simulate_suite
from .tuning import threshold_as_alpha, tune_thresholds, tuned_alarms

DEFAULT_ALPHA = 0.01
TUNE_BY = ("series", "scenario")


@dataclass(frozen=True)
class Evaluation:
    """Everything an evaluation produced: per-series counts and the pooled tables."""

    suite: str
    methods: tuple[str, ...]
    reps: int
    seed: int
    params: dict  # method -> parameters used (defaults filled in)
    scenarios: pd.DataFrame  # one row per scenario with its settings
    counts: pd.DataFrame  # one row per method, scenario and replicate (metrics.per_series columns)
    overall: pd.DataFrame  # per method
    by_scenario: pd.DataFrame  # per method and scenario
    by_size: pd.DataFrame  # per method and outbreak size k
    calibration: pd.DataFrame  # per method: nominal alpha against realised false positive rate
    seconds: dict  # method -> detector seconds
    # At a target alarm rate (``target_per_year`` given): the same tables with each method's
    # threshold tuned on the history before the current period; ``thresholds`` has one row
    # per method, scenario and replicate with the threshold and the alpha it amounts to.
    target_per_year: float | None = None
    tune_by: str | None = None
    tuned_counts: pd.DataFrame | None = None
    tuned_overall: pd.DataFrame | None = None
    tuned_by_size: pd.DataFrame | None = None
    tuned_by_scenario: pd.DataFrame | None = None
    thresholds: pd.DataFrame | None = None


def parse_methods(methods: str | Iterable[str]) -> list[str]:
    names = [m.strip() for m in (methods.split(",") if isinstance(methods, str) else methods) if m.strip()]
    if not names:
        raise SurveillanceError("give at least one method")
    for name in names:
        get(name)  # unknown names raise with the list of valid ones
    return list(dict.fromkeys(names))


def method_params(method: str, params: Mapping[str, Any] | None, n_judged: int) -> dict:
    """Parameters for ``method``: alpha 0.01 and judging only the last ``n_judged`` points where
    the detector takes them, then common ``params`` where it takes them, then ``params[method]``."""
    names = {p.name for p in get(method).schema.params}
    out: dict[str, Any] = {}
    if "alpha" in names:
        out["alpha"] = DEFAULT_ALPHA
    if "monitor_last" in names:
        out["monitor_last"] = n_judged
    for key, value in (params or {}).items():
        if not isinstance(value, Mapping) and key in names:
            out[key] = value
    own = (params or {}).get(method)
    if isinstance(own, Mapping):
        out.update(own)
    return out


def evaluate(suite: str, methods: str | Iterable[str], reps: int = 100, seed: int = 1,
             params: Mapping[str, Any] | None = None, scenarios=None, *,
             target_per_year: float | None = None, tune_by: str = "series") -> Evaluation:
    """Simulate every scenario of ``suite`` once (``reps`` replicates as the series of one panel)
    and run each method on it once.

    ``params``: parameters for every method that takes them (``{"alpha": 0.05}``) and/or per
    method (``{"bayes": {"w": 4}}``). ``scenarios``: ids (or names) to run instead of all.
    ``target_per_year``: also judge every method with its threshold tuned to this many alarms
    per series-year on the history before the current period, per replicate series
    (``tune_by="series"``) or pooled over the scenario's replicates (``"scenario"``).
    """
    names = parse_methods(methods)
    chosen = select_scenarios(suite, scenarios)
    if tune_by not in TUNE_BY:
        raise SurveillanceError(f"unknown tune_by {tune_by!r}; valid: {', '.join(TUNE_BY)}")
    for key, value in (params or {}).items():
        if isinstance(value, Mapping) and key not in names:
            raise SurveillanceError(f"parameters given for {key!r}, which is not among the methods")
    tuning = target_per_year is not None
    frames, tuned_frames, threshold_frames = [], [], []
    seconds, used = {m: 0.0 for m in names}, {}
    for sim in simulate_suite(suite, chosen, reps, seed):
        n_current = sim.n_current
        current = slice(-n_current, None)
        for method in names:
            kw = method_params(method, params, n_current + (sim.n_history if tuning else 0))
            began = time.perf_counter()
            result = detect(method, sim.panel, **kw)
            seconds[method] += time.perf_counter() - began
            used[method] = dict(result.params)
            judged = result.status[:, current] == Status.OK
            alpha = result.params.get("alpha", np.nan)
            frames.append(_counts(sim, method, result.alarm[:, current], judged, alpha))
            if tuning:
                history = slice(-(n_current + sim.n_history), -n_current)
                groups = np.zeros(reps) if tune_by == "scenario" else None
                thresholds = tune_thresholds(result, history, target_per_year, sim.points_per_year, groups=groups)
                alarm = tuned_alarms(result, thresholds)[:, current]
                tuned_frames.append(_counts(sim, method, alarm, judged, alpha))
                threshold_frames.append(pd.DataFrame({
                    "method": method, "scenario": sim.scenario.id, "replicate": np.arange(reps),
                    "threshold": thresholds, "alpha": threshold_as_alpha(result, thresholds)}))
    scenario_table = pd.DataFrame([s.row() for s in chosen])
    counts = _stack(frames, names)
    tables = _tables(counts, scenario_table)
    extra: dict[str, Any] = {}
    if tuning:
        tuned = _stack(tuned_frames, names)
        overall, by_scenario, by_size = _tables(tuned, scenario_table)
        extra = dict(target_per_year=float(target_per_year), tune_by=tune_by, tuned_counts=tuned,
                     tuned_overall=overall, tuned_by_scenario=by_scenario, tuned_by_size=by_size,
                     thresholds=_stack(threshold_frames, names))
    return Evaluation(suite=suite, methods=tuple(names), reps=reps, seed=seed, params=used,
                      scenarios=scenario_table, counts=counts, overall=tables[0], by_scenario=tables[1],
                      by_size=tables[2], calibration=calibration(counts, tables[1]), seconds=seconds, **extra)


def _counts(sim, method: str, alarm: np.ndarray, judged: np.ndarray, alpha: float) -> pd.DataFrame:
    """``per_series`` counts of one method on one simulated scenario's current period."""
    current = slice(-sim.n_current, None)
    counts = per_series(alarm, sim.current_cases[:, current], sim.other_cases[:, current], judged=judged)
    counts.insert(0, "replicate", np.arange(len(counts)))
    counts.insert(0, "scenario", sim.scenario.id)
    counts.insert(0, "method", method)
    counts["k"] = sim.k
    counts["size"] = sim.size
    counts["points_per_year"] = sim.points_per_year
    counts["alpha"] = alpha
    return counts


def _stack(frames: list[pd.DataFrame], methods: list[str]) -> pd.DataFrame:
    out = pd.concat(frames, ignore_index=True)
    out["method"] = pd.Categorical(out["method"], categories=methods)
    return out


def _tables(counts: pd.DataFrame, scenario_table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Overall, by scenario (with the scenario's settings) and by outbreak size."""
    by_scenario = summarise(counts, ["method", "scenario"]).merge(
        scenario_table.drop(columns=["suite"]), on="scenario", how="left")
    return summarise(counts, ["method"]), by_scenario, summarise(counts, ["method", "k"])


def calibration(counts: pd.DataFrame, by_scenario: pd.DataFrame) -> pd.DataFrame:
    """Per method: nominal alpha, pooled realised false positive rate, its ratio to alpha and
    the spread of the per-scenario rates."""
    overall = summarise(counts, ["method"])
    alpha = counts.groupby("method", observed=True)["alpha"].first().reindex(overall["method"]).to_numpy()
    spread = by_scenario.groupby("method", observed=True)["fpr"].agg(["min", "median", "max"])
    out = pd.DataFrame({"method": overall["method"], "alpha": alpha, "fpr": overall["fpr"].to_numpy()})
    with np.errstate(invalid="ignore", divide="ignore"):
        out["fpr_over_alpha"] = out["fpr"] / out["alpha"]
    out["fpr_min"] = spread["min"].reindex(out["method"]).to_numpy()
    out["fpr_median"] = spread["median"].reindex(out["method"]).to_numpy()
    out["fpr_max"] = spread["max"].reindex(out["method"]).to_numpy()
    share = by_scenario.assign(above=by_scenario["fpr"] > by_scenario["method"].map(
        dict(zip(out["method"], out["alpha"]))).astype(float))
    out["scenarios_above_alpha"] = share.groupby("method", observed=True)["above"].mean().reindex(out["method"]).to_numpy()
    return out


def headline(evaluation: Evaluation) -> pd.DataFrame:
    """The overall table with the metrics only (what a command line prints)."""
    return evaluation.overall[["method", *METRIC_COLUMNS, "judged_share"]]
