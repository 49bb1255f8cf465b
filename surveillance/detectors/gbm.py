"""A learned detector: gradient-boosted trees with Poisson loss, one model for all series.

**Model.** The expected count of series ``s`` at point ``t`` is ``m(s, t) * f(x(s, t))``: ``m`` is
the series' level, the mean of the year (``period`` points) before the guard band, and ``f`` a
scikit-learn ``HistGradientBoostingRegressor`` with Poisson loss fitted to ``y / m`` with weights
``m`` (the same likelihood as a Poisson model with offset ``log m``), so that one model, pooled
over the panel's series, learns the shared shape — day of week, holidays, season, how the recent
weeks and the same time last year relate to the level — and serves series of any size. Features
of a point (none reads the point itself or its guard band of ``guard`` points before it):

* calendar: day of week and a public-holiday flag (daily data; holidays of ``country`` with
  ``holidays=true``), two harmonics of the time of year;
* recent: the mean of the ``guard``-shifted last 4 weeks, and for daily data the mean of the
  same weekday in those weeks, each relative to ``m``; ``log m`` itself;
* last year: the mean of the points around the same date a year back, relative to ``m``.

**Fitting.** Models are refitted every ``refit_every`` points. The model judging a block of
points is trained on points before the block's start minus the guard band (at most
``train_points`` of them per series), so neither the guard band nor anything later ever reaches
it. Trees cannot extrapolate a trend; the level ``m`` and the recent means carry it.

**Threshold.** The count is taken as negative binomial with mean ``μ`` and variance ``φμ``
(Poisson where ``φ <= 1``). ``φ`` is estimated on held-out residuals: the Pearson residuals of
the ``holdout`` points before the block's guard band, each predicted by a model that had not
seen it (an earlier block's); per series, shrunk toward the panel's pooled value with the
weight of 30 points, at least 1. ``upperbound`` is the ``1 - alpha`` quantile and
``pvalue = P(Y >= count)``, so ``alarm ⇔ pvalue <= alpha``. A point is judged when its block
has a model and held-out residuals; earlier points are ``insufficient_baseline``.

Results do not depend on the order of the series: training rows are taken in an order fixed by
the series' values, and the boosting has no random parts (no early stopping, no subsampling).
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from ..panel import Panel
from .farrington_model import quasi_poisson_threshold
from .inputs import holiday_mask, holiday_params, monitor_param, monitor_start
from .params import Float, Int, InvalidParameter, ParamSchema, Probability
from .registry import Detector, register
from .result import DetectionResult, Status, assemble

RECENT_WEEKS = 4
LEVEL_FLOOR = 0.05  # a series that was silent for a year still gets a (tiny) expectation
SHRINK_POINTS = 30.0  # a series' own dispersion counts as much as this many pooled points
MAX_TRAIN_ROWS = 200_000  # enough for a pooled model; bounds the time per refit on large panels
N_BINS = 255  # values per feature the trees choose splits among
EDGE_SAMPLE = 50_000  # training rows the cut points are taken from
EMPTY = "empty"


def _defaults(panel: Panel, params: dict) -> dict:
    daily = panel.freq == "daily"
    period = params["period"] or (365 if daily else 52)
    out = dict(params, period=period)
    for name, daily_value, weekly_value in (("guard", 7, 2), ("refit_every", 28, 13), ("holdout", 84, 26),
                                            ("train_points", 3 * 365, 3 * 52)):
        if out[name] is None:
            out[name] = daily_value if daily else weekly_value
    out["min_train"] = out["min_train"] or period
    # The same-date-last-year feature reads from ``period - week`` points back: it must stay outside the guard band.
    newest_last_year = period - (7 if daily else 1)
    if out["guard"] >= newest_last_year:
        raise InvalidParameter(f"gbm: parameter 'guard' must be less than {newest_last_year} (a year less a week, "
                               f"period {period}), got {out['guard']}")
    return out


def _trailing_mean(y: np.ndarray, length: int, lag: int, step: int = 1) -> np.ndarray:
    """Mean of the non-missing ``y[t - lag - k*step]`` for k = 0..length-1 (NaN where none)."""
    n, T = y.shape
    total = np.zeros((n, T))
    count = np.zeros((n, T))
    present = ~np.isnan(y)
    filled = np.where(present, y, 0.0)
    for k in range(length):
        shift = lag + k * step
        if shift >= T:
            break
        total[:, shift:] += filled[:, : T - shift]
        count[:, shift:] += present[:, : T - shift]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _rolling_mean(y: np.ndarray, length: int, lag: int) -> np.ndarray:
    """Mean of the non-missing points in the ``length`` points ending ``lag`` before t (cumulative sums)."""
    n, T = y.shape
    present = ~np.isnan(y)
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(np.where(present, y, 0.0), axis=1)], axis=1)
    ccount = np.concatenate([np.zeros((n, 1)), np.cumsum(present, axis=1)], axis=1)
    end = np.arange(T) - lag + 1  # exclusive end index into csum: points < t - lag + 1
    end = np.clip(end, 0, T)
    begin = np.clip(end - length, 0, T)
    total = csum[:, end] - csum[:, begin]
    count = ccount[:, end] - ccount[:, begin]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def features(panel: Panel, y: np.ndarray, p: dict) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """``(level, X, categorical)``: the level ``m`` ``[n, T]``, the features ``[n, T, k]`` and
    which of them are categories (the day of week)."""
    n, T = y.shape
    daily = panel.freq == "daily"
    guard, period = p["guard"], p["period"]
    first = guard + 1  # the newest point a feature may read is t - guard - 1
    level = np.maximum(_rolling_mean(y, period, first), LEVEL_FLOOR)  # NaN stays NaN: no history
    week = 7 if daily else 1
    recent = _rolling_mean(y, RECENT_WEEKS * week, first)
    last_year = _rolling_mean(y, 2 * week + 1, period - week)  # centred on the same date a year back
    day_of_year = panel.dates.day_of_year.to_numpy() / 365.25
    calendar = [np.sin(2 * np.pi * day_of_year), np.cos(2 * np.pi * day_of_year),
                np.sin(4 * np.pi * day_of_year), np.cos(4 * np.pi * day_of_year)]
    columns = [np.log(level), recent / level, last_year / level]
    if daily:
        lag = -(-first // 7) * 7  # the newest same weekday outside the guard band
        columns.append(_trailing_mean(y, RECENT_WEEKS, lag, step=7) / level)
        calendar.append(panel.dates.day_of_week.to_numpy().astype(float))
        hol = holiday_mask(panel.dates, p["country"]) if p["holidays"] else np.zeros(T, dtype=bool)
        calendar.append(hol.astype(float))
    X = np.stack(columns + [np.broadcast_to(c, (n, T)) for c in calendar], axis=2)
    return level, X, [len(columns) + 4] if daily else []


def _series_order(y: np.ndarray) -> np.ndarray:
    """An order of the series fixed by their values, so that results ignore the input order."""
    if y.shape[0] < 2:
        return np.arange(y.shape[0])
    return np.lexsort(np.nan_to_num(y, nan=-1.0).T[::-1])


class _Binned:
    """A fitted model with its features cut at training quantiles (at most ``N_BINS`` values each):
    scikit-learn bins weighted data by weighted percentiles, which is slow; pre-cut features make
    that step trivial and change little (the trees split on bins anyway)."""

    def __init__(self, model, edges: list):
        self.model, self.edges = model, edges

    @staticmethod
    def cut(X: np.ndarray, edges: list) -> np.ndarray:
        out = X.copy()
        for j, e in enumerate(edges):
            if e is EMPTY:  # never seen in training (e.g. no year back yet): carries no information
                out[:, j] = 0.0
            elif e is not None:
                column = X[:, j]
                out[:, j] = np.where(np.isnan(column), np.nan, np.searchsorted(e, column))
        return out

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict(self.cut(X, self.edges))


def _edges(X: np.ndarray) -> list:
    """Per feature: quantile cut points, None (few values: kept as they are) or EMPTY (all missing)."""
    sample = X[:: max(1, len(X) // EDGE_SAMPLE)]  # quantiles of an even sample: as good, much faster
    edges = []
    for column in sample.T:
        present = column[~np.isnan(column)]
        distinct = np.unique(present).size
        if distinct == 0:
            edges.append(EMPTY)
        elif distinct > N_BINS:
            edges.append(np.unique(np.quantile(present, np.linspace(0, 1, N_BINS + 1)[1:-1])))
        else:
            edges.append(None)
    return edges


def _fit(y, level, X, categorical, rows, start: int, stop: int, p: dict) -> _Binned | None:
    """A model trained on points ``start..stop-1`` of the series ``rows`` (in that order)."""
    usable = ~np.isnan(y[rows, start:stop]) & ~np.isnan(level[rows, start:stop])
    series, time = np.nonzero(usable)
    if len(series) < 2 * X.shape[2]:
        return None
    if len(series) > MAX_TRAIN_ROWS:  # thin evenly: every series and period keeps its share
        pick = np.linspace(0, len(series) - 1, MAX_TRAIN_ROWS).astype(int)
        series, time = series[pick], time[pick]
    series, time = rows[series], time + start
    Xs, target, m = X[series, time], y[series, time], level[series, time]  # only the rows used are copied
    edges = _edges(Xs)
    model = HistGradientBoostingRegressor(loss="poisson", max_iter=p["max_iter"], learning_rate=p["learning_rate"],
                                          max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0,
                                          categorical_features=categorical or None, early_stopping=False,
                                          random_state=0)
    model.fit(_Binned.cut(Xs, edges), target / m, sample_weight=m)
    return _Binned(model, edges)


def _dispersion(y, mu, held_out: np.ndarray) -> np.ndarray:
    """Per-series dispersion from Pearson residuals at ``held_out`` points, shrunk to the pooled value."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(held_out & (mu > 0), (y - mu) ** 2 / mu, np.nan)
    count = (~np.isnan(r2)).sum(axis=1).astype(float)
    total = np.nansum(r2, axis=1)
    pooled = np.sort(total).sum() / max(count.sum(), 1.0)
    phi = (total + SHRINK_POINTS * pooled) / (count + SHRINK_POINTS)
    return np.where(count.sum() > 0, np.maximum(phi, 1.0), np.nan)


def run_gbm(panel: Panel, params: dict) -> DetectionResult:
    # One thread: the many small fits gain next to nothing from more, and OpenMP threads competing with other
    # processes for the cores (parallel jobs, test workers) made runs several times slower.
    with threadpool_limits(limits=1, user_api="openmp"):
        return _run(panel, params)


def _run(panel: Panel, params: dict) -> DetectionResult:
    p = _defaults(panel, params)
    y = np.asarray(panel.counts, dtype=float)
    n, T = y.shape
    expected = np.full((n, T), np.nan)
    upper = np.full((n, T), np.nan)
    pvalue = np.full((n, T), np.nan)
    status = np.full((n, T), Status.INSUFFICIENT_BASELINE, dtype=np.uint8)
    start = monitor_start(T, p["monitor_last"])
    status[:, :start] = Status.NOT_MONITORED
    if n == 0 or T == 0:
        return assemble("gbm", params, y, expected=expected, upperbound=upper, pvalue=pvalue, status=status)
    level, X, categorical = features(panel, y, p)
    order = _series_order(y)
    guard, step, holdout = p["guard"], p["refit_every"], p["holdout"]
    first_fit = p["min_train"] + guard  # a model needs min_train points before its guard band
    # Blocks are laid out backwards from the end so the newest block is a full one; predictions
    # begin early enough for the first judged block to have all its held-out residuals, so that
    # judging the last N points gives what judging all would give there.
    begin = max(first_fit, start - holdout - guard - step)
    blocks = list(range(T - step, begin - step, -step))[::-1]
    predicted = np.zeros((n, T), dtype=bool)
    for b0 in blocks:
        b0 = max(b0, 0)
        b1 = min(b0 + step, T)
        stop = b0 - guard
        if stop < p["min_train"]:
            continue
        model = _fit(y, level, X, categorical, order, max(0, stop - p["train_points"]), stop, p)
        if model is None:
            continue
        rows = X[:, b0:b1].reshape(-1, X.shape[2])
        expected[:, b0:b1] = (model.predict(rows).reshape(n, b1 - b0)) * level[:, b0:b1]
        predicted[:, b0:b1] = True
        held_out = slice(max(0, stop - holdout), stop)
        if b1 <= start or not predicted[:, held_out].any():
            continue
        phi = _dispersion(y[:, held_out], expected[:, held_out], predicted[:, held_out])
        judged = slice(max(b0, start), b1)
        upper[:, judged], pvalue[:, judged] = quasi_poisson_threshold(y[:, judged], expected[:, judged],
                                                                       phi[:, None], p["alpha"])
        status[:, judged] = np.where(np.isfinite(upper[:, judged]), Status.OK,
                                     np.where(np.isnan(expected[:, judged]), Status.INSUFFICIENT_BASELINE,
                                              Status.FIT_FAILED))
    expected[:, :start] = np.nan  # predictions made only for held-out residuals are not results
    return assemble("gbm", params, y, expected=expected, upperbound=upper, pvalue=pvalue, status=status)


GBM = register(Detector(
    name="gbm",
    run=run_gbm,
    frequency="any",
    schema=ParamSchema("gbm", (
        Probability("alpha", 0.01, "one-sided level of the negative binomial threshold"),
        Int("guard", None, "points before t that neither the features nor the training see (none: 7 daily, "
            "2 weekly)", low=0, nullable=True),
        Int("refit_every", None, "points per model (none: 28 daily, 13 weekly)", low=1, nullable=True),
        Int("holdout", None, "held-out points before the guard band for the dispersion (none: 84 daily, "
            "26 weekly)", low=1, nullable=True),
        Int("train_points", None, "newest points per series a model is trained on (none: 3 years)", low=2,
            nullable=True),
        Int("min_train", None, "points before the guard band needed to fit (none: one year)", low=2, nullable=True),
        Int("max_iter", 100, "boosting iterations", low=1),
        Float("learning_rate", 0.1, "boosting learning rate", low=0.0, high=1.0, low_open=True),
        *holiday_params(),
        Int("period", None, "points per year (none: 365 daily, 52 weekly)", low=2, nullable=True),
        monitor_param(),
    )),
    reference="gradient-boosted trees (scikit-learn HistGradientBoostingRegressor, Poisson loss); "
              "negative binomial threshold as Noufaily et al. (2013)",
    summary="pooled Poisson gradient boosting on calendar, holiday, seasonal and lagged features; NB threshold",
))
