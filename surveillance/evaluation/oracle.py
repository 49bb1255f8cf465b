"""How early could any detector have alerted? The oracle bound of the detection delay.

The province suite reports the median days from an outbreak's start to its first alert. What that
figure can reach depends on the outbreak as much as on the detectors: an epidemic curve starts with a
few extra cases a day, and no test tells them from noise until enough have come. The bound answers
"how early, at best?" for each true outbreak, by a detector that cannot exist:

* it knows where the outbreak is: its units, syndrome and age group, summed into one series;
* it knows the series' usual daily count (the mean over the ``baseline_days`` days that end
  ``guard_days`` before the outbreak's start, final counts) and takes the counts as Poisson
  (no overdispersion: real counts vary more, so any real test needs more cases);
* it spends the county's whole daily alarm budget on that one series: one test a day at
  ``alpha`` (``noise alerts per quarter / days per quarter``), where a real detector shares it
  with every series the county watches (facilities x syndromes x age groups);
* on each day of the outbreak it tests every window of 1 to ``max_window`` days ending that day and
  inside the outbreak (Bonferroni over the windows).

Its first alert is the first day with ``P(X >= x | Poisson(w * usual)) <= alpha / max_window``; a real
detector at the same budget alerts on that day or later.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

MAX_WINDOW = 7
BASELINE_DAYS, GUARD_DAYS = 28, 7


def oracle_first_day(counts, usual: float, alpha: float, max_window: int = MAX_WINDOW) -> int | None:
    """The first day (0: the outbreak's first) the oracle's test of ``counts`` (the outbreak's series
    from its first day) against ``usual`` cases a day rejects at ``alpha``; ``None`` if it never does."""
    counts = np.nan_to_num(np.asarray(counts, dtype=float))
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1); got {alpha}")
    usual = max(float(usual), 1e-9)
    cumulative = np.concatenate([[0.0], np.cumsum(counts)])
    for day in range(len(counts)):
        widths = np.arange(1, min(max_window, day + 1) + 1)
        x = cumulative[day + 1] - cumulative[day + 1 - widths]
        if (stats.poisson.sf(x - 1, widths * usual) <= alpha / max_window).any():
            return day
    return None


def usual_daily(series: pd.Series, start, *, baseline_days: int = BASELINE_DAYS, guard_days: int = GUARD_DAYS) -> float:
    """Mean daily count of ``series`` (indexed by day; missing days count as 0) over the ``baseline_days``
    days ending ``guard_days`` before ``start``."""
    start = pd.Timestamp(start)
    days = pd.date_range(start - pd.Timedelta(days=guard_days + baseline_days), periods=baseline_days)
    return float(series.reindex(days, fill_value=0.0).mean())


def oracle_delays(outbreaks: pd.DataFrame, read_series, *, alpha: float, start=None, end=None) -> pd.DataFrame:
    """Per outbreak of ``outbreaks`` (the demo's truth: ``outbreak_id, syndrome, age_group, units, start,
    end``) overlapping ``[start, end]``: ``outbreak_id, usual, first_day`` (the oracle's delay in days;
    NaN when even the oracle would not have alerted). ``read_series(units, syndrome, age_group, first, last)``
    gives the final daily counts of those units summed (a Series indexed by day)."""
    rows = []
    for o in outbreaks.itertuples(index=False):
        o_start, o_end = pd.Timestamp(o.start), pd.Timestamp(o.end)
        if (end is not None and o_start > pd.Timestamp(end)) or (start is not None and o_end < pd.Timestamp(start)):
            continue
        first = o_start - pd.Timedelta(days=GUARD_DAYS + BASELINE_DAYS)
        series = read_series(str(o.units).split(","), o.syndrome, o.age_group, first.date(), o_end.date())
        series.index = pd.to_datetime(series.index)
        usual = usual_daily(series, o_start)
        during = series.reindex(pd.date_range(o_start, o_end), fill_value=0.0)
        day = oracle_first_day(during.to_numpy(), usual, alpha)
        rows.append({"outbreak_id": o.outbreak_id, "usual": usual, "first_day": np.nan if day is None else day})
    return pd.DataFrame(rows, columns=["outbreak_id", "usual", "first_day"])
