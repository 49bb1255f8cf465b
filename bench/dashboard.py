"""Dashboard callback latencies on the national-scale demo (about 3,000 counties, 3 years).

Each callback, the status page and the status API are called through the whole server stack (Flask
test client: session, CSRF, Dash's dispatch, the queries, JSON of the answer), as the browser would
call them, for a user of every region and for a user of one province. Target: p95 <= 300 ms each.
``--db`` may name another demo (e.g. the city demo's database).

    python bench/dashboard.py [--db var/bench/national/surveillance.duckdb] [--repeat 20]

The database is built on first use (``surveillance demo --scale national``, a few minutes), and
a database without alerts first gets its drop folder ingested and the last days judged.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import re
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboards.server import create_server, settle_heap  # noqa: E402
from surveillance.config import load_config  # noqa: E402
from surveillance.service.cycle import detect_job, ingest_job  # noqa: E402
from surveillance.store.reference import load_configured_reference  # noqa: E402
from surveillance.synthetic.demo import build_demo  # noqa: E402
from surveillance.store import open_store  # noqa: E402
from surveillance.users import add_user, get_user  # noqa: E402

PASSWORD = "bench-password-1"


def callback_payload(dash_app, output_id: str, values: dict) -> dict:
    """The body Dash's front end POSTs to ``_dash-update-component`` for the callback writing ``output_id``."""
    for key, spec in dash_app.callback_map.items():
        if f"{output_id}." not in key:
            continue
        outs = [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]} for o in key.strip(".").split("...") if o]
        return {
            "output": key, "outputs": outs if key.startswith("..") else outs[0],
            "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in spec["inputs"]],
            "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in spec["state"]],
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in spec["inputs"]],
        }
    raise KeyError(f"no callback writes {output_id}")


def login(server, name):
    client = server.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"name": name, "password": PASSWORD, "csrf": csrf}).status_code == 302
    client.get("/app/")
    return client


def timed(client, app, output_id, values) -> float:
    token = client.get_cookie("_csrf_token").value
    body = callback_payload(app, output_id, values)
    start = time.perf_counter()
    response = client.post("/app/_dash-update-component", json=body, headers={"X-CSRFToken": token})
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"{output_id}: HTTP {response.status_code}: {response.get_data(as_text=True)[:200]}")
    return elapsed * 1000


def timed_get(client, url) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}")
    return elapsed * 1000


def trends(region, **kw):
    values = {"trends-region.data": region, "trends-syndromes.value": ["fever"], "trends-ages.value": [],
              "trends-measure.value": "count", "trends-freq.value": "daily", "trends-range.value": "365",
              "trends-smooth.value": "0", "trends-overlay.value": []}
    values.update({f"trends-{k}.value": v for k, v in kw.items()})
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench" / "national" / "surveillance.duckdb")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if not args.db.exists():
        print(f"building the national demo at {args.db} ...", flush=True)
        build_demo(args.db, scale="national", end=date(2026, 11, 20))
    config = load_config(args.db.parent / "surveillance.toml")
    store = open_store(args.db, memory_limit=config.database.memory_limit)
    load_configured_reference(store, config)
    if not store.con.execute("SELECT count(*) FROM alert_episodes").fetchone()[0]:
        # The alert pages are measured with the alerts of a first cycle (its emails are not needed).
        day = store.con.execute("SELECT max(date) FROM observations").fetchone()[0] + timedelta(days=1)
        print(f"ingesting the drop folder and judging the last days as of {day} ...", flush=True)
        ingest_job(store, config, day)
        detect_job(store, config, day)
    alerts = store.con.execute("SELECT count(*) FROM alert_episodes").fetchone()[0]
    rows = store.con.execute("SELECT count(*) FROM observations").fetchone()[0]
    counties = store.con.execute("SELECT count(*) FROM regions WHERE level = 'county'").fetchone()[0]
    provinces = [r[0] for r in store.con.execute("SELECT code FROM regions WHERE level = 'province' ORDER BY code").fetchall()]
    province = provinces[0]
    for name, region in (("bench-national", None), ("bench-province", province)):
        if get_user(store, name) is None:
            add_user(store, name, PASSWORD, role="admin", region=region)
    server = create_server(store, config, announce=lambda message: None)
    settle_heap()  # as the service does once it has started
    app = server.extensions["surveillance_dashboard"].app
    last = store.con.execute("SELECT max(date) FROM observations").fetchone()[0]
    rng = random.Random(0)
    results: list[tuple[str, str, list[float]]] = []

    for user, root in (("bench-national", None), ("bench-province", province)):
        client = login(server, user)
        scope_counties = [r[0] for r in store.con.execute(
            "SELECT code FROM regions WHERE level = 'county'" + (" AND parent IN (SELECT code FROM regions WHERE parent = ?)"
                                                                 if root else ""), [root] if root else []).fetchall()]
        cities = [r[0] for r in store.con.execute(
            "SELECT code FROM regions WHERE level = 'city'" + (" AND parent = ?" if root else ""),
            [root] if root else []).fetchall()]
        episodes = [r[0] for r in store.con.execute(
            "SELECT episode_id FROM alert_episodes WHERE kind <> 'data_quality'"
            + (" AND region IN (SELECT code FROM regions WHERE code = ? OR parent = ? OR parent IN"
               " (SELECT code FROM regions WHERE parent = ?))" if root else ""), [root] * 3 if root else []).fetchall()]
        cases = {
            "overview (KPIs, map, ranking, 8 weeks)": lambda: ("overview-map", {
                "overview-day.date": str(last - timedelta(days=rng.randrange(0, 30))),
                "overview-syndrome.value": rng.choice(["fever", "ili", "ari"])}),
            "trends series, county, daily 1 year": lambda: ("trends-series", trends(rng.choice(scope_counties))),
            "trends series, city, weekly 3 years, 4-week average": lambda: ("trends-series", trends(
                rng.choice(cities), freq="weekly", range="1095", smooth="28")),
            "trends series, top, percent, year over year": lambda: ("trends-series", trends(
                root, measure="percent", overlay=["1"])),
            "trends children (bar chart)": lambda: ("trends-children", {
                "trends-region.data": rng.choice([root, *cities]), "trends-syndromes.value": ["fever"]}),
            "quality heatmap + revisions, county, 28 days": lambda: ("quality-heatmap", {
                "quality-county.value": rng.choice(scope_counties), "quality-days.value": "28"}),
            "quality quarantine + feeds": lambda: ("quality-quarantine", {"quality-days.value": "28"}),
            "page routing (layout of Trends)": lambda: ("app-page", {
                "app-url.pathname": "/app/trends", "app-url.search": f"?region={rng.choice(cities)}"}),
            "alerts table, running alerts": lambda: ("alerts-count", {}),
            "alerts table, with ended and closed": lambda: ("alerts-count", {"alerts-ended.value": ["1"]}),
            "alert detail page (series, evidence, history)": lambda: ("app-page", {
                "app-url.pathname": f"/app/alerts/{rng.choice(episodes)}", "app-url.search": ""}),
            "clusters (map + list, 30 days)": lambda: ("clusters-summary", {"clusters-days.value": "30"}),
        }
        if not episodes:  # a small demo's first cycle may open no outbreak alert in the scope
            del cases["alert detail page (series, evidence, history)"]
        shapes_url = f"/app/geo/counties.json?root={root or ''}"
        shapes = [timed_get(client, shapes_url) for _ in range(args.repeat)]  # the first call builds the text
        results.append((("all regions" if root is None else f"province {province}"),
                        "county shapes for the maps (GET, once per browser; first call included)", shapes))
        for label, url in (("status page (GET /)", "/"), ("status API (GET /api/status)", "/api/status")):
            timed_get(client, url)  # warm-up
            results.append((("all regions" if root is None else f"province {province}"), label,
                            [timed_get(client, url) for _ in range(args.repeat)]))
        for label, make in cases.items():
            output, values = make()
            timed(client, app, output, values)  # warm-up (caches, first query plans)
            samples = []
            for _ in range(args.repeat):
                output, values = make()
                samples.append(timed(client, app, output, values))
            results.append((("all regions" if root is None else f"province {province}"), label, samples))
            print(f"  {results[-1][0]:<16} {label:<55} p95 {percentile(samples, 95):7.0f} ms", flush=True)

    cpu = platform.processor() or platform.machine()
    print()
    print(f"National demo: {rows:,} observation rows, {counties:,} counties, {alerts:,} alerts;"
          f" {args.repeat} calls per callback after"
          f" one warm-up; {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}.")
    print()
    print("| user's scope | callback | p50 ms | p95 ms | max ms |")
    print("|---|---|---:|---:|---:|")
    for scope, label, samples in results:
        print(f"| {scope} | {label} | {percentile(samples, 50):.0f} | {percentile(samples, 95):.0f} | {max(samples):.0f} |")
    gc.unfreeze()  # let the store's objects be finalised before it closes
    store.close()


def percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1] if len(samples) > 1 else samples[0]


if __name__ == "__main__":
    main()
