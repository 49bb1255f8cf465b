"""The Moving Epidemic Method against a small case worked out by hand, and the season status."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveillance.situation.mem import epidemic_timing, map_curve, mem_model, smoothing_matrix
from surveillance.situation.season import (LEVELS, by_season, season_events, season_length, season_of,
                                           season_situation, season_status)

Z95 = 1.6448536269514722  # qnorm(0.95)
Z = {0.40: -0.2533471031357997, 0.90: 1.2815515655446004, 0.975: 1.959963984540054}

# Four seasons of ten weeks: a quiet start, one wave, a quiet end.
SEASONS = np.array([
    [1, 2, 1, 3, 10, 30, 20, 5, 2, 1],
    [2, 1, 2, 2, 4, 15, 40, 25, 6, 2],
    [1, 1, 2, 8, 25, 35, 12, 3, 1, 1],
    [3, 2, 2, 3, 3, 6, 20, 45, 30, 8],
], dtype=float)


def test_map_curve_of_the_first_season():
    # Sum 75. Best windows: 30 (1 week), 30+20 (2), 10+30+20 (3), 10+30+20+5 (4), 3+10+30+20+5 (5)...
    percent, start = map_curve(SEASONS[:1])
    np.testing.assert_allclose(percent[0, :6], 100 * np.array([0, 30, 50, 60, 65, 68]) / 75)
    assert list(start[0, 1:6]) == [5, 5, 4, 4, 3]


def test_smoother_is_local_linear_and_reproduces_lines():
    S = smoothing_matrix(11)
    np.testing.assert_allclose(S.sum(axis=1), 1.0)  # constants are kept
    line = 3.0 + 2.0 * np.arange(1, 12)
    np.testing.assert_allclose(S @ line, line)  # local linear: straight lines are kept, ends included


def test_timing_thresholds_and_intensity_by_hand():
    # The smoothed MAP curves first rise by less than 2.8 points at 7, 6, 6 and 7 weeks (their rises
    # at 5, 6, 7 weeks: 4.78 2.93 2.15 | 4.62 2.78 | 4.99 2.60 | 5.28 3.29 2.37), so the epidemics
    # last 6, 5, 5 and 6 weeks, in the windows that gave the curve those values:
    timing = epidemic_timing(SEASONS)
    assert list(timing.start) == [3, 4, 3, 4]  # 0-based weeks
    assert list(timing.end) == [8, 8, 7, 9]
    # Pre-epidemic values: [1, 2, 1], [2, 1, 2, 2], [1, 1, 2], [3, 2, 2, 3].
    # mem's rule: 30 / 4 seasons = 7.5, rounded (half to even) to 8 values a season: all of them.
    pre = np.array([1, 2, 1, 2, 1, 2, 2, 1, 1, 2, 3, 2, 2, 3], dtype=float)
    model = mem_model(SEASONS[None])
    assert model.n_max[0] == 8 and model.n_seasons[0] == 4
    assert model.epidemic_threshold[0] == pytest.approx(pre.mean() + Z95 * pre.std(ddof=1))
    assert model.epidemic_threshold[0] == pytest.approx(25 / 14 + Z95 * np.sqrt((51 - 25 ** 2 / 14) / 13))
    # Post-epidemic values: [1], [2], [1, 1], none: mean 1.25, sd 0.5.
    assert model.post_threshold[0] == pytest.approx(1.25 + Z95 * 0.5)

    # Two values a season: the two highest pre-epidemic values [2, 1], [2, 2], [2, 1], [3, 3]:
    # mean 2, squared deviations 0 1 0 0 0 1 1 1, sd sqrt(4 / 7).
    two = mem_model(SEASONS[None], n_max=2)
    assert two.epidemic_threshold[0] == pytest.approx(2 + Z95 * np.sqrt(4 / 7))
    # The two highest epidemic values [30, 20], [40, 25], [35, 25], [45, 30], on the log scale.
    logs = np.log([30, 20, 40, 25, 35, 25, 45, 30])
    mean, sd = logs.sum() / 8, np.sqrt(((logs - logs.sum() / 8) ** 2).sum() / 7)
    expected = [np.exp(mean + Z[level] * sd) for level in (0.40, 0.90, 0.975)]
    np.testing.assert_allclose(two.intensity[0], expected)
    np.testing.assert_allclose(two.intensity[0], [28.3057, 42.6795, 51.1737], rtol=1e-5)


def test_zero_epidemic_values_use_log_x_plus_one():
    seasons = SEASONS.copy()
    seasons[0, 5] = 0.0  # a season with a 0 inside its epidemic
    model = mem_model(seasons[None])
    start, end, n = model.timing.start[0], model.timing.end[0], model.n_max[0]
    values = np.concatenate([np.sort(s[a:b + 1])[::-1][:n] for s, a, b in zip(seasons, start, end)])
    assert (values == 0).any()
    logs = np.log(values + 1)
    np.testing.assert_allclose(model.intensity[0, 1], np.exp(logs.mean() + Z[0.90] * logs.std(ddof=1)) - 1)


def test_regions_are_independent_and_need_two_seasons():
    rng = np.random.default_rng(5)
    other = SEASONS * rng.uniform(0.5, 2.0, SEASONS.shape)
    both = mem_model(np.stack([SEASONS, other]))
    alone = mem_model(other[None])
    np.testing.assert_allclose(both.thresholds[1], alone.thresholds[0])
    np.testing.assert_allclose(both.thresholds[0], mem_model(SEASONS[None]).thresholds[0])
    one_season = SEASONS.copy()[None]
    one_season[0, 1:] = np.nan
    assert np.isnan(mem_model(one_season).thresholds).all()


def test_intensity_levels_are_monotone_on_random_seasons():
    rng = np.random.default_rng(11)
    weeks = np.arange(30)
    peaks = rng.uniform(8, 22, (50, 6, 1))
    seasons = 1 + rng.gamma(2, 1, (50, 6, 1)) * 10 * np.exp(-0.5 * ((weeks - peaks) / rng.uniform(2, 5, (50, 6, 1))) ** 2)
    seasons = seasons * rng.lognormal(0, 0.2, seasons.shape)
    t = mem_model(seasons).thresholds
    assert np.isfinite(t).all()
    assert (np.diff(t[:, 1:], axis=1) >= 0).all()  # medium <= high <= very high
    assert (t[:, 0] > 0).all()


def test_status_levels_start_end_and_events():
    model = mem_model(SEASONS[None])  # epidemic 2.94, post 2.07, medium 8.51, high 37.67, very high 72.70
    current = np.array([[1, 2, 3.5, 9, 40, 80, 30, 1.5, 5, np.nan]])
    status = season_status(current, model)
    assert [LEVELS[v] for v in status.level[0, :9]] == ["baseline", "baseline", "low", "medium", "high",
                                                        "very_high", "medium", "baseline", "low"]
    assert status.level[0, 9] == -1  # not reported yet
    assert status.started[0] and status.start_week[0] == 2
    assert status.end_week[0] == 7  # first week after the peak below the post-epidemic threshold
    assert status.current_week[0] == 8 and status.phase[0] == "post_epidemic"
    assert LEVELS[status.highest_level[0]] == "very_high"
    events = season_events(status)
    assert list(zip(events["week_of_season"], events["event"], events["level"])) == [
        (2, "started", "low"), (3, "intensity_rose", "medium"), (4, "intensity_rose", "high"),
        (5, "intensity_rose", "very_high")]
    quiet = season_status(np.array([[1, 2, 2.5, np.nan]]), model)
    assert not quiet.started[0] and quiet.phase[0] == "pre_epidemic" and quiet.start_week[0] == -1
    assert len(season_events(quiet)) == 0


def test_iso_seasons_from_week_40_and_from_week_1():
    dates = pd.to_datetime(["2020-09-28", "2020-12-28", "2021-01-04", "2021-09-27"])  # W40, W53, 2021-W01, W39
    season, week, iso = season_of(dates, 40)
    assert list(season) == [2020, 2020, 2020, 2020] and list(iso) == [40, 53, 1, 39]
    assert list(week) == [0, 13, 14, 52]
    assert season_length(2020, 40) == 53 and season_length(2021, 40) == 52
    season, week, _ = season_of(dates, 1)
    assert list(season) == [2020, 2020, 2021, 2021] and list(week) == [39, 52, 0, 38]


def weekly_waves(n_years: int, peak_week: int, start="2018-10-01"):
    dates = pd.date_range(start, periods=52 * n_years + 20, freq="W-MON")
    _, week, _ = season_of(dates, 40)
    rng = np.random.default_rng(2)
    height = np.repeat(rng.uniform(4, 8, n_years + 1), 53)[: len(dates)]
    rates = 1.0 + height * np.exp(-0.5 * ((week - peak_week) / 3.0) ** 2)
    return dates, rates


def test_season_situation_reports_the_current_season_of_each_region():
    dates, rates = weekly_waves(5, 14)
    rates = np.vstack([rates, rates * 0.5 + 0.2])
    keys = pd.DataFrame({"region": ["320102", "320103"]})
    table, seasons, lengths = by_season(rates, dates, 40)
    assert table.shape[:2] == (2, len(seasons)) and (lengths >= 52).all()
    status, events = season_situation(rates, dates, keys, start_week=40, as_of=dates[-1])
    assert list(status["season"]) == ["2023/2024"] * 2
    assert status["started"].all() and (status["seasons_used"] == 5).all()
    assert (status["week"] == dates[-1]).all()
    assert set(events["event"]) == {"started", "intensity_rose"} and set(events["region"]) == {"320102", "320103"}
    early, no_events = season_situation(rates, dates, keys, start_week=40, as_of=dates[-12])
    assert (early["phase"] == "pre_epidemic").all() and not early["started"].any() and no_events.empty
