"""The demo, one cycle, and the service process: real files, a real DuckDB file, real HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from dashboards.server import create_server
from jobs.scheduler import create_scheduler
from surveillance.config import load_config
from surveillance.store.reference import load_configured_reference
from surveillance.service.cycle import run_cycle
from surveillance.synthetic.demo import build_demo
from surveillance.store import open_store

END = date(2026, 11, 20)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "surveillance.duckdb"
    summary = build_demo(db, days=60, end=END, geography_options={"n_facilities": 30})
    from .test_detection import use_detectors

    use_detectors(folder)  # registered detectors only
    return db, summary


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_builds_a_database_a_drop_folder_and_a_config(demo):
    db, summary = demo
    folder = db.parent
    assert summary["units"] == 30 and summary["counties"] == 10
    assert summary["last"] == date(2026, 11, 19)  # END's counts arrive with the delivery still waiting
    for name in ("surveillance.toml", "regions.csv", "units.csv", "boundaries.geojson", "outbreaks.csv"):
        assert (folder / name).exists(), name
    waiting = sorted(p.name for p in (folder / "drop").glob("*.csv"))
    assert len(waiting) == 1  # the newest delivery waits for the service's first cycle
    assert len(list((folder / "drop" / "archive").glob("*.csv"))) == 59  # 60 deliveries, one waiting
    config = load_config(folder / "surveillance.toml")
    assert config.database.path == db and config.feed("clinics").path == folder / "drop"
    with open_store(db, read_only=True) as store:
        revised = store.con.execute("SELECT count(*) FROM observations WHERE revision > 1").fetchone()[0]
        assert revised > 0  # late corrections arrived as revisions
        assert store.con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0


def test_the_demo_refuses_to_overwrite(demo):
    from surveillance.errors import SurveillanceError

    with pytest.raises(SurveillanceError, match="already exists"):
        build_demo(demo[0], days=30)


def test_a_cycle_ingests_waiting_files_and_refreshes_the_snapshot(demo, tmp_path):
    db, _ = demo
    config = load_config(db.parent / "surveillance.toml")
    with open_store(db) as store:
        load_configured_reference(store, config)
        result = run_cycle(store, config, today=date(2026, 11, 22), notify=False)
        again = run_cycle(store, config, today=date(2026, 11, 22), notify=False)
        runs = store.con.execute("SELECT job, status FROM job_runs ORDER BY run_id").fetchall()
    assert result["ingest"]["feeds"]["clinics"]["batches"] == 1
    assert again["ingest"]["feeds"]["clinics"]["batches"] == 0
    assert result["detect"]["days"] and not again["detect"]["days"]
    assert runs[-6:] == [("ingest", "ok"), ("detect", "ok"), ("snapshot", "ok")] * 2
    assert not list((db.parent / "drop").glob("*.csv"))
    with open_store(config.database.snapshot_path, read_only=True) as snapshot:
        assert snapshot.con.execute("SELECT max(date) FROM observations").fetchone()[0] >= END


def _sign_in(base: str, name: str, password: str):
    """An opener holding the cookies of a session signed in through the login form."""
    import http.cookiejar
    import re
    from urllib.parse import urlencode

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = opener.open(f"{base}/login", timeout=10).read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    body = urlencode({"name": name, "password": password, "csrf": csrf, "next": "/"}).encode()
    assert opener.open(f"{base}/login", data=body, timeout=10).status == 200  # followed to the status page
    return opener


def test_status_page_and_json_api(demo):
    from surveillance.credentials import create_token
    from surveillance.users import add_user

    db, _ = demo
    config = load_config(db.parent / "surveillance.toml")
    with open_store(db) as store:
        add_user(store, "ops", "the ops password", role="admin")
        _, secret = create_token(store, "ops", label="monitoring")
        server = make_server("127.0.0.1", 0, create_server(store, config, announce=lambda message: None),
                             threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"

        def api(path: str) -> dict:
            request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {secret}"})
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())

        try:
            status, body = _get(f"{base}/api/health")  # anyone: up, and the last good batch
            assert status == 200 and set(json.loads(body)) == {"status", "last_good_ingest"}
            with pytest.raises(urllib.error.HTTPError) as anonymous:
                _get(f"{base}/api/feeds")
            assert anonymous.value.code == 401
            health = api("/api/health")
            assert health["status"] == "ok" and health["schema_version"] >= 10 and health["database"] == str(db)
            feeds = api("/api/feeds")["feeds"]
            assert feeds[0]["name"] == "clinics" and feeds[0]["batches"] >= 60
            counts = api("/api/counts?days=7&syndrome=fever")["counts"]
            assert len(counts) == 7 and all(c["syndrome"] == "fever" and c["count"] > 0 for c in counts)
            last = api("/api/ingest/last?limit=3")["batches"]
            assert len(last) == 3 and last[0]["status"] in ("loaded", "partial")
            page = _sign_in(base, "ops", "the ops password").open(f"{base}/", timeout=10).read().decode()
            assert "Fever visits per day" in page and 'id="status-feeds"' in page and "<polyline" in page
        finally:
            server.shutdown()


def test_scheduler_has_the_ingest_and_daily_jobs(demo):
    db, _ = demo
    config = load_config(db.parent / "surveillance.toml")
    with open_store(db) as store:
        scheduler = create_scheduler(store, config)
        jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"ingest", "daily", "deliver", "report"}  # the demo's duty officer reads the weekly report
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())
    assert "interval[0:05:00]" in str(jobs["deliver"].trigger)
    assert "interval[1:00:00]" in str(jobs["ingest"].trigger)
    assert "hour='6', minute='30'" in str(jobs["daily"].trigger)
    assert "day_of_week='mon', hour='7', minute='30'" in str(jobs["report"].trigger)


def test_the_scheduler_runs_its_jobs_and_records_them(demo, tmp_path):
    import shutil
    from datetime import datetime, timedelta

    folder = tmp_path / "copy"
    shutil.copytree(demo[0].parent, folder)
    config = load_config(folder / "surveillance.toml")
    with open_store(config.database.path) as store:
        load_configured_reference(store, config)
        base = store.cursor().execute("SELECT coalesce(max(run_id), 0) FROM job_runs").fetchall()[0][0]
        scheduler = create_scheduler(store, config)
        scheduler.start()
        try:
            soon = datetime.now(scheduler.timezone) + timedelta(seconds=0.2)
            scheduler.get_job("ingest").modify(next_run_time=soon)
            scheduler.get_job("daily").modify(next_run_time=soon + timedelta(seconds=0.1))
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                jobs = [r[0] for r in store.cursor().execute(
                    "SELECT job FROM job_runs WHERE status <> 'running' AND run_id > ? ORDER BY run_id",
                    [base]).fetchall()]
                if "notify" in jobs:
                    break
                time.sleep(0.3)
        finally:
            scheduler.shutdown(wait=True)
        runs = store.cursor().execute("SELECT job, status, started_at, finished_at FROM job_runs WHERE run_id > ?"
                                      " ORDER BY run_id", [base]).fetchall()
    names = [r[0] for r in runs]
    assert {"ingest", "detect", "notify", "snapshot"} <= set(names)
    assert all(r[1] == "ok" and r[3] is not None and r[3] >= r[2] for r in runs)
    # the two cycle jobs never overlap: each run starts after the previous one finished
    assert all(b[2] >= a[3] for a, b in zip(runs, runs[1:]))


def test_serve_owns_the_database_and_other_writers_are_told_plainly(demo):
    db, _ = demo
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    service = subprocess.Popen(
        [sys.executable, "-m", "jobs.cli", "serve", "--config", str(db.parent / "surveillance.toml"),
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert _get(f"http://127.0.0.1:{port}/api/health")[0] == 200
                break
            except OSError:
                if time.monotonic() > deadline or service.poll() is not None:
                    raise AssertionError(f"service did not start: {service.stdout.read() if service.poll() is not None else ''}")
                time.sleep(0.3)
        writer = subprocess.run(
            [sys.executable, "-m", "jobs.cli", "ingest-file", str(db.parent / "regions.csv"), "--db", str(db)],
            capture_output=True, text=True, timeout=60,
        )
        assert writer.returncode == 1
        assert "held by another process" in writer.stderr and "Traceback" not in writer.stderr
    finally:
        service.terminate()  # SIGTERM: a clean shutdown
        service.wait(timeout=30)
    output = service.stdout.read()
    assert service.returncode == 0, output
    assert "Scheduler has been shut down" in output and "jobs.service: stopped" in output
