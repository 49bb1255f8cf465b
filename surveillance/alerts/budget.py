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

The p-values are exact only when the detectors' models are: real counts have heavier tails (a
clinic's odd week, a hospital's weekend share), and a day with one false signal often has another
the next day. So the level is also learnt from history (:func:`learn_level`): over the past year,
the families' daily smallest q-value, each run of alarm days within ``gap_days`` counted once (one
alert), and the level set where the history would have raised the budgeted number of alerts; the
service uses the smaller of the two.
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


def family_level(level: str) -> str:
    """The level of the family a signal of ``level`` belongs to (a facility's: its county's)."""
    return "county" if level == "facility" else level


def family_minimum_q(pvalues: np.ndarray, families: np.ndarray) -> pd.DataFrame:
    """``family, point, q``: per family and point (column), the smallest BH q-value of the family's
    series (rows) that day, from a series x points matrix (NaN: not a test). A point without tests
    has ``q = 1``."""
    out = []
    for family in pd.unique(families):
        p = np.sort(pvalues[families == family], axis=0)  # NaN sort last
        m = (~np.isnan(p)).sum(axis=0)
        rank = np.arange(1, p.shape[0] + 1)[:, None]
        q = np.nanmin(np.where(np.isnan(p), np.inf, p * np.maximum(m, 1) / rank), axis=0)
        out.append(pd.DataFrame({"family": family, "point": np.arange(p.shape[1]), "q": np.minimum(q, 1.0)}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["family", "point", "q"])


def count_onsets(days: pd.DataFrame, level: float, gap_days: int) -> int:
    """Alerts a history of ``family, date, q`` (one row per family and day) would have raised at
    ``q <= level``: runs of alarm days with gaps of at most ``gap_days`` count once."""
    alarms = days[days["q"] <= level].sort_values(["family", "date"])
    if alarms.empty:
        return 0
    gap = alarms.groupby("family")["date"].diff().dt.days
    return int((gap.isna() | (gap > gap_days)).sum())


def learn_level(days: pd.DataFrame, *, noise_per_quarter: float, gap_days: int) -> tuple[float, int]:
    """``(level, onsets)``: the largest q-value level at which the history ``family, date, q`` would
    have raised at most the budget's alerts (``noise_per_quarter`` per family and quarter over the
    history's days), and how many it would have raised. Alerts of real events in the history count
    too (unless left out), so the level errs strict."""
    if days.empty:
        return 1.0, 0
    quarters = days["date"].nunique() / DAYS_PER_QUARTER
    allowed = noise_per_quarter * quarters * days["family"].nunique()
    candidates = np.unique(days["q"].to_numpy())
    candidates = candidates[candidates < 1.0][: max(int(20 * allowed), 50)]
    level, onsets = (float(candidates[0]) / 2 if len(candidates) else 1.0), 0
    for candidate in candidates:  # ascending; the onsets grow with the level (up to the merging of runs)
        n = count_onsets(days, candidate, gap_days)
        if n > allowed:
            break
        level, onsets = float(candidate), n
    return level, onsets


def family_of(regions: pd.Series, levels: pd.Series, county_of) -> pd.Series:
    """The family of each signal's region: a facility's county, any other region itself."""
    facility = levels.to_numpy() == "facility"
    out = regions.astype(object).to_numpy().copy()
    codes, unique = pd.factorize(out[facility])
    out[facility] = np.array([county_of(code) for code in unique], dtype=object)[codes] if len(codes) else out[facility]
    return pd.Series(out, index=regions.index)


def keep_budget(signals: pd.DataFrame, *, noise_per_quarter: float, red_share: float, county_of,
                learnt: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """``signals`` with each temporal signal's severity capped by its q-value within its family and day;
    adds ``qvalue``. ``learnt`` maps a family level to its learnt yellow and red levels
    (:func:`learn_level`), used when smaller than the nominal ones. Clusters and data-quality signals are left as they are (a scan's
    p-value is already corrected over the whole map)."""
    out = signals.copy()
    out["qvalue"] = np.nan
    temporal = (out["detector"] != "quality") & out["regions"].isna() if len(out) else pd.Series(dtype=bool)
    if noise_per_quarter <= 0 or not temporal.any():
        return out
    part = out[temporal]
    # one family per county (or region) and day, numbered: only which signals share one matters
    region_code, _ = pd.factorize(family_of(part["region"], part["level"], county_of).astype(str))
    day_code, days = pd.factorize(pd.to_datetime(part["date"]))
    family = pd.Series(pd.factorize(region_code * max(len(days), 1) + day_code)[0], index=part.index)
    q = bh_qvalues(part["pvalue"], family)
    nominal = noise_per_quarter / DAYS_PER_QUARTER
    learnt = learnt or {}
    level_of = part["level"].astype(object).to_numpy()
    q_yellow, q_red = np.empty(len(part)), np.empty(len(part))
    for level in pd.unique(level_of):
        yellow, red = learnt.get(family_level(level), (nominal, nominal * red_share))
        q_yellow[level_of == level] = min(nominal, yellow)
        q_red[level_of == level] = min(nominal * red_share, red)
    allowed = np.where(q <= q_red, severity_rank("red"),
                       np.where(q <= q_yellow, severity_rank("yellow"), severity_rank("none")))
    severity = part["severity"].astype(object).to_numpy()
    rank_of = {name: severity_rank(name) for name in pd.unique(severity)}
    current = np.array([rank_of[name] for name in severity], dtype=int)
    out.loc[temporal, "severity"] = [SEVERITY_BY_RANK[r] for r in np.minimum(current, allowed)]
    out.loc[temporal, "qvalue"] = q.to_numpy()
    return out
