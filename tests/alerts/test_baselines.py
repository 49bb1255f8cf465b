"""Confirmed outbreaks are missing, not cases, in later baselines: the cells of their evidence, their
county's and the all-ages series', before the judged day."""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveillance.alerts.baselines import confirmed_mask, without_confirmed
from surveillance.panel import Panel


def _panel():
    keys = pd.DataFrame({"region": ["F1", "F1", "C1", "C1", "C2"], "syndrome": ["ili", "ili", "ili", "ili", "ili"],
                         "age_group": ["5-14", "all", "5-14", "all", "5-14"]})
    dates = pd.date_range("2026-11-01", periods=5)
    return Panel(counts=np.arange(25, dtype=float).reshape(5, 5), dates=dates, keys=keys,
                 totals=np.full((5, 5), 100.0))


def test_a_facilitys_confirmed_days_leave_its_county_and_all_ages_series_too():
    cells = pd.DataFrame({"region": ["F1", "F1", "F1"], "syndrome": "ili", "age_group": "5-14",
                          "date": pd.to_datetime(["2026-11-02", "2026-11-03", "2026-11-05"])})
    mask = confirmed_mask(_panel(), cells, "2026-11-05", county_of={"F1": "C1"}.get)
    # 2 and 3 November (not the judged 5th) in F1 5-14, F1 all, C1 5-14, C1 all; C2 untouched
    expected = np.zeros((5, 5), dtype=bool)
    expected[:4, 1:3] = True
    np.testing.assert_array_equal(mask, expected)
    out = without_confirmed(_panel(), cells, "2026-11-05", county_of={"F1": "C1"}.get)
    assert np.isnan(out.counts[0, 1]) and np.isnan(out.totals[3, 2]) and out.counts[4, 1] == 21.0
    assert out.counts[0, 4] == 4.0  # the judged day stays
    nothing = pd.DataFrame(columns=["region", "syndrome", "age_group", "date"])
    assert without_confirmed(_panel(), nothing, "2026-11-05") is not None
    assert not confirmed_mask(_panel(), nothing, "2026-11-05").any()
