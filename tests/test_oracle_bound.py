"""The oracle bound of the detection delay on hand-computed cases, and its store reader."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from surveillance.evaluation.oracle import oracle_delays, oracle_first_day, usual_daily
from surveillance.ingest.pipeline import ingest_file
from surveillance.store.counts import units_daily

from .conftest import write_csv


def test_the_first_day_a_window_rejects():
    # usual 0.5 a day, alpha 0.07 over 7 windows: each window at 0.01.
    # day 1: 2 cases, P(X >= 2 | 0.5) = 1 - e^-0.5 (1.5) = 0.090, and over two days P(X >= 2 | 1) = 0.264;
    # day 2: 5 cases, P(X >= 5 | 0.5) = 0.00017 <= 0.01
    assert 1 - math.exp(-0.5) * 1.5 > 0.01
    assert oracle_first_day([0, 2, 5], usual=0.5, alpha=0.07) == 2
    # the same cases spread out: 2 + 2 + 2 over three days, P(X >= 6 | 1.5) = 0.0045 <= 0.01 on day 2 only
    assert oracle_first_day([2, 2, 2], usual=0.5, alpha=0.07) == 2
    assert oracle_first_day([2, 2], usual=0.5, alpha=0.07) is None  # P(X >= 4 | 1) = 0.019
    assert oracle_first_day([1, 1, 1, 1], usual=2.0, alpha=0.07) is None
    with pytest.raises(ValueError, match="alpha"):
        oracle_first_day([3], usual=1.0, alpha=0.0)


def test_a_window_never_reaches_before_the_outbreak():
    # only the outbreak's own days are tested: the 7-day window on day 0 is one day long
    assert oracle_first_day([3], usual=0.1, alpha=0.07) == 0  # P(X >= 3 | 0.1) = 0.00015
    assert oracle_first_day([0, 0, 0, 0, 0, 0, 9], usual=1.0, alpha=0.07) == 6


def test_usual_is_the_baseline_mean_before_the_guard():
    days = pd.date_range("2026-10-01", "2026-11-20")
    series = pd.Series(np.where(days < pd.Timestamp("2026-11-05"), 2.0, 50.0), index=days)
    # the 28 days ending 7 days before 12 November: 8 Oct - 4 Nov, all 2 a day
    assert usual_daily(series, "2026-11-12") == pytest.approx(2.0)
    # days without a report count as none
    assert usual_daily(series.drop(days[days < pd.Timestamp("2026-10-22")]), "2026-11-12") == pytest.approx(2.0 * 14 / 28)


HEADER = "date,unit,syndrome,age_group,count,total\n"


@pytest.fixture
def outbreak_store(store, ctx, tmp_path):
    rows = [HEADER]
    for day in pd.date_range("2026-10-01", "2026-11-20"):
        d = day.date().isoformat()
        during = day >= pd.Timestamp("2026-11-12")
        rows.append(f"{d},F320102001,hfmd,0-4,{6 if during else 1},40\n")
        rows.append(f"{d},F320102001,hfmd,5-14,1,40\n")
        rows.append(f"{d},F320102002,hfmd,0-4,{4 if during else 0},30\n")
        rows.append(f"{d},F320103001,hfmd,0-4,9,30\n")  # another county, not the outbreak's
    ingest_file(store, write_csv(tmp_path / "counts.csv", "".join(rows)), ctx)
    return store


def test_units_daily_sums_the_outbreaks_units_and_ages(outbreak_store):
    one_age = units_daily(outbreak_store.con, units=["F320102001", "F320102002"], syndrome="hfmd", age_group="0-4",
                          start="2026-11-11", end="2026-11-12")
    assert one_age.tolist() == [1.0, 10.0]
    every_age = units_daily(outbreak_store.con, units=["F320102001"], syndrome="hfmd", start="2026-11-11",
                            end="2026-11-11")
    assert every_age.tolist() == [2.0]


def test_oracle_delays_per_outbreak(outbreak_store):
    truth = pd.DataFrame([
        {"outbreak_id": "OB1", "syndrome": "hfmd", "age_group": "0-4", "units": "F320102001,F320102002",
         "start": "2026-11-12", "end": "2026-11-20"},
        {"outbreak_id": "OB2", "syndrome": "hfmd", "age_group": "0-4", "units": "F320103001",  # nothing unusual
         "start": "2026-11-12", "end": "2026-11-20"},
        {"outbreak_id": "OB3", "syndrome": "hfmd", "age_group": "0-4", "units": "F320103001",  # outside the period
         "start": "2026-09-01", "end": "2026-09-05"},
    ])

    def read(units, syndrome, age_group, first, last):
        return units_daily(outbreak_store.con, units=units, syndrome=syndrome, age_group=age_group,
                           start=first, end=last)

    delays = oracle_delays(truth, read, alpha=0.0055, start="2026-10-01").set_index("outbreak_id")
    assert list(delays.index) == ["OB1", "OB2"]
    # OB1: usual 1 a day, 10 on its first day: P(X >= 10 | 1) = 1.1e-7
    assert delays.loc["OB1", "usual"] == pytest.approx(1.0) and delays.loc["OB1", "first_day"] == 0
    assert delays.loc["OB2", "usual"] == pytest.approx(9.0) and np.isnan(delays.loc["OB2", "first_day"])
