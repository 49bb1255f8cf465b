"""The space-time scans as registered detectors (kind ``spatial``): ``spacetime_permutation``
and ``spacetime_poisson`` take a daily panel with one series per region, and the regions'
centroids, and return the clusters of the newest days (a ``ScanResult``).

    from surveillance.detectors import detect
    result = detect("spacetime_poisson", panel, regions=regions, max_days=7)

``regions`` has ``region, lat, lon`` and optionally ``population``. Series of regions without
a finite centroid are left out; missing counts are no cases. The study period is capped at
the panel's length.

**The Poisson scan's baseline.** The expected count of a region on a day is the mean of its
counts on the same weekday in the four weeks before: for the days a window can reach (the
last ``max_days``), the four weeks before the first of them, so that a cluster inside the
windows does not raise its own expectation; for earlier days (which only size the zones when
the regions have no population), the four weeks before the day. Missing days are left out
of the mean; a region without any of its four weekdays on a window day is not scanned. The
detector therefore reads ``study_days`` plus four weeks of data.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd

from ..detectors.registry import Detector, register
from ..errors import SurveillanceError
from ..panel import Panel
from .params import PERMUTATION_PARAMS, POISSON_PARAMS
from .result import ScanResult
from .scan import scan

BASELINE_WEEKS = 4


def weekday_baseline(counts: np.ndarray, window_days: int, weeks: int = BASELINE_WEEKS) -> np.ndarray:
    """Expected counts ``[n_regions, n_days]`` by the rule in the module notes (NaN: no history)."""
    counts = np.asarray(counts, dtype=float)
    n_days = counts.shape[1]
    first_window = n_days - window_days
    out = np.full(counts.shape, np.nan)
    for day in range(n_days):
        before = min(day, first_window)  # reference days lie before this one
        skip = max(1, -(-(day - before + 1) // 7))  # whole weeks back to the first reference day
        refs = [day - 7 * (skip + k) for k in range(weeks)]
        refs = [r for r in refs if r >= 0]
        if refs:
            block = counts[:, refs]
            seen = np.isfinite(block).sum(axis=1)
            with np.errstate(invalid="ignore"):
                out[:, day] = np.where(seen > 0, np.nansum(block, axis=1) / np.maximum(seen, 1), np.nan)
    return out


def scan_panel(method: str, name: str, panel: Panel, params: dict, regions: pd.DataFrame) -> ScanResult:
    """Scan a daily panel (one series per region) with the regions' centroids; see the module notes."""
    if "region" not in panel.keys.columns:
        raise SurveillanceError(f"{name}: the panel needs a 'region' key, one series per region")
    codes = panel.keys["region"].astype(str)
    repeated = codes[codes.duplicated()].unique()
    if len(repeated):
        raise SurveillanceError(f"{name}: one series per region is needed; region {repeated[0]} has several "
                                f"(scan each syndrome and age group on its own)")
    missing = [c for c in ("region", "lat", "lon") if c not in regions.columns]
    if missing:
        raise SurveillanceError(f"{name}: regions lacks column(s) {', '.join(missing)}")
    where = regions.assign(region=regions["region"].astype(str)).drop_duplicates("region").set_index("region")
    where = where.reindex(codes)
    lat, lon = where["lat"].to_numpy(dtype=float), where["lon"].to_numpy(dtype=float)
    population = where["population"].to_numpy(dtype=float) if "population" in where.columns else None
    keep = np.isfinite(lat) & np.isfinite(lon)

    params = dict(params)
    params["study_days"] = max(1, min(int(params["study_days"]), panel.shape[1]))
    if panel.shape[1] == 0:
        return _nothing(method, params, int(keep.sum()))
    raw = panel.counts[keep]
    expected = None
    if method == "poisson":
        windows = min(params["max_days"], params["study_days"])
        expected = weekday_baseline(raw, windows)
        judged = np.isfinite(expected[:, -windows:]).all(axis=1)
        keep[np.flatnonzero(keep)[~judged]] = False
        raw, expected = raw[judged], expected[judged]
    return scan(np.nan_to_num(raw, nan=0.0), lat[keep], lon[keep], method=method, expected=expected,
                population=None if population is None else population[keep], dates=panel.dates,
                regions=codes[keep].tolist(), params=params)


def _nothing(method: str, params: dict, n_regions: int) -> ScanResult:
    """No days, no clusters."""
    return ScanResult(method=method, params=params, clusters=(), study_start=None, study_end=None,
                      n_regions=n_regions, n_days=0, total_cases=0.0, n_zones=0, n_windows=0,
                      replicate_maxima=np.zeros(0))


def _study_days(params: dict) -> int:
    return int(params["study_days"])


def _study_and_baseline_days(params: dict) -> int:
    return int(params["study_days"]) + 7 * BASELINE_WEEKS


REFERENCES = {
    "permutation": "Kulldorff et al. 2005 (prospective space-time permutation scan); SaTScan",
    "poisson": "Neill et al. 2005 (expectation-based Poisson scan)",
}

register(Detector(
    name="spacetime_permutation", run=partial(scan_panel, "permutation", "spacetime_permutation"),
    frequency="daily", schema=replace(PERMUTATION_PARAMS, detector="spacetime_permutation"),
    reference=REFERENCES["permutation"], kind="spatial", history_days=_study_days,
    summary="clusters of neighbouring regions over the last days, from counts alone",
))
register(Detector(
    name="spacetime_poisson", run=partial(scan_panel, "poisson", "spacetime_poisson"),
    frequency="daily", schema=replace(POISSON_PARAMS, detector="spacetime_poisson"),
    reference=REFERENCES["poisson"], kind="spatial", history_days=_study_and_baseline_days,
    summary="clusters of neighbouring regions over the last days, against the same weekdays of the "
            "four weeks before",
))
