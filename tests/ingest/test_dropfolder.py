"""Drop folders: each file is ingested once and moved to archive/ or failed/."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest

from surveillance.config import parse_config
from surveillance.ingest.dropfolder import pending_files, process_folder
from surveillance.ingest.pipeline import IngestContext
from surveillance.ingest.runner import pull_all, summarise

from ..conftest import TODAY, write_csv

CORPUS = Path(__file__).resolve().parent.parent / "data" / "bad"
HEADER = "date,unit,syndrome,count,total\n"
GOOD = HEADER + "2026-11-01,F320102001,fever,12,100\n2026-11-01,F320102002,fever,5,60\n"
PARTIAL = HEADER + "2026-11-02,F320102001,fever,9,90\n2026-11-02,F320102002,fever,-1,60\n"
CHINESE = ("日期,机构编码,症状,就诊人数,总就诊人数\n"
           "2026-11-01,F320103001,发热,7,70\n"
           "2026-11-02,F320103001,发热,8,71\n")
CHINESE_FEED = {
    "name": "his", "kind": "folder", "path": "his_drop", "encoding": "gb18030",
    "columns": {"日期": "date", "机构编码": "unit", "症状": "syndrome", "就诊人数": "count", "总就诊人数": "total"},
    "syndrome_values": {"发热": "fever"},
}


def config_for(tmp_path, *feeds):
    return parse_config({"feeds": copy.deepcopy(list(feeds))}, base_dir=tmp_path)


@pytest.fixture
def clinics(tmp_path):
    config = config_for(tmp_path, {"name": "clinics", "kind": "folder", "path": "drop"})
    feed = config.feed("clinics")
    feed.path.mkdir()
    return config, feed, IngestContext.for_feed(feed, config, TODAY)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def everything(store) -> dict:
    return {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("observations", "quarantine", "ingest_batches")}


def test_config_paths_are_relative_to_the_config(clinics, tmp_path):
    _, feed, ctx = clinics
    assert feed.path == tmp_path / "drop"
    assert ctx.feed == "clinics"


def test_parsing_a_config_leaves_the_given_settings_alone(tmp_path):
    raw = {"feeds": [{"name": "his", "kind": "folder", "path": "his_drop"}]}
    kept = copy.deepcopy(raw)
    first = parse_config(raw, base_dir=tmp_path / "one")
    assert raw == kept
    second = parse_config(raw, base_dir=tmp_path / "two")
    assert (first.feeds[0].path, second.feeds[0].path) == (tmp_path / "one" / "his_drop", tmp_path / "two" / "his_drop")


def test_files_are_ingested_and_moved(store, clinics):
    _, feed, ctx = clinics
    write_csv(feed.path / "a_good.csv", GOOD)
    write_csv(feed.path / "b_partial.csv", PARTIAL)
    (feed.path / "c_broken.parquet").write_bytes((CORPUS / "truncated.parquet").read_bytes())
    (feed.path / "notes.xlsx").write_bytes(b"PK\x03\x04")  # not one of the feed's patterns
    (feed.path / ".hidden.csv").write_text(GOOD)            # hidden files are never picked up

    outcomes = process_folder(store, feed, ctx)
    assert [(Path(o.source).name, o.status) for o in outcomes] == [
        ("a_good.csv", "loaded"), ("b_partial.csv", "partial"), ("c_broken.parquet", "failed")]
    assert names(feed.path / "archive") == ["a_good.csv", "b_partial.csv"]
    assert names(feed.path / "failed") == ["c_broken.parquet"]
    assert names(feed.path) == [".hidden.csv", "notes.xlsx"]
    assert "not a readable Parquet file" in outcomes[2].message
    assert store.con.execute("SELECT count(*) FROM observations").fetchone() == (3,)
    assert store.con.execute("SELECT row_number, field, feed FROM quarantine").fetchall() == [(3, "count", "clinics")]
    # The ledger names the file where it was found.
    assert store.con.execute("SELECT source FROM ingest_batches ORDER BY batch_id").fetchall() == [
        (str(feed.path / "a_good.csv"),), (str(feed.path / "b_partial.csv"),), (str(feed.path / "c_broken.parquet"),)]
    # Nothing left to do: a second pass changes nothing.
    before = everything(store)
    assert process_folder(store, feed, ctx) == []
    assert everything(store) == before


def test_the_same_file_dropped_again_is_skipped_by_checksum(store, clinics):
    _, feed, ctx = clinics
    write_csv(feed.path / "day1.csv", GOOD)
    [first] = process_folder(store, feed, ctx)
    before = everything(store)

    write_csv(feed.path / "day1.csv", GOOD)
    [again] = process_folder(store, feed, ctx)
    assert again.status == "already_ingested"
    assert everything(store) == before
    # The re-delivered copy is archived beside the first, not over it.
    archived = names(feed.path / "archive")
    assert len(archived) == 2 and "day1.csv" in archived
    assert all((feed.path / "archive" / n).read_text() == GOOD for n in archived)
    assert names(feed.path) == []
    assert first.status == "loaded"


def test_a_file_of_the_same_name_with_new_content_is_ingested(store, clinics):
    _, feed, ctx = clinics
    write_csv(feed.path / "daily.csv", GOOD)
    process_folder(store, feed, ctx)
    write_csv(feed.path / "daily.csv", HEADER + "2026-11-01,F320102001,fever,13,100\n2026-11-03,F320102001,fever,4,50\n")
    [outcome] = process_folder(store, feed, ctx)
    assert (outcome.status, outcome.new_rows, outcome.revised_rows) == ("loaded", 1, 1)
    assert store.con.execute("SELECT count FROM observations_latest WHERE unit = 'F320102001'"
                             " AND date = DATE '2026-11-01'").fetchone() == (13,)
    assert len(names(feed.path / "archive")) == 2


def test_a_failed_file_is_moved_and_its_fixed_version_loads(store, clinics):
    _, feed, ctx = clinics
    (feed.path / "day1.csv").write_bytes(GOOD.encode("utf-16"))
    [failed] = process_folder(store, feed, ctx)
    assert failed.status == "failed"
    assert names(feed.path / "failed") == ["day1.csv"]
    write_csv(feed.path / "day1.csv", GOOD)
    [loaded] = process_folder(store, feed, ctx)
    assert (loaded.status, loaded.new_rows) == ("loaded", 2)
    assert names(feed.path / "archive") == ["day1.csv"]


def test_own_archive_and_failed_folders(store, tmp_path):
    config = config_for(tmp_path, {"name": "clinics", "kind": "folder", "path": "in",
                                   "archive_dir": "done", "failed_dir": "bad", "patterns": ["*.txt"]})
    feed = config.feed("clinics")
    feed.path.mkdir()
    write_csv(feed.path / "ok.txt", GOOD)
    write_csv(feed.path / "empty.txt", "")
    write_csv(feed.path / "ignored.csv", GOOD)
    process_folder(store, feed, IngestContext.for_feed(feed, config, TODAY))
    assert names(tmp_path / "done") == ["ok.txt"]
    assert names(tmp_path / "bad") == ["empty.txt"]
    assert names(feed.path) == ["ignored.csv"]


def test_pending_files_oldest_name_first_and_not_in_subfolders(tmp_path):
    (tmp_path / "archive").mkdir()
    for name in ("b.csv", "a.parquet", "c.jsonl", "archive/old.csv", "readme.md"):
        (tmp_path / name).write_text("x")
    found = pending_files(tmp_path, ["*.csv", "*.parquet", "*.jsonl"])
    assert [p.name for p in found] == ["a.parquet", "b.csv", "c.jsonl"]
    assert pending_files(tmp_path / "missing", ["*.csv"]) == []


def test_gb18030_folder_feed(store, tmp_path):
    config = config_for(tmp_path, CHINESE_FEED)
    feed = config.feed("his")
    feed.path.mkdir()
    (feed.path / "his_20261102.csv").write_bytes(CHINESE.encode("gb18030"))
    [outcome] = process_folder(store, feed, IngestContext.for_feed(feed, config, TODAY))
    assert (outcome.status, outcome.new_rows) == ("loaded", 2)
    assert store.con.execute("SELECT date, unit, syndrome, count, total, source FROM observations_latest"
                             " ORDER BY date").fetchall() == [
        (date(2026, 11, 1), "F320103001", "fever", 7, 70, "his"),
        (date(2026, 11, 2), "F320103001", "fever", 8, 71, "his")]


def test_pull_all_over_two_feeds(store, tmp_path):
    config = config_for(
        tmp_path,
        {"name": "clinics", "kind": "folder", "path": "drop"},
        CHINESE_FEED,
        {"name": "paused", "kind": "folder", "path": "paused", "enabled": False},
    )
    for feed in config.feeds:
        feed.path.mkdir()
    write_csv(tmp_path / "drop" / "a.csv", GOOD)
    write_csv(tmp_path / "drop" / "b.csv", PARTIAL)
    (tmp_path / "his_drop" / "his.csv").write_bytes(CHINESE.encode("gb18030"))
    (tmp_path / "his_drop" / "his_utf8.csv").write_bytes(CHINESE.encode("utf-8"))  # wrong encoding for this feed
    write_csv(tmp_path / "paused" / "a.csv", GOOD)
    seen = []

    outcomes = pull_all(store, config, TODAY, progress=lambda label, o: seen.append((Path(label).name, o.status)))
    assert set(outcomes) == {"clinics", "his"}
    assert seen == [("a.csv", "loaded"), ("b.csv", "partial"), ("his.csv", "loaded"), ("his_utf8.csv", "failed")]
    summary = summarise(outcomes)
    assert summary["clinics"] == {"batches": 2, "failed": 0, "new_rows": 3, "revised_rows": 0,
                                  "rejected_rows": 1, "errors": []}
    assert summary["his"]["new_rows"] == 2 and summary["his"]["failed"] == 1
    assert "his_utf8.csv: not valid GB18030 text" in summary["his"]["errors"][0]
    assert names(tmp_path / "paused") == ["a.csv"]  # a disabled feed is not pulled
    assert dict(store.con.execute("SELECT source, count(*) FROM observations GROUP BY ALL").fetchall()) == {
        "clinics": 3, "his": 2}

    # Running the pull again finds nothing new and changes nothing.
    before = everything(store)
    assert pull_all(store, config, TODAY) == {"clinics": [], "his": []}
    assert everything(store) == before


def test_a_feed_judges_future_dates_by_the_day_it_is_given(store, clinics):
    _, feed, _ = clinics
    write_csv(feed.path / "early.csv", GOOD)
    config = config_for(feed.path.parent, {"name": "clinics", "kind": "folder", "path": "drop"})
    [outcome] = process_folder(store, feed, IngestContext.for_feed(feed, config, date(2026, 10, 31)))
    assert outcome.rejected_rows == 2
    assert "in the future (today is 2026-10-31)" in outcome.first_reasons[0]
