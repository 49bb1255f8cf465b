"""MPM (CIDARS) and Serfling against computations by hand and statsmodels."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import t as student_t

from surveillance.detectors import InvalidParameter, detect
from surveillance.detectors.serfling import design
from surveillance.panel import Panel

from .conftest import weekly_panel


def _daily(n=3, years=4, seed=2):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2020-01-01", periods=365 * years + 1, freq="D")
    counts = rng.poisson(10 + 5 * np.sin(2 * np.pi * np.arange(len(dates)) / 365.25), size=(n, len(dates)))
    return Panel(counts=counts.astype(float), dates=dates, keys=pd.DataFrame({"s": [f"s{i}" for i in range(n)]}))


def test_mpm_by_hand():
    p = _daily()
    r = detect("mpm", p, percentile=80)
    t = len(p.dates) - 10
    day = p.dates[t]
    y = p.counts[1]
    hist = []
    for years in (1, 2, 3):
        same = p.dates.get_loc(day - pd.DateOffset(years=years))
        for k in range(-2, 3):
            end = same + 7 * k
            hist.append(y[end - 6:end + 1].sum())
    current = y[t - 6:t + 1].sum()
    threshold = np.percentile(hist, 80)
    assert r.upperbound[1, t] == pytest.approx(threshold - (current - y[t]))
    assert r.expected[1, t] == pytest.approx(np.median(hist) / 7)
    assert r.alarm[1, t] == (current > threshold)
    assert r.pvalue[1, t] == pytest.approx((1 + np.sum(np.array(hist) >= current)) / 16)
    # The first year has no history; with one year of the three, fewer than half the windows exist.
    labels = r.status_labels()
    assert (labels[:, :365] == "insufficient_baseline").all()
    assert (labels[:, 3 * 365 + 20:] == "ok").all()


def test_mpm_flags_a_rise_and_checks_percentile():
    p = _daily(n=2)
    counts = p.counts.copy()
    counts[0, -7:] += 15
    r = detect("mpm", Panel(counts=counts, dates=p.dates, keys=p.keys), percentile=90)
    assert r.alarm[0, -3:].all()
    with pytest.raises(InvalidParameter, match=r"^mpm: parameter 'percentile' must be a number in \[50, 90\], got 95"):
        detect("mpm", p, percentile=95)
    weekly = detect("mpm", weekly_panel(n_series=2, n_weeks=5 * 52))
    assert weekly.params["window"] == 1 and (weekly.status_labels()[:, -52:] == "ok").all()


def test_serfling_matches_statsmodels():
    p = weekly_panel(n_series=3, n_weeks=5 * 52, seed=4)
    counts = p.counts.copy()
    counts[1, 30] = np.nan
    p = Panel(counts=counts, dates=p.dates, keys=p.keys, freq="weekly")
    r = detect("serfling", p)
    X = design(p.shape[1], 52.18)
    month = np.asarray(p.dates.month)
    base = np.zeros(p.shape[1], bool)
    base[:156] = True
    base &= (month >= 6) & (month <= 9)
    for i in range(3):
        keep = base & ~np.isnan(p.counts[i])
        fit = sm.OLS(p.counts[i, keep], X[keep]).fit()
        pred = fit.get_prediction(X)
        # Rnssp: predict(interval = "prediction", level = 0.90): the upper end
        upper = pred.conf_int(obs=True, alpha=0.10)[:, 1]
        np.testing.assert_allclose(r.expected[i], pred.predicted_mean, rtol=1e-8)
        ok = ~np.isnan(p.counts[i])
        np.testing.assert_allclose(r.upperbound[i, ok], upper[ok], rtol=1e-8)
        se = np.sqrt(pred.var_pred_mean + fit.scale)
        np.testing.assert_allclose(r.pvalue[i, ok], student_t.sf((p.counts[i, ok] - pred.predicted_mean[ok]) / se[ok],
                                                                 fit.df_resid), rtol=1e-7, atol=1e-12)
    assert r.alarm[0, -3:].all()  # the outbreak of the test panel
    np.testing.assert_array_equal(r.alarm, r.score > 1)


def test_serfling_exclusion_choices_and_short_series():
    p = weekly_panel(n_series=2, n_weeks=4 * 52)
    a = detect("serfling", p, exclude="percentile", exclude_percentile=60)
    b = detect("serfling", p, exclude="none")
    assert not np.allclose(a.expected, b.expected)
    short = weekly_panel(n_series=2, n_weeks=80)
    assert (detect("serfling", short).status_labels() == "insufficient_baseline").all()
