"""Thresholds chosen for a target alarm rate instead of a nominal alpha.

A nominal alpha promises a false alarm rate that real series rarely keep: overdispersion,
reporting artefacts and model misfit make some series alarm every week and others never.
CIDARS's experience is that too many signals and nobody answers them. Tuning turns the
question round: given the alarms a team can follow up (say one per county per month),
which threshold gives each series that rate on its own history, and how much does it
still detect?

The evidence of a point is ``-log10(pvalue)`` for detectors with an ``alpha`` parameter
(their alarm is exactly ``pvalue <= alpha``) and the ``score`` for the others (CUSUM, GLR,
MPM: alarm is ``score > 1``). For a target of ``r`` alarms per series-year and ``P`` points
per year, the threshold of a series (or of a group of series, pooled) is set so that at
most a share ``r / P`` of its judged history points lies above it: with ``n`` judged
points, ``k = floor(n r / P)`` points may alarm and the threshold is the ``k+1``-th largest
evidence. All alarms of the history count, true and false alike, because on real data
nobody knows which were which; that is the workload the target is about.

For alpha detectors the threshold is reported as the alpha it amounts to
(``10 ** -threshold``). CUSUM and GLR restart their statistic after an alarm at ``h``, so a
threshold on their score is an approximation of re-running them with another ``h``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..detectors import DetectionResult, Status
from ..errors import SurveillanceError


def uses_pvalue(result: DetectionResult) -> bool:
    """Whether the detector's alarm is ``pvalue <= alpha`` (it has an ``alpha`` parameter)."""
    return "alpha" in result.params


def evidence(result: DetectionResult) -> np.ndarray:
    """Per point, larger = stronger against the baseline; NaN where the point was not judged."""
    judged = result.status == Status.OK
    if uses_pvalue(result):
        with np.errstate(divide="ignore"):
            value = -np.log10(np.clip(result.pvalue, 0.0, 1.0))
    else:
        value = result.score.astype(float)
    return np.where(judged, value, np.nan)


def allowed_share(target_per_year: float, points_per_year: float) -> float:
    if not target_per_year > 0:
        raise SurveillanceError(f"the target alarm rate must be above 0 alarms per series-year, got {target_per_year}")
    share = target_per_year / points_per_year
    if share >= 1:
        raise SurveillanceError(f"a target of {target_per_year} alarms per series-year is an alarm at every point "
                                f"({points_per_year:g} points per year)")
    return share


def threshold_for_share(values: np.ndarray, share: float) -> float:
    """The smallest threshold with at most ``floor(n * share)`` of ``values`` above it."""
    values = np.sort(values[~np.isnan(values)])
    n = values.size
    if n == 0:
        return np.nan
    allowed = int(np.floor(n * share + 1e-9))
    return float(values[n - 1 - allowed]) if allowed < n else -np.inf


def tune_thresholds(result: DetectionResult, history: np.ndarray | slice, target_per_year: float,
                    points_per_year: float, groups=None, min_points: int = 30) -> np.ndarray:
    """One evidence threshold per series from the points ``history`` selects (a slice of time
    or a boolean ``[series, time]`` mask).

    ``groups`` (one label per series) pools the history of each group into one threshold;
    without it each series gets its own, and a series with fewer than ``min_points`` judged
    history points takes the threshold pooled over all series.
    """
    share = allowed_share(target_per_year, points_per_year)
    ev = evidence(result)
    if isinstance(history, slice):
        mask = np.zeros(ev.shape, dtype=bool)
        mask[:, history] = True
    else:
        mask = np.asarray(history, dtype=bool)
        if mask.shape != ev.shape:
            raise SurveillanceError(f"history mask has shape {mask.shape}, the result {ev.shape}")
    hist = np.where(mask, ev, np.nan)
    if groups is not None:
        labels = pd.Series(np.asarray(groups), dtype="object")
        if len(labels) != ev.shape[0]:
            raise SurveillanceError(f"{len(labels)} group labels for {ev.shape[0]} series")
        out = np.full(ev.shape[0], np.nan)
        for _, rows in labels.groupby(labels, sort=False).groups.items():
            rows = np.asarray(rows)
            out[rows] = threshold_for_share(hist[rows].ravel(), share)
        return out
    pooled = threshold_for_share(hist.ravel(), share)
    enough = (~np.isnan(hist)).sum(axis=1) >= min_points
    own = np.array([threshold_for_share(row, share) if ok else np.nan for row, ok in zip(hist, enough)])
    return np.where(enough, own, pooled)


def tuned_alarms(result: DetectionResult, thresholds: np.ndarray) -> np.ndarray:
    """Alarms with each series' evidence threshold in place of the nominal one."""
    ev = evidence(result)
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(ev, nan=-np.inf) > np.asarray(thresholds, dtype=float)[:, None]


def threshold_as_alpha(result: DetectionResult, thresholds: np.ndarray) -> np.ndarray:
    """For alpha detectors, the alpha each threshold amounts to; NaN for the others."""
    thresholds = np.asarray(thresholds, dtype=float)
    if not uses_pvalue(result):
        return np.full(thresholds.shape, np.nan)
    return np.power(10.0, -thresholds)
