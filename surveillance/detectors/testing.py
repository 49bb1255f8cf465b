"""The conformance suite every registered detector must pass, as scikit-learn's ``check_estimator``.

    from surveillance.detectors.testing import check_detector
    check_detector("farrington_flexible", {"b": 3})   # raises AssertionError naming the broken rule

A new detector module runs it in its tests. The rules, on synthetic panels made here:

* **temporal** detectors: the result has the panel's shape, the detector's name and every
  parameter; ``alarm == score > 1``; statuses are the documented ones, ``missing`` where the
  count is; a good share of a long panel is judged, with finite outputs and p-values in
  [0, 1], and unjudged points have no alarm and no bound; short, all-missing and empty series
  get a status instead of an error; the order of the series changes nothing; points judged alone
  (``points=``, with and without ``bounds``) get what they get in the whole run, the others nothing;
* **spatial** detectors (the space-time scans): an obvious cluster is found as the most
  likely one, ending on the newest day; clusters lie within the panel's regions, share no
  region, have more cases than expected and p-values in (0, 1]; empty, case-free and short
  panels give no error; the order of the regions does not change the most likely cluster;
  the regions are required;
* both: the caller's parameters are not changed; an unknown parameter and a bad value of
  every parameter are refused with the schema's message.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from ..errors import SurveillanceError, UnknownName
from ..panel import Panel
from .params import InvalidParameter
from .registry import Detector, detect, get
from .result import STATUS_DESCRIPTIONS, Status


def weekly_panel(n_series: int = 6, n_weeks: int = 6 * 52 + 10, seed: int = 0, start="2015-01-05") -> Panel:
    """Seasonal negative-binomial weekly counts, with an outbreak in series 0 in the last 3 weeks."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_weeks)
    level = rng.uniform(0.5, 4.0, size=(n_series, 1))
    mu = np.exp(level + 0.6 * np.sin(2 * np.pi * t / 52.18))
    counts = rng.negative_binomial(4, 4 / (4 + mu)).astype(float)
    counts[0, -3:] += 5 * mu[0, -3:] + 20
    dates = pd.date_range(start, periods=n_weeks, freq="W-MON")
    keys = pd.DataFrame({"region": [f"r{i}" for i in range(n_series)]})
    return Panel(counts=counts, dates=dates, keys=keys, freq="weekly")


def county_panel(n_days: int = 70, seed: int = 0) -> tuple[Panel, pd.DataFrame]:
    """``(panel, regions)``: daily Poisson counts of 16 regions (``c00``..``c15``) on a 4 x 4 grid of
    centroids 0.1 degree apart, with three times the usual cases in the neighbours ``c00``, ``c01``
    and ``c04`` on the last 3 days; ``regions`` has ``region, lat, lon, population``."""
    rng = np.random.default_rng(seed)
    n_side, cluster = 4, (0, 1, 4)
    n = n_side * n_side
    population = rng.integers(50_000, 150_000, size=n).astype(float)
    weekday = 1.0 + 0.3 * (pd.date_range("2026-01-05", periods=n_days).day_of_week < 5)
    mu = population[:, None] / 5_000 * weekday[None, :]
    mu[list(cluster), -3:] *= 3.0
    codes = [f"c{i:02d}" for i in range(n)]
    panel = Panel(counts=rng.poisson(mu).astype(float), dates=pd.date_range("2026-01-05", periods=n_days),
                  keys=pd.DataFrame({"region": codes}), freq="daily")
    regions = pd.DataFrame({"region": codes, "lat": 30.0 + 0.1 * (np.arange(n) // n_side),
                            "lon": 118.0 + 0.1 * (np.arange(n) % n_side), "population": population})
    return panel, regions


def check_detector(name: str, params: Mapping[str, Any] | None = None) -> None:
    """Run the conformance suite on registered detector ``name`` (see the module notes).

    ``params`` are used for every run (e.g. settings that make a slow detector quick); the
    scans default to 99 replicates here. Raises ``AssertionError`` naming the detector and
    the first rule it breaks.
    """
    detector = get(name)
    params = dict(params or {})
    checks = _SPATIAL if detector.kind == "spatial" else _TEMPORAL
    for check in checks:
        check(detector, params)


def _require(condition, detector: Detector, rule: str) -> None:
    if not condition:
        raise AssertionError(f"{detector.name}: {rule}")


def _refuses(detector: Detector, call: Callable[[], Any], error: type, pattern: str, rule: str) -> None:
    try:
        call()
    except error as exc:
        _require(re.search(pattern, str(exc)), detector, f"{rule}: message {str(exc)!r} does not match {pattern!r}")
        return
    raise AssertionError(f"{detector.name}: {rule}: no {error.__name__} raised")


def _bad_value(param) -> Any:
    if param.kind == "bool":
        return "maybe"
    if param.kind == "choice":
        return "no-such-choice"
    return param.low - 1 if param.low is not None else "abc"


def _check_parameters(detector: Detector, run: Callable[..., Any]) -> None:
    name = re.escape(detector.name)
    _refuses(detector, lambda: run(no_such=1), UnknownName,
             rf"^{name}: unknown parameter 'no_such'; valid parameters: ", "an unknown parameter is refused")
    for param in detector.schema.params:
        _refuses(detector, lambda: run(**{param.name: _bad_value(param)}), InvalidParameter,
                 rf"^{name}: parameter '{param.name}' must be .*, got ", f"a bad {param.name!r} is refused")


# -- temporal detectors -------------------------------------------------------------------
def _on_grid(detector: Detector, panel: Panel) -> Panel:
    """The weekly example panel, on a daily grid for detectors of daily data."""
    if detector.frequency != "daily":
        return panel
    dates = pd.date_range(panel.dates[0], periods=panel.shape[1], freq="D")
    return Panel(counts=panel.counts, dates=dates, keys=panel.keys, freq="daily")


def _long_panel(detector: Detector) -> Panel:
    p = weekly_panel(n_series=5, n_weeks=4 * 52 + 20, seed=11)
    counts = p.counts.copy()
    counts[1, [50, 180, 200]] = np.nan  # missing values inside baselines and at judged points
    counts[2, :] = 0.0  # an all-zero series
    return _on_grid(detector, Panel(counts=counts, dates=p.dates, keys=p.keys, freq="weekly"))


def _temporal_outputs(detector: Detector, params: dict) -> None:
    panel = _long_panel(detector)
    given = dict(params)
    r = detect(detector.name, panel, **params)
    _require(params == given, detector, "the caller's parameters are not changed")
    _require(r.shape == panel.shape and r.detector == detector.name, detector, "the result has the panel's shape "
             "and the detector's name")
    _require(set(detector.schema.names) == set(r.params), detector, "the result keeps every parameter")
    _require(np.array_equal(r.alarm, r.score > 1), detector, "alarm == score > 1")
    labels = r.status_labels()
    _require(set(np.unique(labels)) <= set(STATUS_DESCRIPTIONS), detector, "statuses are the documented ones")
    _require((labels[np.isnan(panel.counts)] == "missing").all(), detector, "a missing count has status 'missing'")
    judged = r.status == Status.OK
    _require(judged.sum() > 0.15 * panel.counts.size, detector, "a good share of a long panel is judged")
    _require(not r.alarm[~judged].any(), detector, "an unjudged point has no alarm")
    _require(np.isnan(r.upperbound[~judged]).all(), detector, "an unjudged point has no upper bound")
    _require(np.isfinite(r.upperbound[judged]).all() and np.isfinite(r.expected[judged]).all(), detector,
             "a judged point has a finite expectation and upper bound")
    p = r.pvalue[judged]
    _require(((p >= 0) & (p <= 1)).all(), detector, "p-values are in [0, 1]")
    _require(len(r.to_long(panel)) == panel.counts.size, detector, "the long table has one row per point")


def _temporal_short_and_empty(detector: Detector, params: dict) -> None:
    short = weekly_panel(n_series=3, n_weeks=5)
    counts = short.counts.copy()
    counts[1] = np.nan
    short = _on_grid(detector, Panel(counts=counts, dates=short.dates, keys=short.keys, freq="weekly"))
    labels = detect(detector.name, short, **params).status_labels()
    _require((labels[0] == "insufficient_baseline").all(), detector, "a 5-point series has too little baseline")
    _require((labels[1] == "missing").all(), detector, "an all-missing series is missing")
    _require(not detect(detector.name, short, **params).alarm.any(), detector, "short series raise no alarm")
    freq = "daily" if detector.frequency == "daily" else "weekly"
    empty = Panel(counts=np.zeros((0, 0)), dates=pd.DatetimeIndex([]), keys=pd.DataFrame({"s": []}), freq=freq)
    _require(detect(detector.name, empty).shape == (0, 0), detector, "an empty panel gives an empty result")


def _temporal_order(detector: Detector, params: dict) -> None:
    panel = _long_panel(detector)
    order = np.array([3, 0, 4, 2, 1])
    shuffled = Panel(counts=panel.counts[order], dates=panel.dates,
                     keys=panel.keys.iloc[order].reset_index(drop=True), freq=panel.freq)
    a = detect(detector.name, panel, **params)
    b = detect(detector.name, shuffled, **params)
    for field in ("alarm", "status"):
        _require(np.array_equal(getattr(a, field)[order], getattr(b, field)), detector,
                 f"the order of the series does not change {field}")
    for field in ("expected", "upperbound", "score", "pvalue"):
        # equal up to rounding: a detector that sums over its region's series adds in another order
        _require(np.allclose(getattr(a, field)[order], getattr(b, field), rtol=1e-9, atol=0.0, equal_nan=True),
                 detector, f"the order of the series does not change {field}")


def _temporal_points(detector: Detector, params: dict) -> None:
    panel = _long_panel(detector)
    full = detect(detector.name, panel, **params)
    T = panel.shape[1]
    points = np.array([T - 40, T - 39, T - 20, T - 3, T - 1])
    for bounds in (True, False):
        part = detect(detector.name, panel, points=points, bounds=bounds, **params)
        other = np.setdiff1d(np.arange(T), points)
        _require(np.array_equal(part.status[:, points], full.status[:, points]), detector,
                 "a point judged alone (points=) has the status it has in the whole run")
        _require(np.isin(part.status[:, other], (Status.NOT_MONITORED, Status.MISSING)).all()
                 and not part.alarm[:, other].any(), detector, "a point left out of points= is not judged")
        _require(np.allclose(part.pvalue[:, points], full.pvalue[:, points], rtol=1e-12, atol=0.0, equal_nan=True),
                 detector, "a point judged alone (points=) has the p-value it has in the whole run")
        if bounds:
            for field in ("expected", "upperbound", "alarm"):
                same = np.allclose if field != "alarm" else np.array_equal
                kwargs = {"rtol": 1e-12, "atol": 0.0, "equal_nan": True} if field != "alarm" else {}
                _require(same(getattr(part, field)[:, points], getattr(full, field)[:, points], **kwargs), detector,
                         f"a point judged alone (points=) has the {field} it has in the whole run")
    _require(part.params == full.params, detector, "points= leaves the result's parameters as given")


def _temporal_parameters(detector: Detector, params: dict) -> None:
    panel = _long_panel(detector)
    _check_parameters(detector, lambda **p: detect(detector.name, panel, **p))


_TEMPORAL = (_temporal_outputs, _temporal_short_and_empty, _temporal_order, _temporal_points, _temporal_parameters)


# -- spatial detectors --------------------------------------------------------------------
def _scan_params(params: dict) -> dict:
    return {"n_reps": 99, **params}


def _spatial_clusters(detector: Detector, params: dict) -> None:
    panel, regions = county_panel()
    run = _scan_params(params)
    given = dict(run)
    result = detect(detector.name, panel, regions=regions, **run)
    _require(run == given, detector, "the caller's parameters are not changed")
    _require(set(detector.schema.names) <= set(result.params), detector, "the result keeps every parameter")
    clusters = result.clusters
    _require(len(clusters) > 0, detector, "an obvious cluster is found")
    best = clusters[0]
    _require({"c00", "c01", "c04"} & set(best.regions), detector, "the most likely cluster is the obvious one")
    _require(best.p_value is not None and best.p_value <= 0.05, detector, "the obvious cluster is significant")
    known, seen = set(panel.keys["region"]), set()
    for rank, c in enumerate(clusters, start=1):
        _require(c.rank == rank, detector, "clusters are ranked most likely first")
        _require(set(c.regions) <= known, detector, "clusters lie within the panel's regions")
        _require(not seen & set(c.regions), detector, "clusters share no region")
        seen |= set(c.regions)
        _require(pd.Timestamp(c.end_date) == panel.dates[-1], detector, "clusters end on the newest day")
        _require(c.observed > c.expected, detector, "a cluster has more cases than expected")
        _require(c.p_value is None or 0 < c.p_value <= 1, detector, "p-values are in (0, 1]")


def _spatial_short_and_empty(detector: Detector, params: dict) -> None:
    panel, regions = county_panel()
    run = _scan_params(params)
    quiet = Panel(counts=np.zeros(panel.shape), dates=panel.dates, keys=panel.keys, freq="daily")
    _require(not detect(detector.name, quiet, regions=regions, **run).clusters, detector,
             "a panel without cases has no cluster")
    short = Panel(counts=panel.counts[:, -5:], dates=panel.dates[-5:], keys=panel.keys, freq="daily")
    detect(detector.name, short, regions=regions, **run)  # too short for some baselines: no error
    none = Panel(counts=np.zeros((0, panel.shape[1])), dates=panel.dates, keys=panel.keys.iloc[:0], freq="daily")
    _require(not detect(detector.name, none, regions=regions, **run).clusters, detector,
             "a panel without regions has no cluster")
    empty = Panel(counts=np.zeros((0, 0)), dates=pd.DatetimeIndex([]), keys=panel.keys.iloc[:0], freq="daily")
    _require(not detect(detector.name, empty, regions=regions, **run).clusters, detector,
             "an empty panel has no cluster")
    _refuses(detector, lambda: detect(detector.name, panel, **run), SurveillanceError, "regions",
             "the regions are required")


def _spatial_order(detector: Detector, params: dict) -> None:
    panel, regions = county_panel()
    run = _scan_params(params)
    order = np.random.default_rng(1).permutation(panel.shape[0])
    shuffled = Panel(counts=panel.counts[order], dates=panel.dates,
                     keys=panel.keys.iloc[order].reset_index(drop=True), freq="daily")
    a = detect(detector.name, panel, regions=regions, **run).clusters[0]
    b = detect(detector.name, shuffled, regions=regions.iloc[order[::-1]], **run).clusters[0]
    _require(set(a.regions) == set(b.regions) and np.isclose(a.llr, b.llr), detector,
             "the order of the regions does not change the most likely cluster")


def _spatial_parameters(detector: Detector, params: dict) -> None:
    panel, regions = county_panel()
    _check_parameters(detector, lambda **p: detect(detector.name, panel, regions=regions, **p))


_SPATIAL = (_spatial_clusters, _spatial_short_and_empty, _spatial_order, _spatial_parameters)
