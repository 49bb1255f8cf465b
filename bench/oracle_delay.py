"""The oracle bound of the province suite's median delay, on stores a suite run left behind.

For each true outbreak of each store's ``outbreaks.csv`` (overlapping the judged year), the first
day an oracle that knows the outbreak's units, syndrome and age group, takes the counts as Poisson
and spends the county's whole daily budget on that one series could have alerted
(surveillance/evaluation/oracle.py). A real detector at the same budget is never earlier. Beside it, the days to
the store's own first matching alert (after the suite's backfill).

    python bench/oracle_delay.py var/bench/province/seed0 var/bench/province/seed2 ... \
        [--budget 0.5] [--budget 1.3] [--since 2025-12-09]

``--budget`` is noise alerts per county and quarter (0.5: the shipped default; 1.3: 0.1 alerts per
county-week, the ceiling a county team was asked to answer); several may be given.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from surveillance.alerts.budget import DAYS_PER_QUARTER  # noqa: E402
from surveillance.evaluation.oracle import oracle_delays  # noqa: E402
from surveillance.store import open_store  # noqa: E402
from surveillance.evaluation.province import EVENT_KINDS, match_alerts  # noqa: E402
from surveillance.store.alerts import episodes_table  # noqa: E402
from surveillance.store.counts import county_of_units, units_daily  # noqa: E402


def first_alert_days(con, truth: pd.DataFrame) -> pd.Series:
    """Per outbreak: days from its start to the store's first matching outbreak or cluster alert."""
    episodes = episodes_table(con)
    events = episodes[episodes["kind"].isin(EVENT_KINDS)]
    pairs = match_alerts(events, truth, county_of_units(con)).merge(events[["episode_id", "opened_on"]], on="episode_id")
    first = pd.to_datetime(pairs.groupby("outbreak_id")["opened_on"].min())
    return (first - pd.to_datetime(truth.set_index("outbreak_id")["start"]).reindex(first.index)).dt.days.clip(lower=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stores", nargs="+", type=Path, help="folders holding surveillance.duckdb and outbreaks.csv")
    parser.add_argument("--budget", type=float, action="append", help="noise alerts per county-quarter")
    parser.add_argument("--since", default=None, help="first judged day (default: a year before the newest outbreak end)")
    args = parser.parse_args()
    budgets = args.budget or [0.5]
    print(f"machine: {platform.machine()} {platform.processor() or ''}, Python {platform.python_version()}")
    for budget in budgets:
        alpha = budget / DAYS_PER_QUARTER
        frames = []
        for folder in args.stores:
            truth = pd.read_csv(folder / "outbreaks.csv", dtype=str)
            since = args.since or str(pd.to_datetime(truth["end"]).max() - pd.Timedelta(days=358))
            with open_store(folder / "surveillance.duckdb", read_only=True) as store:
                def read(units, syndrome, age_group, first, last):
                    return units_daily(store.con, units=units, syndrome=syndrome, age_group=age_group,
                                       start=first, end=last)
                delays = oracle_delays(truth, read, alpha=alpha, start=since)
                delays["alerted_day"] = delays["outbreak_id"].map(first_alert_days(store.con, truth))
            frames.append(delays.merge(truth[["outbreak_id", "kind", "syndrome"]], on="outbreak_id")
                          .assign(store=folder.name))
        table = pd.concat(frames, ignore_index=True)
        print(f"\nbudget {budget:g} noise alerts per county-quarter (alpha {alpha:.4f} a county-day)")
        print(table[["store", "outbreak_id", "kind", "syndrome", "usual", "first_day", "alerted_day"]].to_string(index=False))
        print(f"oracle median delay: {np.nanmedian(table['first_day']):g} days over {len(table)} outbreaks; "
              f"the store's alerts: {np.nanmedian(table['alerted_day']):g} days")


if __name__ == "__main__":
    main()
