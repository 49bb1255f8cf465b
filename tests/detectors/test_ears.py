"""EARS C1/C2/C3 against hand computations."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from surveillance.detectors import detect
from surveillance.panel import Panel


def _panel(values):
    counts = np.atleast_2d(np.asarray(values, dtype=float))
    return Panel(counts=counts, dates=pd.date_range("2024-01-01", periods=counts.shape[1]),
                 keys=pd.DataFrame({"s": [f"s{i}" for i in range(len(counts))]}), freq="daily")


SERIES = [3, 5, 4, 6, 2, 5, 4, 7, 3, 5, 12, 4, 30, 6]


def test_c1_and_c2_by_hand():
    p = _panel(SERIES)
    z = norm.isf(0.001)
    c1 = detect("ears_c1", p)
    c2 = detect("ears_c2", p)
    for t in range(len(SERIES)):
        if t >= 7:
            base = np.array(SERIES[t - 7:t], float)
            assert c1.upperbound[0, t] == pytest.approx(base.mean() + z * base.std(ddof=1), rel=1e-12)
            assert c1.alarm[0, t] == (SERIES[t] > c1.upperbound[0, t])
        else:
            assert c1.status_labels()[0, t] == "insufficient_baseline"
        if t >= 9:
            base = np.array(SERIES[t - 9:t - 2], float)
            assert c2.expected[0, t] == pytest.approx(base.mean(), rel=1e-12)
    assert c1.alarm[0, 12] and c1.score[0, 12] > 1


def test_c3_published_rule_and_r_rule():
    p = _panel(SERIES)
    z = norm.isf(0.001)
    c2 = detect("ears_c2", p)
    sigma = (c2.upperbound - c2.expected) / z
    c2stat = (p.counts - c2.expected) / sigma
    excess = np.nan_to_num(np.maximum(c2stat - 1, 0))
    ours = detect("ears_c3", p)
    r = detect("ears_c3", p, r_compatible=True)
    for t in range(11, len(SERIES)):
        c3 = excess[0, t] + excess[0, t - 1] + excess[0, t - 2]
        assert ours.score[0, t] == pytest.approx(c3 / z)
        assert ours.alarm[0, t] == (c3 > z)
        lag = excess[0, t - 1] + excess[0, t - 2]
        assert r.upperbound[0, t] == pytest.approx(max(0.0, SERIES[t] + sigma[0, t] * (z - lag)))
    # A spike today: the published C3 alarms, R's bound (which contains today's count) cannot.
    spike = _panel([3, 5, 4, 6, 2, 5, 4, 7, 3, 5, 4, 5, 4, 15])
    assert detect("ears_c3", spike).alarm[0, 13]
    assert not detect("ears_c3", spike, r_compatible=True).alarm[0, 13]


def test_min_sigma_and_constant_baseline():
    p = _panel([5] * 10 + [6])
    assert detect("ears_c1", p).alarm[0, -1]  # zero variance: any increase alarms, as in R
    assert not detect("ears_c1", p, min_sigma=1).alarm[0, -1]
    r = detect("ears_c3", _panel([5] * 14), r_compatible=True)
    assert (r.status_labels()[0, 11:] == "fit_failed").all()  # R's 0/0 gives no bound


def test_missing_values_in_baseline():
    values = np.array(SERIES, float)
    values[[3, 5]] = np.nan
    r = detect("ears_c1", _panel(values))
    base = values[3:10]
    assert r.expected[0, 10] == pytest.approx(np.nanmean(base))
    assert r.status_labels()[0, 5] == "missing"
    values[2:8] = np.nan  # only 1 value left in the window of t=8
    assert detect("ears_c1", _panel(values)).status_labels()[0, 8] == "insufficient_baseline"
