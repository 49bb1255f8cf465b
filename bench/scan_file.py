"""Benchmark of the whole `surveillance scan-file` process, start-up included.

    python bench/scan_file.py                   # 100 regions x 30 days x 999 replicates
    python bench/scan_file.py --checkout DIR    # also time another checkout (e.g. before a change)

The inputs are those of ``bench/scan.py``'s first case (Poisson counts with mean 6 per
region-day at random centroids) written as the command's CSV files; the scan runs with its
defaults (permutation, 7-day windows, zones up to 50% of the cases, 999 replicates), SaTScan's
settings for its reference runs (SaTScan: 1.8 s of CPU on n100_d30). Each checkout runs once to
fill numba's cache, then ``--repeat`` times; the best wall time is reported with that run's CPU
time (the process and its threads: user + system).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE / "bench"))

from scan import synthetic  # noqa: E402


def write_inputs(folder: Path, n_regions: int = 100, n_days: int = 30) -> tuple[Path, Path]:
    counts, lat, lon = synthetic(n_regions, n_days)
    codes = [f"R{i:03d}" for i in range(n_regions)]
    dates = pd.date_range("2026-01-01", periods=n_days, freq="D").strftime("%Y-%m-%d")
    regions_path, counts_path = folder / "regions.csv", folder / "counts.csv"
    pd.DataFrame({"region": codes, "lat": lat, "lon": lon}).to_csv(regions_path, index=False)
    pd.DataFrame({"region": np.repeat(codes, n_days), "date": np.tile(dates, n_regions),
                  "count": counts.ravel().astype(int)}).to_csv(counts_path, index=False)
    return counts_path, regions_path


def run_once(checkout: Path, counts: Path, regions: Path, output: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one ``python -m surveillance.cli scan-file`` process in ``checkout``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run([sys.executable, "-m", "surveillance.cli", "scan-file", str(counts), "--regions", str(regions),
                    "--method", "permutation", "-o", str(output)],
                   cwd=checkout, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def best_of(checkout: Path, counts: Path, regions: Path, output: Path, repeat: int) -> tuple[float, float]:
    run_once(checkout, counts, regions, output)  # fills numba's cache on a first run
    return min(run_once(checkout, counts, regions, output) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per checkout; the fastest is reported")
    parser.add_argument("--checkout", type=Path, action="append", default=[],
                        help="another checkout to time the same way (repeatable)")
    args = parser.parse_args()
    checkouts = [HERE, *args.checkout]
    with tempfile.TemporaryDirectory(prefix="bench-scan-file-") as tmp:
        folder = Path(tmp)
        counts, regions = write_inputs(folder)
        outputs = []
        print(f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}, best of {args.repeat} after a warm-up run")
        print()
        print("| checkout | wall | CPU |")
        print("|---|---:|---:|")
        for i, checkout in enumerate(checkouts):
            output = folder / f"clusters-{i}.json"
            wall, cpu = best_of(checkout.resolve(), counts, regions, output, args.repeat)
            outputs.append(output.read_text())
            print(f"| {checkout} | {wall:.2f} s | {cpu:.2f} s |", flush=True)
        if len(outputs) > 1:
            same = all(text == outputs[0] for text in outputs)  # the same input paths, so the same JSON
            print(f"\nsame clusters in every checkout: {same}")


if __name__ == "__main__":
    main()
