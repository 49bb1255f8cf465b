"""Weekly counts 1-4 weeks ahead, as quantiles, for thousands of series at once.

**The model** (``seasonal_forecast``): for each series, a Poisson log-linear regression of the
last ``history_weeks`` weekly counts (5 years) on a trend and two yearly harmonics gives the
usual course of the year ``mu_t``; how far this year departs from it, the log ratio
``r_t = log(y_t + 0.5) - log(mu_t + 0.5)``, persists: ``h`` weeks later it is expected to be
``b_h r_t``, with ``b_h`` (0-1) the regression of ``r_{t+h}`` on ``r_t`` over the training weeks,
weighted by ``mu_t`` (a week of 10 expected visits says less about the departure than a week of
1,000; unweighted, the noise of quiet weeks drags ``b_h`` towards 0 and the forecast back to the
usual season in a year that is not usual). The forecast ``h`` weeks after the last reported week
is ``exp(log(mu + 0.5) + b_h r_last + e) - 0.5`` with ``e`` the empirical quantiles of the same
predictor's errors ``r_{t+h} - b_h r_t`` over the training weeks, so the intervals widen with the
horizon as the series' own departures do. All series are fitted together (one batched IRLS,
``detectors.cusum.fit_poisson``); the cost is a few array passes over ``[series, weeks]``.

**The baseline** (``baseline_forecast``): the forecast hubs' quantile baseline
(COVIDhub-baseline, R ``simplets``): the last value as the median, quantiles from the
symmetrised week-to-week differences of the training weeks; beyond one week, sums of
resampled differences, re-centred on the last value; never below 0.

A series is forecast only with ``min_history`` reported weeks in its training window and a
reported value in the last ``max_gap + 1`` weeks; otherwise its quantiles are NaN and its
``status`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..detectors.cusum import baseline_design, fit_poisson
from ..errors import SurveillanceError
from ..panel import Panel, to_weekly

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
HORIZONS = 4
HISTORY_WEEKS = 260
MIN_HISTORY = 104
MAX_GAP = 2
HARMONICS = 2
WEEKS_PER_YEAR = 365.25 / 7
OFFSET = 0.5  # added to counts before logs (weeks with 0 count)
MIN_ERRORS = 20  # past errors needed for quantiles
STATUSES = {
    "ok": "forecast",
    "insufficient_history": "fewer reported weeks in the training window than min_history",
    "no_recent_value": "no reported value in the last max_gap + 1 weeks",
}


@dataclass(frozen=True)
class Forecast:
    """Quantiles ``[n_series, n_horizons, n_quantiles]`` of the weeks after ``origin`` (a Monday)."""

    quantiles: np.ndarray
    levels: tuple
    horizons: tuple
    origin: pd.Timestamp
    status: np.ndarray  # object [n]: one of STATUSES
    method: str

    def to_frame(self, keys: pd.DataFrame) -> pd.DataFrame:
        """Long table: the keys, ``origin``, ``horizon``, ``target_week``, ``quantile``, ``value``, ``status``."""
        n, H, Q = self.quantiles.shape
        out = keys.loc[np.repeat(np.arange(n), H * Q)].reset_index(drop=True)
        out["method"] = self.method
        out["origin"] = self.origin
        horizon = np.tile(np.repeat(np.asarray(self.horizons), Q), n)
        out["horizon"] = horizon
        out["target_week"] = self.origin + pd.to_timedelta(7 * horizon, unit="D")
        out["quantile"] = np.tile(np.asarray(self.levels), n * H)
        out["value"] = self.quantiles.reshape(-1)
        out["status"] = np.repeat(self.status, H * Q)
        return out


def _check(y: np.ndarray, horizons: int, levels) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    if y.ndim != 2:
        raise SurveillanceError(f"forecast: counts must be [series, weeks], got shape {y.shape}")
    if not 1 <= int(horizons) <= 52:
        raise SurveillanceError(f"forecast: horizons must be 1-52 weeks, got {horizons}")
    levels = np.asarray(levels, dtype=float)
    if not ((levels > 0) & (levels < 1)).all() or (np.diff(levels) <= 0).any():
        raise SurveillanceError(f"forecast: quantile levels must increase strictly within (0, 1), got {list(levels)}")
    return y, levels


def last_reported(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(value, gap)``: each row's last non-missing value and how many weeks before the end it is
    (``gap = -1`` and NaN for rows with none)."""
    present = ~np.isnan(y)
    any_present = present.any(axis=1)
    gap = np.where(any_present, present[:, ::-1].argmax(axis=1), -1)
    value = np.where(any_present, y[np.arange(len(y)), y.shape[1] - 1 - np.maximum(gap, 0)], np.nan)
    return value, gap


def _status(y: np.ndarray, gap: np.ndarray, min_history: int, max_gap: int) -> np.ndarray:
    status = np.full(len(y), "ok", dtype=object)
    status[(gap < 0) | (gap > max_gap)] = "no_recent_value"
    status[(~np.isnan(y)).sum(axis=1) < min_history] = "insufficient_history"
    return status


def seasonal_forecast(y: np.ndarray, horizons: int = HORIZONS, levels=QUANTILES, *, history_weeks: int = HISTORY_WEEKS,
                      min_history: int = MIN_HISTORY, max_gap: int = MAX_GAP,
                      harmonics: int = HARMONICS) -> tuple[np.ndarray, np.ndarray]:
    """The seasonal model's quantiles ``[n, horizons, len(levels)]`` and status ``[n]`` from weekly
    counts ``y [n, T]`` (the last column is the last week known)."""
    y, levels = _check(y, horizons, levels)
    train = y[:, -history_weeks:]
    n, m = train.shape
    _, gap = last_reported(train)
    status = _status(train, gap, min_history, max_gap)
    out = np.full((n, horizons, len(levels)), np.nan)
    fit = status == "ok"
    if not fit.any():
        return out, status
    t = train[fit]
    weeks = pd.date_range("2000-01-03", periods=m + horizons, freq="W-MON")  # only the spacing matters
    X = baseline_design(weeks, "weekly", harmonics, True, False, WEEKS_PER_YEAR)
    present = ~np.isnan(t)
    beta, _ = fit_poisson(t, present, X[:m])
    log_mu = np.log(np.exp(np.clip(beta @ X.T, -50.0, 50.0)) + OFFSET)  # [k, m + horizons]
    r = np.log(t + OFFSET) - log_mu[:, :m]  # NaN where not reported
    mu = np.exp(log_mu[:, :m]) - OFFSET
    g = gap[fit]
    r_last = r[np.arange(len(t)), m - 1 - g]
    for h in range(1, horizons + 1):
        lag = h + g  # weeks from the last reported value to the target
        ahead = _ahead(r, lag)
        persistence = _through_origin(r, ahead, mu)
        q = _row_quantiles(ahead - persistence[:, None] * r, levels)
        centre = log_mu[:, m - 1 + h] + persistence * r_last
        out[fit, h - 1] = np.maximum(np.exp(centre[:, None] + q) - OFFSET, 0.0)
    return out, status


def _ahead(r: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """``r[t + lag]`` at every ``t`` of each row, its own lag; NaN past the end."""
    k, m = r.shape
    later = np.arange(m)[None, :] + lag[:, None]
    return np.where(later < m, r[np.arange(k)[:, None], np.minimum(later, m - 1)], np.nan)


def _through_origin(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted least-squares slope of ``y`` on ``x`` without intercept, per row, clipped to 0-1."""
    pair = ~np.isnan(x) & ~np.isnan(y)
    num = np.where(pair, weight * x * y, 0.0).sum(axis=1)
    den = np.where(pair, weight * x * x, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.clip(np.where(den > 0, num / den, 0.0), 0.0, 1.0)


def _row_quantiles(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles (R's type 7) of each row's non-missing values; rows with too few values get
    NaN."""
    enough = (~np.isnan(values)).sum(axis=1) >= MIN_ERRORS
    out = np.full((len(values), len(levels)), np.nan)
    if enough.any():
        out[enough] = np.nanquantile(values[enough], levels, axis=1).T
    return out


def baseline_forecast(y: np.ndarray, horizons: int = HORIZONS, levels=QUANTILES, *, history_weeks: int = HISTORY_WEEKS,
                      min_history: int = MIN_HISTORY, max_gap: int = MAX_GAP, samples: int = 1000,
                      seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The hubs' quantile baseline: quantiles ``[n, horizons, len(levels)]`` and status ``[n]``."""
    y, levels = _check(y, horizons, levels)
    train = y[:, -history_weeks:]
    n = len(train)
    last, gap = last_reported(train)
    status = _status(train, gap, min_history, max_gap)
    out = np.full((n, horizons, len(levels)), np.nan)
    diffs = np.diff(train, axis=1)
    symmetric = np.concatenate([diffs, -diffs], axis=1)
    fit = (status == "ok") & ((~np.isnan(diffs)).sum(axis=1) >= MIN_ERRORS // 2)
    status[(status == "ok") & ~fit] = "insufficient_history"
    if not fit.any():
        return out, status
    origin = last[fit]
    sampled = np.nanquantile(symmetric[fit], np.linspace(0.0, 1.0, samples), axis=1).T  # [k, samples]
    rng = np.random.default_rng(seed)
    path = origin[:, None] + sampled
    out[fit, 0] = np.quantile(np.maximum(path, 0.0), levels, axis=1).T
    for h in range(2, horizons + 1):
        path = path + rng.permuted(sampled, axis=1)
        path = path - (np.median(path, axis=1) - origin)[:, None]  # the median stays the last value
        out[fit, h - 1] = np.quantile(np.maximum(path, 0.0), levels, axis=1).T
    return out, status


METHODS = {"seasonal": seasonal_forecast, "baseline": baseline_forecast}


def forecast(panel: Panel, horizons: int = HORIZONS, levels=QUANTILES, *, method: str = "seasonal",
             **params) -> Forecast:
    """Forecasts of every series of a panel (daily panels are summed to weeks first) from its last week."""
    if method not in METHODS:
        raise SurveillanceError(f"forecast: unknown method {method!r}; methods: {', '.join(METHODS)}")
    weekly = to_weekly(panel)
    if not len(weekly.dates):
        raise SurveillanceError("forecast: the panel has no weeks")
    quantiles, status = METHODS[method](weekly.counts, horizons, levels, **params)
    return Forecast(quantiles=quantiles, levels=tuple(float(v) for v in levels), horizons=tuple(range(1, horizons + 1)),
                    origin=weekly.dates[-1], status=status, method=method)
