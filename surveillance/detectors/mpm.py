"""Moving percentile method (MPM) of China's Infectious Disease Automated-alert and Response
System (CIDARS; Yang W et al. 2011, Lai S et al. 2017).

For a point ``t`` the *current window* is the sum of the last ``window`` points ending at
``t`` (7 days for daily data, 1 week for weekly data). The *historical windows* are windows
of the same length in each of the previous ``years`` years, centred on the same calendar
date and moved by ``-k .. +k`` whole windows (``k = half_width``): for daily data with the
defaults, the 7-day windows ending on the same date and 1 and 2 weeks before and after it
in each of the 3 previous years, 5 x 3 = 15 historical values. The threshold is the
``percentile``-th percentile of those values (CIDARS uses P50 for most diseases and up to
P80-P90 where that keeps false alerts down; 50-90 allowed here) and the point is an alarm
when the current window sum exceeds it.

Choices made here (the papers describe the method in words):

* the same calendar date ``i`` years back (29 February becoming 28 February); for weekly
  data the week nearest to it;
* percentiles interpolate linearly between order statistics (numpy's default, R type 7);
* a historical window with a missing point is left out; at least half of the historical
  windows are needed, else ``insufficient_baseline``; the current window must be complete
  (``insufficient_baseline`` otherwise; ``missing`` when the point itself is missing).

Outputs, on the scale of the point's own count: ``upperbound = threshold - (sum of the
window's other points)``, so that ``alarm = count > upperbound = current sum > threshold``;
``expected`` is the median of the historical window sums divided by ``window`` (a typical
count at this time of year); ``score`` is the shared ratio; ``pvalue`` is the empirical
``(1 + #{historical >= current}) / (1 + #historical)``.

``percent=true`` judges ``100 * count / total``; window values are then sums of the
points' percentages.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..panel import Panel
from .inputs import monitor_param, monitor_start, percent_param, quiet_empty_slices, values
from .params import Float, Int, ParamSchema
from .registry import Detector, register
from .result import DetectionResult, Status, assemble, exceedance_score

REFERENCE = ("China CDC CIDARS moving percentile method: Yang W et al. (2011) BMC Public Health 11:S2; "
             "Lai S et al. (2017) Int J Infect Dis")


def _window_sums(y: np.ndarray, window: int) -> np.ndarray:
    """Sum of ``y[:, t-window+1 .. t]``; NaN where any is missing or before the start."""
    n, T = y.shape
    out = np.full((n, T), np.nan)
    if T >= window:
        filled = np.concatenate([np.zeros((n, 1)), np.cumsum(np.nan_to_num(y), axis=1)], axis=1)
        gaps = np.concatenate([np.zeros((n, 1)), np.cumsum(np.isnan(y), axis=1)], axis=1)
        sums = filled[:, window:] - filled[:, :-window]
        bad = (gaps[:, window:] - gaps[:, :-window]) > 0
        out[:, window - 1:] = np.where(bad, np.nan, sums)
    return out


def historical_positions(dates: pd.DatetimeIndex, years: int, half_width: int, window: int, weekly: bool) -> np.ndarray:
    """``[T, years * (2k+1)]`` positions of the historical window ends; -1 where outside the panel."""
    T = len(dates)
    step = 7 if weekly else 1
    k = np.arange(-half_width, half_width + 1)
    out = np.full((T, years * len(k)), -1, dtype=np.int64)
    if T == 0:
        return out
    origin = dates[0]
    for y in range(1, years + 1):
        same = dates - pd.DateOffset(years=y)
        days = np.asarray((same - origin).days, dtype=float)
        pos = np.round(days / step).astype(np.int64)  # nearest point of the grid
        ends = pos[:, None] + k[None, :] * window
        ok = (ends >= 0) & (ends < np.arange(T)[:, None])
        out[:, (y - 1) * len(k): y * len(k)] = np.where(ok, ends, -1)
    return out


def run_mpm(panel: Panel, params: dict) -> DetectionResult:
    y = values("mpm", panel, params["percent"])
    n, T = y.shape
    weekly = panel.freq == "weekly"
    window = params["window"] or (1 if weekly else 7)
    resolved = dict(params, window=window)
    start = monitor_start(T, params["monitor_last"])
    status = np.full((n, T), Status.INSUFFICIENT_BASELINE, dtype=np.uint8)
    status[:, :start] = Status.NOT_MONITORED
    expected = np.full((n, T), np.nan)
    upper = np.full((n, T), np.nan)
    pvalue = np.full((n, T), np.nan)
    score = np.full((n, T), np.nan)
    if n and T:
        sums = _window_sums(y, window)
        positions = historical_positions(pd.DatetimeIndex(panel.dates), params["years"], params["half_width"],
                                         window, weekly)[start:]
        hist = np.where(positions[None, :, :] >= 0, sums[:, np.maximum(positions, 0)], np.nan)  # [n, T', H]
        used = np.sum(~np.isnan(hist), axis=2)
        enough = used >= max(1, (positions.shape[1] + 1) // 2)
        with quiet_empty_slices():
            threshold = np.nanpercentile(hist, params["percentile"], axis=2)
            median = np.nanmedian(hist, axis=2)
        current = sums[:, start:]
        up = threshold - (current - y[:, start:])  # the point's value at which the window reaches the threshold
        exp = median / window
        ok = enough & ~np.isnan(current)
        with np.errstate(invalid="ignore"):
            pv = (1.0 + np.sum(hist >= current[:, :, None], axis=2)) / (1.0 + used)
        status[:, start:] = np.where(ok, Status.OK, Status.INSUFFICIENT_BASELINE)
        expected[:, start:] = np.where(ok, exp, np.nan)
        upper[:, start:] = up
        pvalue[:, start:] = pv
        score[:, start:] = exceedance_score(y[:, start:], np.where(ok, exp, np.nan), up)
    return assemble("mpm", resolved, y, expected=expected, upperbound=upper, pvalue=pvalue, status=status,
                    score=score)


MPM = register(Detector(
    name="mpm",
    run=run_mpm,
    frequency="any",
    schema=ParamSchema("mpm", (
        Float("percentile", 50.0, "threshold percentile of the historical window sums (CIDARS: P50-P90)",
              low=50.0, high=90.0),
        Int("years", 3, "number of previous years", low=1),
        Int("half_width", 2, "historical windows at -k..+k windows around the same date in each year", low=0),
        Int("window", None, "points per window (none: 7 for daily, 1 for weekly data)", low=1, nullable=True),
        percent_param(),
        monitor_param(),
    )),
    reference=REFERENCE,
    summary="current 7-day sum above the P50 (P50-P90) of the same windows in the previous 3 years",
))
