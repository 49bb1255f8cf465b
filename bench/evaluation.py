"""The README's detector comparison tables: both simulation suites at alpha 0.01 and at a target
alarm rate, printed as Markdown, with the time each took and the machine.

    python bench/evaluation.py [--reps 100] [--seed 1] [--out var/evaluation]

The HTML reports and CSV files of each suite go to ``--out`` (the same files
``surveillance evaluate`` writes).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from surveillance.detectors import available  # noqa: E402
from surveillance.evaluation import evaluate_to_report  # noqa: E402

WEEKLY = ["farrington_flexible", "farrington", "bayes", "serfling", "ears_c1", "ears_c2", "ears_c3", "ewma",
          "cusum", "glrnb", "mpm", "gbm"]
DAILY = ["ears_c1", "ears_c2", "ears_c3", "regression", "switch", "ewma", "cusum", "glrnb", "mpm", "gbm"]
# Weekly: the rate alpha 0.01 promises (0.52 alarms per series-year), pooled per scenario, so every
# method is compared at the same false alarm rate. Daily: one alarm per county per month.
TARGETS = {"weekly": (0.52, "scenario"), "daily": (12.0, "series")}
SIZES = {"weekly": (2, 5, 10), "daily": (2, 5, 10)}


def markdown(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return head + "\n".join("| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False))


def table(overall: pd.DataFrame, by_size: pd.DataFrame, sizes) -> pd.DataFrame:
    pod_k = by_size.pivot(index="method", columns="k", values="pod").reindex(columns=list(sizes))
    pod_k.index = pod_k.index.astype(str)
    out = pd.DataFrame({
        "method": overall["method"].astype(str),
        "POD": overall["pod"].map("{:.3f}".format),
        **{f"POD k={k}": overall["method"].astype(str).map(pod_k[k]).map("{:.2f}".format) for k in sizes},
        "FPR": overall["fpr"].map("{:.4f}".format),
        "sensitivity": overall["sensitivity"].map("{:.3f}".format),
        "specificity": overall["specificity"].map("{:.4f}".format),
        "timeliness": overall["timeliness"].map("{:.3f}".format),
        "alarms/series-year": overall["alarms_per_year"].map("{:.2f}".format),
    })
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "evaluation")
    parser.add_argument("--suite", choices=["weekly", "daily"], action="append")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    for suite in args.suite or ["weekly", "daily"]:
        methods = [m for m in (WEEKLY if suite == "weekly" else DAILY) if m in available()]
        target, tune_by = TARGETS[suite]
        done = evaluate_to_report(suite, methods, args.reps, args.seed, args.out / f"{suite}.html",
                                  target_per_year=target, tune_by=tune_by)
        ev = done["evaluation"]
        print(f"\n### {suite} suite: {len(ev.scenarios)} scenarios x {args.reps} replicates, seed {args.seed}, "
              f"{done['seconds']:.0f} s\n")
        print("At alpha 0.01 (methods without alpha at their defaults):\n")
        print(markdown(table(ev.overall, ev.by_size, SIZES[suite])))
        print(f"\nThresholds tuned to {target:g} alarms per series-year (per {tune_by}):\n")
        print(markdown(table(ev.tuned_overall, ev.tuned_by_size, SIZES[suite])))
        print("\nCalibration at alpha 0.01:\n")
        calib = ev.calibration.dropna(subset=["alpha"])
        print(markdown(pd.DataFrame({
            "method": calib["method"].astype(str), "FPR": calib["fpr"].map("{:.4f}".format),
            "FPR / alpha": calib["fpr_over_alpha"].map("{:.2f}".format),
            "scenario FPR min-max": calib["fpr_min"].map("{:.4f}".format) + "-" + calib["fpr_max"].map("{:.4f}".format),
            "scenarios above alpha": calib["scenarios_above_alpha"].map("{:.0%}".format)})))
        print("\nDetector seconds: " + ", ".join(f"{m} {s:.1f}" for m, s in ev.seconds.items()))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
