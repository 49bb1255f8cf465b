"""The revision history as arrivals by delay: what of each day's counts arrived how many days after it,
summed per region (and syndrome), for the reporting triangles of :mod:`surveillance.nowcast`."""

from __future__ import annotations

import pandas as pd

from .counts import _check_level, _filters  # the schema's rules live in counts

# Delays are whole days: a revision received on day date + d arrived at delay d (d = 0: the day itself).
_DELAY = "greatest(date_diff('day', date, received_at::DATE), 0)"


def arrivals_by_delay(con, *, level: str = "county", start, end, as_of=None, max_delay: int,
                      by_syndrome: bool = False) -> pd.DataFrame:
    """``region[, syndrome], date, delay, count``: the counts (all units, syndromes and age groups of the
    region, or per syndrome) of the days ``start..end`` that arrived ``delay`` days after their day, as
    received by the end of ``as_of``. A revision counts its change from the revision before (negative for
    a correction downward); delays beyond ``max_delay`` count at ``max_delay``. A row exists for every
    delay at which some report of the region's day arrived, even with no change."""
    _check_level(level)
    params: list = []
    filters = _filters(params, start=start, end=end, as_of=as_of)
    syndrome = "r.syndrome, " if by_syndrome else ""
    frame = con.execute(f"""
        WITH revisions AS (
            SELECT date, unit, syndrome, least({_DELAY}, ?) AS delay,
                   count - coalesce(lag(count) OVER (PARTITION BY date, unit, syndrome, age_group
                                                     ORDER BY revision), 0) AS change
            FROM observations WHERE true {filters}
        )
        SELECT ur.{level} AS region, {syndrome}r.date, r.delay, sum(r.change)::DOUBLE AS count
        FROM revisions r JOIN unit_regions ur ON ur.unit = r.unit
        WHERE ur.{level} IS NOT NULL
        GROUP BY ALL ORDER BY ALL""", [int(max_delay), *params]).df()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame
