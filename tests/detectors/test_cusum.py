"""CUSUM and GLR (Höhle & Paul 2008) against hand computations and their documented behaviour."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from surveillance.detectors import detect
from surveillance.detectors.cusum import baseline_design
from surveillance.panel import Panel


def _weekly(counts, start="2015-01-05"):
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    dates = pd.date_range(start, periods=counts.shape[1], freq="W-MON")
    return Panel(counts=counts, dates=dates, keys=pd.DataFrame({"s": [f"s{i}" for i in range(len(counts))]}),
                 freq="weekly")


def _seasonal_mu(T, level=10.0):
    t = np.arange(T)
    return level * np.exp(0.4 * np.sin(2 * np.pi * t / 52.1775))


def test_baseline_fit_matches_statsmodels():
    rng = np.random.default_rng(0)
    mu = _seasonal_mu(200)
    y = rng.poisson(mu, size=(2, 200)).astype(float)
    y[1, 10] = np.nan
    p = _weekly(y)
    r = detect("cusum", p, distribution="poisson")
    X = baseline_design(p.dates, "weekly", 1, False, True, 52.1775)
    for i in range(2):
        keep = ~np.isnan(y[i, :104])
        fit = sm.GLM(y[i, :104][keep], X[:104][keep], family=sm.families.Poisson()).fit(tol=1e-12)
        np.testing.assert_allclose(r.expected[i, 104:], np.exp(X[104:] @ fit.params), rtol=1e-7)
    labels = r.status_labels()[:, :104]
    assert (labels[~np.isnan(y[:, :104])] == "insufficient_baseline").all() and labels[1, 10] == "missing"


def test_poisson_cusum_by_hand():
    rng = np.random.default_rng(1)
    mu = _seasonal_mu(160)
    y = rng.poisson(mu).astype(float)
    y[130:136] += 25
    p = _weekly(y)
    r = detect("cusum", p, distribution="poisson", ratio=2, h=4)
    kappa = np.log(2)
    m = r.expected[0]
    s = 0.0
    for t in range(104, 160):
        upper = (4 - s + m[t] * (2 - 1)) / kappa
        assert r.upperbound[0, t] == pytest.approx(upper)
        s = max(0.0, s + kappa * y[t] - m[t] * (2 - 1))
        assert r.score[0, t] == pytest.approx(s / 4)
        assert r.alarm[0, t] == (s > 4) == (y[t] > upper)
        if s > 4:
            s = 0.0
    assert r.alarm[0, 130:137].any()


def test_nb_cusum_bound_is_the_alarm_count():
    rng = np.random.default_rng(2)
    y = rng.negative_binomial(5, 5 / (5 + _seasonal_mu(170)), size=(3, 170)).astype(float)
    r = detect("cusum", _weekly(y), dispersion=0.2)
    ok = r.status == 0
    np.testing.assert_array_equal(r.alarm[ok], y[ok] > r.upperbound[ok])


def _detect_delay(name, step, seed, **params):
    rng = np.random.default_rng(seed)
    T, change = 104 + 60, 104 + 10
    mu = _seasonal_mu(T, 8.0)
    lam = mu * np.where(np.arange(T) >= change, step, 1.0)
    y = rng.negative_binomial(10, 10 / (10 + lam), size=(40, T)).astype(float)
    r = detect(name, _weekly(y), **params)
    first = np.array([np.argmax(a[change:]) if a[change:].any() else 60 for a in r.alarm])
    return np.median(first), r


@pytest.mark.parametrize("name", ["glrnb", "cusum"])
def test_no_alarms_in_control_and_delay_shrinks_with_the_step(name):
    _, r = _detect_delay(name, 1.0, 5)
    rate = r.alarm[:, 104:].mean()
    assert rate < 0.02  # in control: few alarms
    delays = [_detect_delay(name, step, 6)[0] for step in (1.5, 2.0, 3.0)]
    assert delays[0] >= delays[1] >= delays[2]
    assert delays[2] <= 2


def test_glr_statistic_by_hand_and_bound():
    rng = np.random.default_rng(3)
    y = rng.poisson(_seasonal_mu(130)).astype(float)
    y[120:123] += 12
    r = detect("glrnb", _weekly(y), distribution="poisson", window=None)
    m = r.expected[0]

    def glr(t, start, x):
        best = 0.0
        for k in range(start, t + 1):
            yy = np.append(y[k:t], x)
            Y, M = yy.sum(), m[k:t + 1].sum()
            if Y > M:
                best = max(best, Y * np.log(Y / M) - (Y - M))
        return best

    start = 104
    for t in range(104, 130):
        g = glr(t, start, y[t])
        assert r.score[0, t] * 5 == pytest.approx(g, abs=1e-9)
        assert glr(t, start, r.upperbound[0, t]) == pytest.approx(5.0, rel=1e-8)
        if g > 5:
            start = t + 1
    assert r.alarm[0, 120:124].any()
    ok = r.status == 0
    np.testing.assert_array_equal(r.alarm[ok], y[None, :][ok] > r.upperbound[ok])


def test_nb_glr_bound_is_the_alarm_count():
    rng = np.random.default_rng(4)
    y = rng.negative_binomial(4, 4 / (4 + _seasonal_mu(150)), size=(3, 150)).astype(float)
    y[0, 140:] += 20
    r = detect("glrnb", _weekly(y))
    ok = r.status == 0
    np.testing.assert_array_equal(r.alarm[ok], y[ok] > r.upperbound[ok])
    assert r.alarm[0, 140:].any()
