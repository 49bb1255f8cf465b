"""The scans as registered detectors: the Poisson scan's same-weekday baseline, and the panel adapter."""

import numpy as np
import pandas as pd
import pytest

from surveillance.detectors import detect
from surveillance.detectors.testing import county_panel
from surveillance.errors import SurveillanceError
from surveillance.panel import Panel
from surveillance.spatial.detector import weekday_baseline


def test_the_baseline_is_the_same_weekday_in_the_four_weeks_before_the_windows():
    counts = np.arange(70, dtype=float)[None, :]  # the count is the day's number
    counts[0, 53] = np.nan
    expected = weekday_baseline(counts, window_days=10)  # windows: days 60..69
    assert expected[0, 69] == np.mean([55, 48, 41, 34])  # 62 lies inside the windows
    assert expected[0, 66] == np.mean([59, 52, 45, 38])
    assert expected[0, 60] == np.mean([46, 39, 32])  # day 53 is missing
    assert expected[0, 30] == np.mean([23, 16, 9, 2])  # before the windows: the weeks before the day
    assert expected[0, 10] == 3.0 and np.isnan(expected[0, 5])


def test_a_region_without_the_history_for_its_baseline_is_not_scanned():
    panel, regions = county_panel()
    counts = panel.counts.copy()
    counts[5, :-7] = np.nan  # c05 has reported only in the last week
    counts[5, -3:] *= 10
    late = Panel(counts=counts, dates=panel.dates, keys=panel.keys, freq="daily")
    result = detect("spacetime_poisson", late, regions=regions, n_reps=99)
    assert result.n_regions == 15 and all("c05" not in c.regions for c in result.clusters)
    assert {"c00", "c01", "c04"} & set(result.most_likely.regions)


def test_regions_without_a_centroid_are_left_out_and_one_series_per_region_is_needed():
    panel, regions = county_panel()
    where = regions.assign(lat=np.where(regions["region"] == "c15", np.nan, regions["lat"]))
    assert detect("spacetime_permutation", panel, regions=where, n_reps=0).n_regions == 15
    twice = Panel(counts=np.vstack([panel.counts, panel.counts[:1]]), dates=panel.dates,
                  keys=pd.concat([panel.keys, panel.keys.iloc[:1]], ignore_index=True), freq="daily")
    with pytest.raises(SurveillanceError, match="one series per region is needed; region c00 has several"):
        detect("spacetime_permutation", twice, regions=regions)


def test_the_study_period_is_capped_at_the_panel():
    panel, regions = county_panel(n_days=40)
    result = detect("spacetime_permutation", panel, regions=regions, n_reps=0, study_days=90)
    assert result.params["study_days"] == 40 and result.n_days == 40
