"""Forecast scoring (WIS, coverage) and the rolling-origin backtest against the naive baseline."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from surveillance.errors import SurveillanceError
from surveillance.evaluation.forecast import (backtest_forecasts, backtest_summary, forecast_skill, interval_coverage,
                                              simulated_weekly_panel, weighted_interval_score)

LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)


def test_wis_of_a_hand_computed_case():
    q = np.array([2.0, 4.0, 5.0, 7.0, 10.0])
    # y = 11 above both intervals: 0.5 * |11 - 5| = 3; 90 %: 0.05 * (8 + 20 * 1) = 1.4;
    # 50 %: 0.25 * (3 + 4 * 4) = 4.75; (3 + 1.4 + 4.75) / 2.5 = 3.66.
    assert weighted_interval_score(11.0, q, LEVELS) == pytest.approx(3.66)
    # y = 5 at the median: (0 + 0.05 * 8 + 0.25 * 3) / 2.5 = 0.46.
    assert weighted_interval_score(5.0, q, LEVELS) == pytest.approx(0.46)
    # y = 3 inside the 90 % interval, below the 50 %: (1 + 0.4 + 0.25 * (3 + 4 * 1)) / 2.5 = 1.26.
    assert weighted_interval_score(3.0, q, LEVELS) == pytest.approx(1.26)


def test_wis_is_the_mean_of_twice_the_pinball_loss():
    rng = np.random.default_rng(0)
    q = np.sort(rng.normal(50, 10, (200, 5)), axis=1)
    y = rng.normal(50, 15, 200)
    tau = np.array(LEVELS)
    pinball = (np.where(y[:, None] < q, 1.0, 0.0) - tau) * (q - y[:, None])
    np.testing.assert_allclose(weighted_interval_score(y, q, LEVELS), 2 * pinball.mean(axis=1))


def test_wis_needs_symmetric_levels_with_a_median():
    with pytest.raises(SurveillanceError, match="median"):
        weighted_interval_score(1.0, np.array([1.0, 2.0]), (0.25, 0.75))
    with pytest.raises(SurveillanceError, match="symmetric"):
        weighted_interval_score(1.0, np.array([1.0, 2.0, 3.0]), (0.1, 0.5, 0.75))


def test_coverage_of_a_known_distribution():
    rng = np.random.default_rng(1)
    observed = rng.normal(0, 1, 40_000)
    q = np.broadcast_to(norm.ppf(LEVELS), (len(observed), 5))
    # Binomial standard errors are 0.0025 (50 %) and 0.0015 (90 %): 0.01 is four of them or more.
    assert interval_coverage(observed, q, LEVELS, 0.5).mean() == pytest.approx(0.5, abs=0.01)
    assert interval_coverage(observed, q, LEVELS, 0.9).mean() == pytest.approx(0.9, abs=0.01)
    with pytest.raises(SurveillanceError, match="80% interval"):
        interval_coverage(observed, q, LEVELS, 0.8)


@pytest.fixture(scope="module")
def backtest():
    panel = simulated_weekly_panel(n_counties=3, years=5, seed=7)
    return panel, backtest_forecasts(panel, horizons=(1, 2, 3, 4), origins=52)


def test_backtest_rolls_origins_over_the_last_weeks(backtest):
    panel, table = backtest
    origins = sorted(table["origin"].unique())
    assert len(origins) == 52 and origins[-1] == panel.dates[-5]
    assert set(table["horizon"]) == {1, 2, 3, 4}
    assert (table["target_week"] > table["origin"]).all()
    assert set(table["syndrome"]) == {"fever", "ili", "ari", "diarrhoea", "rash_fever", "hfmd"}
    assert (table["wis_model"] >= 0).all() and (table["wis_baseline"] >= 0).all()


def test_the_seasonal_model_beats_the_naive_baseline_on_simulated_series(backtest):
    _, table = backtest
    by_horizon = backtest_summary(table, by=["horizon"])
    assert (by_horizon["relative_wis"] < 1.0).all(), by_horizon
    assert (by_horizon["coverage90_model"] > 0.7).all() and (by_horizon["coverage50_model"] > 0.3).all()
    skill = forecast_skill(table)
    assert set(skill.columns) == {"syndrome", "horizon", "forecasts", "relative_wis", "show"}
    assert (skill["show"] == (skill["relative_wis"] < 1)).all()
    assert skill["show"].mean() > 0.5
