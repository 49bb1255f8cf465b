"""Detection metrics over the current period, counted as Noufaily et al. (2013) count them.

Inputs are ``[series, time]`` arrays restricted to the current period: ``alarm`` (bool), the
cases of the outbreak being looked for (``current``) and of any other outbreak (``other``).

* outbreak points: points with at least one case of the current outbreak;
* non-outbreak points: points with no outbreak case at all (a point carrying only another
  outbreak's cases is neither);
* false positive rate: alarms at non-outbreak points / non-outbreak points; specificity is
  one minus it;
* probability of detection (POD): outbreaks with at least one alarm at an outbreak point /
  outbreaks (an outbreak whose Poisson size came out 0 has no points and is not counted);
* sensitivity: alarmed outbreak points / outbreak points;
* timeliness (Salmon et al. 2016): (first alarmed outbreak point - first outbreak point) /
  outbreak length in points (first to last outbreak point), 1 for an undetected outbreak;
  0 is best; ``delay`` is the same numerator, in points, over detected outbreaks only;
* alarms per series-year: all alarms of the current period / series-years monitored.

Points a detector could not judge have no alarm and stay in every denominator.
Rates pool counts over series (sums first, then the ratio).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COUNT_COLUMNS = ("points", "alarms", "nonoutbreak_points", "false_alarms", "outbreak_points",
                 "alarmed_outbreak_points", "outbreaks", "detected", "timeliness_sum", "delay_sum", "judged")
METRIC_COLUMNS = ("pod", "fpr", "sensitivity", "specificity", "timeliness", "delay", "alarms_per_year")


def per_series(alarm: np.ndarray, current: np.ndarray, other: np.ndarray | None = None,
               judged: np.ndarray | None = None) -> pd.DataFrame:
    """One row per series with the counts behind every metric (see the module notes)."""
    alarm = np.asarray(alarm, dtype=bool)
    current = np.asarray(current, dtype=float)
    other = np.zeros_like(current) if other is None else np.asarray(other, dtype=float)
    judged = np.ones_like(alarm) if judged is None else np.asarray(judged, dtype=bool)
    n_series, n_time = alarm.shape
    in_outbreak = current > 0
    quiet = ~in_outbreak & ~(other > 0)
    hits = alarm & in_outbreak

    has = in_outbreak.any(axis=1)
    first = np.where(has, np.argmax(in_outbreak, axis=1), 0)
    last = np.where(has, n_time - 1 - np.argmax(in_outbreak[:, ::-1], axis=1), 0)
    length = last - first + 1
    detected = hits.any(axis=1)
    first_hit = np.argmax(hits, axis=1)
    delay = np.where(detected, first_hit - first, 0)
    timeliness = np.where(detected, delay / length, 1.0)
    return pd.DataFrame({
        "points": np.full(n_series, n_time),
        "alarms": alarm.sum(axis=1),
        "nonoutbreak_points": quiet.sum(axis=1),
        "false_alarms": (alarm & quiet).sum(axis=1),
        "outbreak_points": in_outbreak.sum(axis=1),
        "alarmed_outbreak_points": hits.sum(axis=1),
        "outbreaks": has.astype(int),
        "detected": detected.astype(int),
        "timeliness_sum": np.where(has, timeliness, 0.0),
        "delay_sum": np.where(detected, delay, 0).astype(float),
        "judged": judged.sum(axis=1),
    })


def _ratio(num, den):
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def summarise(counts: pd.DataFrame, by: list[str] | None = None, points_per_year: float | pd.Series = 52.0) -> pd.DataFrame:
    """Pool ``per_series`` rows (optionally by ``by`` columns) into the metrics."""
    columns = list(COUNT_COLUMNS)
    if by:
        pooled = counts.groupby(by, sort=True, observed=True)[columns].sum().reset_index()
        ppy = (counts.groupby(by, sort=True, observed=True)["points_per_year"].first().to_numpy()
               if "points_per_year" in counts else points_per_year)
    else:
        pooled = counts[columns].sum().to_frame().T
        ppy = counts["points_per_year"].iloc[0] if "points_per_year" in counts and len(counts) else points_per_year
    out = pooled.copy()
    out["pod"] = _ratio(pooled["detected"], pooled["outbreaks"])
    out["fpr"] = _ratio(pooled["false_alarms"], pooled["nonoutbreak_points"])
    out["sensitivity"] = _ratio(pooled["alarmed_outbreak_points"], pooled["outbreak_points"])
    out["specificity"] = 1.0 - out["fpr"]
    out["timeliness"] = _ratio(pooled["timeliness_sum"], pooled["outbreaks"])
    out["delay"] = _ratio(pooled["delay_sum"], pooled["detected"])
    out["alarms_per_year"] = _ratio(pooled["alarms"], pooled["points"] / np.asarray(ppy, dtype=float))
    out["judged_share"] = _ratio(pooled["judged"], pooled["points"])
    return out


# Single-number forms, for one set of arrays.
def false_positive_rate(alarm, current, other=None) -> float:
    return float(summarise(per_series(alarm, current, other))["fpr"].iloc[0])


def probability_of_detection(alarm, current, other=None) -> float:
    return float(summarise(per_series(alarm, current, other))["pod"].iloc[0])


def sensitivity(alarm, current, other=None) -> float:
    return float(summarise(per_series(alarm, current, other))["sensitivity"].iloc[0])


def specificity(alarm, current, other=None) -> float:
    return float(summarise(per_series(alarm, current, other))["specificity"].iloc[0])


def timeliness(alarm, current, other=None) -> float:
    return float(summarise(per_series(alarm, current, other))["timeliness"].iloc[0])


def alarms_per_year(alarm, points_per_year: float = 52.0) -> float:
    alarm = np.asarray(alarm, dtype=bool)
    return float(alarm.sum() / (alarm.size / points_per_year))
