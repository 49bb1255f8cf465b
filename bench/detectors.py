"""Detector throughput: Farrington on many weekly series, EARS on many daily series, and
the daily detectors (EARS, EWMA, regression, switch) at the scale of a province.

    python bench/detectors.py [--series 1000 10000] [--daily-series 10000]
    python bench/detectors.py --scale [--scale-series 150000] [--chunk 25000]

``--scale``: 150,000 daily series (3,000 counties x 10 syndromes x 5 age groups) of 3 years
(1,095 days). Each case runs in its own process so that its peak memory (max RSS) is its
own; the series are processed in chunks of ``--chunk`` series (the results of a chunk are
dropped before the next, as a job writing them to the store would). Cases:

* ``newest``: judge the newest day (``monitor_last=1``) on the full 3-year panel;
* ``newest-recent``: judge the newest day from the last 130 days only (the history the
  detectors need: EWMA's smoothed values forget their start by a factor 0.6 a day, so
  100 days more than its baseline reproduce the full-history values to ~1e-20);
* ``backfill``: judge every day of the 3 years.

The benchmark processes are started with ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` raised, so that glibc keeps freed arrays for the next chunk
instead of returning them to the system (re-faulting fresh pages dominated the run time in
a virtual machine); a long-running service can do the same.

Farrington: weekly negative-binomial series of 10 years (520 weeks) with a yearly season,
the last 52 weeks judged (``monitor_last=52``), once with ``farrington_flexible``'s
defaults (R farringtonFlexible's) and once with Noufaily et al.'s recommended settings
(10 periods, 26 past weeks excluded, negative-binomial threshold). Reported as ms per
series-week judged; the target is <= 0.3 ms (100x R's throughput).

EARS: C1, C2 and C3 over every day of 3 years of daily series.

The numba kernel is compiled (or loaded from its cache) by a warm-up run before timing.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

import numpy as np
import pandas as pd

from surveillance.detectors import detect
from surveillance.panel import Panel

NOUFAILY = {"n_periods": 10, "past_weeks_excluded": 26, "threshold": "nbplugin"}


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical cores, Python {platform.python_version()}"


def weekly_panel(n_series: int, n_weeks: int = 520, seed: int = 0) -> Panel:
    rng = np.random.default_rng(seed)
    t = np.arange(n_weeks)
    level = rng.normal(1.5, 1.0, size=(n_series, 1))
    mu = np.exp(level + 0.5 * np.sin(2 * np.pi * t / 52.18))
    counts = rng.negative_binomial(3, 3 / (3 + mu)).astype(float)
    dates = pd.date_range("2015-01-05", periods=n_weeks, freq="W-MON")
    return Panel(counts=counts, dates=dates, keys=pd.DataFrame({"series": np.arange(n_series)}), freq="weekly")


def daily_panel(n_series: int, n_days: int = 3 * 365, seed: int = 1) -> Panel:
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rng.uniform(1, 50, size=(n_series, 1)), size=(n_series, n_days)).astype(float)
    dates = pd.date_range("2023-01-01", periods=n_days, freq="D")
    return Panel(counts=counts, dates=dates, keys=pd.DataFrame({"series": np.arange(n_series)}), freq="daily")


def scale_chunk(n_series: int, n_days: int, seed: int) -> Panel:
    """Daily counts of a province: small and large series, weekday and yearly patterns."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2022-01-01", periods=n_days, freq="D")
    t = np.arange(n_days)
    weekday = np.where(np.asarray(dates.day_of_week) >= 5, 0.7, 1.0)
    season = 1.0 + 0.3 * np.cos(2 * np.pi * (t - 15) / 365.25)
    level = rng.lognormal(1.5, 1.2, size=(n_series, 1))
    counts = rng.poisson(level * weekday * season).astype(np.float64)
    return Panel(counts=counts, dates=dates, keys=pd.DataFrame({"series": np.arange(n_series)}), freq="daily")


SCALE_DETECTORS = ("ears_c1", "ears_c2", "ears_c3", "ewma", "regression", "switch")
RECENT_DAYS = 130


def run_case(case: str, n_series: int, chunk: int, n_days: int) -> None:
    """One case in this process; prints one line per detector and the peak memory."""
    import gc

    params = {} if case == "backfill" else {"monitor_last": 1}
    detect("ewma", scale_chunk(50, 120, 0), **params)  # warm-up: compile or load the kernels
    detect("regression", scale_chunk(50, 120, 0), **params)
    seconds = dict.fromkeys(SCALE_DETECTORS, 0.0)
    alarms = dict.fromkeys(SCALE_DETECTORS, 0)
    for k, lo in enumerate(range(0, n_series, chunk)):
        panel = scale_chunk(min(chunk, n_series - lo), n_days, seed=100 + k)
        if case == "newest-recent":
            panel = Panel(counts=np.ascontiguousarray(panel.counts[:, -RECENT_DAYS:]), dates=panel.dates[-RECENT_DAYS:],
                          keys=panel.keys, freq="daily")
        for name in SCALE_DETECTORS:
            result, s = timed(lambda: detect(name, panel, **params))
            seconds[name] += s
            alarms[name] += int(result.alarm.sum())
            del result
            gc.collect()
        del panel
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for name in SCALE_DETECTORS:
        print(f"RESULT {case} {name} {seconds[name]:.3f} {alarms[name]}")
    print(f"RESULT {case} total {sum(seconds.values()):.3f} {peak:.0f}")


def scale(n_series: int, chunk: int, n_days: int) -> None:
    import subprocess
    import sys

    print(f"\ndaily detectors, {n_series:,} series x {n_days} days, chunks of {chunk:,} series, "
          f"{os.cpu_count()} cores")
    rows = {}
    for case in ("newest", "newest-recent", "backfill"):
        # glibc hands large freed arrays back to the system and the next chunk faults fresh
        # pages in again, which costs more than the computing in a virtual machine; keeping
        # freed memory in the process (as a long-running service would) avoids that.
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(1 << 34), MALLOC_TRIM_THRESHOLD_=str(1 << 34))
        out = subprocess.run([sys.executable, __file__, "--case", case, "--scale-series", str(n_series),
                              "--chunk", str(chunk), "--days", str(n_days)],
                             capture_output=True, text=True, check=True, env=env).stdout
        for line in out.splitlines():
            if line.startswith("RESULT"):
                _, c, name, a, b = line.split()
                rows[(c, name)] = (float(a), b)
    print(f"{'detector':>12} {'newest (s)':>11} {'newest, 130 d (s)':>18} {'backfill (s)':>13} {'alarms/day':>11}")
    for name in SCALE_DETECTORS:
        n, r, b = rows[("newest", name)], rows[("newest-recent", name)], rows[("backfill", name)]
        print(f"{name:>12} {n[0]:>11.2f} {r[0]:>18.2f} {b[0]:>13.1f} {int(b[1]) / n_days:>11.0f}")
    n, r, b = rows[("newest", "total")], rows[("newest-recent", "total")], rows[("backfill", "total")]
    print(f"{'all six':>12} {n[0]:>11.2f} {r[0]:>18.2f} {b[0]:>13.1f}")
    print(f"{'peak RSS MB':>12} {float(n[1]):>11,.0f} {float(r[1]):>18,.0f} {float(b[1]):>13,.0f}")


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--daily-series", type=int, default=10000)
    parser.add_argument("--scale", action="store_true", help="only the daily detectors at province scale")
    parser.add_argument("--scale-series", type=int, default=150_000)
    parser.add_argument("--chunk", type=int, default=25_000)
    parser.add_argument("--days", type=int, default=3 * 365)
    parser.add_argument("--case", choices=("newest", "newest-recent", "backfill"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        run_case(args.case, args.scale_series, args.chunk, args.days)
        return
    if args.scale:
        print(f"machine: {machine()}")
        scale(args.scale_series, args.chunk, args.days)
        return

    print(f"machine: {machine()}")
    detect("farrington_flexible", weekly_panel(20), monitor_last=4, **NOUFAILY)  # warm-up (numba)

    print("\nfarrington_flexible, 10 years weekly, last 52 weeks judged")
    print(f"{'series':>8} {'settings':>10} {'seconds':>9} {'ms/series-week':>15} {'series-weeks/s':>15}")
    for n in args.series:
        panel = weekly_panel(n)
        for label, params in (("defaults", {}), ("noufaily", NOUFAILY)):
            result, seconds = timed(lambda: detect("farrington_flexible", panel, monitor_last=52, **params))
            judged = n * 52
            print(f"{n:>8} {label:>10} {seconds:>9.2f} {1e3 * seconds / judged:>15.4f} {judged / seconds:>15,.0f}")

    print(f"\nEARS, {args.daily_series} daily series x 3 years, every day judged")
    panel = daily_panel(args.daily_series)
    for name in ("ears_c1", "ears_c2", "ears_c3"):
        _, seconds = timed(lambda: detect(name, panel))
        points = panel.counts.size
        print(f"{name:>8}: {seconds:6.2f} s, {1e6 * seconds / points:.3f} us per series-day")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (max RSS): {peak:,.0f} MB")


if __name__ == "__main__":
    main()
