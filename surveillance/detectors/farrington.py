"""Farrington (1996) and the improved Farrington of Noufaily et al. (2013).

As R ``surveillance::farringtonFlexible`` (1.20.3), whose control list these parameters
mirror (R name in brackets):

* reference data: for ``b`` years back (``b``), the windows ``t - i*period ± w`` (``w``);
  with ``n_periods > 1`` (``noPeriods``) the rest of each year becomes ``n_periods - 1``
  further factor levels, the windows being level ``n_periods``; the last
  ``past_weeks_excluded`` points and the current point are left out
  (``pastWeeksNotIncluded``, default ``w``);
* a quasi-Poisson GLM with log link, with a linear trend (``trend``) kept only if the
  slope's p-value is below ``trend_p_threshold`` (``pThresholdTrend``; any number, as in R,
  so that 1 keeps the trend wherever the other two rules allow), ``b >= 3`` and the
  prediction does not exceed the largest baseline count;
* optionally refitted with weights that down-weight baseline points whose Anscombe residual
  exceeds ``reweight_threshold`` (``reweight``, ``weightsThreshold``); dispersion
  ``phi = max(Pearson dispersion, 1)``;
* the threshold (``thresholdMethod``): ``delta`` — the upper ``1 - alpha`` limit of a normal
  prediction interval on the ``power_transform`` scale (``powertrans``; ``2/3`` removes
  the skewness of Poisson counts); ``nbplugin`` — the ``1 - alpha`` quantile of a negative
  binomial with the predicted mean and dispersion ``phi``; ``muan`` — the same with the mean's
  own upper ``1 - alpha`` limit plugged in;
* no threshold where fewer than ``min_recent_cases`` cases fell in the last
  ``recent_weeks`` points including the current one (``limit54``).

Outputs: ``expected`` is the predicted mean; ``upperbound`` the threshold; ``pvalue`` the
probability of a count at least as large as the one observed (normal on the transformed
scale for ``delta``, negative binomial for the others, as R); ``score = (count -
expected) / (upperbound - expected)`` and ``alarm = score > 1``, i.e. ``count >
upperbound``, which is R's alarm rule.

Defaults. ``farrington_flexible`` takes R ``farringtonFlexible``'s defaults (b=5, w=3,
reweight with threshold 2.58, alpha=0.05, trend at p<0.05, limit54=c(5,4), 2/3 power,
n_periods=1, past weeks excluded = w, delta threshold). The settings Noufaily et al.
recommend are ``n_periods=10, past_weeks_excluded=26, threshold="nbplugin"`` with
``reweight_threshold=2.58``, and R's documentation adds ``trend_p_threshold=1`` for them.
``farrington`` is the original method of Farrington et al. (1996) as R's
``farrington``/``algo.farrington`` runs it: the same defaults but ``reweight_threshold=1``
(R's ``algo.farrington`` hard-codes 1).

Reference points (``reference_points``): ``calendar`` (default) finds the same date ``i``
years back, moved to the nearest same weekday for weekly data, and measures the trend in
days over the series' first spacing, as R does for ``sts`` objects with dates
(``epochAsDate = TRUE``); ``position`` takes ``t - i * period``, as R does without dates.
``period`` defaults to 52 for weekly panels; monthly data work with ``period=12``.

Departures from R, on purpose:

* **Dispersion of the prediction after reweighting.** R 1.20.3 overwrites the refitted
  model's working weights with the reweighting weights (``model$weights <- omega``), so the
  dispersion behind the prediction's standard error and the trend's t test becomes
  ``sum(omega * ((y - mu) / mu)^2) / df``, a quantity that scales like ``1 / mu``: too
  wide a bound for small counts, too narrow for large ones, and trends kept or dropped on
  that basis. We use the Pearson dispersion of the refitted model, as Farrington et al.
  do. ``r_compatible=True`` reproduces R exactly (the R agreement tests use it); with the
  default, bounds differ from R by a median of 0-27% per reference dataset.

* **Score with nbplugin/muan.** R computes the score of these two methods with the linear
  predictor in place of the expected count (``(y - eta) / (U - eta)``); we use the expected
  count, as for ``delta``. Alarms are unaffected.
* **Missing counts** in the recent-cases window count as zero (R gives no threshold when
  any is missing); missing baseline counts are left out of the fit, as R does.
* **What R cannot fit** (no convergence with nor without trend, no baseline data in the
  current window's level) gets a status instead of R's warning/error.
* ``monitor_last`` judges only the last points, as R's ``range`` does.

Implementation: the reference design, relative to the current point, is the same at every
point and for every series, so all (series, point) pairs are fitted together in chunks by
the batched IRLS of ``surveillance.detectors.glm``, which reproduces R's ``glm.fit``
iterations; nothing loops over series or points in Python. ``farrington_design`` finds the
reference points and their levels, ``farrington_model`` fits, selects the trend and
thresholds; this module runs them over a panel and registers the two detectors.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..panel import Panel
# The design and the model live in their own modules; reference_design, thresholds and
# quasi_poisson_threshold stay importable from here, as before they moved.
from .farrington_design import reference_design, years_back_by_calendar, years_back_by_position
from .farrington_model import predict, quasi_poisson_threshold, thresholds  # noqa: F401
from .params import Bool, Choice, Float, Int, InvalidParameter, ParamSchema, Probability
from .registry import Detector, register
from .result import DetectionResult, Status, assemble

REFERENCE_1996 = ("Farrington et al. (1996) JRSS A 159:547-563; R surveillance::farringtonFlexible "
                  "(noPeriods=1, weightsThreshold=1)")
REFERENCE_2013 = "Noufaily et al. (2013) Stat Med 32:1206-1222; R surveillance::farringtonFlexible"

# Elements (rows x reference points) fitted per chunk: large enough to amortise numpy's
# per-call overhead, small enough to stay in cache-friendly memory.
CHUNK_ELEMENTS = 1 << 21


def _schema(name: str, reweight_threshold: float) -> ParamSchema:
    params = (
        Int("b", 5, "number of years back for the reference windows", low=1),
        Int("w", 3, "half-width of the reference windows", low=0),
        Probability("alpha", 0.05, "one-sided level of the threshold"),
        Int("n_periods", 1, "number of factor levels per year (1: windows only; Noufaily: 10)", low=1,
            aliases=("noPeriods",)),
        Int("past_weeks_excluded", None, "most recent points left out of the fit (none: w)", low=0,
            nullable=True, aliases=("pastWeeksNotIncluded",)),
        Bool("reweight", True, "refit with weights that down-weight past outbreaks"),
        Float("reweight_threshold", reweight_threshold, "Anscombe residual above which a point is down-weighted",
              low=0.0, aliases=("weightsThreshold",)),
        Bool("trend", True, "fit a linear time trend (kept only where significant and not extrapolating)"),
        # Any number, as R: not a significance level to validate but a cut-off for the slope's
        # p-value, and R advises 1 for the improved method.
        Float("trend_p_threshold", 0.05, "the trend is kept only where its p-value is below this: any number, as in "
              "R (1, advised for the improved method, keeps it wherever the other rules allow; 0 never)",
              aliases=("pThresholdTrend",)),
        Choice("power_transform", "2/3", "power transform for the delta threshold", ("2/3", "1/2", "none"),
               aliases=("powertrans",)),
        Choice("threshold", "delta", "threshold method", ("delta", "nbplugin", "muan"),
               aliases=("thresholdMethod",)),
        Int("min_recent_cases", 5, "no threshold unless at least this many cases in the recent points "
            "(R's limit54[1])", low=0),
        Int("recent_weeks", 4, "number of recent points (including the current one) for min_recent_cases "
            "(R's limit54[2])", low=1),
        Int("period", None, "points per year (none: 52 for weekly panels)", low=2, nullable=True),
        Choice("reference_points", "calendar", "how the same point in past years is found: 'calendar' (the same "
               "date, moved to the same weekday for weekly data; R with dates) or 'position' (t - i*period; "
               "R without dates)", ("calendar", "position")),
        Int("monitor_last", None, "judge only the last this many points (none: all)", low=1, nullable=True),
        Bool("r_compatible", False, "reproduce R 1.20.3 exactly, including its dispersion for the prediction's "
             "standard error and the trend test after reweighting (see the module notes)"),
    )
    return ParamSchema(name, params)


def run_farrington(name: str, panel: Panel, params: dict) -> DetectionResult:
    counts = np.asarray(panel.counts, dtype=float)
    n, T = counts.shape
    period = params["period"] or 52
    b, w = params["b"], params["w"]
    pwe = w if params["past_weeks_excluded"] is None else params["past_weeks_excluded"]
    resolved = dict(params, period=period, past_weeks_excluded=pwe)
    if period <= 2 * w:
        raise InvalidParameter(f"{name}: parameter 'w' must be less than period/2 ({period}/2), got {w}")

    expected = np.full((n, T), np.nan)
    upper = np.full((n, T), np.nan)
    pvalue = np.full((n, T), np.nan)
    status = np.full((n, T), Status.INSUFFICIENT_BASELINE, dtype=np.uint8)
    start = 0
    if params["monitor_last"] is not None:
        start = max(0, T - params["monitor_last"])
        status[:, :start] = Status.NOT_MONITORED

    if params["reference_points"] == "calendar":
        years_back = years_back_by_calendar(pd.DatetimeIndex(panel.dates), b, period)
    else:
        years_back = years_back_by_position(T, b, period)
    k_all = np.arange(T)
    # A point is judged when every reference point exists (R's own requirement); windows
    # reaching before the series start are cut, as R's indexing does.
    judgeable = (years_back > 0).all(axis=1) & (k_all - years_back.max(axis=1, initial=0) >= 0) & (k_all >= start)

    # Recent cases (R's limit54), missing counted as 0.
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(np.nan_to_num(counts), axis=1)], axis=1)
    recent = csum[:, k_all + 1] - csum[:, np.maximum(k_all - params["recent_weeks"] + 1, 0)]

    # The trend's time axis: R measures it in days divided by the series' first spacing
    # when the series has dates, which for months of unequal length is not the position.
    dates = pd.DatetimeIndex(panel.dates)
    days = (dates - dates[0]).days.to_numpy() if T else np.zeros(0)
    uneven = params["reference_points"] == "calendar" and T > 2 and len(np.unique(np.diff(days))) > 1

    groups: dict[tuple, list[int]] = {}
    for k in np.flatnonzero(judgeable):
        key = tuple(years_back[k]) + ((k,) if uneven else ())
        groups.setdefault(key, []).append(k)
    for key, times in groups.items():
        back = key[:b]
        try:
            offsets, design, window = reference_design(w, params["n_periods"], back, pwe)
        except ValueError:
            raise InvalidParameter(f"{name}: parameter 'n_periods' is too large for period {period} and w {w}, "
                                   f"got {params['n_periods']}") from None
        if window < 0 or len(offsets) == 0:
            continue
        if uneven:
            k = times[0]
            cols = np.clip(k + offsets, 0, T - 1)
            time = (days[cols] - days[k]) / (days[1] - days[0])
            design = replace(design, time=np.where(k + offsets >= 0, time, offsets.astype(float)))
        times = np.asarray(times)
        pair_series = np.repeat(np.arange(n), len(times))
        pair_time = np.tile(times, n)
        keep = ~np.isnan(counts[pair_series, pair_time])
        pair_series, pair_time = pair_series[keep], pair_time[keep]
        chunk = max(1, CHUNK_ELEMENTS // len(offsets))
        for lo in range(0, len(pair_series), chunk):
            s, k = pair_series[lo: lo + chunk], pair_time[lo: lo + chunk]
            _judge(counts, s, k, offsets, design, window, resolved, recent, expected, upper, pvalue, status)
    return assemble(name, resolved, counts, expected=expected, upperbound=upper, pvalue=pvalue, status=status)


def _judge(counts, s, k, offsets, design, window, params, recent, expected, upper, pvalue, status):
    """Fit and threshold the (series s, point k) pairs, writing into the output arrays."""
    cols = k[:, None] + offsets[None, :]
    inside = cols >= 0
    y = np.where(inside, counts[s[:, None], np.maximum(cols, 0)], np.nan)
    present = ~np.isnan(y)
    y = np.where(present, y, 0.0)
    eta, var, dispersion, phi, converged, fittable = predict(y, present, design, window, params)
    mu, up, pv = thresholds(counts[s, k], eta, var, dispersion, phi, params)
    st = np.full(len(s), Status.OK, dtype=np.uint8)
    st[~(converged & np.isfinite(up))] = Status.FIT_FAILED
    st[~fittable] = Status.INSUFFICIENT_BASELINE
    st[(st == Status.OK) & (recent[s, k] < params["min_recent_cases"])] = Status.FEW_RECENT_CASES
    expected[s, k] = np.where(fittable & converged, mu, np.nan)
    upper[s, k], pvalue[s, k], status[s, k] = up, pv, st


FARRINGTON = register(Detector(
    name="farrington",
    run=lambda panel, params: run_farrington("farrington", panel, params),
    frequency="weekly",
    schema=_schema("farrington", reweight_threshold=1.0),
    reference=REFERENCE_1996,
    summary="quasi-Poisson GLM on the same weeks of past years; 2/3-power threshold",
))


FARRINGTON_FLEXIBLE = register(Detector(
    name="farrington_flexible",
    run=lambda panel, params: run_farrington("farrington_flexible", panel, params),
    frequency="weekly",
    schema=_schema("farrington_flexible", reweight_threshold=2.58),
    reference=REFERENCE_2013,
    summary="Farrington with seasonal factor levels, excluded recent weeks and NB thresholds",
))
