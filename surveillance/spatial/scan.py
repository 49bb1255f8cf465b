"""Prospective space-time scans: the permutation scan and the expectation-based Poisson scan.

Candidate clusters are cylinders: a circular zone of regions (``zones.build_zones``) by a
window of the last 1 to ``max_days`` days of the study period. Both scans take the cylinder
with the largest log-likelihood ratio as the most likely cluster, judge it against the
maxima of Monte Carlo replicates, and report secondary clusters that share no region with
a better one (each centre offers its best cylinder, best first: SaTScan's "no geographical
overlap"), each with its p-value from the same replicate maxima.

* ``permutation`` (Kulldorff et al. 2005): needs counts only. A cylinder's expected count is
  the sum over its regions ``z`` and days ``d`` of ``cases(z) x cases(d) / all cases``, all over
  the study period. Replicates shuffle the dates of the cases among them, keeping every
  region's and every day's total.
* ``poisson`` (Neill et al. 2005): expected counts come from a baseline (e.g. a temporal
  detector's ``expected``), so population and season are already in them. Replicates draw
  every region-day of the windows from Poisson(expected).

The recurrence interval of a daily prospective scan is ``1 / p`` days.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import SurveillanceError, UnknownName
from . import kernels
from .params import METHODS, SCHEMAS
from .result import Cluster, ScanResult, p_value
from .zones import Zones, build_zones

# Above this many cases in the study period, replicates draw from a tree over the regions
# instead of shuffling a per-thread copy of every case.
SHUFFLE_MAX_CASES = 4_000_000


def scan(
    counts,
    lat,
    lon,
    *,
    method: str = "permutation",
    expected=None,
    population=None,
    dates=None,
    regions=None,
    params: Mapping[str, Any] | None = None,
    group: Mapping[str, str] | None = None,
) -> ScanResult:
    """Scan ``counts[n_regions, n_days]`` (daily, oldest day first) for space-time clusters.

    ``lat``/``lon`` are the regions' centroids in degrees. ``expected`` (same shape as
    ``counts``) is required by the ``poisson`` method; ``population`` (one per region) is
    optional there. ``dates`` (one per day) and ``regions`` (one id per region) label the
    clusters; without them days and regions are numbered. ``params`` follow
    ``params.SCHEMAS[method]``; the study period is the last ``study_days`` days of ``counts``.
    """
    if method not in METHODS:
        raise UnknownName(f"unknown scan method {method!r}; valid methods: {', '.join(METHODS)}")
    p = SCHEMAS[method].validate(params)
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 2 or counts.shape[1] == 0:
        raise SurveillanceError("counts must be a table of regions x days with at least one day")
    n, n_days_all = counts.shape
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if lat.shape != (n,) or lon.shape != (n,):
        raise SurveillanceError(f"lat and lon need one value per region ({n})")
    if not (np.isfinite(lat).all() and np.isfinite(lon).all()):
        raise SurveillanceError("every region needs a finite latitude and longitude")
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise SurveillanceError("counts must be finite and non-negative")
    region_ids = np.asarray([str(i) for i in range(n)] if regions is None else [str(r) for r in regions],
                            dtype=object)
    if len(region_ids) != n:
        raise SurveillanceError(f"regions needs one id per region ({n})")
    day_labels = np.arange(n_days_all) if dates is None else pd.DatetimeIndex(dates)
    if len(day_labels) != n_days_all:
        raise SurveillanceError(f"dates needs one date per day ({n_days_all})")

    T = min(p["study_days"], n_days_all)
    counts = counts[:, n_days_all - T:]
    day_labels = day_labels[n_days_all - T:]
    W = min(p["max_days"], T)
    newest_first = counts[:, ::-1][:, :W]
    S = np.ascontiguousarray(np.cumsum(newest_first, axis=1))
    total = float(counts.sum())

    if method == "permutation":
        if not np.array_equal(counts, np.round(counts)):
            raise SurveillanceError("the permutation scan needs whole-number counts")
        region_cases = counts.sum(axis=1)
        day_cases = counts.sum(axis=0)
        share = np.cumsum(day_cases[::-1][:W]) / total if total > 0 else np.zeros(W)
        B = np.ascontiguousarray(region_cases[:, None] * share[None, :])
        weight = region_cases
        kind = kernels.PERMUTATION
    else:
        if expected is None:
            raise SurveillanceError("the poisson scan needs expected counts (a baseline) for every region and day")
        expected = np.asarray(expected, dtype=float)
        if expected.shape != (n, n_days_all):
            raise SurveillanceError(f"expected has shape {expected.shape}, counts {(n, n_days_all)}")
        expected = expected[:, n_days_all - T:]
        window_expected = expected[:, ::-1][:, :W]
        if not np.isfinite(window_expected).all() or (window_expected < 0).any():
            raise SurveillanceError(f"expected counts must be finite and non-negative on the last {W} days")
        B = np.ascontiguousarray(np.cumsum(window_expected, axis=1))
        weight = np.nansum(np.where(expected >= 0, expected, 0.0), axis=1)
        if population is not None and p["use_population"]:
            population = np.asarray(population, dtype=float)
            if population.shape == (n,) and np.isfinite(population).all():
                weight = population
        kind = kernels.POISSON

    zones = build_zones(lat, lon, weight, max_share=p["max_share"], max_radius_km=p["max_radius_km"],
                        max_regions=p["max_regions"])
    best, size, window = kernels.best_per_centre(S, B, zones.offsets, zones.members, zones.circle, total, kind,
                                                 float(p["min_cases"]))
    maxima = _replicate_maxima(method, counts, expected if method == "poisson" else None, W, B, zones, total,
                               p)
    clusters = _clusters(best, size, window, zones, S, B, total, method, maxima, p, region_ids, lat, lon,
                         day_labels)
    return ScanResult(
        method=method, params=p, clusters=tuple(clusters), study_start=day_labels[0], study_end=day_labels[-1],
        n_regions=n, n_days=T, total_cases=total, n_zones=zones.n_zones, n_windows=W,
        replicate_maxima=maxima, group=dict(group or {}),
    )


def _replicate_maxima(method, counts, expected, W, B, zones: Zones, total, p) -> np.ndarray:
    n_reps, seed = p["n_reps"], p["seed"]
    if n_reps == 0:
        return np.zeros(0)
    min_cases = float(p["min_cases"])
    Wp = kernels.padded(W)
    if method == "permutation":
        region_cases = counts.sum(axis=1).astype(np.int64)
        day_cases = counts.sum(axis=0)[::-1][:W].astype(np.int64)
        f = np.ones(Wp)
        f[:W] = B[:, :W].sum(axis=0) / total if total > 0 else 0.0
        return kernels.permutation_maxima(region_cases, day_cases, f, zones.offsets, zones.members, zones.unique,
                                          total, min_cases, seed, n_reps, kernels.default_chunks(n_reps),
                                          total > SHUFFLE_MAX_CASES)
    rate = np.ascontiguousarray(expected[:, ::-1][:, :W])
    padded_B = np.zeros((B.shape[0], Wp))
    padded_B[:, :W] = B
    rng = np.random.default_rng(seed)
    batch = max(1, min(n_reps, 4_000_000 // max(rate.size, 1)))
    out = np.empty(n_reps)
    for first in range(0, n_reps, batch):
        k = min(batch, n_reps - first)
        tables = rng.poisson(rate, size=(k, *rate.shape)).astype(float)
        out[first:first + k] = kernels.table_maxima(tables, np.zeros(1), np.ones(Wp), padded_B, zones.offsets,
                                                    zones.members, zones.unique, total, kernels.POISSON, min_cases)
    return out


def _clusters(best, size, window, zones, S, B, total, method, maxima, p, region_ids, lat, lon, day_labels):
    centres = np.flatnonzero(best > 0)
    order = centres[np.lexsort((centres, -best[centres]))]  # best first, ties to the lower centre
    used = np.zeros(len(region_ids), dtype=bool)
    out: list[Cluster] = []
    T = len(day_labels)
    for i in order:
        if len(out) >= p["max_clusters"]:
            break
        members = zones.zone(i, size[i])
        if used[members].any():
            continue
        llr = float(best[i])
        pv = p_value(llr, maxima)
        if out and pv is not None and pv > p["report_p"]:
            break  # later ones are no more likely
        used[members] = True
        w = int(window[i])
        c = float(S[members, w - 1].sum())
        m = float(B[members, w - 1].sum())
        if method == "permutation":
            outside = (total - c) / (total - m) if total > m else np.nan
            rr = (c / m) / outside if outside > 0 else np.inf
        else:
            rr = c / m
        out.append(Cluster(
            rank=len(out) + 1,
            regions=tuple(region_ids[members]),
            centre=str(region_ids[i]),
            centre_lat=float(lat[i]),
            centre_lon=float(lon[i]),
            radius_km=zones.radius_km(i, size[i]),
            start_date=day_labels[T - w],
            end_date=day_labels[T - 1],
            n_days=w,
            observed=c,
            expected=m,
            relative_risk=float(rr),
            llr=llr,
            p_value=pv,
            recurrence_interval_days=None if pv is None else 1.0 / pv,
        ))
    return out
