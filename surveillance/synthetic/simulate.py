"""Synthetic daily visit counts that behave like the real thing, with known outbreaks.

For every reporting unit, day, syndrome and age group the simulation draws all visits
(``total``) and visits with the syndrome (``count``) from a model an epidemiologist
would recognise:

- visit volume by facility kind and county population, a Monday peak and a weekend
  drop (deeper in clinics), Chinese public holidays from the ``holidays`` package with
  the Spring Festival and National Day weeks quiet and a rebound after them;
- seasons: winter influenza waves that differ from year to year in timing and height
  (sometimes a spring influenza B wave or a summer wave) and travel across the area,
  summer diarrhoea with a winter rotavirus peak in small children, hand-foot-and-mouth
  disease from April to July (and a smaller autumn peak) mostly in children, rare rash
  with fever;
- negative-binomial noise, day-to-day shocks shared within a county, facility
  outages (no rows at all for days to weeks), and reports that arrive late or first
  arrive partial and are revised one to three days later;
- injected outbreaks recorded as ground truth: childcare HFMD clusters, diarrhoea
  point sources, respiratory clusters across a county border, school varicella.

Everything is vectorised over units, days, syndromes and age groups, and deterministic
given the seed. Outbreaks, outages and deliveries draw from their own random streams,
so turning outbreaks off leaves the baseline counts unchanged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from .. import clock
from ..errors import SurveillanceError
from ..vocabulary import ALL_AGES, OBSERVATION_COLUMNS, SYNDROMES
from .seasons import FLU, SEASONS, visit_volume
from .geography import SCALES, Geography, build_geography
from .outbreaks import inject_outbreaks, no_outbreaks

__all__ = ["Geography", "Simulation", "DeliveryFile", "SCALES", "build_geography", "simulate",
           "write_demo_files", "default_period", "AGE_BANDS"]

AGE_BANDS = ("0-4", "5-14", "15-64", "65+")
SYNDROME_CODES = tuple(SYNDROMES)

# Share of visits with each syndrome outside its seasons, by age band (0-4, 5-14, 15-64, 65+).
OFF_SEASON_SHARE = {
    "fever": [0.090, 0.060, 0.025, 0.030],
    "ili": [0.025, 0.020, 0.006, 0.006],
    "ari": [0.180, 0.120, 0.050, 0.070],
    "diarrhoea": [0.030, 0.012, 0.012, 0.015],
    "rash_fever": [0.0012, 0.0008, 0.0001, 0.00005],
    "hfmd": [0.0030, 0.0008, 0.00003, 0.0],
}
# Acute complaints do not wait for Monday: their share of visits rises on days off.
OFF_DAY_SHARE = {"fever": 1.12, "ili": 1.12, "ari": 1.05, "diarrhoea": 1.10, "rash_fever": 1.0, "hfmd": 1.0}
# Extra visits of all kinds per unit of influenza activity (1 = a typical winter peak), by age band.
FLU_EXTRA_VISITS = [0.25, 0.30, 0.08, 0.08]
# Overdispersion (negative-binomial size; smaller = noisier) of totals and of each syndrome.
TOTAL_SIZE = 60.0
COUNT_SIZE = {"fever": 25.0, "ili": 12.0, "ari": 25.0, "diarrhoea": 10.0, "rash_fever": 4.0, "hfmd": 5.0}


@dataclass(frozen=True)
class UnitKind:
    """How a kind of reporting unit behaves."""

    visit_share: float  # share of a county's reported visits seen by all units of this kind
    age_mix: tuple  # visits by age band
    outages_per_year: float
    late: float  # chance a day's report arrives two or more days late
    partial: float  # chance a day's report first arrives incomplete


UNIT_KINDS = {
    "hospital": UnitKind(0.55, (0.10, 0.10, 0.58, 0.22), 0.3, 0.03, 0.05),
    "community_health_centre": UnitKind(0.30, (0.12, 0.11, 0.50, 0.27), 0.8, 0.06, 0.08),
    "township_health_centre": UnitKind(0.30, (0.12, 0.12, 0.48, 0.28), 0.8, 0.06, 0.08),
    "clinic": UnitKind(0.15, (0.14, 0.12, 0.46, 0.28), 1.5, 0.10, 0.12),
    "county": UnitKind(1.00, (0.11, 0.11, 0.54, 0.24), 0.3, 0.04, 0.10),
}
VISITS_PER_PERSON_DAY = 0.006  # reported visits per resident per day (about two a year)
TREND_PER_YEAR = 1.025  # slow growth in reporting and care-seeking


@dataclass(frozen=True)
class Simulation:
    """What the units delivered, the final values, and the outbreaks hidden in them.

    ``deliveries``: ``date, unit, syndrome, age_group, count, total, delivered_on, revision``,
    ordered by delivery day; a key appears again with a later ``delivered_on`` when it was
    first delivered partial (``revision`` 1 is the correction). Deliveries of the last days
    may fall after ``end``. ``truth``: the final value of every delivered key.
    ``outbreak_cases``: the injected cases per ``date, unit, syndrome, age_group, outbreak_id``.
    Text columns are categoricals.
    """

    deliveries: pd.DataFrame
    truth: pd.DataFrame
    outbreaks: pd.DataFrame
    outbreak_cases: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp

    def known_on(self, day) -> pd.DataFrame:
        """The latest value of each key among deliveries made on or before ``day``."""
        known = self.deliveries[self.deliveries["delivered_on"] <= pd.Timestamp(day)]
        keys = ["date", "unit", "syndrome", "age_group"]
        latest = known.sort_values("delivered_on", kind="stable").drop_duplicates(keys, keep="last")
        return latest.sort_values(keys).reset_index(drop=True)


class DeliveryFile(NamedTuple):
    path: Path
    delivered_on: date


def default_period(years: int = 3, end: date | str | None = None) -> tuple[date, date]:
    """``years`` whole years of days ending on ``end`` (default: yesterday)."""
    end = pd.Timestamp(end).date() if end is not None else clock.today() - timedelta(days=1)
    start = (pd.Timestamp(end) - pd.DateOffset(years=years) + pd.Timedelta(days=1)).date()
    return start, end


def simulate(
    geography: Geography,
    start,
    end,
    seed: int = 0,
    age_groups: bool = True,
    outbreaks: bool = True,
    *,
    outbreaks_per_year: float = 3.5,
) -> Simulation:
    """Daily counts for every unit of ``geography`` from ``start`` to ``end`` inclusive."""
    dates = pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D")
    if len(dates) < 28:
        raise SurveillanceError(f"simulate at least 28 days; {start} to {end} is {len(dates)}")
    model = VisitModel.build(geography, dates, age_groups, np.random.default_rng([seed, 1]))
    totals, counts = model.draw(np.random.default_rng([seed, 2]))
    reported = model.reporting_days(np.random.default_rng([seed, 3]))
    if outbreaks:
        truth_table, cases = inject_outbreaks(model, totals, counts, reported, outbreaks_per_year,
                                              np.random.default_rng([seed, 4]))
    else:
        truth_table, cases = no_outbreaks()
    deliveries, truth = model.deliveries(totals, counts, reported, np.random.default_rng([seed, 5]))
    return Simulation(deliveries=deliveries, truth=truth, outbreaks=truth_table, outbreak_cases=cases,
                      start=dates[0], end=dates[-1])


@dataclass(frozen=True)
class VisitModel:
    """The ingredients of every unit's expected visits, as arrays over units, counties and days."""

    units: pd.DataFrame
    counties: pd.DataFrame
    neighbours: pd.DataFrame
    dates: pd.DatetimeIndex
    age_groups: bool  # False: one age group, "all"
    age_labels: tuple
    county_of: np.ndarray  # [unit] row of the unit's county in ``counties``
    kinds: np.ndarray  # [unit] kind name
    kind: list  # [unit] UnitKind
    base: np.ndarray  # [unit] visits on an ordinary weekday
    age_mix: np.ndarray  # [unit, age band]
    volume: np.ndarray  # [unit, day] weekday and holiday pattern
    off_day: np.ndarray  # [day] weekend or holiday
    flu: np.ndarray  # [county, day] influenza activity, 1 = a typical peak
    seasons: np.ndarray  # [season, day] the other seasonal curves
    season_strength: np.ndarray  # [county, season]
    trend: np.ndarray  # [day]
    shock: np.ndarray  # [county, day] day-to-day ups and downs shared by a county's units
    propensity: np.ndarray  # [unit, syndrome] coding habits: some units record more fever than others

    @classmethod
    def build(cls, geography: Geography, dates: pd.DatetimeIndex, age_groups: bool, rng) -> "VisitModel":
        units = geography.units.reset_index(drop=True)
        counties = geography.regions[geography.regions["level"] == "county"].reset_index(drop=True)
        county_of = pd.Index(counties["code"]).get_indexer(units["county"])
        kinds = [k if k in UNIT_KINDS else "clinic" for k in units["kind"].fillna("clinic")]
        kind = [UNIT_KINDS[k] for k in kinds]
        # Base volume: the county's reported visits, shared by kind, then among units of a kind.
        size = np.exp(rng.normal(0, 0.5, len(units)))
        kind_share = np.array([k.visit_share for k in kind])
        same_kind = pd.Series(size).groupby([county_of, kinds]).transform("sum").to_numpy()
        kinds_present = pd.DataFrame({"c": county_of, "k": kinds, "s": kind_share}).drop_duplicates(["c", "k"])
        share_sum = kinds_present.groupby("c")["s"].sum().reindex(range(len(counties))).to_numpy()
        base = (counties["population"].to_numpy(float)[county_of] * VISITS_PER_PERSON_DAY
                * kind_share / share_sum[county_of] * size / same_kind)
        age_mix = np.vstack([rng.dirichlet(300 * np.array(k.age_mix)) for k in kind])
        volume, off_day = visit_volume(dates, kinds)
        # Influenza travels from west to east over about two weeks; other seasons are area-wide.
        x = counties["lon"].to_numpy(float)
        position = (x - x.mean()) / max(np.ptp(x) / 2, 1e-9)
        flu = FLU.curves(dates, rng, delay_days=6 * position + rng.normal(0, 2, len(counties)),
                         strength=np.exp(rng.normal(0, 0.15, len(counties))))
        seasons = np.vstack([s.curve(dates, rng) for s in SEASONS.values()])  # [season, day]
        season_strength = np.exp(rng.normal(0, 0.3, (len(counties), len(SEASONS))))
        years = (dates - dates[0]).days.to_numpy() / 365.25
        shock = np.exp(rng.normal(0, 0.04, (len(counties), len(dates))))
        return cls(
            units=units, counties=counties, neighbours=geography.neighbours, dates=dates,
            age_groups=age_groups, county_of=county_of,
            kinds=np.array(kinds), kind=kind, base=base, age_mix=age_mix, volume=volume, off_day=off_day,
            flu=flu, seasons=seasons, season_strength=season_strength, trend=TREND_PER_YEAR**years,
            shock=shock, propensity=np.exp(rng.normal(0, 0.2, (len(units), len(SYNDROME_CODES)))),
            age_labels=AGE_BANDS if age_groups else (ALL_AGES,),
        )

    def expected(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Expected totals ``[u, day, age]`` and syndrome counts ``[u, day, syndrome, age]``."""
        c = self.county_of[u]
        flu = self.flu[c]  # [u, day]
        total = (self.base[u, None, None] * self.age_mix[u, None, :] * self.volume[u][:, :, None]
                 * self.trend[None, :, None] * self.shock[c][:, :, None]
                 * (1 + np.array(FLU_EXTRA_VISITS)[None, None, :] * flu[:, :, None]))
        off_share = np.array([OFF_SEASON_SHARE[s] for s in SYNDROME_CODES])  # [syndrome, age]
        flu_effect = np.array([FLU.effect.get(s, [0.0] * 4) for s in SYNDROME_CODES])
        season_effect = np.array([[s.effect.get(code, [0.0] * 4) for code in SYNDROME_CODES]
                                  for s in SEASONS.values()])  # [season, syndrome, age]
        lift = 1 + flu[:, :, None, None] * flu_effect + np.einsum(
            "kt,uk,ksa->utsa", self.seasons, self.season_strength[c], season_effect, optimize=True)
        off_day = np.where(self.off_day[None, :, None], np.array([OFF_DAY_SHARE[s] for s in SYNDROME_CODES]), 1.0)
        share = off_share * lift * self.propensity[u][:, None, :, None] * off_day[:, :, :, None]
        count = total[:, :, None, :] * np.minimum(share, 0.9)
        if not self.age_groups:
            return total.sum(axis=2, keepdims=True), count.sum(axis=3, keepdims=True)
        return total, count

    def draw(self, rng) -> tuple[np.ndarray, np.ndarray]:
        """Noisy totals ``[unit, day, age]`` and counts ``[unit, day, syndrome, age]`` (int32)."""
        n_u, n_t, n_s, n_a = len(self.units), len(self.dates), len(SYNDROME_CODES), len(self.age_labels)
        totals = np.zeros((n_u, n_t, n_a), dtype=np.int32)
        counts = np.zeros((n_u, n_t, n_s, n_a), dtype=np.int32)
        size = np.array([COUNT_SIZE[s] for s in SYNDROME_CODES])[None, None, :, None]
        block = max(1, 4_000_000 // (n_t * n_s * 4))  # bounded memory at national scale
        for first in range(0, n_u, block):
            u = np.arange(first, min(first + block, n_u))
            mean_total, mean_count = self.expected(u)
            total = _negative_binomial(rng, mean_total, TOTAL_SIZE)
            # Counts follow the day's realised visits: a busy day is busy for every syndrome.
            share = np.divide(mean_count, mean_total[:, :, None, :], out=np.zeros_like(mean_count),
                              where=mean_total[:, :, None, :] > 0)
            count = _negative_binomial(rng, total[:, :, None, :] * share, size)
            totals[u] = total
            counts[u] = np.minimum(count, total[:, :, None, :])
        return totals, counts

    def reporting_days(self, rng) -> np.ndarray:
        """``[unit, day]`` true where the unit reported: outages leave whole days without rows."""
        n_u, n_t = len(self.units), len(self.dates)
        rate = np.array([k.outages_per_year for k in self.kind]) * n_t / 365.25
        n_outages = rng.poisson(rate)
        unit = np.repeat(np.arange(n_u), n_outages)
        begin = rng.integers(0, n_t, len(unit))
        length = np.minimum(2 + rng.geometric(1 / 8, len(unit)), 42)  # days to weeks
        change = np.zeros((n_u, n_t + 1), dtype=np.int32)
        np.add.at(change, (unit, begin), 1)
        np.add.at(change, (unit, np.minimum(begin + length, n_t)), -1)
        return np.cumsum(change[:, :-1], axis=1) == 0

    def deliveries(self, totals, counts, reported, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Long tables of what was delivered when, and of the final values."""
        unit, day = np.nonzero(reported)
        n = len(unit)
        late = rng.uniform(size=n) < np.array([k.late for k in self.kind])[unit]
        first = day + 1 + np.where(late, np.minimum(rng.geometric(0.5, n), 9), 0)
        partial = rng.uniform(size=n) < np.array([k.partial for k in self.kind])[unit]
        fraction = np.where(partial, rng.uniform(0.6, 0.95, n), 1.0)
        revised = first + rng.integers(1, 4, n)
        report_unit = np.concatenate([unit, unit[partial]])
        report_day = np.concatenate([day, day[partial]])
        delivered = np.concatenate([first, revised[partial]])
        report_fraction = np.concatenate([fraction, np.ones(partial.sum())])
        revision = np.concatenate([np.zeros(n, np.int8), np.ones(partial.sum(), np.int8)])
        order = np.lexsort((report_unit, report_day, delivered))
        frame = self._rows(totals, counts, report_unit[order], report_day[order], report_fraction[order])
        per_report = len(SYNDROME_CODES) * len(self.age_labels)
        frame["delivered_on"] = (self.dates[0] + pd.to_timedelta(np.repeat(delivered[order], per_report), "D"))
        frame["revision"] = np.repeat(revision[order], per_report)
        final = np.lexsort((unit, day))
        truth = self._rows(totals, counts, unit[final], day[final], np.ones(n))
        return frame, truth

    def _rows(self, totals, counts, unit, day, fraction) -> pd.DataFrame:
        """One row per report x syndrome x age band, values scaled down for partial reports."""
        n_s, n_a = len(SYNDROME_CODES), len(self.age_labels)
        count = counts[unit, day]  # [report, syndrome, age]
        total = totals[unit, day]  # [report, age]
        part = fraction < 1
        count[part] = np.floor(count[part] * fraction[part, None, None]).astype(np.int32)
        total[part] = np.floor(total[part] * fraction[part, None]).astype(np.int32)
        per_report = n_s * n_a
        return pd.DataFrame({
            "date": np.repeat(self.dates.values[day], per_report),
            "unit": pd.Categorical.from_codes(np.repeat(unit, per_report), categories=self.units["code"]),
            "syndrome": pd.Categorical.from_codes(np.tile(np.repeat(np.arange(n_s), n_a), len(unit)),
                                                  categories=list(SYNDROME_CODES)),
            "age_group": pd.Categorical.from_codes(np.tile(np.arange(n_a), len(unit) * n_s),
                                                   categories=list(self.age_labels)),
            "count": count.reshape(-1),
            "total": np.broadcast_to(total[:, None, :], count.shape).reshape(-1),
        })


def _negative_binomial(rng, mean: np.ndarray, size) -> np.ndarray:
    """Overdispersed counts with the given mean (variance mean + mean^2 / size)."""
    size = np.broadcast_to(size, mean.shape)
    return rng.negative_binomial(size, size / (size + np.maximum(mean, 0.0))).astype(np.int32)



# --- files for the demo -----------------------------------------------------------------


def write_demo_files(geography: Geography, simulation: Simulation, folder, *, through=None) -> list[DeliveryFile]:
    """Reference files, ground truth and a drop folder with one CSV per delivery day.

    Writes ``regions.csv``, ``boundaries.geojson``, ``units.csv``, ``neighbours.csv``,
    ``outbreaks.csv`` and ``drop/visits_YYYY-MM-DD.csv`` (every row delivered that day:
    new days, late days and corrections). Deliveries after ``through`` (default: the day
    after the simulation's last day, when that day's counts arrive) are left out: they lie
    in the demo's future. Earlier ``visits_*.csv`` files in ``drop/`` are replaced. Each
    file is written under a temporary name and renamed, so a watcher never sees half a file.
    Returns the drop files with their delivery days, oldest first.
    """
    folder = Path(folder)
    drop = folder / "drop"
    drop.mkdir(parents=True, exist_ok=True)
    through = pd.Timestamp(through) if through is not None else simulation.end + pd.Timedelta(days=1)
    write_reference_files(geography, folder)
    write_outbreaks_file(simulation.outbreaks, folder)
    for stale in drop.glob("visits_*.csv"):
        stale.unlink()
    deliveries = simulation.deliveries
    table, days = delivery_table(deliveries[deliveries["delivered_on"] <= through])
    boundaries = np.flatnonzero(np.r_[True, days[1:] != days[:-1], True])  # rows are sorted by delivery
    options = pa_csv.WriteOptions(quoting_style="none", quoting_header="none")
    files = []
    for begin, stop in zip(boundaries[:-1], boundaries[1:]):
        day = pd.Timestamp(days[begin]).date()
        path = drop / f"visits_{day.isoformat()}.csv"
        temporary = drop / f".{path.name}.partial"
        pa_csv.write_csv(table.slice(begin, stop - begin), temporary, write_options=options)
        os.replace(temporary, path)
        files.append(DeliveryFile(path, day))
    return files


def write_reference_files(geography: Geography, folder: Path) -> None:
    """``regions.csv``, ``units.csv``, ``neighbours.csv`` and ``boundaries.geojson`` in ``folder``."""
    # The files name each place in both languages (name_en, name_zh), not by the single `name`.
    regions = geography.regions.drop(columns=["boundary_geojson", "name"])
    _write_text(folder / "regions.csv", regions.to_csv(index=False, lineterminator="\n"))
    _write_text(folder / "units.csv", geography.units.drop(columns=["name"]).to_csv(index=False, lineterminator="\n"))
    _write_text(folder / "neighbours.csv", geography.neighbours.to_csv(index=False, lineterminator="\n"))
    features = [
        {"type": "Feature", "properties": {"code": r.code, "name": r.name, "level": r.level},
         "geometry": json.loads(r.boundary_geojson)}
        for r in geography.regions.itertuples() if isinstance(r.boundary_geojson, str)
    ]
    _write_text(folder / "boundaries.geojson",
                json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")))


def write_outbreaks_file(outbreaks: pd.DataFrame, folder: Path) -> None:
    """The injected outbreaks (ground truth) as ``outbreaks.csv`` in ``folder``."""
    outbreaks = outbreaks.copy()
    for column in ("start", "end"):
        outbreaks[column] = pd.to_datetime(outbreaks[column]).dt.strftime("%Y-%m-%d")
    _write_text(folder / "outbreaks.csv", outbreaks.to_csv(index=False, lineterminator="\n"))


def delivery_table(deliveries: pd.DataFrame) -> tuple[pa.Table, np.ndarray]:
    """Delivered rows as an Arrow table of the observation columns, and each row's delivery day."""
    table = pa.table({
        "date": pa.array(deliveries["date"].to_numpy().astype("datetime64[D]")),
        **{c: _arrow_strings(deliveries[c]) for c in ("unit", "syndrome", "age_group")},
        "count": pa.array(deliveries["count"].to_numpy()),
        "total": pa.array(deliveries["total"].to_numpy()),
    })
    assert tuple(table.column_names) == OBSERVATION_COLUMNS
    return table, deliveries["delivered_on"].to_numpy()


def _arrow_strings(column: pd.Series) -> pa.Array:
    """A categorical column as plain Arrow strings, without building Python strings per row."""
    categorical = column.astype("category")
    codes = pa.array(categorical.cat.codes.to_numpy())
    return pa.DictionaryArray.from_arrays(codes, pa.array(categorical.cat.categories.astype(str))).cast(pa.string())


def _write_text(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
