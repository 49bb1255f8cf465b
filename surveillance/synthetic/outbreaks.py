"""Outbreaks injected into simulated counts, and their ground truth.

Each outbreak adds cases of one syndrome in a few neighbouring units over a few days to
weeks, shaped like an epidemic curve. Its size is set relative to the units' usual
counts (a peak relative risk), with a floor of a few cases a day so that it shows in a
small clinic too. Cases are added to the syndrome's count and to all visits (``total``)
of the unit, day and age group. Units report every day of their outbreak, so the truth
is always observable. The ground truth has one row per outbreak; ``outbreak_cases`` has
the injected cases per unit, day and age group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..regions import haversine_km
from ..vocabulary import ALL_AGES, SYNDROMES
from .seasons import SEASONS

OUTBREAK_COLUMNS = ["outbreak_id", "kind", "syndrome", "age_group", "units", "counties", "start", "end",
                    "ongoing", "extra_cases", "relative_risk", "peak_relative_risk"]


@dataclass(frozen=True)
class OutbreakKind:
    syndromes: tuple  # one of these is chosen
    age_group: str  # an age band, or "all" for every age
    days: tuple  # planned duration, min and max
    peak_relative_risk: tuple
    min_peak_cases: tuple  # per unit and day at the peak
    peak_at: float  # where in the outbreak the peak falls (0 start, 1 end)
    sharpness: float  # larger: a narrower peak
    season: str  # when it tends to happen: a key of SEASONS, or "flu"
    placement: str  # "cluster": one county; "point": one unit and its nearest; "border": two counties
    n_units: tuple
    per_year: float


OUTBREAK_KINDS = {
    # A kindergarten or childcare centre: under-fives at a few neighbouring facilities.
    "hfmd_childcare": OutbreakKind(("hfmd",), "0-4", (14, 28), (3.0, 6.0), (2.0, 4.0), 0.45, 3.0,
                                   "hfmd_spring", "cluster", (2, 4), 1.0),
    # Contaminated water or food: all ages, a sharp peak a day or two in.
    "diarrhoea_point_source": OutbreakKind(("diarrhoea",), "all", (4, 8), (3.0, 6.0), (6.0, 12.0), 0.2, 1.5,
                                           "diarrhoea_summer", "point", (1, 2), 1.0),
    # A school influenza cluster straddling a county border.
    "respiratory_cross_border": OutbreakKind(("ili", "fever"), "5-14", (10, 21), (2.0, 3.5), (3.0, 6.0), 0.5, 3.0,
                                             "flu", "border", (4, 8), 1.0),
    # Varicella in a school: rare syndrome, slow and long.
    "varicella_school": OutbreakKind(("rash_fever",), "5-14", (21, 42), (4.0, 8.0), (1.0, 2.0), 0.5, 2.0,
                                     "rash_spring", "cluster", (1, 2), 0.5),
}


def inject_outbreaks(model, totals, counts, reported, per_year: float, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add planned outbreaks to ``counts`` and ``totals`` in place; return truth and cases."""
    plans = _plan(model, per_year, rng)
    syndromes = list(SYNDROMES)
    rows, cases_frames = [], []
    for number, plan in enumerate(sorted(plans, key=lambda p: p["start"]), start=1):
        outbreak_id = f"OB{number:03d}"
        units, days = plan["units"], np.arange(plan["start"], min(plan["start"] + plan["days"], len(model.dates)))
        s = syndromes.index(plan["syndrome"])
        if not model.age_groups:
            ages = [0]
        elif plan["age_group"] == "all":
            ages = list(range(len(model.age_labels)))
        else:
            ages = [model.age_labels.index(plan["age_group"])]
        _, mean_count = model.expected(units)
        usual = mean_count[:, days][:, :, s][:, :, ages]  # [unit, day, age]
        age_split = usual.sum(axis=(0, 1)) / max(usual.sum(), 1e-9)
        curve = _epidemic_curve(plan["days"], plan["kind"].peak_at, plan["kind"].sharpness)[: len(days)]
        extra = (curve[None, :, None] * plan["weights"][:, None, None]
                 * np.maximum((plan["rr"] - 1) * usual, plan["min_cases"] * age_split[None, None, :]))
        cases = rng.poisson(extra).astype(np.int32)
        reported[np.ix_(units, days)] = True
        counts[np.ix_(units, days, [s], ages)] += cases[:, :, None, :]
        totals[np.ix_(units, days, ages)] += cases
        rows.append({
            "outbreak_id": outbreak_id, "kind": plan["name"], "syndrome": plan["syndrome"],
            "age_group": plan["age_group"] if model.age_groups else ALL_AGES,
            "units": ",".join(model.units["code"].iloc[units]),
            "counties": ",".join(dict.fromkeys(model.units["county"].iloc[units])),
            "start": model.dates[days[0]], "end": model.dates[days[-1]], "ongoing": plan["ongoing"],
            "extra_cases": int(cases.sum()),
            # Realised over the whole outbreak: (usual + extra) / usual in its units, syndrome and ages.
            "relative_risk": round(float((usual.sum() + cases.sum()) / max(usual.sum(), 1e-9)), 2),
            "peak_relative_risk": round(plan["rr"], 2),
        })
        u, d, a = np.nonzero(cases)
        cases_frames.append(pd.DataFrame({
            "date": model.dates[days[d]], "unit": model.units["code"].to_numpy()[units[u]],
            "syndrome": plan["syndrome"], "age_group": np.array(model.age_labels)[np.array(ages)[a]],
            "outbreak_id": outbreak_id, "cases": cases[u, d, a].astype(np.int64),
        }))
    truth = pd.DataFrame(rows, columns=OUTBREAK_COLUMNS)
    cases = pd.concat([empty_cases(), *cases_frames], ignore_index=True)
    return truth, cases


def empty_cases() -> pd.DataFrame:
    return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "unit": pd.Series(dtype=object),
                         "syndrome": pd.Series(dtype=object), "age_group": pd.Series(dtype=object),
                         "outbreak_id": pd.Series(dtype=object), "cases": pd.Series(dtype=np.int64)})


def no_outbreaks() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in OUTBREAK_COLUMNS}), empty_cases()


def _epidemic_curve(n_days: int, peak_at: float, sharpness: float) -> np.ndarray:
    """A gamma-shaped curve over n days with its maximum, 1, at ``peak_at`` of the way through."""
    x = (np.arange(n_days) + 0.5) / n_days
    mode = max(peak_at, 0.5 / n_days)
    return (x / mode) ** sharpness * np.exp(sharpness * (1 - x / mode))


def _plan(model, per_year: float, rng) -> list[dict]:
    """When, where and how big: a few outbreaks a year, and one still going on at the end."""
    n_days = len(model.dates)
    years = n_days / 365.25
    names = list(OUTBREAK_KINDS)
    rates = np.array([OUTBREAK_KINDS[n].per_year for n in names])
    # Each kind gets its share of the expected number, the fractions settled by lot.
    expected = per_year * years * rates / rates.sum()
    n_each = np.floor(expected).astype(int) + (rng.uniform(size=len(names)) < expected % 1)
    warmup = min(56, n_days // 4)  # detectors need a baseline before the first outbreak
    last_start = n_days - 60  # the final weeks belong to the ongoing outbreak
    plans = []
    for name in np.repeat(names, n_each):
        kind = OUTBREAK_KINDS[name]
        duration = int(rng.integers(kind.days[0], kind.days[1] + 1))
        if last_start - duration <= warmup:
            continue
        weight = _season_weight(model, kind.season)[warmup:last_start - duration]
        start = warmup + int(rng.choice(len(weight), p=weight / weight.sum()))
        plans.append(_place(model, name, start, duration, rng, ongoing=False))
    # The demo's "now": an outbreak that began one to two weeks ago and has not ended.
    month = model.dates[-1].month
    name = "hfmd_childcare" if 4 <= month <= 9 else "respiratory_cross_border"
    duration = int(rng.integers(21, 36))
    start = n_days - int(rng.integers(9, 17))
    plans.append(_place(model, name, start, duration, rng, ongoing=True, strong=True))
    return [p for p in plans if p is not None]


def _season_weight(model, season: str) -> np.ndarray:
    """How likely an outbreak is to start on each day: its season, with a floor for surprises."""
    if season == "flu":
        curve = model.flu.mean(axis=0)
    else:
        curve = model.seasons[list(SEASONS).index(season)]
    return 0.15 + curve / max(curve.max(), 1e-9)


def _place(model, name: str, start: int, duration: int, rng, *, ongoing: bool, strong: bool = False) -> dict | None:
    kind = OUTBREAK_KINDS[name]
    n_units = int(rng.integers(kind.n_units[0], kind.n_units[1] + 1))
    lat, lon = model.units["lat"].to_numpy(float), model.units["lon"].to_numpy(float)
    county = model.county_of
    if kind.placement == "border":
        pairs = model.neighbours[model.neighbours["region"].isin(model.counties["code"])]
        with_units = model.counties["code"].to_numpy()[np.unique(county)]
        pairs = pairs[(pairs["region"] < pairs["neighbour"]) & pairs["neighbour"].isin(with_units)
                      & pairs["region"].isin(with_units)]
        if pairs.empty:
            return None
        a, b = pd.Index(model.counties["code"]).get_indexer(pairs.iloc[int(rng.integers(len(pairs)))])
        side_a, side_b = np.flatnonzero(county == a), np.flatnonzero(county == b)
        gaps = haversine_km(lat[side_a, None], lon[side_a, None], lat[None, side_b], lon[None, side_b])
        i, j = np.unravel_index(np.argmin(gaps), gaps.shape)  # the closest pair across the border
        centre = ((lat[side_a[i]] + lat[side_b[j]]) / 2, (lon[side_a[i]] + lon[side_b[j]]) / 2)
        candidates = np.concatenate([side_a, side_b])
        chosen = candidates[np.argsort(haversine_km(*centre, lat[candidates], lon[candidates]))[:n_units]]
        if not (np.isin(side_a, chosen).any() and np.isin(side_b, chosen).any()):
            chosen[-1] = side_b[j] if np.isin(side_a, chosen).any() else side_a[i]
    else:
        population = model.counties["population"].to_numpy(float)
        has_units = np.bincount(county, minlength=len(population)) > 0
        c = rng.choice(len(population), p=population * has_units / (population * has_units).sum())
        members = np.flatnonzero(county == c)
        not_hospital = members[model.kinds[members] != "hospital"]
        seed = rng.choice(not_hospital if len(not_hospital) else members)
        candidates = members if kind.placement == "cluster" else np.arange(len(lat))
        chosen = candidates[np.argsort(haversine_km(lat[seed], lon[seed], lat[candidates], lon[candidates]),
                                       kind="stable")[:n_units]]
    rr_low, rr_high = kind.peak_relative_risk
    return {
        "name": name, "kind": kind, "syndrome": kind.syndromes[int(rng.integers(len(kind.syndromes)))],
        "age_group": kind.age_group, "units": np.asarray(chosen), "start": start, "days": duration,
        "rr": float(rng.uniform((rr_low + rr_high) / 2 if strong else rr_low, rr_high)),
        "min_cases": float(rng.uniform(*kind.min_peak_cases)) * (1.5 if strong else 1.0),
        "weights": np.r_[1.0, rng.uniform(0.4, 0.9, len(chosen) - 1)], "ongoing": ongoing,
    }
