"""Trend labels (Rnssp's classify_trend) against statsmodels' binomial GLM, and the edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from surveillance.errors import SurveillanceError
from surveillance.panel import Panel
from surveillance.situation.trends import classify_trends, classify_windows, trend_table, week_comparison

# Slope, standard error and p-value agree with statsmodels to this relative tolerance.
RTOL = 1e-6


def statsmodels_fit(count, total):
    day = np.arange(len(count), dtype=float)
    keep = ~np.isnan(count) & ~np.isnan(total) & (total > 0)
    endog = np.column_stack([count[keep], total[keep] - count[keep]])
    fit = sm.GLM(endog, sm.add_constant(day[keep]), family=sm.families.Binomial()).fit(tol=1e-12)
    return fit.params[1], fit.bse[1], fit.pvalues[1]


def label_of(slope, pvalue):
    return "stable" if pvalue >= 0.01 else ("increasing" if slope > 0 else "decreasing")


def test_slopes_errors_pvalues_and_labels_agree_with_statsmodels():
    rng = np.random.default_rng(7)
    n_series, window = 300, 12
    totals = rng.integers(20, 400, (n_series, window)).astype(float)
    share = np.clip(rng.uniform(0.02, 0.2, (n_series, 1))
                    * np.exp(rng.normal(0, 0.06, (n_series, 1)) * np.arange(window)), 0, 0.9)
    counts = rng.binomial(totals.astype(int), share).astype(float)
    counts[::17, 3] = np.nan  # some missing days
    result = classify_windows(counts, totals)
    assert set(result.label) >= {"increasing", "decreasing", "stable"}  # the sample covers every label
    for i in range(n_series):
        slope, se, p = statsmodels_fit(counts[i], totals[i])
        assert result.slope[i] == pytest.approx(slope, rel=RTOL, abs=1e-12)
        assert result.std_error[i] == pytest.approx(se, rel=RTOL)
        assert result.pvalue[i] == pytest.approx(p, rel=RTOL, abs=1e-15)
        assert result.label[i] == label_of(slope, p)


def test_rolling_windows_are_the_last_window_of_each_prefix():
    rng = np.random.default_rng(3)
    totals = rng.integers(50, 200, (4, 40)).astype(float)
    counts = rng.binomial(totals.astype(int), np.linspace(0.05, 0.15, 40)).astype(float)
    rolling = classify_trends(counts, totals, window=12, rolling=True)
    assert rolling.label.shape == (4, 40)
    assert (rolling.reason[:, :11] == "incomplete_window").all()
    for t in (11, 25, 39):
        last = classify_trends(counts[:, :t + 1], totals[:, :t + 1], window=12)
        np.testing.assert_allclose(rolling.slope[:, t], last.slope)
        assert list(rolling.label[:, t]) == list(last.label)


def test_edge_cases_zeros_missing_few_encounters_and_full_share():
    window = 12
    totals = np.full((6, window), 100.0)
    counts = np.vstack([
        np.zeros(window),  # no syndrome visits at all
        np.full(window, np.nan),  # nothing reported
        np.r_[np.ones(10), 0, 0],  # 10 visits: Rnssp needs more than 10
        np.r_[np.ones(9), 1, 1, 0],  # 11 visits: judged
        np.full(window, 100.0),  # every visit has the syndrome
        np.r_[np.zeros(6), np.full(6, 100.0)],  # 0 % then 100 %: separation
    ])
    result = classify_windows(counts, totals)
    assert list(result.reason) == ["too_few_encounters", "too_few_days", "too_few_encounters", "ok",
                                   "constant_percent", "not_converged"]
    assert list(result.label) == ["insufficient_data", "insufficient_data", "insufficient_data", "stable",
                                  "stable", "insufficient_data"]
    assert result.slope[4] == 0.0 and result.pvalue[4] == 1.0
    assert np.isnan(result.slope[[0, 1, 2, 5]]).all()
    assert result.encounters[3] == 11


def test_too_few_reported_days_and_days_without_visits():
    totals = np.full((2, 12), 200.0)
    counts = np.full((2, 12), 20.0)
    counts[0, :7] = np.nan  # 5 of 12 days reported: not more than half
    totals[1, :5] = 0.0  # days with no visits at all carry no information either (7 days left)
    result = classify_windows(counts, totals)
    assert list(result.reason) == ["too_few_days", "ok"]
    assert result.days[1] == 7


def test_a_clear_rise_and_fall_are_labelled():
    totals = np.full((3, 28), 1000.0)
    counts = np.vstack([np.linspace(20, 80, 28), np.linspace(80, 20, 28), np.full(28, 50.0)])
    result = classify_trends(counts, totals, window=28)
    assert list(result.label) == ["increasing", "decreasing", "stable"]


def test_trend_table_needs_totals_and_reports_per_series():
    dates = pd.date_range("2026-01-01", periods=20)
    keys = pd.DataFrame({"region": ["320102", "320103"], "syndrome": ["ili", "ili"]})
    counts = np.vstack([np.linspace(10, 60, 20), np.full(20, 30.0)])
    panel = Panel(counts=counts, dates=dates, keys=keys, totals=np.full((2, 20), 500.0))
    table = trend_table(panel)
    assert list(table["trend"]) == ["increasing", "stable"]
    assert (table["date"] == dates[-1]).all() and (table["window_days"] == 12).all()
    with pytest.raises(SurveillanceError, match="no totals"):
        trend_table(Panel(counts=counts, dates=dates, keys=keys))


def test_week_comparison_matches_the_same_iso_week_a_year_before():
    dates = pd.date_range("2024-12-30", "2026-01-12", freq="W-MON")  # 2025-W01 .. 2026-W03
    counts = np.arange(len(dates), dtype=float)[None, :] + 10
    totals = np.full_like(counts, 100.0)
    panel = Panel(counts=counts, dates=dates, keys=pd.DataFrame({"region": ["320102"]}), totals=totals, freq="weekly")
    row = week_comparison(panel).iloc[0]
    assert row["iso_week"] == "2026-W03" and row["week"] == pd.Timestamp("2026-01-12")
    assert row["count_this"] == counts[0, -1] and row["count_last"] == counts[0, -2]
    assert row["count_last_year"] == counts[0, dates.get_loc(pd.Timestamp("2025-01-13"))]  # 2025-W03
    assert row["ratio_last_week"] == pytest.approx(row["percent_this"] / row["percent_last"])
    early = week_comparison(panel, week="2025-01-08").iloc[0]  # no data a year before
    assert np.isnan(early["count_last_year"]) and np.isnan(early["ratio_last_year"])
