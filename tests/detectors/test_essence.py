"""ESSENCE EWMA, regression and switch against slow per-point implementations:
statsmodels OLS for the regression, a literal port of Rnssp's loop for the EWMA."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import t as student_t

from surveillance.detectors import detect
from surveillance.detectors.essence import essence_level
from surveillance.detectors.inputs import holiday_mask
from surveillance.panel import Panel


def daily_panel(n=4, T=150, seed=3, start="2024-01-01", totals=False):
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=T, freq="D")
    dow = np.asarray(dates.day_of_week)
    level = rng.uniform(3, 60, size=(n, 1))
    mu = level * np.where(dow >= 5, 0.6, 1.0) * (1 + 0.002 * np.arange(T))
    counts = rng.poisson(mu).astype(float)
    tot = (counts * 10 + rng.poisson(200, size=counts.shape)).astype(float) if totals else None
    return Panel(counts=counts, dates=dates, keys=pd.DataFrame({"s": [f"s{i}" for i in range(n)]}), totals=tot)


def rnssp_ewma(y, B=28, g=2, w1=0.4, w2=0.9, min_baseline=7):
    """Rnssp's ewma_loop, transcribed line by line (1-based indices kept in comments)."""
    N = len(y)
    expected = np.full(N, np.nan)
    p = np.full(N, np.nan)
    z1 = np.full(N, np.nan)
    z2 = np.full(N, np.nan)
    z1[0] = z2[0] = y[0]
    for i0 in range(1, min_baseline + g):
        z1[i0] = w1 * y[i0] + (1 - w1) * z1[i0 - 1]
        z2[i0] = w2 * y[i0] + (1 - w2) * z2[i0 - 1]
    ndx = list(range(1, min_baseline))  # 1-based, as in R
    for i in range(min_baseline + g, N):  # 0-based i = R's i - 1
        if ndx[-1] < B:
            ndx = [0] + ndx
        ndx = [k + 1 for k in ndx]
        L = len(ndx)
        base = y[np.array(ndx) - 1]
        expected[i] = base.mean()
        sigma = base.std(ddof=1)
        corr = [np.sqrt(w / (2 - w) + 1 / L - 2 * (1 - w) ** (g + 1) * ((1 - (1 - w) ** L) / L)) for w in (w1, w2)]
        ucl_alert = round(student_t.ppf(0.99, L - 1), 5)
        ucl_warning = round(student_t.ppf(0.95, L - 1), 5)
        sig = []
        for w, c in zip((w1, w2), corr):
            min_sigma = (w / ucl_warning) * (0.01 + 0.05 * (1 - w) ** 2)
            constant = (0.1289 - (0.2414 - 0.1826 * (1 - w) ** 4) * np.log(10 * 0.05)) * (w / ucl_warning)
            sig.append(max(min_sigma, sigma * c + constant))
        z1[i] = w1 * y[i] + (1 - w1) * z1[i - 1]
        z2[i] = w2 * y[i] + (1 - w2) * z2[i - 1]
        s1 = (z1[i] - expected[i]) / sig[0]
        s2 = (z2[i] - expected[i]) / sig[1]
        if abs(s1) > ucl_alert:
            z1[i] = expected[i] + np.sign(s1) * ucl_alert * sig[0]
        if abs(s2) > ucl_alert:
            z2[i] = expected[i] + np.sign(s2) * ucl_alert * sig[1]
        p[i] = min(student_t.sf(s1, L - 1), student_t.sf(s2, L - 1))
    return expected, p


def test_ewma_matches_rnssp_loop():
    p = daily_panel()
    counts = p.counts.copy()
    counts[1, 100:104] += 60  # an outbreak, so that the smoothed values get clamped
    p = Panel(counts=counts, dates=p.dates, keys=p.keys)
    r = detect("ewma", p)
    for i in range(p.shape[0]):
        expected, pv = rnssp_ewma(counts[i])
        judged = ~np.isnan(expected)
        assert (r.status_labels()[i, judged] == "ok").all()
        assert (r.status_labels()[i, ~judged] == "insufficient_baseline").all()
        np.testing.assert_allclose(r.expected[i, judged], expected[judged], rtol=1e-10)
        np.testing.assert_allclose(r.pvalue[i, judged], pv[judged], rtol=1e-8, atol=1e-14)
    assert r.alarm[1, 100:104].any()
    ok = r.status == 0
    np.testing.assert_array_equal(r.alarm[ok], r.pvalue[ok] < 0.01)


def test_ewma_by_hand_on_a_tiny_series():
    y = np.array([4.0, 6, 5, 5, 7, 4, 6, 5, 5, 6, 30])
    p = Panel(counts=y[None, :], dates=pd.date_range("2024-03-01", periods=len(y)), keys=pd.DataFrame({"s": ["a"]}))
    r = detect("ewma", p, baseline=7)
    # t = 9 (0-based): baseline y[0:7], guard 2; smoothed values through y[9]
    z1, z2 = y[0], y[0]
    for v in y[1:10]:
        z1, z2 = 0.4 * v + 0.6 * z1, 0.9 * v + 0.1 * z2
    base = y[0:7]
    assert r.expected[0, 9] == pytest.approx(base.mean())
    assert r.status_labels()[0, 8] == "insufficient_baseline"
    assert r.alarm[0, 10] and r.score[0, 10] > 1


def _rnssp_design(dates, idx, g, L):
    """Rnssp's regression matrix: intercept, time 1..L, Mon..Sat dummies (Sunday is the reference)."""
    dow = np.asarray(dates[idx].day_of_week)  # Monday = 0
    X = np.column_stack([np.ones(L), np.arange(1, L + 1)] + [(dow == d).astype(float) for d in range(6)])
    return X


@pytest.mark.parametrize("B", [28, 21])
def test_regression_matches_statsmodels(B):
    p = daily_panel(n=3, T=90)
    g = 2
    r = detect("regression", p, baseline=B, ma7_check=False)
    q = student_t.isf(0.01, np.arange(1, 60))
    checked = 0
    for i in range(p.shape[0]):
        for t in range(g + 11, p.shape[1]):
            L = min(B, t - g)
            idx = np.arange(t - g - L, t - g)
            X = _rnssp_design(p.dates, idx, g, L)
            fit = sm.OLS(p.counts[i, idx], X).fit()
            dow_t = p.dates[t].day_of_week
            x0 = np.concatenate([[1.0, L + g + 1], (np.arange(6) == dow_t).astype(float)])
            pred = fit.get_prediction(x0[None, :])
            mean = pred.predicted_mean[0]
            se_obs = np.sqrt(pred.var_pred_mean[0] + fit.scale)
            df = int(fit.df_resid)
            sigma = max(se_obs, 0.01 / round(student_t.ppf(0.95, df), 5))
            expected = max(0.0, mean)
            assert r.expected[i, t] == pytest.approx(expected, rel=1e-8, abs=1e-9)
            assert r.upperbound[i, t] == pytest.approx(expected + q[df - 1] * sigma, rel=1e-8)
            assert r.pvalue[i, t] == pytest.approx(student_t.sf((p.counts[i, t] - expected) / sigma, df), rel=1e-7,
                                                   abs=1e-12)
            checked += 1
        assert (r.status_labels()[i, : g + 11] == "insufficient_baseline").all()
    assert checked > 200


def test_regression_with_holidays_and_missing_values_matches_statsmodels():
    p = daily_panel(n=2, T=80, start="2024-01-20")  # spans the Spring Festival (10-17 February 2024)
    counts = p.counts.copy()
    hol = holiday_mask(p.dates, "CN")
    counts[:, hol] *= 0.3
    counts[0, [40, 47, 52]] = np.nan
    p = Panel(counts=np.round(counts), dates=p.dates, keys=p.keys)
    r = detect("regression", p, holidays=True, ma7_check=False)
    g, B = 2, 28
    for i in range(2):
        for t in range(30, 80):
            if np.isnan(p.counts[i, t]):
                continue
            idx = np.arange(t - g - B, t - g)
            keep = ~np.isnan(p.counts[i, idx])
            X = _rnssp_design(p.dates, idx, g, B)
            h = hol[idx].astype(float)
            use_h = h[keep].any()
            if use_h:
                X = np.column_stack([X, h])
            fit = sm.OLS(p.counts[i, idx][keep], X[keep]).fit()
            x0 = np.concatenate([[1.0, B + g + 1], (np.arange(6) == p.dates[t].day_of_week).astype(float)])
            if use_h:
                x0 = np.append(x0, float(hol[t]))
            pred = fit.get_prediction(x0[None, :])
            assert r.expected[i, t] == pytest.approx(max(0.0, pred.predicted_mean[0]), rel=1e-8, abs=1e-9)
            se_obs = np.sqrt(pred.var_pred_mean[0] + fit.scale)
            z = (r.upperbound[i, t] - r.expected[i, t]) / student_t.isf(0.01, fit.df_resid)
            assert z == pytest.approx(max(se_obs, 0.01 / round(student_t.ppf(0.95, fit.df_resid), 5)), rel=1e-8)


def test_ma7_check_only_removes_alarms():
    p = daily_panel(n=6, T=200, seed=8)
    a = detect("regression", p, ma7_check=False)
    b = detect("regression", p)
    assert not (b.alarm & ~a.alarm).any()
    np.testing.assert_array_equal(b.alarm, b.score > 1)
    ok = b.status == 0
    np.testing.assert_array_equal(b.alarm[ok], p.counts[ok] > b.upperbound[ok])
    # A dropped alarm is a count below the mean of the six previous days.
    dropped = np.argwhere(a.alarm & ~b.alarm)
    for i, t in dropped:
        assert p.counts[i, t] < p.counts[i, t - 6:t].mean()


def test_switch_chooses_by_adjusted_r2():
    p = daily_panel(n=5, T=120, seed=4)
    counts = p.counts.copy()
    counts[0] = 100 + 40 * (np.asarray(p.dates.day_of_week) < 5) + np.random.default_rng(1).normal(0, 2, 120)
    p = Panel(counts=counts, dates=p.dates, keys=p.keys)
    s = detect("switch", p, ma7_check=False)
    e = detect("ewma", p)
    g = detect("regression", p, ma7_check=False)
    # Strong weekday pattern: the regression fits well and is used.
    np.testing.assert_allclose(s.expected[0, 40:], g.expected[0, 40:])
    for i in range(5):
        for t in range(40, 120):
            same_reg = np.isclose(s.expected[i, t], g.expected[i, t]) and np.isclose(s.upperbound[i, t],
                                                                                   g.upperbound[i, t])
            same_ewma = np.isclose(s.expected[i, t], e.expected[i, t]) and np.isclose(s.upperbound[i, t],
                                                                                    e.upperbound[i, t])
            assert same_reg or same_ewma
    # Before the regression's 11-day minimum baseline, EWMA judges.
    assert s.status_labels()[1, 10] == "ok" and g.status_labels()[1, 10] == "insufficient_baseline"


def test_monitor_last_gives_the_same_values():
    p = daily_panel(n=3, T=100)
    for name in ("ewma", "regression", "switch", "ears_c2", "ears_c3"):
        full = detect(name, p)
        tail = detect(name, p, monitor_last=5)
        np.testing.assert_allclose(tail.upperbound[:, -5:], full.upperbound[:, -5:], rtol=1e-12)
        np.testing.assert_allclose(tail.pvalue[:, -5:], full.pvalue[:, -5:], rtol=1e-12)
        assert (tail.status_labels()[:, :-5] == "not_monitored").all()


def test_percent_of_visits():
    p = daily_panel(n=3, T=80, totals=True)
    totals = p.totals.copy()
    totals[0, 50] = 0.0
    totals[1, 60] = np.nan
    p = Panel(counts=p.counts, dates=p.dates, keys=p.keys, totals=totals)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = 100 * p.counts / totals
    share[~(totals > 0)] = np.nan
    as_counts = Panel(counts=share, dates=p.dates, keys=p.keys)
    for name in ("ewma", "regression", "switch", "ears_c1", "ears_c3"):
        r = detect(name, p, percent=True)
        ref = detect(name, as_counts)
        assert r.params["percent"] is True
        np.testing.assert_array_equal(r.upperbound, ref.upperbound)
        assert r.status_labels()[0, 50] == "missing" and r.status_labels()[1, 60] == "missing"
    from surveillance.errors import SurveillanceError
    with pytest.raises(SurveillanceError, match="needs the totals"):
        detect("ewma", as_counts, percent=True)


def test_ewma_leaves_holidays_out_of_the_baseline():
    p = daily_panel(n=2, T=70, start="2024-01-20")
    hol = holiday_mask(p.dates, "CN")
    r = detect("ewma", p, holidays=True)
    t = 40
    window = np.arange(t - 30, t - 2)
    window = window[~hol[window]]
    assert r.expected[0, t] == pytest.approx(p.counts[0, window].mean())
    with pytest.raises(Exception, match="country"):
        detect("ewma", p, holidays=True, country="XX")


def test_essence_levels():
    levels = essence_level(np.array([0.001, 0.02, 0.3, np.nan]))
    assert list(levels) == ["red", "yellow", "blue", "grey"]


def test_compiled_t_tail_matches_scipy():
    from scipy.special import stdtr

    from surveillance.detectors.tdist import t_sf

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 3, 20000), rng.uniform(-60, 60, 20000), [0.0, 1e-12, 1e3, np.inf, -np.inf]])
    df = rng.integers(1, 60, len(x))
    ours, ref = t_sf(x, df), stdtr(df.astype(float), -x)
    np.testing.assert_allclose(ours, ref, rtol=1e-8, atol=1e-15)
