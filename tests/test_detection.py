"""The detect job and `surveillance run-once` on a small demo: alerts, emails, idempotence,
backfill, and a real kill in the middle of a cycle."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from datetime import date
from pathlib import Path

import pytest
import tomli_w

from surveillance.config import load_config
from surveillance.store.reference import load_configured_reference
from surveillance.service.cycle import run_cycle
from surveillance.synthetic.demo import build_demo
from surveillance.errors import ConfigError
from surveillance.store import open_store

from .notify.smtp import SmtpServer

END = date(2026, 11, 20)
TODAY = date(2026, 11, 21)
# Registered detectors only (the tests do not depend on the ESSENCE ones).
DETECTORS = [
    {"name": "ears_c2", "levels": ["county"]},
    {"name": "ears_c3", "levels": ["county"], "percent": True},
    {"name": "farrington_flexible", "levels": ["city"], "freq": "weekly"},
]


def use_detectors(folder: Path, detectors=DETECTORS) -> Path:
    path = folder / "surveillance.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    raw["detection"]["detectors"] = detectors
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "demo"
    build_demo(folder / "surveillance.duckdb", days=60, end=END, geography_options={"n_facilities": 30})
    use_detectors(folder)
    return folder


def copy_demo(demo_folder: Path, target: Path) -> Path:
    shutil.copytree(demo_folder, target)
    return target / "surveillance.toml"


def cli(*args, env=None, timeout=180):
    return subprocess.run([sys.executable, "-m", "jobs.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def smtp_env(server) -> dict:
    return {"SURVEILLANCE_SMTP_HOST": "127.0.0.1", "SURVEILLANCE_SMTP_PORT": str(server.port)}


def tables(db: Path) -> dict:
    with open_store(db, read_only=True) as store:
        con = store.con
        return {
            "observations": con.execute("SELECT count(*) FROM observations").fetchall()[0][0],
            "batches": con.execute("SELECT count(*) FROM ingest_batches").fetchall()[0][0],
            "signals": con.execute("SELECT count(*) FROM signals").fetchall()[0][0],
            "episodes": con.execute("SELECT kind, region, syndrome, opened_on, severity FROM alert_episodes"
                                    " ORDER BY ALL").fetchall(),
            "outbox": con.execute("SELECT dedupe_key, status FROM outbox ORDER BY dedupe_key").fetchall(),
        }


@pytest.mark.slow
def test_demo_then_run_once_delivers_alert_emails(demo_folder, tmp_path, smtp):
    config = copy_demo(demo_folder, tmp_path / "d")
    out = cli("run-once", "--config", str(config), "--today", str(TODAY), env=smtp_env(smtp))
    assert out.returncode == 0, out.stderr
    assert "detect: judged 7 day(s)" in out.stdout and "notify:" in out.stdout
    assert "0 failed" in out.stdout.splitlines()[-1]
    state = tables(config.parent / "surveillance.duckdb")
    assert state["episodes"] and any(kind == "outbreak" for kind, *_ in state["episodes"])
    team = smtp.inbox.to("epi-team@example.org")
    assert team, "the demo's first run-once emails the epidemiology team"
    assert all(m["Subject"].startswith(("[RED]", "[YELLOW]")) for m in team)
    assert "http://127.0.0.1:8050/alerts/" in team[0].get_body(("plain",)).get_content()
    assert len(smtp.inbox.messages) == len(state["outbox"]) and {s for _, s in state["outbox"]} == {"sent"}

    # the same day again changes nothing and sends nothing
    again = cli("run-once", "--config", str(config), "--today", str(TODAY), env=smtp_env(smtp))
    assert again.returncode == 0, again.stderr
    assert "judged 0 day(s)" in again.stdout and "0 queued; 0 sent" in again.stdout
    assert tables(config.parent / "surveillance.duckdb") == state
    assert len(smtp.inbox.messages) == len(state["outbox"])

    # the alerts command lists them; the workflow command moves one
    listed = cli("alerts", "--config", str(config))
    assert listed.returncode == 0 and "alert(s)" in listed.stdout
    first = int(listed.stdout.split()[0])
    moved = cli("alert", str(first), "--config", str(config), "--to", "verifying", "--user", "li.wei",
                "--note", "called the county")
    assert moved.returncode == 0 and "new -> verifying by li.wei" in moved.stdout
    bad = cli("alert", str(first), "--config", str(config), "--to", "new", "--user", "li.wei")
    assert bad.returncode == 1 and "cannot move to 'new'" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_backfill_rejudges_history_with_the_data_as_known_then(demo_folder, tmp_path):
    config_path = copy_demo(demo_folder, tmp_path / "d")
    out = cli("detect", "--config", str(config_path), "--since", "2026-11-01", "--today", str(TODAY))
    assert out.returncode == 0, out.stderr
    assert "judged 19 day(s)" in out.stdout
    with open_store(config_path.parent / "surveillance.duckdb", read_only=True) as store:
        con = store.con
        as_of = con.execute("SELECT DISTINCT date, as_of FROM signals WHERE detector = 'ears_c2' ORDER BY 1").fetchall()
        assert all((a - d).days == 1 for d, a in as_of)  # each day judged the morning after
        assert con.execute("SELECT count(*) FROM alert_episodes WHERE opened_on < '2026-11-10'").fetchall()[0][0] > 0
        assert con.execute("SELECT count(*) FROM alert_events WHERE notify AND day < '2026-11-19'").fetchall()[0][0] == 0
        assert con.execute("SELECT count(*) FROM data_quality").fetchall()[0][0] >= 19 * 10
        # partial first deliveries show as incomplete on some days
        assert con.execute("SELECT count(*) FROM signals WHERE incomplete").fetchall()[0][0] > 0
        weekly = con.execute("SELECT DISTINCT date FROM signals WHERE detector = 'farrington_flexible'").fetchall()
        assert all(d.weekday() == 6 for (d,) in weekly)  # weeks are judged on Sundays
        opened = con.execute("SELECT count(*) FROM alert_episodes WHERE kind <> 'data_quality'"
                             " AND opened_on >= '2026-11-01'").fetchall()[0][0]
    # the workload the teams would have answered, against the demo's true outbreaks
    report = cli("alert-workload", "--config", str(config_path), "--since", "2026-11-01",
                 "--outbreaks", str(config_path.parent / "outbreaks.csv"), "--json")
    assert report.returncode == 0, report.stderr
    figures = json.loads(report.stdout)
    assert figures["alerts"] == opened and figures["outbreaks"] >= 1
    assert 0 <= figures["matched"] <= 1 and figures["alerts_per_county_week"] == pytest.approx(
        opened / (10 * figures["weeks"]))


def test_detect_without_today_uses_the_service_clock(demo_folder, tmp_path):
    """`surveillance cycle` and `detect` as a newcomer types them: no --today (the clock's day)."""
    config_path = copy_demo(demo_folder, tmp_path / "d")
    use_detectors(config_path.parent, [{"name": "ears_c2"}])
    out = cli("detect", "--config", str(config_path))
    assert out.returncode == 0, out.stderr
    assert "detect:" in out.stdout and "Traceback" not in out.stderr


def test_unknown_detector_names_fail_with_the_valid_names(demo_folder, tmp_path):
    config_path = copy_demo(demo_folder, tmp_path / "d")
    use_detectors(config_path.parent, [{"name": "ears_c9"}])
    out = cli("run-once", "--config", str(config_path), "--today", str(TODAY))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "detection.detectors[0] (ears_c9): unknown detector 'ears_c9'; valid detectors: " in out.stderr
    assert "ears_c2" in out.stderr and "spacetime_poisson" in out.stderr
    with pytest.raises(ConfigError, match="valid detectors"):
        load_config(config_path)


@pytest.mark.slow
def test_killing_the_process_mid_cycle_then_restarting_does_the_work_exactly_once(demo_folder, tmp_path, smtp):
    clean = copy_demo(demo_folder, tmp_path / "clean")
    assert cli("run-once", "--config", str(clean), "--today", str(TODAY), env=smtp_env(smtp)).returncode == 0
    expected = tables(clean.parent / "surveillance.duckdb")
    sent_clean = len(smtp.inbox.messages)

    killed = copy_demo(demo_folder, tmp_path / "killed")
    for delay in (0.0, 1.5):  # during ingest, then (usually) during detection
        proc = subprocess.Popen([sys.executable, "-m", "jobs.cli", "run-once", "--config", str(killed),
                                 "--today", str(TODAY)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env={**os.environ, **smtp_env(smtp)})
        line = proc.stdout.readline()
        while line and not line.startswith("ingest:") and not line.startswith("visits_"):
            line = proc.stdout.readline()
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    done = cli("run-once", "--config", str(killed), "--today", str(TODAY), env=smtp_env(smtp))
    assert done.returncode == 0, done.stdout + done.stderr
    assert tables(killed.parent / "surveillance.duckdb") == expected
    assert len(smtp.inbox.messages) - sent_clean == sent_clean  # every message once
    with open_store(killed.parent / "surveillance.duckdb", read_only=True) as store:
        runs = store.con.execute("SELECT status, message FROM job_runs WHERE status <> 'ok'").fetchall()
    assert runs and all(m.startswith("interrupted") for _, m in runs)


def test_run_cycle_in_process_records_every_job(demo_folder, tmp_path, smtp, monkeypatch):
    monkeypatch.setenv("SURVEILLANCE_SMTP_PORT", str(smtp.port))
    config_path = copy_demo(demo_folder, tmp_path / "d")
    config = load_config(config_path)
    with open_store(config.database.path) as store:
        load_configured_reference(store, config)
        result = run_cycle(store, config, TODAY)
        jobs = store.con.execute("SELECT job, status FROM job_runs ORDER BY run_id").fetchall()
    assert jobs == [("ingest", "ok"), ("detect", "ok"), ("notify", "ok"), ("snapshot", "ok")]
    assert result["detect"]["episodes_opened"] > 0 and result["notify"]["delivery"]["sent"] > 0
    with open_store(config.database.snapshot_path, read_only=True) as snapshot:
        assert snapshot.con.execute("SELECT count(*) FROM alert_episodes").fetchall()[0][0] > 0
