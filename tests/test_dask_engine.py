"""The detect job on a Dask cluster judges exactly as in process: a two-province demo judged by
``run_detection`` with ``engine.kind = "local"`` and with ``"dask"`` (a two-worker local cluster of
processes on 127.0.0.1) stores the same signals, row for row, and the same episodes."""

from __future__ import annotations

import json
import shutil
import tomllib
from datetime import timedelta

import pandas as pd
import pytest
import tomli_w
from distributed import LocalCluster

from surveillance.config import load_config
from surveillance.engine import EngineFailed
from surveillance.errors import ConfigError
from surveillance.service.cycle import detect_job
from surveillance.service.detect import run_detection
from surveillance.store import open_store
from surveillance.store.export import export_dataset

from .test_parquet_export import END, national_demo  # noqa: F401  (national_demo: the fixture)

TODAY = END + timedelta(days=1)
DETECTORS = [
    {"name": "ears_c2", "levels": ["county", "city", "province"]},
    {"name": "ears_c2", "label": "ears_percent", "percent": True, "syndromes": ["fever", "ili"]},
    {"name": "ears_c2", "label": "ears_weekly", "freq": "weekly", "syndromes": ["fever"]},
    {"name": "regional_excess", "levels": ["facility", "county"]},
]
# What a judgement stored: every column but when it was written.
TABLES = {
    "signals": "SELECT * EXCLUDE (created_at) FROM signals",
    "episodes": "SELECT * EXCLUDE (created_at, updated_at) FROM alert_episodes ORDER BY episode_id",
    "evidence": "SELECT * FROM alert_evidence ORDER BY ALL",
    "events": "SELECT * EXCLUDE (at_time) FROM alert_events ORDER BY event_id",
    "quality": "SELECT * FROM data_quality ORDER BY ALL",
}


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=":0") as started:
        yield started


def _configured(demo, target, engine: dict, detectors=DETECTORS):
    shutil.copytree(demo, target)
    path = target / "surveillance.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    raw["detection"]["detectors"] = detectors
    raw["engine"] = engine
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return load_config(path)


def _judged(config, **run) -> tuple[dict, dict[str, pd.DataFrame]]:
    with open_store(config.database.path) as store:
        summary = run_detection(store, config, **run)
        return summary, {name: store.con.execute(sql).df() for name, sql in TABLES.items()}


def _both(demo, tmp_path, cluster, detectors=DETECTORS, **run):
    local = _judged(_configured(demo, tmp_path / "local", {}, detectors), **run)
    dask = _judged(_configured(demo, tmp_path / "dask", {"kind": "dask", "scheduler": cluster.scheduler_address},
                               detectors), **run)
    return local, dask


def _assert_same(local, dask):
    assert local[0] == dask[0]
    for name, frame in local[1].items():
        pd.testing.assert_frame_equal(dask[1][name], frame, check_exact=True, obj=name)


def test_the_daily_run_on_the_cluster_stores_what_the_local_run_stores(national_demo, tmp_path, cluster):
    local, dask = _both(national_demo, tmp_path, cluster, today=TODAY)
    assert local[0]["signals"] > 1000 and len(local[1]["episodes"])
    assert set(local[1]["signals"]["detector"]) == {"ears_c2", "ears_percent", "ears_weekly", "regional_excess",
                                                   "quality"}
    assert set(local[1]["signals"]["region"].str[:2]) == {"11", "12"}  # both provinces judged
    _assert_same(local, dask)  # signals in the same order, too: the stored rows are compared as inserted


def test_a_backfill_on_the_cluster_stores_what_the_local_backfill_stores(national_demo, tmp_path, cluster):
    since = END - timedelta(days=4)
    local, dask = _both(national_demo, tmp_path, cluster, today=TODAY, since=since)
    assert local[0]["days"] == [str(since + timedelta(days=k)) for k in range(4)]
    as_of = local[1]["signals"].groupby("date")["as_of"].first()
    assert all(a == d + timedelta(days=1) for d, a in zip(as_of.index, as_of))  # each day as known the morning after
    _assert_same(local, dask)


def test_a_silent_feed_is_found_once_not_once_per_province(national_demo, tmp_path, cluster):
    later = TODAY + timedelta(days=3)  # the feed delivered nothing since the demo's last day
    detectors = [{"name": "ears_c2"}]
    local, dask = _both(national_demo, tmp_path, cluster, detectors, today=later)
    feed = local[1]["signals"][local[1]["signals"]["method"] == "feed_silent"]
    assert len(feed) == len(local[0]["days"]) and set(feed["region"]) == {"clinics"}
    _assert_same(local, dask)


def test_space_time_scans_look_for_clusters_within_each_province(national_demo, tmp_path, cluster):
    scan = [{"name": "spacetime_permutation", "syndromes": ["fever"],
             "params": {"max_days": 7, "study_days": 30, "n_reps": 99}}]
    config = _configured(national_demo, tmp_path / "dask", {"kind": "dask", "scheduler": cluster.scheduler_address},
                         scan)
    day = END - timedelta(days=1)
    summary, tables = _judged(config, today=TODAY, since=day, until=day)
    clusters = tables["signals"][tables["signals"]["regions"].notna()]
    assert summary["failed"] == [] and len(clusters)
    for regions in clusters["regions"]:
        assert len({code[:2] for code in json.loads(regions)}) == 1


def test_a_failed_province_fails_the_run_naming_it_and_stores_nothing(national_demo, tmp_path):
    # the job's own local cluster this time (no scheduler configured)
    config = _configured(national_demo, tmp_path / "dask", {"kind": "dask", "workers": 1}, [{"name": "ears_c2"}])
    dataset = config.engine.dataset_for(config.database.path)
    with open_store(config.database.path) as store:
        export_dataset(store.con, dataset)
        broken = sorted(dataset.glob("province=120000/month=*/part-0.parquet"))[-1]
        broken.write_bytes(b"not parquet")  # the export still thinks it up to date: a damaged shared folder
        with pytest.raises(EngineFailed, match=r"failed for province 120000: \w+"):
            detect_job(store, config, TODAY)
        assert store.con.execute("SELECT count(*) FROM signals").fetchone()[0] == 0
        status, message = store.con.execute("SELECT status, message FROM job_runs WHERE job = 'detect'").fetchone()
    assert status == "failed" and message.startswith("detection on the Dask cluster failed for province 120000: ")


def test_regional_excess_comparing_provinces_is_refused_on_the_cluster(national_demo, tmp_path):
    config = _configured(national_demo, tmp_path / "dask", {"kind": "dask"},
                         [{"name": "regional_excess", "levels": ["province"]}])
    with open_store(config.database.path) as store, pytest.raises(ConfigError, match="judges each province alone"):
        run_detection(store, config, TODAY)
