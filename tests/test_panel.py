import numpy as np
import pandas as pd
import pytest

from surveillance.errors import SurveillanceError
from surveillance.panel import panel_from_long, panel_to_long, to_weekly


def long_table():
    return pd.DataFrame({
        "date": ["2026-11-02", "2026-11-04", "2026-11-02", "2026-11-02"],
        "region": ["a", "a", "b", "b"],
        "syndrome": ["fever"] * 4,
        "count": [1, 2, 3, 4],
        "total": [10, 20, 30, 40],
    })


def test_long_to_panel_and_back_round_trips():
    panel = panel_from_long(long_table(), ["region", "syndrome"])
    assert panel.shape == (2, 3)
    np.testing.assert_array_equal(panel.counts, [[1, np.nan, 2], [7, np.nan, np.nan]])  # b's two rows summed
    np.testing.assert_array_equal(panel.totals[1], [70, np.nan, np.nan])
    back = panel_to_long(panel, {"double": panel.counts * 2}, dropna=True)
    assert back["count"].tolist() == [1, 2, 7]
    assert back["double"].tolist() == [2, 4, 14]


def test_arrays_of_the_wrong_shape_are_refused():
    panel = panel_from_long(long_table(), ["region", "syndrome"])
    with pytest.raises(ValueError, match="shape"):
        panel_to_long(panel, {"x": np.zeros((1, 1))})


def test_weekly_grid_refuses_dates_off_the_grid():
    frame = long_table()
    with pytest.raises(SurveillanceError, match="not on the weekly grid"):
        panel_from_long(frame, ["region", "syndrome"], freq="weekly")


def test_daily_to_weekly_sums_whole_weeks_only():
    days = pd.date_range("2026-11-02", "2026-11-18")  # Monday to a Wednesday
    frame = pd.DataFrame({"date": days, "region": "a", "count": 1.0, "total": 10.0})
    frame.loc[frame["date"] == "2026-11-10", "count"] = np.nan
    weekly = to_weekly(panel_from_long(frame, ["region"]))
    assert list(weekly.dates.strftime("%Y-%m-%d")) == ["2026-11-02", "2026-11-09", "2026-11-16"]
    np.testing.assert_array_equal(weekly.counts[0], [7, np.nan, np.nan])  # a missing day, a partial week
    np.testing.assert_array_equal(weekly.totals[0], [70, 70, np.nan])
