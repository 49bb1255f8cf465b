"""Ingest benchmark: rows per second and peak memory, CSV and Parquet into the store, and an as-of read.

    python bench/ingest.py [--rows 10000000] [--workdir /tmp/ingest-bench]

Each measurement runs in a fresh process so its peak memory (max RSS) is its own.
The input is 3,000 facilities x 3 syndromes x ~3 years of daily rows (10 million by default).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

N_UNITS = 3_000
SYNDROMES = ["fever", "ili", "diarrhoea"]
TODAY = date(2026, 11, 22)


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def reference() -> tuple[pd.DataFrame, pd.DataFrame]:
    counties = [f"{320000 + c:06d}" for c in range(1, 301)]
    regions = pd.DataFrame(
        [("310000", "Bench Province", "province", None), ("310100", "Bench City", "city", "310000")]
        + [(c, f"County {c}", "county", "310100") for c in counties],
        columns=["code", "name", "level", "parent"],
    )
    units = pd.DataFrame({
        "code": [f"F{i:06d}" for i in range(N_UNITS)],
        "name": [f"Facility {i}" for i in range(N_UNITS)],
        "county": [counties[i % len(counties)] for i in range(N_UNITS)],
    })
    return regions, units


def make_inputs(rows: int, workdir: Path) -> tuple[Path, Path]:
    days = int(np.ceil(rows / (N_UNITS * len(SYNDROMES))))
    dates = pd.date_range(TODAY - timedelta(days=days), periods=days).strftime("%Y-%m-%d")
    rng = np.random.default_rng(1)
    n = days * N_UNITS * len(SYNDROMES)
    table = pa.table({
        "date": np.repeat(dates.to_numpy(), N_UNITS * len(SYNDROMES))[:rows],
        "unit": np.tile(np.repeat([f"F{i:06d}" for i in range(N_UNITS)], len(SYNDROMES)), days)[:rows],
        "syndrome": np.tile(SYNDROMES, days * N_UNITS)[:rows],
        "age_group": np.full(min(n, rows), "all"),
        "count": rng.poisson(8, min(n, rows)),
        "total": rng.poisson(80, min(n, rows)) + 20,
    })
    csv_path, parquet_path = workdir / "bench.csv", workdir / "bench.parquet"
    pacsv.write_csv(table, csv_path)
    pq.write_table(table, parquet_path)
    return csv_path, parquet_path


def fresh_store(path: Path):
    from surveillance.store import open_store
    from surveillance.store.reference import load_reference

    for suffix in ("", ".wal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store = open_store(path)
    load_reference(store, *reference())
    return store


def run_ingest(input_path: Path, db: Path) -> dict:
    from surveillance.ingest.pipeline import IngestContext, ingest_file

    store = fresh_store(db)
    started = time.perf_counter()
    outcome = ingest_file(store, input_path, IngestContext(today=TODAY), received_at=datetime(2026, 11, 22, 6))
    seconds = time.perf_counter() - started
    store.close()
    return {"rows": outcome.rows_read, "accepted": outcome.accepted_rows, "rejected": outcome.rejected_rows,
            "seconds": seconds}


def run_read(db: Path) -> dict:
    from surveillance.store import open_store
    from surveillance.store.counts import read_panel

    with open_store(db, read_only=True) as store:
        started = time.perf_counter()
        panel = read_panel(store.con, level="county", as_of=TODAY)
        seconds = time.perf_counter() - started
    return {"series": panel.shape[0], "days": panel.shape[1], "seconds": seconds}


def child(kind: str, arg: str, db: str) -> None:
    result = run_ingest(Path(arg), Path(db)) if kind == "ingest" else run_read(Path(db))
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(kind: str, arg: str, db: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, arg, str(db)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ingest-bench"))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    csv_path, parquet_path = make_inputs(args.rows, args.workdir)
    print(f"input: {args.rows:,} rows; CSV {csv_path.stat().st_size / 2**20:.0f} MiB, "
          f"Parquet {parquet_path.stat().st_size / 2**20:.0f} MiB")
    db = args.workdir / "bench.duckdb"
    for label, path in (("CSV", csv_path), ("Parquet", parquet_path)):
        r = measure("ingest", str(path), db)
        print(f"ingest {label:8s} {r['rows']:>12,} rows  {r['seconds']:7.2f} s  "
              f"{r['rows'] / r['seconds']:>12,.0f} rows/s  peak {r['peak_rss_mib']:,.0f} MiB")
    r = measure("read", "-", db)
    print(f"as-of panel read, county level, {r['series']} series x {r['days']} days: "
          f"{r['seconds']:.2f} s, peak {r['peak_rss_mib']:,.0f} MiB")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
