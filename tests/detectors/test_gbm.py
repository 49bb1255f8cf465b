"""The learned detector: what it expects, how often it alarms, and what it may not see."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveillance.detectors import Status, detect
from surveillance.panel import Panel

DAYS = 3 * 365


def daily_truth(n_series: int = 40, seed: int = 0, size: float = 20.0):
    """Negative binomial daily counts (variance 2μ) with day-of-week and seasonal shape: (panel, μ)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2021-01-01", periods=DAYS, freq="D")
    t = np.arange(DAYS)
    weekday = np.array([1.2, 1.1, 1.0, 1.0, 1.0, 0.7, 0.6])[dates.day_of_week]
    season = np.exp(0.4 * np.cos(2 * np.pi * (t - 20) / 365.25))
    level = rng.uniform(0.5, 2.0, (n_series, 1)) * size
    mu = level * weekday * season
    phi = 2.0
    counts = rng.negative_binomial(mu / (phi - 1), 1 / phi).astype(float)
    keys = pd.DataFrame({"region": [f"c{i:02d}" for i in range(n_series)]})
    return Panel(counts=counts, dates=dates, keys=keys, freq="daily"), mu


@pytest.fixture(scope="module")
def simulated():
    panel, mu = daily_truth()
    return panel, mu, detect("gbm", panel, alpha=0.05, monitor_last=365)


def test_expected_tracks_the_true_mean(simulated):
    panel, mu, r = simulated
    judged = r.status == Status.OK
    assert judged[:, -365:].mean() > 0.95 and not judged[:, :-365].any()
    relative = np.abs(r.expected[judged] - mu[judged]) / mu[judged]
    assert np.median(relative) < 0.10
    # the day-of-week shape is learnt: Sundays expected well below Mondays
    sunday = panel.dates.day_of_week == 6
    monday = panel.dates.day_of_week == 0
    last = np.zeros(panel.shape[1], dtype=bool)
    last[-365:] = True
    ratio = np.nanmean(r.expected[:, sunday & last]) / np.nanmean(r.expected[:, monday & last])
    assert ratio == pytest.approx(0.5, abs=0.08)


def test_false_alarms_near_alpha_on_series_without_outbreaks(simulated):
    _, _, r = simulated
    judged = r.status == Status.OK
    rate = r.alarm[judged].mean()
    assert 0.025 < rate < 0.08  # alpha 0.05; the NB quantile of a discrete count errs on the safe side
    np.testing.assert_array_equal(r.alarm, r.pvalue <= 0.05)


def test_a_spike_is_alarmed():
    panel, mu = daily_truth(n_series=20, seed=1)
    counts = panel.counts.copy()
    counts[3, -5] = mu[3, -5] + 8 * np.sqrt(2 * mu[3, -5]) + 10
    spiked = Panel(counts=counts, dates=panel.dates, keys=panel.keys, freq="daily")
    r = detect("gbm", spiked, monitor_last=30)
    assert r.alarm[3, -5] and r.score[3, -5] > 1


def test_nothing_from_the_guard_band_or_later_reaches_a_prediction():
    panel, _ = daily_truth(n_series=20, seed=2)
    base = detect("gbm", panel, monitor_last=60, guard=7)
    for t in (panel.shape[1] - 1, panel.shape[1] - 28):  # the newest point; the first of the newest block
        counts = panel.counts.copy()
        counts[:, t - 7:] = counts[:, t - 7:] * 5 + 100  # a huge outbreak from the guard band on
        changed = detect("gbm", Panel(counts=counts, dates=panel.dates, keys=panel.keys, freq="daily"),
                         monitor_last=60, guard=7)
        np.testing.assert_array_equal(changed.expected[:, t], base.expected[:, t])
        np.testing.assert_array_equal(changed.upperbound[:, t], base.upperbound[:, t])
        assert changed.alarm[:, t].all()  # and the outbreak itself is judged against the clean baseline


def test_deterministic_and_monitor_last_judges_what_a_full_run_judges():
    panel, _ = daily_truth(n_series=10, seed=3)
    a = detect("gbm", panel, monitor_last=40)
    b = detect("gbm", panel, monitor_last=40)
    for field in ("expected", "upperbound", "pvalue", "status"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    full = detect("gbm", panel)
    assert (a.status[:, :-40] == Status.NOT_MONITORED).all()
    np.testing.assert_allclose(a.expected[:, -40:], full.expected[:, -40:], rtol=1e-12)
    np.testing.assert_allclose(a.upperbound[:, -40:], full.upperbound[:, -40:], rtol=1e-12)
    # a year of training, the guard band, one block and its held-out residuals come first
    first = np.argmax((full.status == Status.OK).any(axis=0))
    assert 365 + 7 + 28 <= first <= 365 + 7 + 28 + 84 + 28


def test_weekly_series_with_a_holiday_calendar_parameter():
    from .conftest import weekly_panel

    panel = weekly_panel(n_series=8, n_weeks=5 * 52)
    r = detect("gbm", panel, holidays=True, monitor_last=52)
    assert (r.status[:, -52:] == Status.OK).mean() > 0.9
    assert r.alarm[0, -3:].all()  # the outbreak the panel carries in series 0


def test_a_panel_mostly_before_reporting_began():
    """Rows read from before a region reported are NaN: features that never had data must not break the fit."""
    panel, _ = daily_truth(n_series=6, seed=4)
    counts = panel.counts.copy()
    counts[:, : DAYS - 420] = np.nan  # reporting began 420 days ago: no "last year" for most training rows
    late = Panel(counts=counts, dates=panel.dates, keys=panel.keys, freq="daily")
    r = detect("gbm", late, monitor_last=20)
    assert (r.status[:, -20:] == Status.OK).all()
    counts[:, : DAYS - 60] = np.nan  # two months only: nothing can be judged, and nothing raises
    r = detect("gbm", Panel(counts=counts, dates=panel.dates, keys=panel.keys, freq="daily"), monitor_last=20)
    assert (r.status[:, -20:] == Status.INSUFFICIENT_BASELINE).all()


def test_a_guard_band_reaching_last_year_is_refused():
    """The same-date-last-year feature must stay outside the guard band, or the outbreak would feed its own baseline."""
    from surveillance.detectors.params import InvalidParameter

    panel, _ = daily_truth(n_series=2)
    with pytest.raises(InvalidParameter, match="'guard' must be less than 358"):
        detect("gbm", panel, guard=358, monitor_last=10)


def test_nothing_is_reported_before_the_monitored_window(simulated):
    _, _, r = simulated
    assert np.isnan(r.expected[:, :-365]).all() and not r.alarm[:, :-365].any()
