"""ESSENCE detectors for daily counts: EWMA, adaptive regression and the regression/EWMA switch.

The definitions are those of CDC's ``Rnssp`` (``alert_ewma``, ``alert_regression``,
``alert_switch``), which document the algorithms of ESSENCE. For a point ``t`` the
baseline is the ``baseline`` (B=28) points ``t-guard-B .. t-guard-1`` before a guard band
of ``guard`` (2) points; near the start of a series it grows from ``min_baseline`` points
(7 for EWMA, 11 for the regression) up to B, as in Rnssp.

**EWMA** (``ewma``). Two smoothed series ``z_k = w_k * y_t + (1 - w_k) * z_k(t-1)`` with
``w_1 = 0.4`` (gradual events) and ``w_2 = 0.9`` (sudden events), started at the first
value. With ``L`` baseline values of mean ``m`` and sd ``s``, and ``u95``/``u99`` the
t quantiles with ``L-1`` degrees of freedom rounded to 5 digits (Rnssp's ``ucl``)::

    sigma_k = max((w_k/u95) * (0.01 + 0.05 (1-w_k)^2),
                  s * sqrt(w_k/(2-w_k) + 1/L - 2 (1-w_k)^(g+1) (1-(1-w_k)^L) / L)
                  + (0.1289 - (0.2414 - 0.1826 (1-w_k)^4) log(0.5)) (w_k/u95))
    stat_k = (z_k - m) / sigma_k,   p_k = P(T_{L-1} > stat_k)

The p-value is the smaller of the two; after the test a smoothed value beyond
``m ± u99 sigma_k`` is pulled back to that limit. ``expected = m``; ``upperbound`` is the
count that would make either smoothed value reach the ``1 - alpha`` quantile of T_{L-1},
i.e. ``min_k (m + q sigma_k - (1 - w_k) z_k(t-1)) / w_k``, so ``alarm = count >
upperbound = pvalue < alpha``.

**Adaptive regression** (``regression``). Ordinary least squares on the baseline with an
intercept, a linear trend and day-of-week dummies (``+`` a holiday indicator with
``holidays=true``); the prediction for the target day, ``expected = max(0, x0'b)``;
``sigma = max(sqrt(mse * (1 + x0'(X'X)^-1 x0)), 0.01 / u95)`` with ``mse = RSS / (n -
k)``; ``stat = (y - expected) / sigma``; ``pvalue = P(T_{n-k} > stat)``; ``upperbound =
expected + q * sigma`` with ``q`` the ``1 - alpha`` quantile of T_{n-k}. The adjusted R²
``1 - (1 - R²) (n - 1) / (n - k)`` (0 for a constant baseline) is what the switch reads.

Rnssp removes an alert when the count is below its 7-day moving average (the mean of the 6
previous days and today), on Saturdays and Sundays only when it is also below the mean of
the 7 latest same weekdays; ``ma7_check=true`` (default) does the same by raising the
upperbound to that level, so ``alarm = count > upperbound`` still holds. The p-value is
left as it was.

**Switch** (``switch``). The regression where its adjusted R² is at least
``r2_threshold`` (0.60), EWMA elsewhere (including where the regression cannot be fitted).

**Alert levels.** ESSENCE colours a point red for ``p < 0.01`` and yellow for ``p < 0.05``.
``alarm`` is red (``alpha = 0.01``); ``essence_level`` gives the colours from the pvalue.

**Holidays** (``holidays=true``, calendar of ``country``): EWMA leaves holidays out of the
baseline (the smoothed values still see them); the regression adds a holiday indicator
column, estimated when the baseline holds a holiday (otherwise the column is dropped and a
holiday target is predicted as an ordinary day).

**Percent of visits** (``percent=true``): the detectors run on ``100 * count / total``.

Deliberate differences from Rnssp:

* **Exact prediction error.** Rnssp computes the regression's prediction standard error
  with the closed form ``sqrt(mse) * sqrt((L+7)(L-4) / (L(L-7)))``. That is exact for a
  complete baseline whose length is a multiple of 7 (the usual B=28), where our value is
  the same; while the baseline grows at the start of a series, and with missing values or
  holidays, we use the exact ``x0'(X'X)^-1 x0`` of the rows actually used.
* **Missing values** (Rnssp has none): they are left out of the baseline, which then needs
  at least ``min_baseline`` values (and for the regression a value on the target's weekday
  and at least one residual degree of freedom), else ``insufficient_baseline``; a missing
  day leaves the smoothed EWMA values unchanged. The degrees of freedom are those of the
  values used (``L - 1``; ``n - rank``).
* **No rescaling of small percentages.** Rnssp divides a series whose values are all below
  1 by its median positive value before the EWMA (and reports the rescaled expectation); we
  judge the values as they are.
* Rnssp requires B to be a multiple of 7 for the regression; any B works here.

Implementation: the regression's design, seen from the target day (weekday relative to the
target, time relative to the target), is the same for every series and every target, so
each fit reduces to per-weekday sums of the baseline and a 1x1 (2x2 with holidays) system
after centring within weekdays. Compiled kernels (``essence_kernels``) run these fits and
the EWMA recursion for all series in parallel; nothing loops over series in Python.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import t as student_t

from ..panel import Panel
from .essence_kernels import kernels
from .inputs import holiday_mask, holiday_params, monitor_param, monitor_start, percent_param, values
from .params import Bool, Float, Int, ParamSchema, Probability
from .registry import Detector, register
from .result import DetectionResult, Status, assemble, exceedance_score
from .tdist import t_sf

REFERENCE = "ESSENCE as documented in CDC's Rnssp (alert_ewma, alert_regression, alert_switch)"


def _ucl(level: float, max_df: int) -> np.ndarray:
    """Rnssp's ``round(qt(level, df), 5)`` for df = 0..max_df (NaN at 0)."""
    df = np.arange(max_df + 1, dtype=float)
    with np.errstate(invalid="ignore"):
        q = np.round(student_t.ppf(level, np.where(df > 0, df, np.nan)), 5)
    return q


def _quantile(alpha: float, max_df: int) -> np.ndarray:
    df = np.arange(max_df + 1, dtype=float)
    with np.errstate(invalid="ignore"):
        return student_t.isf(alpha, np.where(df > 0, df, np.nan))


def essence_level(pvalue: np.ndarray) -> np.ndarray:
    """ESSENCE's colour per point: ``red`` (p < 0.01), ``yellow`` (p < 0.05), ``blue``
    (judged, no signal) or ``grey`` (not judged: NaN p-value)."""
    p = np.asarray(pvalue, dtype=float)
    out = np.full(p.shape, "grey", dtype=object)
    judged = ~np.isnan(p)
    out[judged] = "blue"
    out[judged & (p < 0.05)] = "yellow"
    out[judged & (p < 0.01)] = "red"
    return out


# -- the detectors --------------------------------------------------------------------
def _holidays(panel: Panel, params: dict) -> np.ndarray:
    if params.get("holidays"):
        return holiday_mask(panel.dates, params["country"])
    return np.zeros(panel.shape[1], dtype=bool)


def ewma_arrays(y: np.ndarray, params: dict, hol: np.ndarray, start: int) -> dict:
    """EWMA outputs (expected, upperbound, stat, df, status) for values ``y``."""
    n, T = y.shape
    B, g = params["baseline"], params["guard"]
    out = {k: np.full((n, T), np.nan) for k in ("expected", "upperbound", "stat")}
    out["df"] = np.zeros((n, T), dtype=np.int64)
    out["status"] = np.empty((n, T), dtype=np.uint8)
    if n and T:
        w1, w2 = params["w1"], params["w2"]
        u95, L = _ucl(0.95, B), np.arange(B + 1, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = [np.sqrt(w / (2 - w) + 1 / L - 2 * (1 - w) ** (g + 1) * (1 - (1 - w) ** L) / L) for w in (w1, w2)]
        floor = [(w / u95) * (0.01 + 0.05 * (1 - w) ** 2) for w in (w1, w2)]
        const = [(0.1289 - (0.2414 - 0.1826 * (1 - w) ** 4) * np.log(10 * 0.05)) * (w / u95) for w in (w1, w2)]
        kernels()["ewma"](np.ascontiguousarray(y), np.ascontiguousarray(~hol), B, g, w1, w2,
                           params["min_baseline"], start, _quantile(params["alpha"], B), _ucl(0.99, B),
                           corr[0], corr[1], floor[0], floor[1], const[0], const[1],
                           out["expected"], out["upperbound"], out["stat"], out["df"], out["status"])
    return out


def regression_arrays(y: np.ndarray, params: dict, hol: np.ndarray, start: int, dates) -> dict:
    """Regression outputs (expected, upperbound, stat, df, r2, status) for values ``y``."""
    n, T = y.shape
    B, g = params["baseline"], params["guard"]
    out = {k: np.full((n, T), np.nan) for k in ("expected", "upperbound", "stat", "r2")}
    out["df"] = np.zeros((n, T), dtype=np.int64)
    out["status"] = np.empty((n, T), dtype=np.uint8)
    if n and T:
        kernels()["regression"](np.ascontiguousarray(y), np.ascontiguousarray(hol), bool(params.get("holidays")),
                                 B, g, params["min_baseline"], start, _quantile(params["alpha"], B),
                                 _ucl(0.95, B), out["expected"], out["upperbound"], out["stat"], out["df"],
                                 out["r2"], out["status"])
        if params["ma7_check"]:
            lo = max(0, start - 42)
            floor = ma7_floor(y[:, lo:], dates[lo:])
            with np.errstate(invalid="ignore"):
                raise_to = np.nextafter(floor, -np.inf)
                upper = out["upperbound"][:, lo:]
                out["upperbound"][:, lo:] = np.where(raise_to > upper, raise_to, upper)
    return out


def _window_mean(y: np.ndarray, lags) -> np.ndarray:
    """Mean of ``y[:, t - lag]`` over ``lags``; NaN where any is missing or before the start."""
    n, T = y.shape
    total = np.zeros((n, T))
    for lag in lags:
        shifted = np.full((n, T), np.nan)
        if lag < T:
            shifted[:, lag:] = y[:, : T - lag]
        total += shifted
    return total / len(lags)


def ma7_floor(y: np.ndarray, dates) -> np.ndarray:
    """The level below which Rnssp's regression drops an alert: the mean of the 6 previous
    days (a count below it is below its 7-day moving average); on Saturdays and Sundays the
    smaller of that and the mean of the 6 previous same weekdays (the alert is dropped only
    when the count is below both). NaN (no floor) where a mean has a missing value, as
    Rnssp's moving averages then are NA and drop nothing."""
    floor = _window_mean(y, range(1, 7))
    weekend = np.flatnonzero(np.asarray(dates.day_of_week >= 5))
    if len(weekend):
        same = _window_mean(y, range(7, 43, 7))
        floor[:, weekend] = np.minimum(floor[:, weekend], same[:, weekend])
    return floor


def _finish(name: str, params: dict, y: np.ndarray, out: dict, start: int) -> DetectionResult:
    status = out["status"]
    pvalue = np.full(y.shape, np.nan)
    score = np.full(y.shape, np.nan)
    tail = (slice(None), slice(start, None))  # nothing before ``start`` is judged
    judged = status[tail] == Status.OK
    pvalue[tail][judged] = t_sf(out["stat"][tail][judged], out["df"][tail][judged])
    score[tail] = exceedance_score(y[tail], out["expected"][tail], out["upperbound"][tail])
    return assemble(name, params, y, expected=out["expected"], upperbound=out["upperbound"], pvalue=pvalue,
                    status=status, score=score)


def run_ewma(panel: Panel, params: dict) -> DetectionResult:
    y = values("ewma", panel, params["percent"])
    start = monitor_start(panel.shape[1], params["monitor_last"])
    return _finish("ewma", params, y, ewma_arrays(y, params, _holidays(panel, params), start), start)


def run_regression(panel: Panel, params: dict) -> DetectionResult:
    y = values("regression", panel, params["percent"])
    start = monitor_start(panel.shape[1], params["monitor_last"])
    out = regression_arrays(y, params, _holidays(panel, params), start, panel.dates)
    return _finish("regression", params, y, out, start)


def run_switch(panel: Panel, params: dict) -> DetectionResult:
    y = values("switch", panel, params["percent"])
    start = monitor_start(panel.shape[1], params["monitor_last"])
    hol = _holidays(panel, params)
    reg = regression_arrays(y, dict(params, min_baseline=11), hol, start, panel.dates)
    ew = ewma_arrays(y, dict(params, min_baseline=7), hol, start)
    use_reg = (reg["status"] == Status.OK) & (reg["r2"] >= params["r2_threshold"])
    out = {k: np.where(use_reg, reg[k], ew[k]) for k in ("expected", "upperbound", "stat", "df", "status")}
    out["status"] = out["status"].astype(np.uint8)
    return _finish("switch", params, y, out, start)


def _common(min_baseline: int | None) -> tuple:
    params = (
        Int("baseline", 28, "baseline length B in days (Rnssp's B)", low=7, aliases=("B",)),
        Int("guard", 2, "guard band in days between the baseline and the judged day (Rnssp's g)", low=0,
            aliases=("g",)),
    )
    if min_baseline is not None:
        params += (Int("min_baseline", min_baseline, "fewest baseline values to judge a day (the baseline grows "
                       "to `baseline` from this length at the start of a series)", low=2 if min_baseline < 9 else 9),)
    return params + (Probability("alpha", 0.01, "alarm level: p < alpha (ESSENCE red: 0.01; yellow: 0.05)"),)


def _ewma_weights() -> tuple:
    return (
        Probability("w1", 0.4, "smoothing weight for gradual events"),
        Probability("w2", 0.9, "smoothing weight for sudden events"),
    )


def _tail() -> tuple:
    return holiday_params() + (percent_param(), monitor_param())


def _check_min_baseline(values: dict) -> str | None:
    if values["min_baseline"] > values["baseline"]:
        return (f"parameter 'min_baseline' must not exceed 'baseline' ({values['baseline']}), "
                f"got {values['min_baseline']}")
    return None


def _check_switch(values: dict) -> str | None:
    if values["baseline"] < 11:
        return f"parameter 'baseline' must be at least 11 for the regression, got {values['baseline']}"
    return None


EWMA = register(Detector(
    name="ewma",
    run=run_ewma,
    frequency="any",
    schema=ParamSchema("ewma", _common(7) + _ewma_weights() + _tail(), checks=(_check_min_baseline,)),
    reference=REFERENCE + ": alert_ewma",
    summary="two EWMAs (0.4, 0.9) against a 28-day baseline after a 2-day guard; smaller t-test p",
))

REGRESSION = register(Detector(
    name="regression",
    run=run_regression,
    frequency="daily",
    schema=ParamSchema("regression", _common(11) + (
        Bool("ma7_check", True, "drop alarms on counts below their 7-day moving average, as Rnssp does"),
    ) + _tail(), checks=(_check_min_baseline,)),
    reference=REFERENCE + ": alert_regression",
    summary="OLS with trend and day-of-week terms on a 28-day baseline; t-test of the prediction",
))

SWITCH = register(Detector(
    name="switch",
    run=run_switch,
    frequency="daily",
    schema=ParamSchema("switch", _common(None) + _ewma_weights() + (
        Float("r2_threshold", 0.60, "adjusted R² of the regression at or above which it is used", low=0.0,
              high=1.0),
        Bool("ma7_check", True, "drop regression alarms on counts below their 7-day moving average, as Rnssp"),
    ) + _tail(), checks=(_check_switch,)),
    reference=REFERENCE + ": alert_switch",
    summary="the regression where its adjusted R² >= 0.60, EWMA elsewhere",
))
