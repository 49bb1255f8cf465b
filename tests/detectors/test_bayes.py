"""Bayes against the predictive negative binomial computed by hand."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import nbinom

from surveillance.detectors import detect
from surveillance.panel import Panel


def test_bayes_by_hand(panel):
    r = detect("bayes", panel, b=2, w=3, alpha=0.01)
    y = panel.counts[2]
    t = 2 * 52 + 10
    ref = np.concatenate([y[t - 3:t], y[t - 55:t - 48], y[t - 107:t - 100]])
    size, prob = ref.sum() + 0.5, len(ref) / (len(ref) + 1)
    assert r.upperbound[2, t] == nbinom.ppf(0.99, size, prob)
    assert r.expected[2, t] == pytest.approx(size / len(ref))
    assert r.pvalue[2, t] == pytest.approx(nbinom.sf(y[t] - 1, size, prob))
    assert (r.status_labels()[:, : 2 * 52 + 3] == "insufficient_baseline").all()
    assert (r.status_labels()[:, 2 * 52 + 3:] == "ok").all()


def test_without_current_year_and_monitor_last(panel):
    r = detect("bayes", panel, b=1, w=2, act_y=False, monitor_last=10)
    labels = r.status_labels()
    assert (labels[:, -10:] == "ok").all() and (labels[:, :-10] == "not_monitored").all()
    assert detect("bayes", panel, b=1, w=2, actY="FALSE").params["act_y"] is False
