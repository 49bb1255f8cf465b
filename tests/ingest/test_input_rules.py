"""The input rules that keep counts from being counted twice or on the wrong day: a missing age
group, all ages beside age groups, timestamps and time zones, JSON names in two spellings."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from surveillance.ingest.pipeline import IngestContext, ingest_file

from ..conftest import TODAY, write_csv
from .test_files import latest, quarantine

HEADER = "date,unit,syndrome,age_group,count,total\n"


@pytest.mark.parametrize("missing", ["", "NA", "n/a", "null", " - "])
def test_a_missing_age_group_is_refused_without_a_default(store, ctx, tmp_path, missing):
    path = write_csv(tmp_path / "ages.csv", HEADER + f"2026-11-01,F320102001,fever,{missing},4,40\n"
                                                     "2026-11-01,F320102002,fever,all,5,50\n")
    outcome = ingest_file(store, path, ctx)
    assert (outcome.status, outcome.new_rows, outcome.rejected_rows) == ("partial", 1, 1)
    [(row, field, _, reason)] = quarantine(store)
    assert (row, field) == (2, "age_group") and reason.startswith("age group is missing")
    assert "default_age_group" in reason


def test_the_feeds_default_age_group_fills_a_missing_one(store, tmp_path):
    ctx = IngestContext(today=TODAY, default_age_group="all")
    path = write_csv(tmp_path / "ages.csv", HEADER + "2026-11-01,F320102001,fever,,4,40\n"
                                                     "2026-11-01,F320102002,fever,NA,5,50\n")
    assert ingest_file(store, path, ctx).status == "loaded"
    assert latest(store) == {(date(2026, 11, 1), "F320102001", "fever", "all", 4, 40),
                             (date(2026, 11, 1), "F320102002", "fever", "all", 5, 50)}


def test_a_default_that_fills_in_beside_age_groups_is_still_refused(store, tmp_path):
    """The default cannot make a double count: a blank row beside the unit's age groups is a mix."""
    ctx = IngestContext(today=TODAY, default_age_group="all")
    path = write_csv(tmp_path / "ages.csv", HEADER + "2026-11-01,F320102001,fever,0-4,4,40\n"
                                                     "2026-11-01,F320102001,fever,,9,90\n")
    outcome = ingest_file(store, path, ctx)
    assert (outcome.new_rows, outcome.rejected_rows) == (0, 2)
    assert {reason for *_, reason in quarantine(store)} == {
        "unit F320102001 on 2026-11-01 (fever) is given for all ages and by age group (rows 2, 3); send one or "
        "the other: read together they count the same visits twice"}


def test_rows_that_would_mix_with_stored_rows_are_refused_and_the_stored_ones_stay(store, ctx, tmp_path):
    first = write_csv(tmp_path / "first.csv", HEADER + "2026-11-01,F320102001,fever,0-4,4,40\n"
                                                       "2026-11-01,F320102002,fever,all,5,50\n")
    assert ingest_file(store, first, ctx).status == "loaded"
    later = write_csv(tmp_path / "later.csv", HEADER + "2026-11-01,F320102001,fever,all,9,90\n"  # beside 0-4
                                                       "2026-11-01,F320102002,fever,65+,1,50\n"  # beside all
                                                       "2026-11-02,F320102001,fever,5-14,2,40\n"  # another day
                                                       "2026-11-01,F320102001,ili,all,3,90\n")  # another syndrome
    outcome = ingest_file(store, later, ctx)
    assert (outcome.new_rows, outcome.rejected_rows) == (2, 2)
    reasons = {row: reason for row, field, _, reason in quarantine(store)}
    assert reasons == {
        2: "unit F320102001 on 2026-11-01 (fever) already has visits by age group stored; an all-ages row would "
           "count them twice: send the age groups",
        3: "unit F320102002 on 2026-11-01 (fever) already has an all-ages row stored; rows by age group would "
           "count it twice: send all ages"}
    assert (date(2026, 11, 1), "F320102002", "fever", "all", 5, 50) in latest(store)


def zoned_parquet(path, stamps) -> str:
    pq.write_table(pa.table({
        "date": pa.array(stamps, pa.timestamp("us", tz="UTC")),
        "unit": ["F320102001"] * len(stamps), "syndrome": ["fever", "ili", "ari"][:len(stamps)],
        "count": list(range(1, len(stamps) + 1)),
    }), path)
    return str(path)


def test_zoned_timestamps_are_dates_in_the_services_zone_whatever_the_hosts(store, ctx, tmp_path):
    """16:00 UTC is midnight in Shanghai: the next day there. The database session's zone (the host's)
    is set to one where it would be the same day, and must not matter."""
    store.con.execute("SET GLOBAL TimeZone = 'America/Los_Angeles'")
    path = zoned_parquet(tmp_path / "zoned.parquet", [datetime(2026, 10, 31, 16, tzinfo=timezone.utc)])
    assert ingest_file(store, path, ctx).status == "loaded"
    assert {row[0] for row in latest(store)} == {date(2026, 11, 1)}


def test_the_configured_zone_decides_what_midnight_is(store, tmp_path):
    ctx = IngestContext(today=TODAY, timezone="UTC")
    path = zoned_parquet(tmp_path / "zoned.parquet", [datetime(2026, 10, 31, 16, tzinfo=timezone.utc),
                                                     datetime(2026, 11, 2, tzinfo=timezone.utc)])
    outcome = ingest_file(store, path, ctx)
    assert (outcome.new_rows, outcome.rejected_rows) == (1, 1)
    assert "has a time of day (16:00:00 in UTC)" in quarantine(store)[0][3]
    assert {row[0] for row in latest(store)} == {date(2026, 11, 2)}


def test_timestamps_in_text(store, ctx, tmp_path):
    path = write_csv(tmp_path / "stamps.csv", HEADER +
                     "2026/11/01 00:00,F320102001,fever,all,1,10\n"          # midnight, slashes, no seconds
                     "2026-11-01T00:00:00.000,F320102001,ili,all,2,10\n"     # with a fraction
                     "2026-11-01T16:00:00-08:00,F320102001,ari,all,3,10\n"   # 08:00 in Shanghai
                     "2026-11-01 12:00:00,F320102001,hfmd,all,4,10\n")       # noon: not a date
    outcome = ingest_file(store, path, ctx)
    assert (outcome.new_rows, outcome.rejected_rows) == (2, 2)
    assert [(row, field) for row, field, _, _ in quarantine(store)] == [(4, "date"), (5, "date")]
    assert "(08:00:00 in Asia/Shanghai)" in quarantine(store)[0][3]


def test_json_names_in_two_spellings_across_lines_are_one_column(store, ctx, tmp_path):
    lines = [{"date": "2026-11-01", "unit": "F320102001", "syndrome": "fever", "Count": 3},
             {"date": "2026-11-01", "unit": "F320102002", "syndrome": "fever", "count": 4}]
    (tmp_path / "spellings.jsonl").write_text("\n".join(map(json.dumps, lines)) + "\n", encoding="utf-8")
    assert ingest_file(store, tmp_path / "spellings.jsonl", ctx).new_rows == 2


def test_a_line_separator_inside_a_value_is_not_a_line_end(store, ctx, tmp_path):
    """U+2028 and form feeds are text inside a JSON string or a CSV field, as the file's readers see them."""
    record = {"date": "2026-11-01", "unit": "F320102001", "syndrome": "fever", "count": 3, "note": "a\u2028b\x0cc"}
    (tmp_path / "note.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert ingest_file(store, tmp_path / "note.jsonl", ctx).status == "loaded"
    path = write_csv(tmp_path / "note.csv", "date,unit,syndrome,count,note\n"
                                            '2026-11-02,F320102001,fever,3,"a\u2028b\x0cc"\n'
                                            '2026-11-03,F320102001,fever,"4",x\n')
    outcome = ingest_file(store, path, ctx)
    assert (outcome.status, outcome.new_rows) == ("loaded", 2)
