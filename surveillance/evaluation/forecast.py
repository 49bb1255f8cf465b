"""How good are the forecasts? Rolling-origin backtests scored by the weighted interval score.

    table = backtest_forecasts(weekly_panel, horizons=(1, 2, 3, 4), origins=52)
    summary = backtest_summary(table, by=["syndrome", "horizon"])   # WIS, relative WIS, coverage
    skill = forecast_skill(table)     # where the model beats the naive baseline (relative WIS < 1)

At each origin (a past week) both the seasonal model and the forecast hubs' baseline are
given only the weeks up to it, and their quantiles are scored against what came after.

The **weighted interval score** (Bracher et al. 2021, as ``scoringutils::wis`` with its
defaults) of quantiles at levels ``alpha_k / 2`` and ``1 - alpha_k / 2`` and the median ``m``:

    WIS = (0.5 |y - m| + sum_k (alpha_k / 2) IS_k) / (K + 0.5),
    IS_k = (u_k - l_k) + (2 / alpha_k) (l_k - y)+ + (2 / alpha_k) (y - u_k)+,

equal to the mean over the 2K + 1 quantile levels of twice the pinball loss. Relative WIS is
the model's mean WIS over the baseline's on the same targets; below 1 the model is better.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import SurveillanceError
from ..panel import Panel, panel_from_long, to_weekly
from ..situation.forecast import (HISTORY_WEEKS, HORIZONS, MIN_HISTORY, QUANTILES, baseline_forecast,
                                  seasonal_forecast)


def interval_pairs(levels: Sequence[float]) -> tuple[int, list[tuple[int, int, float]]]:
    """Index of the median and ``(lower, upper, alpha)`` of each central interval in ``levels``."""
    levels = np.round(np.asarray(levels, dtype=float), 10)
    median = np.flatnonzero(levels == 0.5)
    if len(median) != 1:
        raise SurveillanceError(f"WIS needs the median among the quantile levels, got {list(levels)}")
    pairs = []
    for i, low in enumerate(levels[levels < 0.5]):
        upper = np.flatnonzero(np.isclose(levels, 1 - low))
        if len(upper) != 1:
            raise SurveillanceError(f"WIS needs symmetric quantile levels: {low} has no {1 - low}")
        pairs.append((i, int(upper[0]), 2 * float(low)))
    if len(pairs) * 2 + 1 != len(levels):
        raise SurveillanceError(f"WIS needs symmetric quantile levels around the median, got {list(levels)}")
    return int(median[0]), pairs


def weighted_interval_score(observed: np.ndarray, quantiles: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """WIS of each forecast: ``observed [...]``, ``quantiles [..., n_levels]``."""
    y = np.asarray(observed, dtype=float)[..., None]
    q = np.asarray(quantiles, dtype=float)
    median, pairs = interval_pairs(levels)
    score = 0.5 * np.abs(y[..., 0] - q[..., median])
    for lower, upper, alpha in pairs:
        low, up = q[..., lower], q[..., upper]
        interval = (up - low) + (2 / alpha) * np.maximum(low - y[..., 0], 0) + (2 / alpha) * np.maximum(y[..., 0] - up, 0)
        score = score + alpha / 2 * interval
    return score / (len(pairs) + 0.5)


def interval_coverage(observed: np.ndarray, quantiles: np.ndarray, levels: Sequence[float],
                      width: float) -> np.ndarray:
    """Whether each observation lies in the central ``width`` interval (bounds included)."""
    levels = np.asarray(levels, dtype=float)
    lower = np.flatnonzero(np.isclose(levels, (1 - width) / 2))
    upper = np.flatnonzero(np.isclose(levels, (1 + width) / 2))
    if len(lower) != 1 or len(upper) != 1:
        raise SurveillanceError(f"no {width:.0%} interval among the quantile levels {list(levels)}")
    y = np.asarray(observed, dtype=float)
    q = np.asarray(quantiles, dtype=float)
    return (y >= q[..., lower[0]]) & (y <= q[..., upper[0]])


def backtest_forecasts(panel: Panel, horizons: Iterable[int] = range(1, HORIZONS + 1), origins: int | Iterable = 52,
                       *, levels: Sequence[float] = QUANTILES, seed: int = 0, history_weeks: int = HISTORY_WEEKS,
                       min_history: int = MIN_HISTORY, model_params: Mapping | None = None) -> pd.DataFrame:
    """Score the seasonal model and the baseline from rolling origins.

    ``origins``: how many of the last weeks to start from (each with all ``horizons`` after it in
    the data), or the weeks (dates) themselves. Both forecasters see the same ``history_weeks``
    and need ``min_history`` of them; ``model_params`` go to the model only. One row per series, origin and horizon where both gave a
    forecast and the week was reported: the keys, ``origin``, ``horizon``, ``target_week``,
    ``observed``, ``wis_model``, ``wis_baseline``, ``in50_model``, ``in90_model``, ``in50_baseline``,
    ``in90_baseline``.
    """
    weekly = to_weekly(panel)
    horizons = sorted({int(h) for h in horizons})
    if not horizons or horizons[0] < 1:
        raise SurveillanceError(f"backtest: horizons must be whole weeks from 1, got {horizons}")
    H = horizons[-1]
    T = len(weekly.dates)
    if isinstance(origins, (int, np.integer)):
        positions = list(range(max(0, T - H - int(origins)), T - H))
    else:
        positions = [int(i) for i in weekly.dates.get_indexer(pd.DatetimeIndex(origins) -
                                                              pd.to_timedelta(pd.DatetimeIndex(origins).day_of_week, unit="D"))]
        if min(positions, default=0) < 0:
            raise SurveillanceError("backtest: an origin is not a week of the panel")
    frames = []
    for o in positions:  # a loop over origins (time); each forecasts every series at once
        history = weekly.counts[:, :o + 1]
        shared = {"history_weeks": history_weeks, "min_history": min_history}
        model, model_status = seasonal_forecast(history, H, levels, **shared, **dict(model_params or {}))
        base, base_status = baseline_forecast(history, H, levels, seed=seed + o, **shared)
        for h in horizons:
            if o + h >= T:
                continue
            observed = weekly.counts[:, o + h]
            keep = (model_status == "ok") & (base_status == "ok") & ~np.isnan(observed)
            if not keep.any():
                continue
            qm, qb, y = model[keep, h - 1], base[keep, h - 1], observed[keep]
            frame = weekly.keys[keep].reset_index(drop=True)
            frame["origin"] = weekly.dates[o]
            frame["horizon"] = h
            frame["target_week"] = weekly.dates[o + h]
            frame["observed"] = y
            frame["wis_model"] = weighted_interval_score(y, qm, levels)
            frame["wis_baseline"] = weighted_interval_score(y, qb, levels)
            for width in (0.5, 0.9):
                frame[f"in{int(width * 100)}_model"] = interval_coverage(y, qm, levels, width)
                frame[f"in{int(width * 100)}_baseline"] = interval_coverage(y, qb, levels, width)
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*weekly.key_columns, "origin", "horizon", "target_week", "observed",
                                     "wis_model", "wis_baseline", "in50_model", "in90_model", "in50_baseline",
                                     "in90_baseline"])
    return pd.concat(frames, ignore_index=True)


def backtest_summary(table: pd.DataFrame, by: Sequence[str] = ("syndrome", "horizon")) -> pd.DataFrame:
    """Per group: forecasts scored, mean WIS of model and baseline, relative WIS, and the 50 % and
    90 % interval coverage of both."""
    by = list(by)
    grouped = table.groupby(by, observed=True)
    out = grouped.agg(forecasts=("wis_model", "size"), wis_model=("wis_model", "mean"),
                      wis_baseline=("wis_baseline", "mean"), coverage50_model=("in50_model", "mean"),
                      coverage90_model=("in90_model", "mean"), coverage50_baseline=("in50_baseline", "mean"),
                      coverage90_baseline=("in90_baseline", "mean")).reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        out.insert(len(by) + 3, "relative_wis", out["wis_model"] / out["wis_baseline"])
    return out


def forecast_skill(table: pd.DataFrame, by: Sequence[str] = ("syndrome", "horizon")) -> pd.DataFrame:
    """Where to show the model's forecasts: per group, ``relative_wis`` and ``show`` (below 1)."""
    summary = backtest_summary(table, by)
    summary["show"] = summary["relative_wis"] < 1.0
    return summary[[*by, "forecasts", "relative_wis", "show"]]


def simulated_weekly_panel(n_counties: int = 8, years: int = 6, seed: int = 3, end: str = "2025-12-28") -> Panel:
    """Weekly counts per county and syndrome from the demo generator (with its outbreaks), for backtests."""
    from ..synthetic.simulate import build_geography, simulate  # heavy: only when simulating

    geography = build_geography("national", seed=seed, n_counties=n_counties)
    end_day = pd.Timestamp(end)
    start = end_day - pd.DateOffset(years=years) + pd.Timedelta(days=1)
    simulation = simulate(geography, start, end_day, seed=seed, age_groups=False, outbreaks=True)
    county = geography.units.set_index("code")["county"]
    truth = simulation.truth.assign(region=lambda f: county.reindex(f["unit"].astype(str)).to_numpy())
    return to_weekly(panel_from_long(truth, ["region", "syndrome"]))
