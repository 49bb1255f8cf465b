"""The status page's and API's figures are kept until the store changes: a batch ingested, a job run
started or ended, a row quarantined."""

from __future__ import annotations

from dashboards.status_cache import PerVersion
from surveillance.store import open_store
from surveillance.store.runs import job_run


def test_figures_are_computed_again_once_the_store_changes(tmp_path):
    store = open_store(tmp_path / "s.duckdb")
    calls = []

    def compute(cur):
        calls.append(1)
        return cur.execute("SELECT count(*) FROM job_runs").fetchone()[0]

    cache = PerVersion(store)
    assert cache.get("k", compute) == 0 and cache.get("k", compute) == 0
    assert len(calls) == 1  # nothing changed: the kept value
    assert cache.get("other", compute) == 0 and len(calls) == 2  # another key is its own value
    with job_run(store, "ingest"):
        assert cache.get("k", compute) == 1  # a run started
    assert cache.get("k", compute) == 1 and len(calls) == 4  # ... and ended: computed again
    assert cache.get("k", compute) == 1 and len(calls) == 4
    store.close()


def test_the_status_page_shows_a_new_job_run_at_once(demo_store):
    from .conftest import signed_in_client
    from dashboards.server import create_server

    store, config = demo_store
    server = create_server(store, config, announce=lambda message: None)
    client = signed_in_client(server, "ada")
    before = client.get("/").get_data(as_text=True)
    assert client.get("/").get_data(as_text=True) == before
    with job_run(store, "snapshot"):
        pass
    after = client.get("/").get_data(as_text=True)
    assert after != before and after.count("<tr") > 0
