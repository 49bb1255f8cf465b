"""Panels shared by the detector tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveillance.panel import Panel


def weekly_panel(n_series: int = 6, n_weeks: int = 6 * 52 + 10, seed: int = 0, start="2015-01-05") -> Panel:
    """Seasonal negative-binomial weekly counts, with an outbreak in series 0 near the end."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_weeks)
    level = rng.uniform(0.5, 4.0, size=(n_series, 1))
    mu = np.exp(level + 0.6 * np.sin(2 * np.pi * t / 52.18))
    counts = rng.negative_binomial(4, 4 / (4 + mu)).astype(float)
    counts[0, -3:] += 5 * mu[0, -3:] + 20
    dates = pd.date_range(start, periods=n_weeks, freq="W-MON")
    keys = pd.DataFrame({"region": [f"r{i}" for i in range(n_series)]})
    return Panel(counts=counts, dates=dates, keys=keys, freq="weekly")


@pytest.fixture
def panel() -> Panel:
    return weekly_panel()
