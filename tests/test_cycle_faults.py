"""Faults never stop the service: a file nobody foresaw goes to failed/ with its reason and the files
behind it load; a job that fails is recorded as a failed run while the other jobs of the cycle run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from jobs.scheduler import Jobs
from surveillance.cli import app
from surveillance.config import parse_config
from surveillance.ingest import pipeline
from surveillance.ingest.runner import pull_all
from surveillance.service.cycle import CycleFailed, run_cycle
from surveillance.store import open_store
from surveillance.store.reference import load_reference

from .conftest import TODAY, small_regions, small_units
from .notify.smtp import free_port

CORPUS = Path(__file__).resolve().parent / "data" / "bad"
HEADER = "date,unit,syndrome,count,total\n"


def files_and_config(tmp_path, feeds=("clinics",)) -> tuple:
    raw = {
        "database": {"path": "surveillance.duckdb", "snapshot_path": "surveillance.snapshot.duckdb"},
        "feeds": [{"name": name, "kind": "folder", "path": name} for name in feeds],
        "smtp": {"host": "127.0.0.1", "port": free_port(), "security": "none"},  # nobody listens
    }
    config = parse_config(raw, base_dir=tmp_path)
    for feed in config.feeds:
        feed.path.mkdir()
    (tmp_path / "surveillance.toml").write_text(
        "[database]\npath = 'surveillance.duckdb'\nsnapshot_path = 'surveillance.snapshot.duckdb'\n"
        + "".join(f"[[feeds]]\nname = '{n}'\nkind = 'folder'\npath = '{n}'\n" for n in feeds), encoding="utf-8")
    with open_store(config.database.path) as store:
        load_reference(store, small_regions(), small_units(),
                       pd.DataFrame({"region": ["320102"], "neighbour": ["320103"]}))
    return config


def drop(folder: Path, name: str, day: int, unit: str = "F320102001") -> None:
    (folder / name).write_text(HEADER + f"2026-11-{day:02d},{unit},fever,{day},100\n", encoding="utf-8")


@pytest.fixture
def crashing_reader(monkeypatch):
    """A reader that fails on files named *crash* the way a bug nobody foresaw would."""
    real = pipeline.read_file

    def read_file(path, **options):
        if "crash" in Path(path).name:
            raise RuntimeError("the reader tripped over this file")
        return real(path, **options)

    monkeypatch.setattr(pipeline, "read_file", read_file)


def runs(store) -> list[tuple]:
    return store.con.execute("SELECT job, status, message FROM job_runs ORDER BY run_id").fetchall()


def test_a_file_nobody_foresaw_goes_to_failed_and_the_files_behind_it_load(tmp_path, crashing_reader):
    config = files_and_config(tmp_path)
    folder = config.feed("clinics").path
    drop(folder, "a.csv", 1)
    drop(folder, "b_crash.csv", 2)
    (folder / "c_cr_only.csv").write_bytes((CORPUS / "cr_only_line_ends.csv").read_bytes())  # the file
    drop(folder, "d.csv", 3)
    with open_store(config.database.path) as store:
        result = run_cycle(store, config, TODAY)
        assert [(job, status) for job, status, _ in runs(store)] == [
            ("ingest", "ok"), ("detect", "ok"), ("notify", "ok"), ("snapshot", "ok")]
        assert runs(store)[0][2] == "feed(s) with failed batches: clinics"
        batches = store.con.execute("SELECT source, status, message FROM ingest_batches ORDER BY batch_id").fetchall()
        days = store.con.execute("SELECT DISTINCT date FROM observations ORDER BY 1").fetchall()
    assert [(Path(source).name, status) for source, status, _ in batches] == [
        ("a.csv", "loaded"), ("b_crash.csv", "failed"), ("c_cr_only.csv", "partial"), ("d.csv", "loaded")]
    assert batches[1][2] == "b_crash.csv: could not be ingested (RuntimeError: the reader tripped over this file)"
    assert sorted(p.name for p in (folder / "failed").iterdir()) == ["b_crash.csv"]
    assert sorted(p.name for p in (folder / "archive").iterdir()) == ["a.csv", "c_cr_only.csv", "d.csv"]
    assert [d.day for (d,) in days] == [1, 2, 3]  # a.csv, the CR-only file's days, d.csv
    assert result["ingest"]["feeds"]["clinics"]["failed"] == 1
    assert config.database.snapshot_path.exists()


def test_a_failing_ingest_job_still_lets_detect_notify_and_the_snapshot_run(tmp_path, monkeypatch):
    config = files_and_config(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("ingest broke")

    monkeypatch.setattr("surveillance.service.cycle.pull_all", broken)
    with open_store(config.database.path) as store:
        with pytest.raises(CycleFailed, match=r"^ingest failed: RuntimeError: ingest broke$"):
            run_cycle(store, config, TODAY)
        assert [(j, s) for j, s, _ in runs(store)] == [
            ("ingest", "failed"), ("detect", "ok"), ("notify", "ok"), ("snapshot", "ok")]
        assert runs(store)[0][2] == "ingest broke"


def test_a_failing_detect_job_still_lets_notify_and_the_snapshot_run(tmp_path, monkeypatch):
    config = files_and_config(tmp_path)
    drop(config.feed("clinics").path, "a.csv", 1)

    def broken(*args, **kwargs):
        raise KeyError("panel")

    monkeypatch.setattr("surveillance.service.detect.run_detection", broken)
    with open_store(config.database.path) as store:
        with pytest.raises(CycleFailed, match=r"^detect failed: KeyError: 'panel'$"):
            run_cycle(store, config, TODAY)
        assert [(j, s) for j, s, _ in runs(store)] == [
            ("ingest", "ok"), ("detect", "failed"), ("notify", "ok"), ("snapshot", "ok")]
        assert store.con.execute("SELECT count(*) FROM observations").fetchone()[0] == 1


def test_one_feed_that_fails_does_not_keep_the_others_from_being_pulled(tmp_path, monkeypatch):
    config = files_and_config(tmp_path, feeds=("first", "second"))
    drop(config.feed("first").path, "a.csv", 1)
    drop(config.feed("second").path, "b.csv", 2)
    from surveillance.ingest import runner

    real = runner.process_folder

    def process_folder(store, feed, ctx, **kwargs):
        if feed.name == "first":
            raise OSError("the share is gone")
        return real(store, feed, ctx, **kwargs)

    monkeypatch.setattr(runner, "process_folder", process_folder)
    with open_store(config.database.path) as store:
        outcomes = pull_all(store, config, TODAY)
    assert [(o.status, o.message) for o in outcomes["first"]] == [
        ("failed", "feed first: the pull failed (OSError: the share is gone)")]
    assert [o.status for o in outcomes["second"]] == ["loaded"]


def test_the_services_ingest_job_refreshes_the_snapshot_even_when_ingest_fails(tmp_path, monkeypatch):
    config = files_and_config(tmp_path)
    monkeypatch.setattr("jobs.scheduler.ingest_job", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("no")))
    with open_store(config.database.path) as store:
        Jobs(store, config).ingest()  # logged and recorded; the scheduler would retry it
        assert [(j, s) for j, s, _ in runs(store)] == [("snapshot", "ok")]
    assert config.database.snapshot_path.exists()


def test_run_once_with_a_bad_file_in_the_drop_folder_exits_cleanly(tmp_path, crashing_reader):
    config = files_and_config(tmp_path)
    folder = config.feed("clinics").path
    drop(folder, "a_crash.csv", 1)
    drop(folder, "b.csv", 2)
    result = CliRunner().invoke(app, ["run-once", "--config", str(tmp_path / "surveillance.toml"),
                                      "--today", TODAY.isoformat()])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert "a_crash.csv: rejected whole: a_crash.csv: could not be ingested (RuntimeError" in result.output
    assert "b.csv: 1 rows read; 1 accepted" in result.output and "detect: " in result.output
    assert [p.name for p in (folder / "failed").iterdir()] == ["a_crash.csv"]
    with open_store(config.database.path, read_only=True) as store:
        details = json.loads(store.con.execute("SELECT details FROM job_runs WHERE job = 'ingest'").fetchone()[0])
    assert details["feeds"]["clinics"]["failed"] == 1 and details["feeds"]["clinics"]["new_rows"] == 1


def test_a_page_nobody_foresaw_is_a_failed_batch_and_the_pull_resumes_there_next_time(tmp_path, monkeypatch):
    from surveillance.ingest import http, runner
    from surveillance.ingest.batch import RawBatch

    config = parse_config({"feeds": [{"name": "platform", "kind": "http", "url": "http://127.0.0.1:9/visits"}]},
                          base_dir=tmp_path)
    pages = [RawBatch(label=f"http://127.0.0.1:9/visits cursor=c{i}", checksum=f"page{i}", state={"cursor": f"c{i}"},
                      frame=pd.DataFrame({"date": ["2026-11-01"], "unit": ["F320102001"], "syndrome": [s],
                                          "count": [i]})) for i, s in ((1, "fever"), (2, "ili"))]
    monkeypatch.setattr(http, "pull_http", lambda feed, state: iter(pages))
    real = runner.ingest_batch

    def ingest_batch(store, raw, ctx, **kwargs):
        if raw.checksum == "page2":
            raise ValueError("unexpected shape")
        return real(store, raw, ctx, **kwargs)

    monkeypatch.setattr(runner, "ingest_batch", ingest_batch)
    with open_store(tmp_path / "s.duckdb") as store:
        load_reference(store, small_regions(), small_units(), None)
        outcomes = pull_all(store, config, TODAY)["platform"]
        state = store.con.execute("SELECT state FROM feed_state").fetchone()[0]
    assert [(o.status, o.message) for o in outcomes] == [
        ("loaded", None),
        ("failed", "http://127.0.0.1:9/visits cursor=c2: could not be ingested (ValueError: unexpected shape)")]
    assert json.loads(state) == {"cursor": "c1"}  # the next pull starts at the page that failed
