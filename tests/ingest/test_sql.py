"""The SQL reader, against real SQLite files."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pyarrow as pa
import pytest

from surveillance.config import SqlFeed
from surveillance.errors import FeedError
from surveillance.ingest.sql import mask_url, pull_sql

QUERY = """
    SELECT v.visit_date AS day, f.code AS facility, v.syndrome, v.visits, v.all_visits, v.updated_at
    FROM daily_visits v JOIN facilities f ON f.id = v.facility_id;
"""


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "his.db"
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE facilities (id INTEGER PRIMARY KEY, code TEXT);
        INSERT INTO facilities VALUES (1, 'F320102001'), (2, 'F320102002');
        CREATE TABLE daily_visits (
            facility_id INTEGER, visit_date TEXT, syndrome TEXT,
            visits INTEGER, all_visits INTEGER, updated_at TEXT
        );
        """
    )
    con.commit()
    con.close()
    return path


def add(path, rows) -> None:
    con = sqlite3.connect(path)
    con.executemany("INSERT INTO daily_visits VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()


def feed(path, **kw) -> SqlFeed:
    kw.setdefault("query", QUERY)
    kw.setdefault("incremental_column", "updated_at")
    return SqlFeed(kind="sql", name="his", url=f"sqlite:///{path}", **kw)


def day_rows(day: str, updated: str, facility_id: int = 1) -> list[tuple]:
    return [
        (facility_id, day, "发热", 12, 240, updated),
        (facility_id, day, "ILI", 4, 240, updated),
    ]


def concat(batches) -> pd.DataFrame:
    return pd.concat([b.frame for b in batches], ignore_index=True)


def roundtrip(state: dict) -> dict:
    """The state as the store keeps it (JSON)."""
    return json.loads(json.dumps(state))


def test_first_pull_takes_everything(db):
    add(db, day_rows("2024-03-01", "2024-03-02 08:00:00") + day_rows("2024-03-01", "2024-03-02 07:00:00", 2))
    batches = list(pull_sql(feed(db), {}))
    assert len(batches) == 1
    frame = batches[0].frame
    assert list(frame.columns) == ["day", "facility", "syndrome", "visits", "all_visits", "updated_at"]
    assert len(frame) == 4
    assert set(frame["syndrome"]) == {"发热", "ILI"}
    assert frame["updated_at"].is_monotonic_increasing
    assert batches[0].state == {"column": "updated_at", "since": "2024-03-02 08:00:00", "type": "text"}
    assert batches[0].row_numbers == [1, 2, 3, 4]
    assert batches[0].label.startswith(f"sql:his sqlite:///{db} rows 1-4")
    assert len(batches[0].checksum) == 64


def test_incremental_pull_gets_only_new_rows(db):
    add(db, day_rows("2024-03-01", "2024-03-02 08:00:00"))
    state = roundtrip(list(pull_sql(feed(db), {}))[-1].state)

    add(db, day_rows("2024-03-02", "2024-03-03 08:00:00") + [(2, "2024-03-01", "ILI", 5, 100, "2024-03-03 09:00:00")])
    batches = list(pull_sql(feed(db), state))
    frame = concat(batches)
    assert len(frame) == 3
    assert (frame["updated_at"] > "2024-03-02 08:00:00").all()
    assert batches[-1].state["since"] == "2024-03-03 09:00:00"
    assert "since=2024-03-02 08:00:00" in batches[-1].label


def test_no_new_rows_no_batches(db):
    add(db, day_rows("2024-03-01", "2024-03-02 08:00:00"))
    state = roundtrip(list(pull_sql(feed(db), {}))[-1].state)
    assert list(pull_sql(feed(db), state)) == []


def test_empty_source_no_batches(db):
    assert list(pull_sql(feed(db), {})) == []
    assert list(pull_sql(feed(db, incremental_column=None), {})) == []


def test_integer_column_keeps_its_type(db):
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE TABLE log (seq INTEGER, unit TEXT, n INTEGER);"
        "INSERT INTO log VALUES (9, 'A', 1), (10, 'B', 2), (11, 'C', 3);"
    )
    con.commit()
    con.close()
    f = feed(db, query="SELECT * FROM log", incremental_column="seq")
    state = roundtrip(list(pull_sql(f, {"column": "seq", "since": 9, "type": "int"}))[-1].state)
    # Bound as an integer: compared as text, 10 and 11 would sort before 9.
    assert state == {"column": "seq", "since": 11, "type": "int"}


def test_large_result_in_chunks_never_splits_a_tie(db):
    rows = []
    for i in range(10):
        rows += [(1, f"2024-03-{i + 1:02d}", s, i, 100, f"2024-04-01 00:00:{i:02d}") for s in ("a", "b", "c")]
    add(db, rows)
    batches = list(pull_sql(feed(db), {}, chunksize=4))
    assert len(batches) > 3
    assert sum(len(b.frame) for b in batches) == 30
    seen = pd.concat([b.frame for b in batches])
    assert not seen.duplicated().any()
    assert sorted(n for b in batches for n in b.row_numbers) == list(range(1, 31))
    for batch in batches:
        # Every row carrying the saved mark is in this batch or an earlier one.
        assert batch.state["since"] == batch.frame["updated_at"].max()
        assert (batch.frame["updated_at"] == batch.state["since"]).sum() == 3

    # An interrupted pull resumes from any batch's state without losing or repeating rows.
    third = roundtrip(batches[2].state)
    rest = concat(list(pull_sql(feed(db), third, chunksize=4)))
    before = pd.concat([b.frame for b in batches[:3]])
    assert len(before) + len(rest) == 30


def test_mixed_types_in_a_column_become_text(db):
    add(db, [(1, "2024-03-01", "fever", 12, 240, "2024-03-02"), (1, "2024-03-02", "fever", "n/a", 240, "2024-03-03")])
    frame = concat(list(pull_sql(feed(db), {})))
    assert frame["visits"].tolist() == ["12", "n/a"]
    pa.Table.from_pandas(frame, preserve_index=False)


def test_not_incremental_takes_everything_each_time(db):
    add(db, day_rows("2024-03-01", "2024-03-02 08:00:00"))
    f = feed(db, incremental_column=None)
    for _ in range(2):
        batches = list(pull_sql(f, {}))
        assert len(concat(batches)) == 2
        assert batches[-1].state == {}


def test_state_for_another_column_is_ignored(db):
    add(db, day_rows("2024-03-01", "2024-03-02 08:00:00"))
    state = {"column": "row_id", "since": 999, "type": "int"}
    assert len(concat(list(pull_sql(feed(db), state)))) == 2


def test_url_from_environment(db, monkeypatch):
    add(db, day_rows("2024-03-01", "2024-03-02 08:00:00"))
    monkeypatch.setenv("HIS_DB_URL", f"sqlite:///{db}")
    f = SqlFeed(kind="sql", name="his", url_env="HIS_DB_URL", query=QUERY)
    assert len(concat(list(pull_sql(f, {})))) == 2

    monkeypatch.delenv("HIS_DB_URL")
    with pytest.raises(FeedError, match=r"feed his: environment variable HIS_DB_URL \(url_env\) is not set"):
        list(pull_sql(f, {}))


def test_bad_query(db):
    with pytest.raises(FeedError) as info:
        list(pull_sql(feed(db, query="SELECT * FROM daily_vists"), {}))
    message = str(info.value)
    assert message.startswith(f"feed his: sqlite:///{db}: query failed: OperationalError: no such table: daily_vists")
    assert "\n" not in message


def test_incremental_column_not_in_result(db):
    with pytest.raises(FeedError, match=r"incremental_column 'modified' must be a column of the query's result.*no such column"):
        list(pull_sql(feed(db, incremental_column="modified"), {}))


def test_unreachable_database(tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "his.db"
    with pytest.raises(FeedError, match=r"feed his: sqlite:///.*his\.db: cannot connect: OperationalError: unable to open database file"):
        list(pull_sql(feed(missing), {}))
    assert not missing.parent.exists()


def test_missing_file_is_not_created(tmp_path):
    missing = tmp_path / "hsi.db"  # a typo
    with pytest.raises(FeedError, match="unable to open database file"):
        list(pull_sql(feed(missing), {}))
    assert not missing.exists()


def test_password_is_never_shown(monkeypatch):
    monkeypatch.setenv("HIS_DB_URL", "postgresql+psycopg2://surveil:hunter2@127.0.0.1:1/his")
    f = SqlFeed(kind="sql", name="his", url_env="HIS_DB_URL", query="SELECT 1")
    with pytest.raises(FeedError) as info:
        list(pull_sql(f, {}))
    message = str(info.value)
    assert "hunter2" not in message
    assert message.startswith("feed his: postgresql+psycopg2://surveil:***@127.0.0.1:1/his: ")


def test_null_marks_are_taken_once_and_never_move_the_state(db):
    add(db, day_rows("2024-03-01", None) + day_rows("2024-03-02", "2024-03-03 08:00:00"))
    batches = list(pull_sql(feed(db), {}, chunksize=2))
    assert len(concat(batches)) == 4
    assert batches[-1].state["since"] == "2024-03-03 08:00:00"
    assert list(pull_sql(feed(db), roundtrip(batches[-1].state))) == []


def test_bad_url():
    f = SqlFeed(kind="sql", name="his", url="nosuchdb://x/y", query="SELECT 1")
    with pytest.raises(FeedError, match=r"feed his: nosuchdb://x/y: cannot use this database URL"):
        list(pull_sql(f, {}))


def test_mask_url():
    assert mask_url("mysql+pymysql://u:p%40ss@db.example/his") == "mysql+pymysql://u:***@db.example/his"
    assert mask_url("sqlite:///his.db") == "sqlite:///his.db"
