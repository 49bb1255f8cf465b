"""Detector throughput: Farrington on many weekly series, EARS on many daily series.

    python bench/detectors.py [--series 1000 10000] [--daily-series 10000]

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


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--daily-series", type=int, default=10000)
    args = parser.parse_args()

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
