"""Twenty signed-in clients on the dashboard while a cycle runs: errors and latencies.

The service's own parts, as `surveillance serve` puts them together (the store, the web server under
waitress on a loopback port, the cycle in another thread), on the city demo. Each client signs in
through the login form (viewers of a county, epidemiologists of the city, an administrator) and keeps
asking what a user's browser asks: the app's page, the overview, the alert list, the trends of a county,
the JSON API's alerts and counts. Meanwhile the cycle ingests the waiting delivery, judges the newest
days, queues the emails and refreshes the snapshot. Any answer other than 200 (or an
exception) is an error.

    python bench/load.py [--db var/bench/load/pristine/surveillance.duckdb] [--clients 20] [--after 10]

The demo (two years to 20 November 2026) is built on first use and copied for each run, so every run
starts from the same first cycle.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import sys
import threading
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import requests
import waitress

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dashboard import callback_payload  # noqa: E402
from dashboards.server import create_server, settle_heap  # noqa: E402
from surveillance.config import load_config  # noqa: E402
from surveillance.service.cycle import run_cycle  # noqa: E402
from surveillance.store import open_store  # noqa: E402
from surveillance.store.reference import load_configured_reference  # noqa: E402
from surveillance.synthetic.demo import build_demo  # noqa: E402
from surveillance.users import add_user  # noqa: E402

END = date(2026, 11, 20)
PASSWORD = "load-password-1"


def _prepare(pristine: Path, work: Path) -> Path:
    """A fresh copy of the demo folder (built once) to run the cycle on."""
    if not pristine.exists():
        print(f"building the city demo at {pristine} ...", flush=True)
        build_demo(pristine, years=2, end=END)
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(pristine.parent, work)
    return work / pristine.name


def _sign_in(base: str, name: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=30).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = session.post(f"{base}/login", data={"name": name, "password": PASSWORD, "csrf": csrf},
                          headers={"Origin": base, "Referer": f"{base}/login"}, allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise RuntimeError(f"{name}: sign-in answered HTTP {answer.status_code}")
    return session


def _requests(dash_app, county: str):
    """What one browser asks, one after the other: (label, method, path, json body)."""
    def callback(output, values):
        return "POST", "/app/_dash-update-component", callback_payload(dash_app, output, values)
    trends = {"trends-region.data": county, "trends-syndromes.value": ["fever"], "trends-ages.value": [],
              "trends-measure.value": "count", "trends-freq.value": "daily", "trends-range.value": "365",
              "trends-smooth.value": "0", "trends-overlay.value": []}
    out = [
        ("page", "GET", "/app/", None),
        ("overview", *callback("app-page", {"app-url.pathname": "/app/", "app-url.search": ""})),
        ("alert list", *callback("alerts-count", {})),
        ("trends", *callback("trends-series", trends)),
        ("api alerts", "GET", "/api/alerts", None),
        ("api counts", "GET", "/api/counts?days=28", None),
    ]
    return out


def _client(base, session, plan, stop, samples, errors, cycle_running):
    token = session.cookies.get("_csrf_token")
    while not stop.is_set():
        for label, method, path, body in plan:
            during = cycle_running.is_set()
            start = time.perf_counter()
            try:
                if method == "GET":
                    answer = session.get(base + path, timeout=120)
                else:
                    answer = session.post(base + path, json=body, timeout=120,
                                          headers={"X-CSRFToken": token, "Origin": base})
                status = answer.status_code
            except requests.RequestException as exc:
                status = f"{type(exc).__name__}"
            elapsed = (time.perf_counter() - start) * 1000
            samples[(label, during)].append(elapsed)
            if status != 200:
                errors.append((label, status))
            if stop.is_set():
                return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench" / "load" / "pristine" / "surveillance.duckdb")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--after", type=float, default=10.0, help="seconds the clients go on after the cycle")
    args = parser.parse_args()
    db = _prepare(args.db, args.db.parent.parent / "run")
    config = load_config(db.parent / "surveillance.toml")
    store = open_store(db, memory_limit=config.database.memory_limit)
    load_configured_reference(store, config)
    counties = [r[0] for r in store.con.execute("SELECT code FROM regions WHERE level = 'county' ORDER BY code").fetchall()]
    city = store.con.execute("SELECT code FROM regions WHERE level = 'city' ORDER BY code").fetchone()[0]
    users = []
    for i in range(args.clients):
        role, region = (("admin", None) if i == 0 else ("epidemiologist", city) if i % 4 == 1
                        else ("viewer", counties[i % len(counties)]))
        name = f"load-{i:02d}"
        add_user(store, name, PASSWORD, role=role, region=region)
        users.append((name, region or counties[0]))
    server = create_server(store, config, announce=lambda message: None)
    settle_heap()
    web = waitress.create_server(server, host="127.0.0.1", port=0, threads=config.service.threads)
    base = f"http://127.0.0.1:{web.effective_port}"
    threading.Thread(target=web.run, daemon=True).start()
    dash_app = server.extensions["surveillance_dashboard"].app
    today = END + timedelta(days=1)

    sessions = [(_sign_in(base, name), county) for name, county in users]
    stop, cycle_running = threading.Event(), threading.Event()
    samples, errors = defaultdict(list), []
    threads = [threading.Thread(target=_client, args=(base, s, _requests(dash_app, county), stop, samples,
                                                      errors, cycle_running), daemon=True)
               for s, county in sessions]
    for t in threads:
        t.start()
    time.sleep(args.after)  # the clients alone first
    cycle_running.set()
    started = time.perf_counter()
    outcome = "ok"
    try:
        run_cycle(store, config, today)
    except Exception as exc:  # noqa: BLE001 - the demo's SMTP server is not running: reported, not fatal
        outcome = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    cycle_seconds = time.perf_counter() - started
    cycle_running.clear()
    time.sleep(args.after)
    stop.set()
    for t in threads:
        t.join(timeout=180)
    web.close()
    store.close()

    print(f"{args.clients} signed-in clients, waitress with {config.service.threads} threads; "
          f"the cycle took {cycle_seconds:.1f} s ({outcome}); "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"requests: {sum(len(v) for v in samples.values())}, errors: {len(errors)}"
          + (f" (first: {errors[:5]})" if errors else ""))
    print("| request | while | n | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|")
    for (label, during), values in sorted(samples.items(), key=lambda kv: (kv[0][0], not kv[0][1])):
        values = sorted(values)
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
        print(f"| {label} | {'cycle running' if during else 'no cycle'} | {len(values)} | "
              f"{statistics.median(values):.0f} | {p95:.0f} | {values[-1]:.0f} |")


if __name__ == "__main__":
    main()
