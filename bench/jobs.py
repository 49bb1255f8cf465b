"""The job layer's times on the city demo: its first cycle, a year's backfill, and the many-day pass
against judging each day from the store.

    python bench/jobs.py [--demo DIR] [--backfill-days 365] [--compare-days 14] [--skip first,backfill,compare]

``--demo`` is a folder made by ``surveillance demo`` (built in ``var/bench/city`` when missing), whose
drop folder still holds the newest day: it is copied for each case, so the demo stays as built.

* **first cycle**: ``run_cycle`` on a copy (ingest of the waiting day, detect with the alarm budget's
  first learning, notify, snapshot), wall and CPU seconds, and each job's seconds from ``job_runs``;
* **backfill**: ``surveillance detect --since`` over the last ``--backfill-days`` days (each day judged
  as known the morning after it; the budget relearnt every 28 days), wall and CPU seconds;
* **compare**: the last ``--compare-days`` days judged by the many-day pass and by reading every view
  from the store as of its day (how the job read before), and whether their signals, data-quality rows
  and learnt levels are identical.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from surveillance import clock  # noqa: E402
from surveillance.config import load_config  # noqa: E402
from surveillance.service import detect  # noqa: E402
from surveillance.service.cycle import run_cycle  # noqa: E402
from surveillance.service.detect import newest_data_day, run_detection  # noqa: E402
from surveillance.service.panels import PanelReader, StoreReader  # noqa: E402
from surveillance.store import open_store  # noqa: E402
from surveillance.store.operations import job_runs  # noqa: E402
from surveillance.store.reference import load_configured_reference  # noqa: E402
from surveillance.synthetic.demo import build_demo  # noqa: E402

SIGNALS = ("SELECT detector, level, region, syndrome, age_group, date, observed, expected, upperbound, pvalue, "
           "severity, status, provisional FROM signals ORDER BY ALL")


def timed(work):
    wall, cpu = time.perf_counter(), time.process_time()
    out = work()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def copy_demo(demo: Path, into: Path) -> Path:
    shutil.copytree(demo, into, ignore=shutil.ignore_patterns("*.snapshot.duckdb", "*.wal"))
    return into / "surveillance.toml"


def opened(config_path: Path):
    config = load_config(config_path)
    store = open_store(config.database.path)
    load_configured_reference(store, config)
    return config, store


def first_cycle(demo: Path, scratch: Path) -> None:
    config, store = opened(copy_demo(demo, scratch / "first"))
    today = clock.today(config)
    _, wall, cpu = timed(lambda: run_cycle(store, config, today))
    jobs = job_runs(store.cursor()).sort_values("run_id")
    store.close()
    print(f"first cycle: {wall:.1f} s wall, {cpu:.1f} s CPU; jobs "
          + ", ".join(f"{j} {s:.1f} s" for j, s in zip(jobs["job"], jobs["seconds"])))


def backfill(demo: Path, scratch: Path, days: int) -> None:
    config, store = opened(copy_demo(demo, scratch / "backfill"))
    newest = newest_data_day(store.cursor())
    since = newest - timedelta(days=days - 1)
    summary, wall, cpu = timed(lambda: run_detection(store, config, newest + timedelta(days=1), since=since,
                                                     until=newest))
    store.close()
    print(f"backfill of {len(summary['days'])} days ({since}..{newest}): {wall:.1f} s wall, {cpu:.1f} s CPU, "
          f"{summary['signals']:,} signals ({wall / max(len(summary['days']), 1):.2f} s per judged day)")


def compare(demo: Path, scratch: Path, days: int) -> None:
    outputs = []
    for name, reader in (("many-day pass", PanelReader), ("each view from the store", StoreReader)):
        config, store = opened(copy_demo(demo, scratch / f"compare-{len(outputs)}"))
        newest = newest_data_day(store.cursor())
        since = newest - timedelta(days=days - 1)
        detect.PanelReader = reader
        try:
            _, wall, cpu = timed(lambda: run_detection(store, config, newest + timedelta(days=1), since=since,
                                                       until=newest))
        finally:
            detect.PanelReader = PanelReader
        cur = store.cursor()
        outputs.append([cur.execute(SIGNALS).df(), cur.execute("SELECT * FROM data_quality ORDER BY ALL").df(),
                        cur.execute("SELECT * EXCLUDE (created_at) FROM alarm_thresholds ORDER BY ALL").df()])
        store.close()
        print(f"{days} days, {name}: {wall:.1f} s wall, {cpu:.1f} s CPU, {len(outputs[-1][0]):,} signals")
    same = all(a.equals(b) for a, b in zip(*outputs))
    print(f"identical signals, data-quality rows and learnt levels: {'yes' if same else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, default=ROOT / "var" / "bench" / "city")
    parser.add_argument("--backfill-days", type=int, default=365)
    parser.add_argument("--compare-days", type=int, default=14)
    parser.add_argument("--skip", default="", help="comma-separated cases to leave out: first, backfill, compare")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if not (args.demo / "surveillance.duckdb").exists():
        args.demo.mkdir(parents=True, exist_ok=True)
        _, wall, _ = timed(lambda: build_demo(args.demo / "surveillance.duckdb"))
        print(f"built the city demo in {wall:.0f} s")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(dir=args.demo.parent) as scratch:
        scratch = Path(scratch)
        if "first" not in skip:
            first_cycle(args.demo, scratch)
        if "backfill" not in skip:
            backfill(args.demo, scratch, args.backfill_days)
        if "compare" not in skip:
            compare(args.demo, scratch, args.compare_days)


if __name__ == "__main__":
    main()
