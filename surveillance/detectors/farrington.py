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
``reweight_threshold=2.58``, and R's documentation adds ``trend_p_threshold=1`` for them. ``farrington`` is the original method of Farrington et al.
(1996) as R's ``farrington``/``algo.farrington`` runs it: the same defaults but
``reweight_threshold=1`` (R's ``algo.farrington`` hard-codes 1).

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
iterations; nothing loops over series or points in Python.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.stats import nbinom, norm, poisson

from ..panel import Panel
from .glm import LevelDesign, anscombe_residuals, fit_quasipoisson, outlier_weights
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


def _r_seq(a: int, b: int) -> range:
    """R's ``a:b``, which counts down when ``a > b``."""
    return range(a, b + 1) if a <= b else range(a, b - 1, -1)


def reference_design(w: int, n_periods: int, years_back: tuple[int, ...], past_weeks_excluded: int):
    """Reference points relative to the current point, their levels and the window level.

    ``years_back[i-1]`` is how many points lie between the current point and its
    counterpart ``i`` years back. A port of R's ``blocks()`` and
    ``algo.farrington.data.glm`` (including how ``a:b`` counts down when a gap is shorter
    than the number of blocks, which happens with monthly data and ``n_periods=10``).
    Returns ``(offsets, LevelDesign, window_level)``, ``offsets < 0`` being positions
    relative to the current point.
    """
    p = n_periods
    now = max(years_back) + w + 1  # 1-based, as in R
    factors = np.full(now + 1, np.nan)  # index 0 unused
    reference_weeks = [now] + [now - d for d in years_back]
    factors[now - w: now + 1] = p
    for i in range(1, len(reference_weeks)):
        ref_week = reference_weeks[i]
        factors[ref_week - w: ref_week + w + 1] = p
        if p != 1:
            gap = reference_weeks[i - 1] - 2 * w - 1 - ref_week
            if gap < p - (2 * w + 1):
                raise ValueError("too many periods")
            length, rest = divmod(gap, p - 1)
            lengths = np.full(p - 1, length)
            lengths[:rest] += 1
            bounds = np.concatenate([[0], np.cumsum(lengths)])
            for j in range(1, p):
                start = ref_week + w + 1 + bounds[j - 1]
                stop = ref_week + w + 1 + bounds[j] - 1
                factors[list(_r_seq(start, stop))] = j
    factors[max(now - past_weeks_excluded, 1): now + 1] = np.nan
    positions = np.flatnonzero(~np.isnan(factors[1:])) + 1
    values = factors[positions]
    levels, codes = np.unique(values, return_inverse=True)
    window = int(np.flatnonzero(levels == p)[0]) if (levels == p).any() else -1
    offsets = positions - now
    design = LevelDesign(level=codes.astype(int), time=offsets.astype(float), n_levels=len(levels))
    return offsets, design, window


def _years_back_by_position(T: int, b: int, period: int) -> np.ndarray:
    """``[T, b]``: point ``t`` is compared with ``t - i * period`` (R without dates)."""
    return np.tile(np.arange(1, b + 1) * period, (T, 1))


def _years_back_by_calendar(dates: pd.DatetimeIndex, b: int, period: int) -> np.ndarray:
    """``[T, b]``: distance (in points) to the same date ``i`` years earlier, as R finds it
    for ``sts`` objects with dates: the same calendar day (29 February becoming 1 March),
    moved for weekly data to the nearest day of the same weekday. -1 where that date is
    not in the panel."""
    T = len(dates)
    out = np.full((T, b), -1, dtype=int)
    if T == 0:
        return out
    position = pd.Series(np.arange(T), index=dates.normalize())
    for i in range(1, b + 1):
        year = dates.year - i
        month, day = dates.month, dates.day
        leap_day = (month == 2) & (day == 29) & ~(((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0))
        month = np.where(leap_day, 3, month)
        day = np.where(leap_day, 1, day)
        ref = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}))
        if period == 52:
            shift = (dates.day_of_week.to_numpy() - ref.dt.day_of_week.to_numpy()) % 7
            shift = np.where(shift > 3, shift - 7, shift)
            ref = ref + pd.to_timedelta(shift, unit="D")
        found = position.reindex(pd.DatetimeIndex(ref)).to_numpy()
        ok = ~np.isnan(found)
        out[ok, i - 1] = np.arange(T)[ok] - found[ok].astype(int)
    return out


def _fit_glm(y, present, design, trend, params):
    """R's ``algo.farrington.fitGLM.flexible``: fit, then optionally reweight and refit."""
    first = fit_quasipoisson(y, present.astype(float), design, trend)
    fit = first
    if params["reweight"]:
        phi = np.maximum(first.dispersion, 1.0)
        s = anscombe_residuals(first, y, design, phi)
        omega = outlier_weights(s, present, params["reweight_threshold"])
        fit = fit_quasipoisson(y, omega, design, trend)
        phi = np.maximum(fit.dispersion, 1.0)
        if params["r_compatible"]:
            # R stores the prior weights over the fit's working weights
            # (``model$weights <- omega``), so summary.glm and predict.glm estimate the
            # dispersion as sum(omega * working_residual^2) / df instead of Pearson's.
            with np.errstate(divide="ignore", invalid="ignore"):
                resid = np.where(present, (y - fit.mu) / fit.mu, 0.0)
                r_dispersion = np.sum(omega * resid * resid, axis=1) / fit.df_residual
            r_dispersion = np.where(fit.df_residual > 0, r_dispersion, np.nan)
            fit = replace(fit, dispersion=r_dispersion)
        return fit, phi, first.converged
    return fit, np.maximum(fit.dispersion, 1.0), first.converged


def _subset(fit, rows):
    return fit.__class__(**{k: (v[rows] if isinstance(v, np.ndarray) else v) for k, v in fit.__dict__.items()})


def _predict(y, present, design, window, params):
    """Prediction at the current point for a batch of reference vectors: eta, its unscaled
    variance, the raw dispersion, phi and convergence, after R's trend selection."""
    n = y.shape[0]
    keep_trend = np.zeros(n, dtype=bool)
    if params["trend"]:
        fit_t, phi_t, conv_t = _fit_glm(y, present, design, True, params)
        with np.errstate(over="ignore"):
            mu_t = np.exp(fit_t.level_coef[:, window])
        biggest = np.max(np.where(present, y, -np.inf), axis=1)
        keep_trend = (conv_t & (params["b"] >= 3) & (fit_t.slope_pvalue() < params["trend_p_threshold"])
                      & (mu_t <= biggest))
    eta = np.full(n, np.nan)
    var = np.full(n, np.nan)
    dispersion = np.full(n, np.nan)
    phi = np.full(n, np.nan)
    converged = np.zeros(n, dtype=bool)
    has_window = np.zeros(n, dtype=bool)
    enough = np.zeros(n, dtype=bool)

    def take(rows, fit, phi_fit, conv):
        eta[rows] = fit.level_coef[:, window]
        var[rows] = fit.level_variance(window)
        dispersion[rows] = fit.dispersion
        phi[rows] = phi_fit
        converged[rows] = conv
        has_window[rows] = fit.sum_w[:, window] > 0
        enough[rows] = fit.n_obs > fit.rank

    if keep_trend.any():
        rows = np.flatnonzero(keep_trend)
        take(rows, _subset(fit_t, rows), phi_t[rows], conv_t[rows])
    rows = np.flatnonzero(~keep_trend)
    if len(rows):
        fit_0, phi_0, conv_0 = _fit_glm(y[rows], present[rows], design, False, params)
        take(rows, fit_0, phi_0, conv_0)
    return eta, var, dispersion, phi, converged, has_window & enough


def thresholds(y, eta, var, dispersion, phi, params):
    """Expected count, upper bound and p-value from the prediction on the link scale."""
    alpha = params["alpha"]
    z = norm.isf(alpha)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        se_link = np.sqrt(dispersion * var)  # R's predict.glm uses the raw dispersion here
        mu = np.exp(eta)
        if params["threshold"] == "delta":
            se_mu = se_link * mu
            tau = phi + se_mu ** 2 / mu
            exponent = {"2/3": 2.0 / 3.0, "1/2": 0.5, "none": 1.0}[params["power_transform"]]
            if exponent == 1.0:
                se = np.sqrt(mu * tau)
            elif exponent == 0.5:
                se = np.sqrt(tau / 4.0)
            else:
                se = np.sqrt(4.0 / 9.0 * mu ** (1.0 / 3.0) * tau)
            upper = (mu ** exponent + z * se) ** (1.0 / exponent)
            pvalue = norm.sf(y ** exponent, loc=mu ** exponent, scale=se)
        else:
            mean = mu if params["threshold"] == "nbplugin" else np.exp(eta + z * se_link)
            upper, pvalue = quasi_poisson_threshold(y, mean, phi, alpha)
    return mu, upper, pvalue


def quasi_poisson_threshold(y, mean, phi, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Upper ``1 - alpha`` quantile and ``P(Y >= y)`` of a count with mean ``mean`` and variance
    ``phi * mean``: negative binomial where ``phi > 1``, Poisson otherwise; NaN where either is NaN."""
    y, mean, phi = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (y, mean, phi)))
    upper = np.full(mean.shape, np.nan)
    pvalue = np.full(mean.shape, np.nan)
    finite = np.isfinite(mean) & np.isfinite(phi)
    over = finite & (phi > 1)
    size = mean[over] / (phi[over] - 1.0)
    upper[over] = nbinom.ppf(1 - alpha, size, 1.0 / phi[over])
    pvalue[over] = nbinom.sf(y[over] - 1, size, 1.0 / phi[over])
    plain = finite & ~(phi > 1)
    upper[plain] = poisson.ppf(1 - alpha, mean[plain])
    pvalue[plain] = poisson.sf(y[plain] - 1, mean[plain])
    return upper, pvalue


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
        years_back = _years_back_by_calendar(pd.DatetimeIndex(panel.dates), b, period)
    else:
        years_back = _years_back_by_position(T, b, period)
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
    eta, var, dispersion, phi, converged, fittable = _predict(y, present, design, window, params)
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
