"""The bad-input corpus: every file gets its expected error, and every valid row in it loads.

``tests/data/bad/expected.csv`` lists each file with its outcome (``rejected_whole``,
``partial`` or ``loaded``), how many rows must load and be quarantined, and the row
number, field and a distinctive part of the reason of its first quarantined row (or of
the message for a file refused whole). Valid rows are checked independently of the
library: the test reads each file itself and expects exactly the rows that were not
quarantined to be in ``observations_latest``.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from surveillance.ingest.pipeline import ingest_file

from .test_ingest_words import english_left

CORPUS = Path(__file__).resolve().parent.parent / "data" / "bad"
NOT_INPUTS = {"expected.csv", "make_binary_inputs.py", "README.md"}
SERVICE_ZONE = ZoneInfo("Asia/Shanghai")  # the default schedule.timezone, which the corpus is judged in
FIELDS = {"row", "date", "unit", "syndrome", "age_group", "count", "total", "region"}


def load_expected() -> list[dict]:
    with open(CORPUS / "expected.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["valid_rows"] = int(row["valid_rows"])
        row["rejected_rows"] = int(row["rejected_rows"])
        row["row"] = int(row["row"]) if row["row"] else None
    return rows


EXPECTED = load_expected()


def test_corpus_is_complete_and_described():
    names = [e["file"] for e in EXPECTED]
    assert len(names) == len(set(names)), "a file is listed twice in expected.csv"
    on_disk = {p.name for p in CORPUS.iterdir() if p.is_file() and p.name not in NOT_INPUTS}
    assert on_disk == set(names), "every corpus file needs one line in expected.csv"
    assert len(names) >= 24
    assert {e["outcome"] for e in EXPECTED} <= {"rejected_whole", "partial", "loaded"}
    for e in EXPECTED:
        assert e["message"] or e["outcome"] == "loaded", e["file"]
        if e["outcome"] == "partial":
            assert e["row"] and e["field"] in FIELDS and e["rejected_rows"] > 0 and e["valid_rows"] > 0, e["file"]
        if e["outcome"] == "rejected_whole":
            assert e["valid_rows"] == 0 and e["rejected_rows"] == 0, e["file"]


# --- reading the files independently of the library -------------------------------------


def _is_blank(fields: list[str]) -> bool:
    return all(not f.strip() for f in fields)


def source_rows(path: Path) -> list[tuple[int, dict]]:
    """(line or record number, row) of every row the file holds, blank lines left out.

    CSV is split into physical lines first, so a stray quote cannot swallow the lines
    after it; lines with the wrong number of fields are left out (they must be quarantined).
    """
    if path.suffix == ".parquet":
        return list(enumerate(pq.read_table(path).to_pylist(), start=1))
    text = path.read_bytes().decode("utf-8-sig")
    rows = []
    if path.suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                rows.append((number, record))
        return rows
    lines = text.splitlines()
    header = [h.strip() for h in next(csv.reader(lines[:1]))]
    for number, line in enumerate(lines[1:], start=2):
        fields = next(csv.reader([line]), [])
        if _is_blank(fields) or len(fields) != len(header):
            continue
        rows.append((number, dict(zip(header, fields))))
    return rows


def _text(value) -> str | None:
    if value is None:
        return None
    text = (value.decode("utf-8") if isinstance(value, bytes) else str(value)).strip()
    return text or None


def _day(raw_date) -> date:
    """The day a loaded row's date stands for: timestamps are midnights in the service's zone."""
    if isinstance(raw_date, datetime):
        local = raw_date.astimezone(SERVICE_ZONE) if raw_date.tzinfo else raw_date
        assert local.time() == time(0), f"a row with a time of day was loaded: {raw_date!r}"
        return local.date()
    if isinstance(raw_date, date):
        return raw_date
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"):
        try:
            return datetime.strptime(str(raw_date).strip(), fmt).date()
        except ValueError:
            continue
    try:
        return _day(datetime.fromisoformat(str(raw_date).strip()))
    except ValueError:
        raise AssertionError(f"the test cannot read date {raw_date!r} of a row that was loaded") from None


def canonical(row: dict) -> tuple:
    """A source row as the store must hold it: (date, unit, syndrome, age_group, count, total)."""
    row = {key.strip().lower(): value for key, value in row.items()}  # JSON keys in any case
    day = _day(row["date"])
    total = _text(row.get("total"))
    return (
        day,
        _text(row["unit"]),
        _text(row["syndrome"]).lower(),
        _text(row.get("age_group")) or "all",
        int(float(row["count"])),
        None if total is None else int(float(total)),
    )


def table(store, sql: str) -> list[tuple]:
    return store.con.execute(sql).fetchall()


# --- the corpus ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", EXPECTED, ids=[e["file"] for e in EXPECTED])
def test_bad_input(store, ctx, case):
    path = CORPUS / case["file"]
    outcome = ingest_file(store, path, ctx)

    batches = table(store, "SELECT batch_id, feed, source, status, rows_read, new_rows, rejected_rows, message"
                           " FROM ingest_batches")
    assert len(batches) == 1, "one ledger entry per file"
    batch_id, feed, source, status, _, new_rows, rejected_rows, message = batches[0]
    assert batch_id == outcome.batch_id and feed == ctx.feed and source.endswith(case["file"])

    if case["outcome"] == "rejected_whole":
        assert outcome.status == "failed", outcome
        assert status == "failed" and (new_rows, rejected_rows) == (0, 0)
        # One clear line, naming the file and the cause.
        assert case["message"] in outcome.message, outcome.message
        assert outcome.message.startswith(case["file"] + ":"), outcome.message
        assert "\n" not in outcome.message and "Traceback" not in outcome.message and len(outcome.message) <= 400
        assert message == outcome.message
        assert not english_left(message), message  # the Data quality page says it in Chinese
        # Nothing half-written.
        assert table(store, "SELECT count(*) FROM observations") == [(0,)]
        assert table(store, "SELECT count(*) FROM quarantine") == [(0,)]
        return

    assert outcome.status == case["outcome"], (outcome.status, outcome.first_reasons)
    assert (outcome.new_rows, outcome.rejected_rows) == (case["valid_rows"], case["rejected_rows"]), \
        outcome.first_reasons
    assert (new_rows, rejected_rows) == (case["valid_rows"], case["rejected_rows"])

    quarantined = table(store, "SELECT batch_id, feed, source, row_number, field, reason FROM quarantine"
                               " ORDER BY row_number")
    assert len(quarantined) == case["rejected_rows"]
    for *_, reason in quarantined:
        assert not english_left(reason), reason  # the Data quality page says it in Chinese
    for q_batch, q_feed, q_source, q_row, q_field, q_reason in quarantined:
        assert (q_batch, q_feed) == (outcome.batch_id, ctx.feed)
        assert Path(q_source).name == case["file"]
        assert q_row is not None and q_field in FIELDS
        assert q_reason and "\n" not in q_reason, f"reason of row {q_row} is not one line: {q_reason!r}"
        assert len(q_reason) <= 400, f"reason of row {q_row} is {len(q_reason)} characters long"
    assert len({q[3] for q in quarantined}) == len(quarantined), "one quarantine entry per rejected row"
    if case["rejected_rows"]:
        _, _, _, first_row, first_field, first_reason = quarantined[0]
        assert (first_row, first_field) == (case["row"], case["field"]), first_reason
        assert case["message"] in first_reason
        assert outcome.first_reasons[0] == f"row {case['row']}: {first_reason}"

    # Every row the file holds that was not quarantined is in the store, with its values.
    rejected = {q[3] for q in quarantined}
    expected_rows = {canonical(row) for number, row in source_rows(path) if number not in rejected}
    stored = set(table(store, "SELECT date, unit, syndrome, age_group, count, total FROM observations_latest"))
    assert stored == expected_rows
    assert len(stored) == case["valid_rows"]


def test_identical_duplicates_are_collapsed_and_loaded_once(store, ctx):
    outcome = ingest_file(store, CORPUS / "identical_duplicates.csv", ctx)
    assert (outcome.status, outcome.rows_read, outcome.new_rows, outcome.collapsed_rows) == ("loaded", 3, 2, 1)
    assert table(store, "SELECT collapsed_rows FROM ingest_batches") == [(1,)]
    assert table(store, "SELECT count(*), max(revision) FROM observations"
                        " WHERE unit = 'F320102001' AND date = DATE '2026-11-01'") == [(1, 1)]


def test_conflicting_duplicates_are_both_refused(store, ctx):
    ingest_file(store, CORPUS / "conflicting_duplicates.csv", ctx)
    rows = table(store, "SELECT row_number, value FROM quarantine ORDER BY row_number")
    assert rows == [(3, "5"), (5, "6")]
    assert table(store, "SELECT count(*) FROM observations WHERE unit = 'F320102002'") == [(0,)]


def test_quarantine_keeps_the_row_as_received(store, ctx):
    ingest_file(store, CORPUS / "unknown_syndrome.csv", ctx)
    value, raw = table(store, "SELECT value, raw FROM quarantine")[0]
    assert value == "cough"
    # Values keep the type they were read as (counts read as numbers when the whole column is numeric).
    received = {k: str(v) for k, v in json.loads(raw).items()}
    assert received == {"date": "2026-11-01", "unit": "F320102001", "syndrome": "cough",
                               "age_group": "all", "count": "5", "total": "100"}
