"""Is a syndrome's share of visits rising, stable or falling? Trend labels per series.

The rule is CDC's ``Rnssp::classify_trend``: over a rolling window of recent days, fit a
binomial GLM of the syndrome's visits out of all visits on the day,
``glm(cbind(count, total - count) ~ day, family = binomial)``, and read the slope's Wald
test: p < 0.01 and a positive slope is *increasing*, p < 0.01 and a negative slope is
*decreasing*, otherwise *stable*. Rnssp fits no model when the window holds 10 or fewer
syndrome visits (its code tests ``sum(count) > 10``; its documentation says "fewer than
10"): that window is *insufficient data*. Rnssp's default window is 12 days (``B = 12``).

Where this differs from Rnssp, and why:

* missing days (NaN, or no visits at all) are left out of the fit, as R's ``glm`` leaves
  out NA rows; Rnssp itself stops with an error on them. A window needs ``min_days``
  reported days (default: more than half of it), else it is *insufficient data*;
* a window whose every reported day has all visits with the syndrome (count = total) has a
  constant 100 % share: it is *stable* with slope 0 and p = 1 (R reaches the same label
  through a huge standard error);
* a window whose fit diverges (complete separation, e.g. 0 % then 100 %) is *insufficient
  data* with reason ``not_converged``, where R would report a meaningless p close to 1.

All windows of all series are fitted together: Newton-Raphson (IRLS, as R's ``glm.fit``,
started as R starts it) on the two-parameter logistic model, in closed form, over arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import expit
from epiweeks import Week, Year
from scipy.stats import norm

from ..detectors.inputs import values
from ..errors import SurveillanceError
from ..panel import Panel

WINDOW_DAYS = 12  # Rnssp's B
ALPHA = 0.01
MORE_THAN_ENCOUNTERS = 10  # Rnssp fits only when sum(count) > 10
MAXIT = 25
EPSILON = 1e-8
CHUNK_ELEMENTS = 4_000_000  # window cells fitted at once: bounds the memory of rolling fits

LABELS = ("increasing", "stable", "decreasing", "insufficient_data")
REASONS = {
    "ok": "fitted",
    "incomplete_window": "fewer days in the data than the window before this day",
    "too_few_days": "fewer reported days in the window than min_days",
    "too_few_encounters": "10 or fewer syndrome visits in the window (Rnssp's rule)",
    "constant_percent": "every reported day has all visits with the syndrome: stable by definition",
    "not_converged": "the fit diverged (the share jumps between 0 % and 100 %)",
}


@dataclass(frozen=True)
class TrendResult:
    """Per series (``[n]``) for the last day, or per series and day (``[n, n_time]``) when rolling."""

    slope: np.ndarray  # change of the log-odds of the share per day
    std_error: np.ndarray
    statistic: np.ndarray  # Wald z
    pvalue: np.ndarray  # two-sided
    label: np.ndarray  # object: one of LABELS
    reason: np.ndarray  # object: one of REASONS
    encounters: np.ndarray  # syndrome visits in the window
    percent: np.ndarray  # the window's share of visits, in percent
    days: np.ndarray  # reported days in the window


def fit_binomial_slopes(counts: np.ndarray, totals: np.ndarray, *, maxit: int = MAXIT,
                        epsilon: float = EPSILON) -> dict[str, np.ndarray]:
    """``logit p = a + b * day`` for every row of ``counts`` / ``totals`` ``[k, w]`` (day = column).

    Rows are fitted together; NaN cells and cells with no visits carry no weight. Returns
    ``slope``, ``std_error``, ``statistic``, ``pvalue``, ``converged`` (all ``[k]``).
    """
    y = np.asarray(counts, dtype=float)
    n = np.asarray(totals, dtype=float)
    present = ~np.isnan(y) & ~np.isnan(n) & (n > 0)
    y = np.where(present, y, 0.0)
    n = np.where(present, n, 0.0)
    x = np.arange(y.shape[1], dtype=float) - (y.shape[1] - 1) / 2.0  # centring changes neither slope nor SE
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = np.where(present, (y + 0.5) / (n + 1.0), 0.5)  # R's binomial mustart
        eta = np.log(mu / (1.0 - mu))
        dev_old = np.full(len(y), np.inf)
        converged = np.zeros(len(y), dtype=bool)
        a = b = np.zeros(len(y))
        for _ in range(maxit):
            var = mu * (1.0 - mu)
            w = n * var
            z = eta + np.where(w > 0, (y - n * mu) / np.where(w > 0, w, 1.0), 0.0)
            s0, s1, s2 = w.sum(1), (w * x).sum(1), (w * x * x).sum(1)
            t0, t1 = (w * z).sum(1), (w * x * z).sum(1)
            det = s0 * s2 - s1 * s1
            a = np.where(converged, a, (s2 * t0 - s1 * t1) / det)
            b = np.where(converged, b, (s0 * t1 - s1 * t0) / det)
            eta = np.clip(a[:, None] + b[:, None] * x, -40.0, 40.0)
            mu = expit(eta)
            dev = _binomial_deviance(y, n, mu)
            converged |= np.abs(dev - dev_old) / (np.abs(dev) + 0.1) < epsilon
            if converged.all():
                break
            dev_old = dev
        w = n * mu * (1.0 - mu)  # the information at the estimate, as statsmodels reports it
        s0, s1, s2 = w.sum(1), (w * x).sum(1), (w * x * x).sum(1)
        se = np.sqrt(s0 / (s0 * s2 - s1 * s1))
        statistic = b / se
    diverged = ~np.isfinite(se) | ~np.isfinite(b) | (np.abs(eta).max(axis=1, initial=0.0) >= 30.0)
    converged &= ~diverged
    return {"slope": b, "std_error": se, "statistic": statistic, "pvalue": 2.0 * norm.sf(np.abs(statistic)),
            "converged": converged}


def _binomial_deviance(y: np.ndarray, n: np.ndarray, mu: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = np.where(y > 0, y * np.log(y / (n * mu)), 0.0)
        d2 = np.where(n - y > 0, (n - y) * np.log((n - y) / (n * (1.0 - mu))), 0.0)
    return 2.0 * (d1 + d2).sum(axis=1)


def classify_windows(counts: np.ndarray, totals: np.ndarray, *, alpha: float = ALPHA,
                     min_days: int | None = None) -> TrendResult:
    """Trend labels for windows ``[k, w]`` of daily counts and totals (one window a row)."""
    counts = np.asarray(counts, dtype=float)
    totals = np.asarray(totals, dtype=float)
    k, w = counts.shape
    min_days = w // 2 + 1 if min_days is None else int(min_days)
    present = ~np.isnan(counts) & ~np.isnan(totals) & (totals > 0)
    days = present.sum(axis=1)
    encounters = np.where(present, counts, 0.0).sum(axis=1)
    visits = np.where(present, totals, 0.0).sum(axis=1)
    constant = (days > 0) & np.all(~present | (counts == totals), axis=1)
    fit = fit_binomial_slopes(counts, totals)

    reason = np.full(k, "ok", dtype=object)
    reason[~fit["converged"]] = "not_converged"
    reason[constant] = "constant_percent"
    reason[encounters <= MORE_THAN_ENCOUNTERS] = "too_few_encounters"
    reason[days < max(min_days, 2)] = "too_few_days"
    fitted = reason == "ok"
    slope = np.where(fitted, fit["slope"], np.nan)
    se = np.where(fitted, fit["std_error"], np.nan)
    statistic = np.where(fitted, fit["statistic"], np.nan)
    pvalue = np.where(fitted, fit["pvalue"], np.nan)
    flat = reason == "constant_percent"
    slope[flat], statistic[flat], pvalue[flat] = 0.0, 0.0, 1.0

    label = np.full(k, "insufficient_data", dtype=object)
    judged = np.isin(reason, ["ok", "constant_percent"])
    label[judged] = "stable"
    significant = judged & (pvalue < alpha)
    label[significant & (statistic > 0)] = "increasing"
    label[significant & (statistic < 0)] = "decreasing"
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = np.where(visits > 0, 100.0 * encounters / visits, np.nan)
    return TrendResult(slope, se, statistic, pvalue, label, reason, encounters, percent, days)


def classify_trends(counts: np.ndarray, totals: np.ndarray, *, window: int = WINDOW_DAYS, alpha: float = ALPHA,
                    min_days: int | None = None, rolling: bool = False) -> TrendResult:
    """Trend of each series ``[n, n_time]`` over its last ``window`` days, or (``rolling``) over the
    window ending on every day. The first ``window - 1`` days of a rolling result cannot be judged."""
    counts = np.asarray(counts, dtype=float)
    totals = np.asarray(totals, dtype=float)
    if counts.shape != totals.shape or counts.ndim != 2:
        raise SurveillanceError(f"trends: counts {counts.shape} and totals {totals.shape} must be the same 2-D shape")
    if window < 3:
        raise SurveillanceError(f"trends: the window must be at least 3 days, got {window}")
    n, T = counts.shape
    if not rolling:
        if T < window:
            return _incomplete(n)
        return classify_windows(counts[:, T - window:], totals[:, T - window:], alpha=alpha, min_days=min_days)
    if T < window:
        return _stack([_incomplete(n)] * T, n, T)
    windows_c = sliding_window_view(counts, window, axis=1)  # [n, T - window + 1, window], a view
    windows_t = sliding_window_view(totals, window, axis=1)
    flat_c = windows_c.reshape(-1, window)
    flat_t = windows_t.reshape(-1, window)
    step = max(1, CHUNK_ELEMENTS // window)
    parts = [classify_windows(flat_c[i:i + step], flat_t[i:i + step], alpha=alpha, min_days=min_days)
             for i in range(0, len(flat_c), step)]
    fitted = TrendResult(*(np.concatenate([getattr(p, f) for p in parts]) for f in TrendResult.__dataclass_fields__))
    head = _incomplete(n * (window - 1))
    return TrendResult(*(
        np.concatenate([getattr(head, f).reshape(n, window - 1), getattr(fitted, f).reshape(n, T - window + 1)], axis=1)
        for f in TrendResult.__dataclass_fields__))


def _incomplete(k: int) -> TrendResult:
    nan = np.full(k, np.nan)
    return TrendResult(nan, nan, nan, nan, np.full(k, "insufficient_data", dtype=object),
                       np.full(k, "incomplete_window", dtype=object), nan, nan, np.zeros(k, dtype=int))


def _stack(parts: list[TrendResult], n: int, T: int) -> TrendResult:
    return TrendResult(*(np.stack([getattr(p, f) for p in parts], axis=1).reshape(n, T)
                         for f in TrendResult.__dataclass_fields__))


def trend_table(panel: Panel, *, window: int = WINDOW_DAYS, alpha: float = ALPHA,
                min_days: int | None = None) -> pd.DataFrame:
    """One row per series of a daily panel with totals: its keys, the last day, the window's share of
    visits, slope (log-odds per day), standard error, z, p-value, ``trend`` label and ``reason``."""
    if panel.totals is None:
        raise SurveillanceError("trends: the panel has no totals; a trend of the share of visits needs all visits")
    if panel.freq != "daily":
        raise SurveillanceError(f"trends: the rule is defined on daily counts, the panel is {panel.freq}")
    result = classify_trends(panel.counts, panel.totals, window=window, alpha=alpha, min_days=min_days)
    out = panel.keys.copy()
    out["date"] = panel.dates[-1] if len(panel.dates) else pd.NaT
    out["window_days"] = window
    out["days"] = result.days
    out["encounters"] = result.encounters
    out["percent"] = result.percent
    out["slope"] = result.slope
    out["std_error"] = result.std_error
    out["statistic"] = result.statistic
    out["pvalue"] = result.pvalue
    out["trend"] = result.label
    out["reason"] = result.reason
    return out


def week_comparison(weekly: Panel, week=None) -> pd.DataFrame:
    """This week, the week before and the same ISO week a year earlier, per series of a weekly panel.

    ``week``: a day in the week to report (default: the panel's last week). Columns: the keys,
    ``week`` (its Monday), ``iso_week``, then ``count``, ``total``, ``percent`` for ``this``,
    ``last`` and ``last_year`` (NaN where the panel does not reach back), and the ratios
    ``ratio_last_week`` and ``ratio_last_year`` of percents (of counts for a panel without totals).
    """
    if weekly.freq != "weekly":
        raise SurveillanceError(f"week comparison: needs a weekly panel, got {weekly.freq}")
    if not len(weekly.dates):
        raise SurveillanceError("week comparison: the panel has no weeks")
    day = pd.Timestamp(week) if week is not None else weekly.dates[-1]
    monday = day - pd.Timedelta(days=day.day_of_week)
    iso = Week.fromdate(monday.date(), system="iso")
    year_before = Week(iso.year - 1, min(iso.week, Year(iso.year - 1, system="iso").totalweeks()), system="iso")
    positions = {"this": monday, "last": monday - pd.Timedelta(days=7),
                 "last_year": pd.Timestamp(year_before.startdate())}
    out = weekly.keys.copy()
    out["week"] = monday
    out["iso_week"] = f"{iso.year}-W{iso.week:02d}"
    percent = values("week comparison", weekly, percent=True) if weekly.totals is not None else None
    for name, when in positions.items():
        j = weekly.dates.get_indexer([when])[0]
        out[f"count_{name}"] = weekly.counts[:, j] if j >= 0 else np.nan
        out[f"total_{name}"] = weekly.totals[:, j] if (j >= 0 and weekly.totals is not None) else np.nan
        out[f"percent_{name}"] = percent[:, j] if (j >= 0 and percent is not None) else np.nan
    measure = "percent" if weekly.totals is not None else "count"
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, column in (("last", "ratio_last_week"), ("last_year", "ratio_last_year")):
            before = out[f"{measure}_{name}"]
            out[column] = (out[f"{measure}_this"] / before).where(before > 0)
    return out
