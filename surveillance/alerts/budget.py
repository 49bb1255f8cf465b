"""The alarm budget: how many alerts from noise alone a team answers, kept across all the series it
watches.

A county watches dozens of series a day (detectors x syndromes x age groups, its facilities too);
at p < 0.05 each, noise alone colours several a week. The budget is stated as noise alerts per
family per quarter (a family: a county with its facilities, or a city or province on its own), and
kept by false-discovery-rate control across the family's series of each day (Benjamini-Hochberg):
under the complete null, BH at level ``q`` raises at least one alert on a day with probability at
most ``q``, so ``q = budget / days per quarter`` keeps the noise within budget, while a day with
real excess still lets through every series that carries it. A signal keeps its colour only when its
BH-adjusted p-value (q-value) is within the budget too: yellow at ``q <= q_yellow``, red at
``q <= q_yellow * red_share``; its own detector's thresholds still apply.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..vocabulary import severity_rank

DAYS_PER_QUARTER = 365.25 / 4
SEVERITY_BY_RANK = {severity_rank(s): s for s in ("none", "yellow", "red")}


def bh_qvalues(pvalues: pd.Series, families: pd.Series) -> pd.Series:
    """Benjamini-Hochberg adjusted p-values within each family (NaN p-values are not tests and stay NaN)."""
    frame = pd.DataFrame({"p": pd.to_numeric(pvalues, errors="coerce").to_numpy(),
                          "family": families.to_numpy()}, index=pvalues.index)
    tests = frame[frame["p"].notna()].sort_values(["family", "p"], kind="stable")
    if tests.empty:
        return pd.Series(np.nan, index=pvalues.index)
    grouped = tests.groupby("family", sort=False)["p"]
    rank = grouped.cumcount() + 1
    m = grouped.transform("size")
    raw = (tests["p"] * m / rank).clip(upper=1.0)
    # q_(i) = min over j >= i of raw_(j): a running minimum from the largest p down, per family
    q = raw.iloc[::-1].groupby(tests["family"].iloc[::-1], sort=False).cummin().iloc[::-1]
    return q.reindex(pvalues.index)


def family_of(regions: pd.Series, levels: pd.Series, county_of) -> pd.Series:
    """The family of each signal's region: a facility's county, any other region itself."""
    facility = levels.to_numpy() == "facility"
    out = regions.astype(object).to_numpy().copy()
    out[facility] = [county_of(r) for r in out[facility]]
    return pd.Series(out, index=regions.index)


def keep_budget(signals: pd.DataFrame, *, noise_per_quarter: float, red_share: float, county_of) -> pd.DataFrame:
    """``signals`` with each temporal signal's severity capped by its q-value within its family and day;
    adds ``qvalue``. Clusters and data-quality signals are left as they are (a scan's p-value is already
    corrected over the whole map)."""
    out = signals.copy()
    out["qvalue"] = np.nan
    temporal = (out["detector"] != "quality") & out["regions"].isna() if len(out) else pd.Series(dtype=bool)
    if noise_per_quarter <= 0 or not temporal.any():
        return out
    part = out[temporal]
    family = family_of(part["region"], part["level"], county_of).astype(str) + "|" + \
        pd.to_datetime(part["date"]).dt.strftime("%Y-%m-%d")
    q = bh_qvalues(part["pvalue"], family)
    q_yellow = noise_per_quarter / DAYS_PER_QUARTER
    allowed = np.where(q <= q_yellow * red_share, severity_rank("red"),
                       np.where(q <= q_yellow, severity_rank("yellow"), severity_rank("none")))
    current = part["severity"].map(severity_rank).to_numpy()
    out.loc[temporal, "severity"] = [SEVERITY_BY_RANK[r] for r in np.minimum(current, allowed)]
    out.loc[temporal, "qvalue"] = q.to_numpy()
    return out
