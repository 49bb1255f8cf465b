"""What the alarm budget costs in detection: the true outbreaks a judged history would have alerted, and
how fast, at the budget's nominal level and at the level learnt from history.

Over the judged points of each outbreak's counties and days (every series of the county's family that
day, as first judged), the Benjamini-Hochberg q-values are worked out as the detect job does; an
outbreak is detected at a level on its first day with a signal of a related syndrome at ``q <= level``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..alerts.budget import bh_qvalues, family_level, family_of
from ..store.alerts import judged_points
from ..store.counts import county_of_units
from ..vocabulary import syndrome_group
from .province import outbreak_counties


def budget_cost(con, start, end, truth: pd.DataFrame, levels: dict[str, float]) -> pd.DataFrame:
    """One row per named level (``levels``: name -> q level of county families): ``level, q, outbreaks,
    detected, median_delay_days`` over the outbreaks of ``truth`` (``syndrome, counties, start, end``) that
    began within ``[start, end]``."""
    truth = truth[(pd.to_datetime(truth["start"]) >= pd.Timestamp(start))
                  & (pd.to_datetime(truth["start"]) <= pd.Timestamp(end))]
    points = judged_points(con, start, end)
    county_of = county_of_units(con)
    if len(points):
        points = points[[family_level(level) == "county" for level in points["level"]]]
        points = points.assign(family=family_of(points["region"], points["level"], county_of).astype(str),
                               date=pd.to_datetime(points["date"]))
        points["q"] = bh_qvalues(points["pvalue"], points["family"] + "|" + points["date"].dt.strftime("%F"))
        points["group"] = points["syndrome"].map(syndrome_group)
    courses = []  # per outbreak: its days from the start, and the smallest q of a related series on each
    for _, outbreak in truth.iterrows():
        begin, finish = pd.Timestamp(outbreak["start"]), pd.Timestamp(outbreak["end"])
        if not len(points):
            courses.append((np.array([]), np.array([])))
            continue
        mine = points[points["family"].isin(outbreak_counties(outbreak)) & (points["group"] == syndrome_group(outbreak["syndrome"]))
                      & (points["date"] >= begin) & (points["date"] <= finish)]
        daily = mine.groupby("date")["q"].min()
        courses.append(((daily.index - begin).days.to_numpy(), daily.to_numpy()))
    rows = []
    for name, q in levels.items():
        delays = [days[smallest <= q].min() for days, smallest in courses if (smallest <= q).any()]
        rows.append({"level": name, "q": q, "outbreaks": len(truth), "detected": len(delays),
                     "median_delay_days": float(np.median(delays)) if delays else np.nan})
    return pd.DataFrame(rows, columns=["level", "q", "outbreaks", "detected", "median_delay_days"])
