"""The `surveillance ingest-file` and `status` commands, run as a real process against a real database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from surveillance.ingest.pipeline import ingest_file

from .conftest import write_csv

CORPUS = Path(__file__).resolve().parent / "data" / "bad"
GOOD = ("date,unit,syndrome,age_group,count,total\n"
        "2026-11-01,F320102001,fever,all,12,100\n"
        "2026-11-01,F320102002,fever,all,5,60\n"
        "2026-11-01,F320103001,fever,all,7,70\n")
CONFIG = """
[[feeds]]
name = "his"
kind = "folder"
path = "his_drop"
encoding = "gb18030"
columns = { "日期" = "date", "机构编码" = "unit", "症状" = "syndrome", "就诊人数" = "count" }
syndrome_values = { "发热" = "fever" }
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jobs.cli", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture
def db(store, tmp_path) -> Path:
    """A database with the test hierarchy, closed so that the command can open it."""
    store.close()
    return store.path


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_all_rows_accepted_exits_0(db, tmp_path):
    path = write_csv(tmp_path / "good.csv", GOOD + "2026-11-01,F320102002,fever,all,5,60\n")  # a repeated line
    result = run("ingest-file", path, "--db", db, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    assert result.stdout.splitlines() == [
        "good.csv: 4 rows read; 3 accepted (3 new, 0 revised, 0 unchanged), 1 collapsed duplicates, 0 rejected"]
    assert rows(db, "SELECT count(*) FROM observations_latest") == [(3,)]

    again = run("ingest-file", path, "--db", db, cwd=tmp_path)
    assert again.returncode == 0
    assert again.stdout.splitlines() == ["good.csv: already ingested (same checksum); nothing changed"]
    assert rows(db, "SELECT count(*) FROM ingest_batches") == [(1,)]


def test_some_rows_quarantined_exits_3_with_the_first_reasons(db, tmp_path):
    text = (CORPUS / "conflicting_duplicates.csv").read_text(encoding="utf-8")
    text += "".join(f"2026-10-{d:02d},F320102001,cough,all,1,10\n" for d in range(1, 21))
    path = write_csv(tmp_path / "mixed.csv", text)
    result = run("ingest-file", path, "--db", db, cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    no_traceback(result)
    lines = result.stdout.splitlines()
    assert lines[0] == ("mixed.csv: 24 rows read; 2 accepted (2 new, 0 revised, 0 unchanged), "
                        "0 collapsed duplicates, 22 rejected")
    assert lines[1].strip().startswith("row 3: conflicting duplicates: rows 3, 5")
    assert lines[2].strip().startswith("row 5: conflicting duplicates")
    assert lines[3].strip().startswith("row 6: unknown syndrome 'cough'")
    assert lines[-1].strip() == "... 17 more in quarantine"
    assert len(lines) == 7
    assert rows(db, "SELECT count(*) FROM quarantine") == [(22,)]


def test_file_rejected_whole_exits_2(db, tmp_path):
    result = run("ingest-file", CORPUS / "gb18030_read_as_utf8.csv", "--db", db, cwd=tmp_path)
    assert result.returncode == 2
    no_traceback(result)
    [line] = result.stdout.splitlines()
    assert line.startswith("gb18030_read_as_utf8.csv: rejected whole:")
    assert 'encoding = "gb18030"' in line
    assert rows(db, "SELECT status FROM ingest_batches") == [("failed",)]
    assert rows(db, "SELECT count(*) FROM observations") == [(0,)]


def test_feed_from_the_config_beside_the_database(db, tmp_path):
    (tmp_path / "surveillance.toml").write_text(CONFIG, encoding="utf-8")
    path = tmp_path / "his.csv"
    path.write_bytes("日期,机构编码,症状,就诊人数\n2026-11-01,F320103001,发热,7\n".encode("gb18030"))
    result = run("ingest-file", path, "--db", db, "--feed", "his", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 accepted" in result.stdout
    assert rows(db, "SELECT unit, syndrome, count, source FROM observations") == [("F320103001", "fever", 7, "his")]


def test_unknown_feed_is_one_clear_line(db, tmp_path):
    (tmp_path / "surveillance.toml").write_text(CONFIG, encoding="utf-8")
    path = write_csv(tmp_path / "good.csv", GOOD)
    result = run("ingest-file", path, "--db", db, "--feed", "hospitl", cwd=tmp_path)
    assert result.returncode == 1
    no_traceback(result)
    assert result.stderr.strip().splitlines() == ["error: unknown feed 'hospitl'; configured feeds: his"]
    assert rows(db, "SELECT count(*) FROM ingest_batches") == [(0,)]


def test_database_held_by_another_process(db, tmp_path):
    path = write_csv(tmp_path / "good.csv", GOOD)
    holder = duckdb.connect(str(db))  # this test process holds the file for writing
    try:
        for args in (("ingest-file", path, "--db", db), ("status", "--db", db)):
            result = run(*args, cwd=tmp_path)
            assert result.returncode == 1, result.stdout
            no_traceback(result)
            [line] = result.stderr.strip().splitlines()
            assert line.startswith(f"error: {db}: the database is held by another process")
        assert holder.execute("SELECT count(*) FROM observations").fetchone() == (0,)
    finally:
        holder.close()


def test_status_json(store, ctx, tmp_path):
    ingest_file(store, write_csv(tmp_path / "good.csv", GOOD), ctx)
    ingest_file(store, CORPUS / "negative_count.csv", ctx)   # repeats two rows unchanged, one rejected
    ingest_file(store, CORPUS / "empty.csv", ctx)
    store.close()
    result = run("status", "--db", store.path, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert {"units", "date_range", "rows", "last_batches", "quarantine"} <= set(info)
    assert info["units"] == 3
    assert info["date_range"] == {"first": "2026-11-01", "last": "2026-11-01"}
    assert info["rows"] == {"latest": 3, "revisions": 3}
    assert [(b["status"], Path(b["source"]).name) for b in info["last_batches"]] == [
        ("failed", "empty.csv"), ("partial", "negative_count.csv"), ("loaded", "good.csv")]
    assert info["last_batches"][0]["message"] == "empty.csv: file is empty"
    assert info["quarantine"]["rows"] == 1
    assert info["quarantine"]["top_fields"] == {"count": 1}

    text = run("status", "--db", store.path, cwd=tmp_path)
    assert text.returncode == 0
    assert "quarantine: 1 rows" in text.stdout
