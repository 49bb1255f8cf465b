"""Revisions and idempotence: a correction is a new revision, a repeated file changes nothing."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from surveillance.ingest.pipeline import ingest_file
from surveillance.store.counts import read_counts

from ..conftest import write_csv

HEADER = "date,unit,syndrome,age_group,count,total\n"
FIRST = (HEADER
         + "2026-11-01,F320102001,fever,all,12,100\n"
         + "2026-11-01,F320102002,fever,all,5,60\n"
         + "2026-11-01,F320103001,fever,all,7,70\n"
         + "2026-11-01,F320103001,cough,all,1,70\n")  # quarantined, so quarantine is compared too
CORRECTION = HEADER + "2026-11-01,F320102001,fever,all,15,104\n"
DAY_ONE = datetime(2026, 11, 2, 8, 30)
DAY_TWO = datetime(2026, 11, 3, 8, 30)
TABLES = {
    "observations": "SELECT * FROM observations ORDER BY ALL",
    "quarantine": "SELECT * FROM quarantine ORDER BY ALL",
    "ingest_batches": "SELECT * FROM ingest_batches ORDER BY batch_id",
    "feed_state": "SELECT * FROM feed_state ORDER BY ALL",
}


def everything(store) -> dict[str, list[tuple]]:
    return {name: store.con.execute(sql).fetchall() for name, sql in TABLES.items()}


def latest(store, unit: str = "F320102001") -> tuple:
    return store.con.execute(
        "SELECT count, total, revision, received_at FROM observations_latest"
        " WHERE date = DATE '2026-11-01' AND unit = ? AND syndrome = 'fever'", [unit]).fetchone()


def facility_count(store, as_of=None, unit: str = "F320102001"):
    counts = read_counts(store.con, level="facility", syndromes=["fever"], as_of=as_of)
    row = counts[(counts["region"] == unit) & (counts["date"] == "2026-11-01")]
    if row.empty:
        return None
    total = row["total"].item()
    return row["count"].item(), None if pd.isna(total) else total


def test_a_correction_is_a_new_revision_and_the_old_value_stays_readable(store, ctx, tmp_path):
    first = ingest_file(store, write_csv(tmp_path / "day1.csv", FIRST), ctx, received_at=DAY_ONE)
    assert (first.new_rows, first.rejected_rows) == (3, 1)
    fix = ingest_file(store, write_csv(tmp_path / "day1_fix.csv", CORRECTION), ctx, received_at=DAY_TWO)
    assert (fix.status, fix.new_rows, fix.revised_rows, fix.unchanged_rows) == ("loaded", 0, 1, 0)

    assert latest(store) == (15, 104, 2, DAY_TWO)
    assert facility_count(store) == (15, 104)
    assert facility_count(store, as_of=date(2026, 11, 2)) == (12, 100)   # what we knew on day one
    assert facility_count(store, as_of=date(2026, 11, 3)) == (15, 104)
    assert facility_count(store, as_of=date(2026, 11, 1)) is None        # before anything arrived
    # Both revisions are kept; the other units were not touched.
    assert store.con.execute(
        "SELECT revision, count, batch_id FROM observations WHERE unit = 'F320102001' ORDER BY revision"
    ).fetchall() == [(1, 12, first.batch_id), (2, 15, fix.batch_id)]
    assert latest(store, "F320102002")[2] == 1
    # The county sum follows the revision too.
    county = read_counts(store.con, level="county", syndromes=["fever"], as_of=date(2026, 11, 2))
    assert county.set_index("region")["count"].to_dict() == {"320102": 17.0, "320103": 7.0}


def test_a_revision_back_to_the_first_value_is_a_third_revision(store, ctx, tmp_path):
    ingest_file(store, write_csv(tmp_path / "a.csv", FIRST), ctx, received_at=DAY_ONE)
    ingest_file(store, write_csv(tmp_path / "b.csv", CORRECTION), ctx, received_at=DAY_TWO)
    back = ingest_file(store, write_csv(tmp_path / "c.csv", HEADER + "2026-11-01,F320102001,fever,all,12,100\n"),
                       ctx, received_at=datetime(2026, 11, 4, 8))
    assert back.revised_rows == 1
    assert latest(store)[:3] == (12, 100, 3)
    assert facility_count(store, as_of=date(2026, 11, 3)) == (15, 104)


def test_a_change_of_total_alone_is_a_revision(store, ctx, tmp_path):
    ingest_file(store, write_csv(tmp_path / "a.csv", FIRST), ctx, received_at=DAY_ONE)
    outcome = ingest_file(store, write_csv(tmp_path / "b.csv", HEADER + "2026-11-01,F320102001,fever,all,13,100\n"),
                          ctx, received_at=DAY_TWO)
    assert outcome.revised_rows == 1
    assert latest(store)[:3] == (13, 100, 2)


def test_a_total_withdrawn_is_shown_as_unknown_and_not_revised_again(store, ctx, tmp_path):
    """The latest revision's total is NULL: the latest view and as-of reads must not fall back to an older total."""
    ingest_file(store, write_csv(tmp_path / "a.csv", FIRST), ctx, received_at=DAY_ONE)
    withdrawn = HEADER + "2026-11-01,F320102001,fever,all,12,\n"
    outcome = ingest_file(store, write_csv(tmp_path / "b.csv", withdrawn), ctx, received_at=DAY_TWO)
    assert outcome.revised_rows == 1
    assert latest(store)[:3] == (12, None, 2)
    assert facility_count(store, as_of=date(2026, 11, 3)) == (12, None)
    # The same row again, in another file: unchanged, no third revision.
    resent = ingest_file(store, write_csv(tmp_path / "c.csv", withdrawn + "2026-11-02,F320102001,fever,all,1,\n"),
                         ctx, received_at=datetime(2026, 11, 4, 8))
    assert (resent.new_rows, resent.revised_rows, resent.unchanged_rows) == (1, 0, 1)


def test_the_same_file_twice_leaves_the_database_identical(store, ctx, tmp_path):
    path = write_csv(tmp_path / "day1.csv", FIRST)
    ingest_file(store, path, ctx, received_at=DAY_ONE)
    before = everything(store)
    again = ingest_file(store, path, ctx, received_at=DAY_TWO)
    assert again.status == "already_ingested" and again.batch_id is None
    assert (again.new_rows, again.revised_rows, again.rejected_rows) == (0, 0, 0)
    assert everything(store) == before


def test_the_same_content_under_another_name_is_recognised(store, ctx, tmp_path):
    ingest_file(store, write_csv(tmp_path / "day1.csv", FIRST), ctx, received_at=DAY_ONE)
    before = everything(store)
    copy = ingest_file(store, write_csv(tmp_path / "day1 (copy).csv", FIRST), ctx, received_at=DAY_TWO)
    assert copy.status == "already_ingested"
    assert everything(store) == before


def test_an_unchanged_row_in_a_new_file_is_counted_but_not_stored_again(store, ctx, tmp_path):
    ingest_file(store, write_csv(tmp_path / "day1.csv", FIRST), ctx, received_at=DAY_ONE)
    resent = (HEADER
              + "2026-11-01,F320102001,fever,all,12,100\n"   # unchanged
              + "2026-11-01,F320102002,FEVER,all,5,60\n"     # unchanged (syndromes are case-blind)
              + "2026-11-02,F320102001,fever,all,9,95\n")    # new
    outcome = ingest_file(store, write_csv(tmp_path / "day2.csv", resent), ctx, received_at=DAY_TWO)
    assert (outcome.status, outcome.new_rows, outcome.revised_rows, outcome.unchanged_rows) == ("loaded", 1, 0, 2)
    assert outcome.accepted_rows == 3
    assert store.con.execute("SELECT count(*), max(revision) FROM observations").fetchone() == (4, 1)
    # The unchanged row keeps the time it first arrived: as-of day one already knew it.
    assert latest(store)[3] == DAY_ONE
    assert store.con.execute(
        "SELECT new_rows, unchanged_rows FROM ingest_batches WHERE batch_id = ?", [outcome.batch_id]
    ).fetchone() == (1, 2)


def test_a_failed_file_leaves_no_rows_and_a_later_good_copy_loads(store, ctx, tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(FIRST.encode("gb18030").replace(b"\n", b"\n\xff", 1))  # not UTF-8 at line 2
    failed = ingest_file(store, path, ctx, received_at=DAY_ONE)
    assert failed.status == "failed" and "line 2" in failed.message
    assert store.con.execute("SELECT count(*) FROM observations").fetchone() == (0,)
    write_csv(path, FIRST)
    good = ingest_file(store, path, ctx, received_at=DAY_TWO)
    assert (good.status, good.new_rows) == ("partial", 3)
