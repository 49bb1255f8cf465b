"""Data quality: completeness, timeliness and outages, as findings (tables), never exceptions."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from surveillance.config import QualityConfig
from surveillance.quality import check_day, completeness, silent_feeds, silent_units, visits_drops

from .batches import write_rows

UNITS = pd.DataFrame({"unit": ["u1", "u2", "u3", "u4"], "facility": ["u1", "u2", "u3", "u4"],
                      "county": ["A", "A", "A", "B"], "city": "C", "province": "P"})


def reports(days, skip=()):
    rows = [(u, d) for d in pd.date_range("2026-01-01", periods=days) for u in ("u1", "u2", "u3", "u4")
            if (u, d.strftime("%Y-%m-%d")) not in skip and not (u == "u3" and d.day % 2)]
    return pd.DataFrame(rows, columns=["unit", "date"]).assign(visits=100.0)


def test_completeness_counts_the_units_that_usually_report():
    # u3 reports every other day (usual at a 40% share); u2 is missing on the last day
    data = reports(40, skip={("u2", "2026-02-09")})
    out = completeness(data, UNITS, "county", "2026-02-08", "2026-02-09", window_days=28, usual_share=0.4)
    a = out[out["region"] == "A"].set_index("date")
    assert a.loc[pd.Timestamp("2026-02-08"), "units_usual"] == 3
    assert a.loc[pd.Timestamp("2026-02-08"), "completeness"] == 1.0  # u3 reported on the 8th
    assert a.loc[pd.Timestamp("2026-02-09"), "units_reporting"] == 1  # u1 only: u2 silent, u3 off day
    assert abs(a.loc[pd.Timestamp("2026-02-09"), "completeness"] - 1 / 3) < 1e-12
    b = out[out["region"] == "B"]
    assert list(b["completeness"]) == [1.0, 1.0]


def test_outages_a_silent_daily_unit_a_silent_feed_and_a_visits_drop():
    data = reports(40, skip={("u4", "2026-02-08"), ("u4", "2026-02-09")})
    found = silent_units(data, UNITS, "2026-02-09", window_days=28, daily_share=0.9, silent_days=2)
    assert list(found["region"]) == ["u4"] and found.iloc[0]["kind"] == "unit_silent"
    assert "no data for 2 days" in found.iloc[0]["detail"]  # u3 (every other day) is not a daily reporter

    feed_days = pd.DataFrame({"feed": "clinics", "date": pd.date_range("2026-01-01", "2026-02-07")})
    feeds = silent_feeds(feed_days, ["clinics", "new_feed"], "2026-02-10", silent_days=2)
    assert list(feeds["region"]) == ["clinics"] and feeds.iloc[0]["severity"] == "red"
    assert silent_feeds(feed_days, ["clinics"], "2026-02-09", silent_days=2).empty

    visits = pd.DataFrame({"region": "A", "date": pd.date_range("2026-01-01", periods=40), "visits": 1000.0})
    visits.loc[visits.index[-1], "visits"] = 300.0
    drops = visits_drops(visits, visits["date"].iloc[-1], level="county", drop=0.5)
    assert list(drops["region"]) == ["A"] and "300 visits against a usual 1,000" in drops.iloc[0]["detail"]
    assert visits_drops(visits.iloc[:-1], visits["date"].iloc[-2], level="county").empty


def _ingest(store, rows, received):
    frame = pd.DataFrame(rows, columns=["date", "unit", "syndrome", "age_group", "count", "total"])
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    write_rows(store, frame, received, source="test")


def test_check_day_from_the_store_with_timeliness_from_revisions(store):
    days = pd.date_range("2026-01-01", "2026-01-31")
    for d in days:
        rows = [(d, u, "fever", "all", 10, 100) for u in ("F320102001", "F320102002", "F320103001")]
        if d == days[-1]:
            rows = rows[:1] + [(d, "F320103001", "fever", "all", 4, 100)]  # F320102002 silent, partial count
        _ingest(store, rows, datetime.combine((d + pd.Timedelta(days=1)).date(), datetime.min.time()))
    # the partial count is corrected two days later: timeliness 4/10
    _ingest(store, [(days[-1], "F320103001", "fever", "all", 10, 100)],
            datetime.combine((days[-1] + pd.Timedelta(days=3)).date(), datetime.min.time()))
    out = check_day(store.cursor(), QualityConfig(), days[-1], as_of=(days[-1] + pd.Timedelta(days=3)).date())
    comp = out["completeness"].set_index("region")
    assert comp.loc["320102", "completeness"] == 0.5 and comp.loc["320103", "completeness"] == 1.0
    assert abs(comp.loc["320103", "timeliness"] - 0.4) < 1e-12 and comp.loc["320102", "timeliness"] == 1.0
    assert out["findings"].empty  # one day silent is not yet an outage (silent_days=2)


def test_silent_units_are_an_alert_only_when_they_carry_enough_of_their_county():
    from surveillance.quality import material_silences

    # county A: u1 and u2 bring 100 visits a day each, u3 every other day (50 a day on average);
    # u2 falls silent: 100 of 250 usual visits, 40% of A. A clinic of 5% would not be an alert.
    data = reports(40, skip={("u2", "2026-02-08"), ("u2", "2026-02-09")})
    found = silent_units(data, UNITS, "2026-02-09", window_days=28, daily_share=0.9, silent_days=2)
    kept = material_silences(found, data, UNITS, "2026-02-09", window_days=28, min_share=0.1)
    assert list(kept["region"]) == ["u2"] and "usually bring 40% of its visits" in kept.iloc[0]["detail"]
    assert material_silences(found, data, UNITS, "2026-02-09", window_days=28, min_share=0.5).empty
    others = pd.DataFrame([{"kind": "visits_drop", "level": "county", "region": "A", "date": "2026-02-09",
                            "severity": "red", "detail": "", "value": 1.0, "usual": 2.0}])
    both = material_silences(pd.concat([found, others]), data, UNITS, "2026-02-09", window_days=28, min_share=0.5)
    assert list(both["kind"]) == ["visits_drop"]  # other findings pass as they are


def test_no_visits_drop_on_a_public_holiday(store):
    # National Day (1 October 2026): every clinic quiet; the day before an ordinary Wednesday
    days = pd.date_range("2026-09-01", "2026-10-01")
    for d in days:
        count = 2 if d == days[-1] else 10
        _ingest(store, [(d, u, "fever", "all", count, 10 * count) for u in ("F320102001", "F320102002")],
                datetime.combine((d + pd.Timedelta(days=1)).date(), datetime.min.time()))
    as_of = (days[-1] + pd.Timedelta(days=1)).date()
    holiday = check_day(store.cursor(), QualityConfig(), days[-1], as_of=as_of)["findings"]
    assert "visits_drop" not in set(holiday["kind"])
    every_day = check_day(store.cursor(), QualityConfig(holiday_country=None), days[-1], as_of=as_of)["findings"]
    assert "visits_drop" in set(every_day["kind"])
