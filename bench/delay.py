"""The README's delay-adjustment figures: detection on the daily suite judged the morning after, on
final data, on first-known data as it is, with the chain ladder's plain nowcast and as the detect job
adjusts it (surveillance.evaluation.delay), for counties reporting as one unit and of ten facilities.

    python bench/delay.py [--reps 100] [--seed 1] [--methods ears_c1,ears_c2,...] [--units 1,10]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from surveillance.evaluation.delay import evaluate_delay  # noqa: E402

METHODS = "ears_c1,ears_c2,ears_c3,ewma,regression,switch"
WAYS = {"final": "final data", "first_known": "first known", "chain_ladder": "chain ladder x/q",
        "adjusted": "adjusted (the job)"}


def markdown(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return head + "\n".join("| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False))


def table(ev) -> pd.DataFrame:
    t = ev.table
    pooled = t.groupby("way", sort=False)[["both", "extra", "final_alarms", "either", "alarmed_outbreak_points",
                                           "outbreak_points", "false_alarms", "nonoutbreak_points", "detected",
                                           "outbreaks"]].sum().reset_index()
    pooled.insert(0, "method", "all")
    pooled["sensitivity"] = pooled["alarmed_outbreak_points"] / pooled["outbreak_points"]
    pooled["fpr"] = pooled["false_alarms"] / pooled["nonoutbreak_points"]
    pooled["pod"] = pooled["detected"] / pooled["outbreaks"]
    pooled["final_alarms_kept"] = pooled["both"] / pooled["final_alarms"]
    pooled["extra_per_final_alarm"] = pooled["extra"] / pooled["final_alarms"]
    pooled["jaccard"] = pooled["both"] / pooled["either"]
    rows = pd.concat([t, pooled], ignore_index=True)
    final = rows[rows["way"] == "final"].set_index("method")
    off = lambda column: (rows[column] - rows["method"].map(final[column])).abs()  # noqa: E731
    return pd.DataFrame({
        "method": rows["method"].astype(str), "judged on": rows["way"].map(WAYS),
        "POD": rows["pod"].map("{:.3f}".format), "sensitivity": rows["sensitivity"].map("{:.3f}".format),
        "FPR": rows["fpr"].map("{:.4f}".format),
        "off final (sens + FPR)": (off("sensitivity") + off("fpr")).map("{:.4f}".format),
        "final alarms kept": rows["final_alarms_kept"].map("{:.3f}".format),
        "extra alarms per final alarm": rows["extra_per_final_alarm"].map("{:.3f}".format),
        "alarms alike (Jaccard)": rows["jaccard"].map("{:.3f}".format),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--methods", default=METHODS)
    parser.add_argument("--units", default="1,10", help="units per county, comma-separated")
    parser.add_argument("--scenario", action="append", type=int)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    for units in (int(u) for u in args.units.split(",")):
        ev = evaluate_delay(args.methods, reps=args.reps, seed=args.seed, scenarios=args.scenario,
                            units_per_county=units)
        print(f"\n### Counties of {units} unit{'s' if units > 1 else ''}: {args.reps} replicates, seed {args.seed}, "
              f"{ev.seconds:.0f} s\n")
        print(f"Share of a day known the morning after (chain ladder, mean over counties): {ev.share_known:.3f}; "
              f"the 90% nowcast interval held the final count on {ev.coverage:.1%} of first-known days.\n")
        print(markdown(table(ev)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
