"""The detect job in process and on a Dask cluster of local worker processes, on a synthetic country.

    python bench/dask_engine.py [--counties 60] [--cities 6] [--days 120] [--workers 2] [--workdir DIR]

Builds the demo (``--scale national`` with the given sizes; one province per city up to 31), then on
copies of it: the daily run (the 7 due days) in process, the same on the cluster twice (the first pays
for the workers' imports and compilation), and the export alone, first and again after nothing changed.
Checks that the cluster's signals equal the in-process ones.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import tomllib
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import tomli_w  # noqa: E402
from distributed import LocalCluster  # noqa: E402

from surveillance.config import load_config  # noqa: E402
from surveillance.service.detect import run_detection  # noqa: E402
from surveillance.store import open_store  # noqa: E402
from surveillance.store.export import export_dataset  # noqa: E402
from surveillance.synthetic.demo import build_demo  # noqa: E402

END = date(2026, 11, 20)
DETECTORS = [{"name": "ears_c2", "levels": ["county", "city", "province"]},
             {"name": "regional_excess", "levels": ["facility", "county"]}]


def configured(demo: Path, target: Path, engine: dict):
    shutil.copytree(demo, target)
    path = target / "surveillance.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    raw["detection"]["detectors"] = DETECTORS
    raw["engine"] = engine
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return load_config(path)


def timed_run(config) -> tuple[float, object]:
    with open_store(config.database.path) as store:
        started = time.perf_counter()
        run_detection(store, config, END + timedelta(days=1))
        seconds = time.perf_counter() - started
        return seconds, store.con.execute("SELECT * EXCLUDE (created_at) FROM signals").df()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=60)
    parser.add_argument("--cities", type=int, default=6)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="dask-bench-"))
    demo = work / "demo"
    if not (demo / "surveillance.duckdb").exists():
        build_demo(demo / "surveillance.duckdb", scale="national", days=args.days, end=END,
                   geography_options={"n_counties": args.counties, "n_cities": args.cities})
    print(f"{args.counties} counties, {args.cities} cities, {args.days} days; {args.workers} workers; "
          f"{os.cpu_count()} cores")
    local_s, local = timed_run(configured(demo, work / "local", {}))
    print(f"in process:          {local_s:6.1f} s  ({len(local):,} signals)")
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cluster:
        engine = {"kind": "dask", "scheduler": cluster.scheduler_address}
        for attempt in ("first", "second"):
            config = configured(demo, work / f"dask-{attempt}", engine)
            seconds, signals = timed_run(config)
            same = signals.equals(local)
            print(f"cluster, {attempt} run:  {seconds:6.1f} s  (signals equal to in process: {same})")
    with open_store(demo / "surveillance.duckdb", read_only=True) as store:
        folder = work / "export.parquet"
        shutil.rmtree(folder, ignore_errors=True)
        for what in ("export", "re-export"):
            started = time.perf_counter()
            summary = export_dataset(store.con, folder)
            print(f"{what + ':':20} {time.perf_counter() - started:6.1f} s  "
                  f"({len(summary['written'])} partitions written)")


if __name__ == "__main__":
    main()
