"""Farrington: reference design, the fitted model against statsmodels, thresholds, options."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import norm

from surveillance.detectors import InvalidParameter, detect, get
from surveillance.detectors.farrington import reference_design
from surveillance.detectors.farrington_design import years_back_by_calendar
from surveillance.panel import Panel

from .conftest import weekly_panel


def test_reference_windows_without_periods():
    offsets, design, window = reference_design(w=3, n_periods=1, years_back=(52, 104), past_weeks_excluded=3)
    expected = np.concatenate([np.arange(-107, -100), np.arange(-55, -48)])
    np.testing.assert_array_equal(offsets, expected)
    assert design.n_levels == 1 and window == 0


def test_noufaily_blocks_cover_the_years():
    offsets, design, window = reference_design(w=3, n_periods=10, years_back=(52, 104, 156), past_weeks_excluded=26)
    assert offsets.min() == -159 and offsets.max() == -27  # 26 past weeks and the current one left out
    assert design.n_levels == 10
    in_window = design.level == window
    assert in_window.sum() == 3 * 7
    # every point between the oldest window and the excluded weeks is in some level
    np.testing.assert_array_equal(offsets, np.arange(-159, -26))


def test_calendar_reference_points_follow_dates():
    dates = pd.date_range("2010-01-04", periods=6 * 52, freq="W-MON")
    back = years_back_by_calendar(dates, 5, 52)
    assert set(np.unique(back[-1])) <= set(range(52, 5 * 53 + 1))
    assert (back[-1] >= np.arange(1, 6) * 52).all()
    # the reference date is the same weekday closest to the same calendar date
    k = len(dates) - 1
    ref = dates[k - back[k, 4]]
    assert abs((ref - (dates[k] - pd.DateOffset(years=5))).days) <= 3


def _statsmodels_bound(y_ref, y_now, alpha, reweight_threshold):
    """Farrington's no-trend fit, reweighted, with statsmodels (quasi-Poisson, Pearson scale)."""
    X = np.ones((len(y_ref), 1))
    first = sm.GLM(y_ref, X, family=sm.families.Poisson()).fit(scale="X2")
    phi = max(first.scale, 1.0)
    mu = first.fittedvalues
    h = first.get_influence().hat_matrix_diag
    s = 1.5 * (y_ref ** (2 / 3) * mu ** (-1 / 6) - np.sqrt(mu)) / np.sqrt(phi * (1 - h))
    raw = np.where(s > reweight_threshold, s ** -2.0, 1.0)
    omega = raw * len(s) / raw.sum()
    fit = sm.GLM(y_ref, X, family=sm.families.Poisson(), var_weights=omega).fit(scale="X2")
    mu0 = fit.predict(np.ones((1, 1)))[0]
    se_mu = np.sqrt(fit.cov_params()[0, 0]) * mu0
    phi = max(fit.scale, 1.0)
    tau = phi + se_mu ** 2 / mu0
    se = np.sqrt(4 / 9 * mu0 ** (1 / 3) * tau)
    return mu0, (mu0 ** (2 / 3) + norm.isf(alpha) * se) ** 1.5


def test_a_fit_matches_statsmodels(panel):
    params = dict(b=2, w=3, alpha=0.01, trend=False, reference_points="position", min_recent_cases=0)
    r = detect("farrington", panel, **params)
    offsets, _, _ = reference_design(3, 1, (52, 104), 3)
    for series, t in [(1, 200), (3, 250), (5, panel.shape[1] - 1)]:
        y_ref = panel.counts[series, t + offsets]
        mu0, upper = _statsmodels_bound(y_ref, panel.counts[series, t], 0.01, 1.0)
        assert r.expected[series, t] == pytest.approx(mu0, rel=1e-6)
        assert r.upperbound[series, t] == pytest.approx(upper, rel=1e-5)


def test_outbreak_is_flagged_and_statuses(panel):
    r = detect("farrington_flexible", panel, n_periods=10, past_weeks_excluded=26, threshold="nbplugin")
    labels = r.status_labels()
    assert r.alarm[0, -1]
    first = 5 * 52 + 3
    assert (labels[:, : first - 3] == "insufficient_baseline").all()
    assert set(np.unique(labels[:, first:])) <= {"ok", "few_recent_cases"}
    assert np.isnan(r.upperbound[labels == "few_recent_cases"]).all()


def test_r_compatible_changes_only_the_inference_dispersion(panel):
    # Without a trend the fit is the same; the bound's prediction variance differs.
    a = detect("farrington", panel, b=3, alpha=0.01, min_recent_cases=0, trend=False)
    b = detect("farrington", panel, b=3, alpha=0.01, min_recent_cases=0, trend=False, r_compatible=True)
    ok = a.status == 0
    np.testing.assert_allclose(a.expected[ok], b.expected[ok], rtol=1e-12)
    assert not np.allclose(a.upperbound[ok], b.upperbound[ok])
    c = detect("farrington", panel, b=3, alpha=0.01, min_recent_cases=0, reweight=False)
    d = detect("farrington", panel, b=3, alpha=0.01, min_recent_cases=0, reweight=False, r_compatible=True)
    np.testing.assert_allclose(c.upperbound, d.upperbound, equal_nan=True)  # R's quirk needs reweighting


def test_monthly_data_with_period(panel):
    months = pd.date_range("2010-01-01", periods=120, freq="MS")
    rng = np.random.default_rng(5)
    counts = rng.poisson(20, size=(3, 120)).astype(float)
    p = Panel(counts=counts, dates=months, keys=pd.DataFrame({"s": list("abc")}), freq="weekly")
    r = detect("farrington_flexible", p, period=12, b=3, n_periods=4, past_weeks_excluded=3)
    assert (r.status_labels()[:, 3 * 12 + 3:] == "ok").all()
    assert np.all(np.abs(r.expected[:, 40:] - 20) < 8)


def test_missing_baseline_values_are_left_out(panel):
    counts = panel.counts.copy()
    counts[:, 100:140] = np.nan
    p = Panel(counts=counts, dates=panel.dates, keys=panel.keys, freq="weekly")
    r = detect("farrington_flexible", p, min_recent_cases=0)
    assert np.isfinite(r.upperbound[:, -20:]).all()


@pytest.mark.parametrize("value, expected", [(1, 1.0), ("1", 1.0), (0, 0.0), (0.05, 0.05), (1.5, 1.5),
                                             (-0.5, -0.5), ("inf", float("inf"))])
def test_trend_threshold_takes_any_number_as_r(value, expected):
    schema = get("farrington_flexible").schema
    assert schema.validate({"trend_p_threshold": value})["trend_p_threshold"] == expected
    assert schema.validate({"pThresholdTrend": value})["trend_p_threshold"] == expected


@pytest.mark.parametrize("value", ["abc", float("nan"), True])
def test_trend_threshold_rejects_what_is_not_a_number(value):
    with pytest.raises(InvalidParameter, match="parameter 'trend_p_threshold' must be a number, got"):
        detect("farrington_flexible", weekly_panel(n_series=1), trend_p_threshold=value)


def test_trend_is_kept_where_its_pvalue_is_below_the_threshold(panel):
    # R keeps the trend where p < pThresholdTrend: never at 0, and at 1 wherever b >= 3 and the
    # prediction does not extrapolate, which a threshold above 1 cannot widen (p-values are < 1).
    common = dict(b=3, min_recent_cases=0, n_periods=10, past_weeks_excluded=26, threshold="nbplugin")
    runs = {p: detect("farrington_flexible", panel, trend_p_threshold=p, **common) for p in (0, 0.05, 1, 2)}
    no_trend = detect("farrington_flexible", panel, trend=False, **common)
    np.testing.assert_array_equal(runs[0].expected, no_trend.expected)
    np.testing.assert_array_equal(runs[1].expected, runs[2].expected)
    ok = runs[1].status == 0
    changed_005 = ~np.isclose(runs[0.05].expected, runs[0].expected)[ok]
    changed_1 = ~np.isclose(runs[1].expected, runs[0].expected)[ok]
    assert changed_1.sum() > 2 * changed_005.sum() > 0
