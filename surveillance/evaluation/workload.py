"""The alarm workload of the configured detectors on the store's own history, and the severity
thresholds that would bring it to a target.

The detect job keeps every judged point as a signal, with the p-value the detector gave on the
data known at the time (a backfill, ``surveillance detect --since``, fills a year in). From
those, per configured detector: how many yellow-or-red signals each series raised per year with
the current thresholds, and which yellow p-value threshold would have raised ``target`` per
series-year (pooled over the detector's series, as one ``severity`` per detector in the config
sets it; the spread of per-series thresholds says how uneven the series are). Red keeps its
configured ratio to yellow. What the change costs in detection is counted on the alerts that
the workflow closed as confirmed outbreaks: those with a signal of the detector below the new
threshold would still have been raised.

A point counts as the detector first judged it (its earliest ``as_of``): that is what raised
or did not raise an alert at the time.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ..config import Config
from ..errors import SurveillanceError
from ..store.alerts import confirmed_evidence, judged_points
from .tuning import allowed_share, threshold_for_share

DAYS_PER_YEAR = 365.25
MAX_YELLOW = 0.5


def workload(con, config: Config, since: date, until: date, target_per_year: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(summary, per_series)``: one row per configured temporal detector, and one per series.

    ``summary`` columns: detector, first_day, last_day (judged), series, series_years, signals_per_year (yellow or red per
    series-year now), yellow_now, red_now, yellow, red (recommended), expected_per_year (with
    them, on this history), series_yellow_p10/p50/p90, confirmed, confirmed_kept.
    """
    points = judged_points(con, since, until)
    if points.empty:
        raise SurveillanceError(f"no judged signals between {since} and {until}; judge the history first with "
                                f"`surveillance detect --config ... --since {since}`")
    confirmed = confirmed_evidence(con, since, until)
    rows, series_rows = [], []
    for spec in config.detection.detectors:
        mine = points[points["detector"] == spec.id]
        if mine.empty:
            continue
        current = config.detection.severity_for(spec)
        period = int(mine["period_days"].iloc[0])
        share = allowed_share(target_per_year, DAYS_PER_YEAR / period)
        # A point can only signal when above its expectation; its strength is -log10(p).
        above = (mine["observed"] > mine["expected"]).to_numpy()
        with np.errstate(divide="ignore"):
            strength = np.where(above, -np.log10(mine["pvalue"].clip(lower=0).to_numpy()), -np.inf)
        cut = threshold_for_share(strength, share)
        yellow = float(min(10 ** -cut, MAX_YELLOW))  # a target above every rise: colour nearly all of them
        red = yellow * current.red / current.yellow
        coloured = mine["severity"].isin(["yellow", "red"]).to_numpy()
        years = len(mine) * period / DAYS_PER_YEAR
        keys = ["level", "region", "syndrome", "age_group", "measure"]
        per_series = (mine.assign(strength=strength, coloured=coloured).groupby(keys, sort=True)
                      .agg(points=("strength", "size"), signals=("coloured", "sum"),
                           yellow=("strength", lambda v: 10 ** -threshold_for_share(v.to_numpy(), share)))
                      .reset_index())
        per_series.insert(0, "detector", spec.id)
        per_series["signals_per_year"] = per_series["signals"] / (per_series["points"] * period / DAYS_PER_YEAR)
        series_rows.append(per_series)
        kept = confirmed[confirmed["detector"] == spec.id]
        rows.append({
            "detector": spec.id, "first_day": mine["date"].min().date(), "last_day": mine["date"].max().date(),
            "series": len(per_series), "series_years": years,
            "signals_per_year": coloured.sum() / years, "yellow_now": current.yellow, "red_now": current.red,
            "yellow": yellow, "red": red,
            "expected_per_year": (strength > -np.log10(yellow)).sum() / years,  # = cut unless capped
            "series_yellow_p10": per_series["yellow"].quantile(0.1),
            "series_yellow_p50": per_series["yellow"].quantile(0.5),
            "series_yellow_p90": per_series["yellow"].quantile(0.9),
            "confirmed": kept["episode_id"].nunique(),
            "confirmed_kept": kept.loc[kept["pvalue"] < yellow, "episode_id"].nunique(),
        })
    if not rows:
        raise SurveillanceError("none of the configured detectors has judged signals in the window")
    return pd.DataFrame(rows), pd.concat(series_rows, ignore_index=True)
