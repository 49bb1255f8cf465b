"""Short-term forecasts: the seasonal model and the forecast hubs' quantile baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveillance.errors import SurveillanceError
from surveillance.panel import Panel
from surveillance.situation.forecast import QUANTILES, baseline_forecast, forecast, seasonal_forecast

WEEKS = 4 * 52


def seasonal_counts(n_series: int, n_weeks: int = WEEKS, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n_weeks)
    mean = 200 * np.exp(0.8 * np.cos(2 * np.pi * (t - rng.integers(0, 52, (n_series, 1))) / (365.25 / 7)))
    return rng.poisson(mean).astype(float)


def test_quantiles_increase_are_not_negative_and_median_follows_the_season():
    y = seasonal_counts(30)
    history, future = y[:, :-4], y[:, -4:]
    q, status = seasonal_forecast(history, 4)
    assert (status == "ok").all() and q.shape == (30, 4, len(QUANTILES))
    assert (np.diff(q, axis=2) >= 0).all() and (q >= 0).all()
    # On a regular season the median follows the season; the flat baseline lags behind it.
    base, _ = baseline_forecast(history, 4)
    model_error = np.abs(q[:, :, 2] / future - 1).mean(axis=0)
    baseline_error = np.abs(base[:, :, 2] / future - 1).mean(axis=0)
    assert (model_error < 0.12).all() and (model_error < baseline_error).all()


def test_intervals_widen_with_the_horizon_when_departures_persist():
    rng = np.random.default_rng(2)
    departure = np.zeros((20, WEEKS))
    for t in range(1, WEEKS):  # this year's season is higher or lower than usual for weeks on end
        departure[:, t] = 0.8 * departure[:, t - 1] + rng.normal(0, 0.15, 20)
    t = np.arange(WEEKS)
    y = rng.poisson(500 * np.exp(0.6 * np.cos(2 * np.pi * t / (365.25 / 7)) + departure)).astype(float)
    q, _ = seasonal_forecast(y, 4)
    log_width90 = np.log(q[:, :, 4] / q[:, :, 0])
    assert (log_width90[:, 3] > log_width90[:, 0]).all()


def test_baseline_is_the_last_value_with_symmetrised_differences():
    rng = np.random.default_rng(4)
    y = np.cumsum(rng.normal(0, 5, (5, 150)), axis=1) + 500
    q, status = baseline_forecast(y, 3)
    last = y[:, -1]
    np.testing.assert_allclose(q[:, :, 2], np.repeat(last[:, None], 3, axis=1), rtol=1e-9)
    d = np.diff(y[:, -260:], axis=1)
    exact = np.quantile(np.concatenate([d, -d], axis=1), QUANTILES, axis=1).T + last[:, None]
    np.testing.assert_allclose(q[:, 0], exact, rtol=1e-3)  # one week ahead: the differences' quantiles
    assert (q[:, 2, 4] - q[:, 2, 0] > q[:, 0, 4] - q[:, 0, 0]).all()
    assert (q >= 0).all()


def test_short_or_stale_series_are_not_forecast():
    y = seasonal_counts(3)
    y[0, :-60] = np.nan  # 60 weeks: less than two years of history
    y[1, -3:] = np.nan  # last value three weeks old
    for method in (seasonal_forecast, baseline_forecast):
        q, status = method(y, 2)
        assert list(status) == ["insufficient_history", "no_recent_value", "ok"]
        assert np.isnan(q[:2]).all() and np.isfinite(q[2]).all()


def test_a_series_of_zeros_forecasts_zero():
    q, status = seasonal_forecast(np.zeros((1, WEEKS)), 2)
    assert status[0] == "ok" and (q == 0).all()


def test_forecast_of_a_panel_as_a_long_table():
    y = seasonal_counts(2)
    dates = pd.date_range("2021-01-04", periods=WEEKS, freq="W-MON")
    panel = Panel(counts=y, dates=dates, keys=pd.DataFrame({"region": ["a", "b"], "syndrome": ["ili", "ili"]}),
                  freq="weekly")
    result = forecast(panel, 3)
    assert result.origin == dates[-1] and result.horizons == (1, 2, 3)
    table = result.to_frame(panel.keys)
    assert len(table) == 2 * 3 * len(QUANTILES)
    assert (table["target_week"] == table["origin"] + pd.to_timedelta(7 * table["horizon"], unit="D")).all()
    first = table[(table["region"] == "a") & (table["horizon"] == 1)]
    np.testing.assert_allclose(first["value"], result.quantiles[0, 0])
    with pytest.raises(SurveillanceError, match="unknown method"):
        forecast(panel, method="prophet")
    with pytest.raises(SurveillanceError, match="quantile levels"):
        forecast(panel, levels=(0.5, 0.25))
