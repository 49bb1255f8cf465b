"""The detect job at national scale on facility series: a synthetic country, through ingest, export and
the newest day's detection in process and on a local Dask cluster of 1 and 2 workers.

    python bench/national_facility.py [--facilities 40000 ...] [--days 120] [--workdir DIR] [--keep]

Each size (``--facilities``, or ``--series``: 30 series a facility) is a country of ~31 provinces whose
facilities report 6 syndromes x 4 age bands a day (the detectors judge "all" ages too: 30 series a
facility; surveillance.synthetic.national), with ``--days`` of daily history ending on 2026-11-20. The
default, 120 days, is what judging the newest day needs: the default detector's 60 days, the 56 data
days whose revisions teach the delays (their newest revisions a week later), the data-quality checks'
28-day usual window over the last 28 days, with the rest as margin for late reports.

Steps, each in a fresh process so that its peak memory (maximum RSS) is its own:

* **generate**: the country and one CSV per delivery day (every province's rows), not timed in the table;
* **ingest**: the reference files, then every day's file through ``ingest_file``, received at 06:00 the
  morning after, as the demo replays them (rows/s over the files alone);
* **export**: ``export_dataset`` of the store to its Parquet dataset (by province and month);
* **detect**: ``run_detection`` for the newest day (``initial_days = 1``) with the default detectors
  (regional excess on facility counts by age group, 60 days), the alarm budget at its nominal level (its
  learning, every 28 days, is not part of a day's run), on a copy of the store: ``engine.kind = "local"``,
  then ``"dask"`` on a LocalCluster of 1 and of 2 workers (one thread each) started before the run; the
  run pays for the workers' first imports and compilation, as a daily job starting its own cluster does,
  and brings the export up to date (nothing changed). Wall and CPU seconds of this process, peak RSS of
  this process and of each worker, and how the signals compare with the in-process ones (the same rows;
  the same values). The table's peak MB is the largest of ingest, export, detect and the workers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, time as clock_time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

END = date(2026, 11, 20)
TODAY = END + timedelta(days=1)
SERIES_PER_FACILITY = 6 * 5  # syndromes x (4 age bands + all ages)
DELIVERY_TIME = clock_time(6, 0)
SIGNAL_KEYS = ["detector", "level", "region", "syndrome", "age_group", "date"]


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the steps, each run in its own process --------------------------------------------------


def step_generate(folder: Path, facilities: int, days: int) -> dict:
    import tomli_w

    from surveillance.synthetic.demo import demo_config
    from surveillance.synthetic.national import national_facility_geography, write_national_files

    started = time.perf_counter()
    geography = national_facility_geography(facilities)
    files = write_national_files(geography, folder, END - timedelta(days=days - 1), END)
    raw = demo_config(folder / "surveillance.duckdb", None)
    raw["detection"]["initial_days"] = 1
    raw["detection"]["budget"]["learn"] = False
    (folder / "surveillance.toml").write_text(tomli_w.dumps(raw), encoding="utf-8")
    levels = geography.regions["level"].value_counts()
    return {"seconds": time.perf_counter() - started, "files": len(files), "units": len(geography.units),
            "provinces": int(levels["province"]), "counties": int(levels["county"]),
            "csv_mb": sum(f.path.stat().st_size for f in files) / 2**20}


def step_ingest(folder: Path) -> dict:
    from surveillance.config import load_config
    from surveillance.ingest.pipeline import IngestContext, ingest_file
    from surveillance.store import open_store
    from surveillance.store.reference import load_configured_reference

    config = load_config(folder / "surveillance.toml")
    files = sorted((folder / "drop").glob("visits_*.csv"))
    with open_store(config.database.path) as store:
        started = time.perf_counter()
        load_configured_reference(store, config)
        reference_s = time.perf_counter() - started
        ctx = IngestContext.for_feed(config.feed("clinics"), config, today=TODAY)
        rows = accepted = 0
        started = time.perf_counter()
        for path in files:
            delivered_on = date.fromisoformat(path.stem.removeprefix("visits_"))
            outcome = ingest_file(store, path, ctx, received_at=datetime.combine(delivered_on, DELIVERY_TIME))
            if outcome.status == "failed":
                raise RuntimeError(f"{path.name}: {outcome.message}")
            rows, accepted = rows + outcome.rows_read, accepted + outcome.accepted_rows
        seconds = time.perf_counter() - started
    return {"reference_s": reference_s, "seconds": seconds, "rows": rows, "accepted": accepted,
            "db_mb": Path(config.database.path).stat().st_size / 2**20}


def step_export(folder: Path) -> dict:
    from surveillance.store import open_store
    from surveillance.store.export import export_dataset

    with open_store(folder / "surveillance.duckdb", read_only=True) as store:
        started = time.perf_counter()
        summary = export_dataset(store.con, folder / "surveillance.parquet")
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "partitions": len(summary["written"])}


def step_detect(folder: Path, run: Path, workers: int) -> dict:
    """The newest day's run on a copy of the store in ``run``; ``workers`` 0: in process."""
    import tomli_w
    import tomllib

    from surveillance.config import load_config
    from surveillance.service.detect import run_detection
    from surveillance.store import open_store

    run.mkdir(parents=True)
    shutil.copy2(folder / "surveillance.duckdb", run / "surveillance.duckdb")
    raw = tomllib.loads((folder / "surveillance.toml").read_text(encoding="utf-8"))
    # the export beside the original store: brought up to date by the run, with nothing to rewrite
    raw["engine"] = {"kind": "local"} if not workers else {"kind": "dask", "dataset": str(folder / "surveillance.parquet")}
    cluster = None
    if workers:
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=":0")
        raw["engine"]["scheduler"] = cluster.scheduler_address
    (run / "surveillance.toml").write_text(tomli_w.dumps(raw), encoding="utf-8")
    config = load_config(run / "surveillance.toml")
    try:
        with open_store(config.database.path) as store:
            wall, cpu = time.perf_counter(), time.process_time()
            summary = run_detection(store, config, TODAY)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            signals = store.con.execute("SELECT * EXCLUDE (created_at) FROM signals").df()
        worker_mb = []
        if cluster is not None:
            from distributed import Client

            with Client(cluster) as client:
                worker_mb = sorted(v / 1024 for v in client.run(
                    lambda: __import__("resource").getrusage(__import__("resource").RUSAGE_SELF).ru_maxrss).values())
    finally:
        if cluster is not None:
            cluster.close()
    signals.sort_values(SIGNAL_KEYS, kind="stable").reset_index(drop=True).to_parquet(run / "signals.parquet")
    shutil.copy2(run / "signals.parquet", folder / f"signals-{workers}.parquet")
    shutil.rmtree(run)
    return {"seconds": wall, "cpu_s": cpu, "signals": len(signals), "days": summary["days"],
            "worker_mb": worker_mb}


def child(step: str, folder: str, extra: list[str]) -> None:
    folder = Path(folder)
    if step == "generate":
        result = step_generate(folder, int(extra[0]), int(extra[1]))
    elif step == "ingest":
        result = step_ingest(folder)
    elif step == "export":
        result = step_export(folder)
    else:
        result = step_detect(folder, folder / f"run-{extra[0]}", int(extra[0]))
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))


def measure(step: str, folder: Path, *extra) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", step, str(folder), *map(str, extra)],
                         check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- one size, and the table -----------------------------------------------------------------


def compare_signals(folder: Path, workers: int) -> dict:
    """How the cluster's signals compare with the in-process ones: the same rows (series and days), the
    same values, and where not, how many p-values and severities differ."""
    import numpy as np
    import pandas as pd

    local = pd.read_parquet(folder / "signals-0.parquet")
    other = pd.read_parquet(folder / f"signals-{workers}.parquet")
    same_rows = local[SIGNAL_KEYS].equals(other[SIGNAL_KEYS])
    out = {"same_rows": same_rows, "identical": local.equals(other)}
    if same_rows and not out["identical"]:
        p, q = local["pvalue"].to_numpy(float), other["pvalue"].to_numpy(float)
        differ = ~((p == q) | (np.isnan(p) & np.isnan(q)))
        out.update(pvalues_differ=int(differ.sum()), max_pvalue_change=float(np.nanmax(np.abs(p - q)[differ]))
                   if differ.any() else 0.0, severities_differ=int((local["severity"] != other["severity"]).sum()))
    return out


def comparison_text(c: dict) -> str:
    if c["identical"]:
        return "signals identical to in process"
    if not c["same_rows"]:
        return "signals NOT the same rows as in process"
    return (f"same rows as in process, values differ: {c['pvalues_differ']:,} p-values (by up to "
            f"{c['max_pvalue_change']:.3g}), {c['severities_differ']:,} severities")


def one_size(facilities: int, days: int, work: Path) -> dict:
    folder = work / f"facilities-{facilities}"
    folder.mkdir(parents=True)
    series = facilities * SERIES_PER_FACILITY
    print(f"\n== {facilities:,} facilities, {series:,} series, {days} days ==", flush=True)
    g = measure("generate", folder, facilities, days)
    print(f"generate: {g['seconds']:.1f} s, {g['provinces']} provinces, {g['counties']:,} counties, "
          f"{g['files']} day files, {g['csv_mb']:,.0f} MiB CSV, peak {g['peak_mb']:,.0f} MB", flush=True)
    i = measure("ingest", folder)
    print(f"ingest: {i['rows']:,} rows ({i['accepted']:,} accepted) in {i['seconds']:.1f} s = "
          f"{i['rows'] / i['seconds']:,.0f} rows/s (reference {i['reference_s']:.1f} s); store "
          f"{i['db_mb']:,.0f} MiB; peak {i['peak_mb']:,.0f} MB", flush=True)
    e = measure("export", folder)
    print(f"export: {e['seconds']:.1f} s, {e['partitions']} partitions; peak {e['peak_mb']:,.0f} MB", flush=True)
    runs = {}
    for workers in (0, 1, 2):
        r = runs[workers] = measure("detect", folder, workers)
        where = "in process" if not workers else f"dask, {workers} worker{'s' if workers > 1 else ''}"
        if workers:
            r["compared"] = compare_signals(folder, workers)
        same = "" if not workers else "; " + comparison_text(r["compared"])
        print(f"detect {where}: {r['seconds']:.1f} s wall, {r['cpu_s']:.1f} s CPU here, days {r['days']}, "
              f"{r['signals']:,} signals; peak {r['peak_mb']:,.0f} MB here"
              + (f", workers {', '.join(f'{m:,.0f}' for m in r['worker_mb'])} MB" if workers else "") + same,
              flush=True)
    return {"series": series, "rows": i["rows"], "ingest_s": i["seconds"], "export_s": e["seconds"],
            "local_s": runs[0]["seconds"], "dask1_s": runs[1]["seconds"], "dask2_s": runs[2]["seconds"],
            "peak_mb": max([i["peak_mb"], e["peak_mb"]] + [r["peak_mb"] for r in runs.values()]
                           + [m for r in runs.values() for m in r["worker_mb"]]),
            "us_per_series": runs[0]["seconds"] / series * 1e6,
            "same": " / ".join("identical" if runs[w]["compared"]["identical"] else
                               "same rows, p differ" if runs[w]["compared"]["same_rows"] else "other rows"
                               for w in (1, 2))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--facilities", type=int, nargs="+", help="facilities per size (default 40000)")
    sizes.add_argument("--series", type=int, nargs="+", help=f"series per size ({SERIES_PER_FACILITY} a facility)")
    parser.add_argument("--days", type=int, default=120,
                        help="days of history (default 120: what judging the newest day needs)")
    parser.add_argument("--workdir", type=Path, default=None, help="parent of the temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the stores and files")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.child[2:])
        return
    facilities = args.facilities or [max(1, round(s / SERIES_PER_FACILITY)) for s in args.series or []] or [40_000]
    print(f"machine: {machine()}")
    print(f"{args.days} days of history ending {END}" + (" (what judging the newest day needs)"
                                                          if args.days == 120 else ""))
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="national-", dir=args.workdir))
    rows = []
    try:
        for n in facilities:
            rows.append(one_size(n, args.days, work))
            if not args.keep:
                shutil.rmtree(work / f"facilities-{n}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("\n| series | rows | ingest s | export s | in-process s | dask-1 s | dask-2 s | peak MB | µs per series |"
          " dask signals (1 / 2 workers) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['series']:,} | {r['rows']:,} | {r['ingest_s']:.1f} | {r['export_s']:.1f} | {r['local_s']:.1f} | "
              f"{r['dask1_s']:.1f} | {r['dask2_s']:.1f} | {r['peak_mb']:,.0f} | {r['us_per_series']:.0f} | "
              f"{r['same']} |")


if __name__ == "__main__":
    main()
