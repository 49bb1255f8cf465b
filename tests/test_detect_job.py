"""The detect job on a small demo with every registered detector, with one that fails, and
with the Poisson scan and its same-weekday baseline."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from surveillance.config import load_config
from surveillance.detectors import available, get, registry
from surveillance.service.cycle import detect_job, run_cycle
from surveillance.service.detect import DetectorsFailed
from surveillance.store import open_store
from surveillance.store.reference import load_configured_reference
from surveillance.synthetic.demo import build_demo

from .test_detection import copy_demo, smtp, use_detectors  # noqa: F401  (smtp: the fixture)

END = date(2026, 11, 20)
TODAY = date(2026, 11, 21)
SUNDAY = date(2026, 11, 15)  # weekly detectors judge Sundays


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "demo"
    build_demo(folder / "surveillance.duckdb", days=60, end=END, geography_options={"n_facilities": 30})
    return folder


def _configure(demo_folder, target, detectors):
    path = copy_demo(demo_folder, target)
    use_detectors(path.parent, detectors)
    config = load_config(path)
    store = open_store(config.database.path)
    load_configured_reference(store, config)
    return config, store


def _spec(name: str) -> dict:
    """Where each detector is meant to run: scans on county fever, weekly ones on cities."""
    detector = get(name)
    if detector.kind == "spatial":
        return {"name": name, "syndromes": ["fever"], "params": {"n_reps": 99}}
    if detector.frequency == "weekly":
        return {"name": name, "levels": ["city"], "freq": "weekly"}
    return {"name": name, "levels": ["county"], "syndromes": ["fever", "ili"]}


@pytest.mark.parametrize("name", available())
def test_every_registered_detector_runs_through_the_detect_job(demo_folder, tmp_path, name):
    config, store = _configure(demo_folder, tmp_path / "d", [_spec(name)])
    with store:
        summary = detect_job(store, config, TODAY, since=SUNDAY, until=SUNDAY)
        runs = store.con.execute("SELECT job, status FROM job_runs").fetchall()
        stored = store.con.execute("SELECT count(*), count(DISTINCT date) FROM signals WHERE detector = ?",
                                   [name]).fetchone()
    assert summary["days"] == [str(SUNDAY)] and not summary["failed"]
    assert runs == [("detect", "ok")]
    assert stored[0] > 0 and stored[1] == 1


def _raising(panel, params):
    raise ValueError("the model blew up")


def test_a_failing_detector_is_a_failed_step_and_the_others_still_alert(demo_folder, tmp_path, smtp,  # noqa: F811
                                                                         monkeypatch):
    ears = get("ears_c2")
    broken = replace(ears, name="broken", schema=replace(ears.schema, detector="broken"), run=_raising)
    monkeypatch.setitem(registry._REGISTRY, "broken", broken)
    monkeypatch.setenv("SURVEILLANCE_SMTP_PORT", str(smtp.port))
    detectors = [{"name": "broken", "levels": ["county"]}, {"name": "ears_c2", "levels": ["county"]}]
    config, store = _configure(demo_folder, tmp_path / "d", detectors)
    # every signal the working detector raises counts here, not only those within the alarm budget
    config = config.model_copy(update={"detection": config.detection.model_copy(update={
        "budget": config.detection.budget.model_copy(update={"noise_alerts_per_quarter": 0})})})
    with store:
        with pytest.raises(DetectorsFailed, match=r"^detector broken failed on 2026-11-\d\d: ValueError: the model"):
            run_cycle(store, config, TODAY)
        runs = store.con.execute("SELECT job, status, message, details FROM job_runs ORDER BY run_id").fetchall()
        signals = store.con.execute("SELECT detector, count(*) FROM signals GROUP BY ALL ORDER BY 1").fetchall()
        episodes = store.con.execute("SELECT count(*) FROM alert_episodes WHERE kind = 'outbreak'").fetchone()[0]
    assert [(job, status) for job, status, *_ in runs] == [("ingest", "ok"), ("detect", "failed"), ("notify", "ok"),
                                                           ("snapshot", "ok")]
    message, details = runs[1][2], json.loads(runs[1][3])
    assert message.startswith("detector broken failed on ") and "ValueError: the model blew up" in message
    assert "(and 6 more failure(s))" in message  # one per judged day
    assert {f["detector"] for f in details["failed"]} == {"broken"} and len(details["days"]) == 7
    assert dict(signals)["ears_c2"] > 0 and "broken" not in dict(signals)
    assert episodes > 0 and smtp.inbox.messages  # the other detector's alerts were emailed


def test_the_poisson_scan_raises_cluster_alerts_against_its_weekday_baseline(demo_folder, tmp_path):
    detectors = [{"name": "spacetime_poisson", "syndromes": ["fever"], "params": {"n_reps": 199}}]
    config, store = _configure(demo_folder, tmp_path / "d", detectors)
    with store:
        summary = detect_job(store, config, TODAY)
        clusters = store.con.execute(
            "SELECT region, regions, observed, expected, severity FROM signals WHERE detector = 'spacetime_poisson'"
        ).df()
        episodes = store.con.execute("SELECT count(*) FROM alert_episodes WHERE kind = 'cluster'").fetchone()[0]
    assert len(summary["days"]) == 7 and not summary["failed"]
    assert len(clusters) and (clusters["observed"] > clusters["expected"]).all()
    assert clusters["severity"].isin(["yellow", "red"]).any()
    assert clusters["regions"].map(lambda r: len(json.loads(r))).max() > 1  # clusters of several counties
    assert episodes > 0
