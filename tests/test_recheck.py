"""Days judged on incomplete data are judged again once more of their data arrives, for
``detection.recheck_days`` days, and only then."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from surveillance.config import parse_config
from surveillance.ingest.pipeline import ingest_file
from surveillance.service.detect import days_to_judge
from surveillance.store.alerts import insert_new_signals

from .conftest import write_csv

HEADER = "date,unit,syndrome,age_group,count,total\n"


def _signal(day: date, as_of: date, incomplete: bool) -> dict:
    return {"detector": "switch", "method": "switch", "level": "county", "region": "320102", "syndrome": "fever",
            "age_group": "all", "date": day, "period_days": 1, "as_of": as_of, "measure": "count",
            "observed": 3.0, "expected": 3.0, "upperbound": 8.0, "score": 0.0, "pvalue": 0.5, "status": "ok",
            "severity": "none", "completeness": 0.5 if incomplete else 1.0, "incomplete": incomplete,
            "regions": None, "detail": None}


def _config(tmp_path, recheck_days: int):
    return parse_config({"detection": {"recheck_days": recheck_days}}, tmp_path)


def test_a_day_judged_on_incomplete_data_is_judged_again_when_its_data_fill_in(store, ctx, tmp_path):
    rows = "".join(f"2026-11-{d:02d},F320102001,fever,all,3,30\n" for d in range(1, 21))
    ingest_file(store, write_csv(tmp_path / "a.csv", HEADER + rows), ctx, received_at=datetime(2026, 11, 20, 8))
    with store.transaction() as cur:  # 18 and 19 November judged on incomplete data, 17 on complete data
        insert_new_signals(cur, pd.DataFrame([_signal(date(2026, 11, d), date(2026, 11, 20), d in (18, 19))
                                              for d in (17, 18, 19)]), datetime(2026, 11, 20, 6, 30))
    today = date(2026, 11, 21)
    # nothing new has arrived for those days since they were judged: nothing to judge again
    days, rechecks = days_to_judge(store.con, _config(tmp_path, 3), today)
    assert days == [date(2026, 11, 20)] and rechecks == []

    late = "2026-11-18,F320102002,fever,all,4,40\n2026-11-17,F320102002,fever,all,4,40\n"
    ingest_file(store, write_csv(tmp_path / "late.csv", HEADER + late), ctx, received_at=datetime(2026, 11, 21, 9))
    days, rechecks = days_to_judge(store.con, _config(tmp_path, 3), today)
    assert rechecks == [date(2026, 11, 18)]  # 17 was complete; 19 got nothing new
    assert days_to_judge(store.con, _config(tmp_path, 0), today)[1] == []  # switched off
    assert days_to_judge(store.con, _config(tmp_path, 2), today)[1] == [date(2026, 11, 18)]  # 20 - 2 days
    assert days_to_judge(store.con, _config(tmp_path, 1), today)[1] == []  # 18 November is older than 20 - 1
