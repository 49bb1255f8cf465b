"""Detector output to signals: severity colours, judged days, completeness marking."""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveillance.alerts import severity_from_pvalue, signals_from_result
from surveillance.config import SeverityConfig
from surveillance.detectors import detect
from surveillance.panel import Panel


def test_essence_colours_and_configurable_thresholds():
    p = np.array([0.001, 0.02, 0.2, np.nan])
    assert list(severity_from_pvalue(p, SeverityConfig())) == ["red", "yellow", "none", "none"]
    assert list(severity_from_pvalue(p, SeverityConfig(red=0.0005, yellow=0.01))) == ["yellow", "none", "none", "none"]
    assert list(severity_from_pvalue(p, SeverityConfig(), above=[False, True, True, True])) == ["none", "yellow", "none", "none"]


def test_signals_of_the_last_day_with_completeness():
    rng = np.random.default_rng(1)
    counts = rng.poisson(20, size=(3, 40)).astype(float)
    counts[0, -1] = 80  # a spike
    counts[2, -1] = np.nan  # not reported: no signal row
    dates = pd.date_range("2026-01-01", periods=40)
    keys = pd.DataFrame({"region": ["A", "B", "C"], "syndrome": "fever", "age_group": "all"})
    panel = Panel(counts=counts, dates=dates, keys=keys)
    result = detect("ears_c2", panel)
    completeness = pd.DataFrame({"region": ["A", "B"], "date": [dates[-1]] * 2, "completeness": [0.5, 1.0]})
    out = signals_from_result(result, panel, level="county", severity_thresholds=SeverityConfig(),
                              completeness=completeness, min_completeness=0.8, detector="c2")
    assert list(out["region"]) == ["A", "B"]
    a = out.iloc[0]
    assert a.severity == "red" and a.observed == 80 and a.incomplete and a.completeness == 0.5
    assert a.detector == "c2" and a.method == "ears_c2" and a.date == dates[-1] and a.period_days == 1
    assert out.iloc[1].severity in ("none", "yellow") and not out.iloc[1].incomplete
