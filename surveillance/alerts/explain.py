"""Why an alert matters, in figures: its headline, the parts that carry its excess, and its rank.

Pure functions over an episode (a row of ``alert_episodes``) and its evidence (rows of
``alert_evidence``); :func:`explain_episodes` reads what they need from the store for many episodes
at once. The words are in :mod:`surveillance.alerts.sentence`; emails and pages use both, so every
place that shows an alert says the same day and the same figures.

* **Headline day**: the newest day of the evidence (the episode's most recent judged day with a signal).
* **Headline series**: the series (region, syndrome, age group) of that day's most severe part, counts
  before percentages, the episode's own series among equals, then the smallest p-value (how an episode is
  headlined when it opens).
* **Figures**: observed and expected summed over the headline series' signal days (one judgement a day:
  the headline detector's where it judged that day), excess cases the sum of max(observed - expected, 0).
  Percent of visits: the mean percentage, and no excess cases. A cluster: its headline day's judgement,
  whose window already spans its days.
* **Parts**: the age groups of an all-ages headline and the other syndromes (and age groups) of the
  evidence, most excess first; the facilities whose visits on the signal days rose most above their
  usual (the same weekday over the four weeks before), the fewest carrying half the facilities' excess;
  the neighbouring regions that joined; for data quality the silent units with their first silent day.
* **Rank**: severity as emailed (red on incomplete data counts as yellow), then excess cases, then the
  population of the alert's regions (the visits it counted where the regions have no population).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pandas as pd

from ..store.alerts import evidence_of, json_list
from ..store.counts import county_of_units, unit_counts_on
from ..store.reference import regions_table
from ..vocabulary import ALL_AGES, severity_rank, suppressed_label, withheld_label
from .episode_types import flag
from .episode_types import day_of

USUAL_WEEKS = 4  # a facility's usual: the mean of the same weekday over these weeks before (two known at least)
CARRIED_SHARE = 0.5  # the facilities named are the fewest that carry this share of the facilities' excess,
MAX_FACILITIES = 3  # at most this many
SILENT_FINDINGS = ("unit_silent", "feed_silent")
SERIES = ["county", "syndrome", "age_group"]  # a county's series, as facility counts are read


@dataclass(frozen=True)
class Headline:
    """What every email and page says about one alert: one day, one series, one set of figures."""

    episode_id: int
    kind: str  # outbreak | cluster | data_quality
    severity: str  # as emailed (the episode's notify_severity): subjects, colours and the rank use it
    place: str  # the region the alert is about (data quality: the silent units' county, or the feed)
    day: date | None  # the headline day; None for an episode without evidence
    region: str
    syndrome: str  # data quality: the finding
    age_group: str
    detector: str | None
    measure: str  # count | percent | visits (data-quality findings)
    signal_days: tuple[date, ...]  # the headline series' signal days, oldest first
    days: int  # how many days or weeks the figures cover (a cluster: its window's days)
    period_days: int  # 1 daily, 7 weekly
    observed: float  # over the signal days (percent of visits: their mean)
    expected: float
    excess: float  # cases above expected over those days (0 for percent of visits)
    day_observed: float  # the headline day's own judgement
    day_expected: float
    upperbound: float  # the headline day's threshold
    pvalue: float  # the headline day's
    completeness: float  # the headline day's
    incomplete: bool
    provisional: bool = False  # the headline day's data are still arriving (surveillance.service.delays)
    ages: tuple[str, ...] = ()  # age groups carrying an all-ages headline's excess, most first
    parts: tuple[tuple[str, str], ...] = ()  # other (syndrome, age group) series above expected, most first
    facilities: tuple[str, ...] = ()  # units carrying the excess, most first
    regions: tuple[str, ...] = ()  # neighbours that joined, a cluster's other regions, or the silent units
    since: tuple[tuple[str, date], ...] = ()  # data quality: units (or the feed) silent on the day, first silent day
    population: float | None = None  # of the alert's regions, when every one of them has one
    # Figures this reader may not see (surveillance.privacy.alerts), each with its mark: "suppressed" (a count
    # under min_cell, or hidden with one) or "withheld" (computed from a hidden count); their values are NaN.
    withheld: tuple[tuple[str, str], ...] = ()
    min_cell: int = 0

    def shown(self, figure: str, text: str, lang: str | None) -> str:
        """``text`` (the figure written out), or the mark of a figure this reader may not see."""
        mark = dict(self.withheld).get(figure)
        if mark is None:
            return text
        return suppressed_label(self.min_cell, lang) if mark == "suppressed" else withheld_label(lang)

    @property
    def size(self) -> float:
        """The population affected, or (regions without a population) the visits the alert counted."""
        if self.population is not None:
            return self.population
        return _finite(self.observed) if self.measure == "count" else 0.0


def rank_key(h: Headline) -> tuple:
    """Larger is more important: severity, then excess cases, then the population affected."""
    return severity_rank(h.severity), _finite(h.excess), h.size


def rank_order(episodes: pd.DataFrame, headlines: Mapping[int, Headline]) -> pd.DataFrame:
    """``episodes`` (with ``episode_id, ended_on, state, last_signal_on``) most important first: running
    alerts before ended and closed ones, then by :func:`rank_key`, the newest signal, the newest alert."""
    if episodes.empty:
        return episodes
    ids = episodes["episode_id"].astype(int).tolist()
    keys = [rank_key(headlines[i]) if i in headlines else (0, 0.0, 0.0) for i in ids]
    order = pd.DataFrame({
        "running": (episodes["ended_on"].isna() & (episodes["state"] != "closed")).to_numpy(),
        "severity": [k[0] for k in keys], "excess": [k[1] for k in keys], "size": [k[2] for k in keys],
        "last": pd.to_datetime(episodes["last_signal_on"]).to_numpy(), "id": ids,
    })
    position = order.sort_values(list(order.columns), ascending=False, kind="stable").index
    return episodes.iloc[position].reset_index(drop=True)


# --- one episode -----------------------------------------------------------------------------------------


def headline(episode: Mapping, evidence, *, populations: Mapping[str, float] | None = None, place_of=None,
             silent_days: int = 2) -> Headline:
    """The headline of ``episode`` from its ``evidence`` (rows of ``alert_evidence``, a table or records),
    without the facilities (:func:`with_facilities` adds them). ``place_of`` maps a unit to its county
    (data quality); ``silent_days`` is the quality rule's, to date a silence from its first finding."""
    rows = [_clean(r, episode) for r in _records(evidence)]
    kind = episode["kind"]
    regions = [r for r in json_list(episode.get("regions")) if r != episode["region"]]
    base = dict(episode_id=int(episode["episode_id"]), kind=kind, severity=episode["notify_severity"],
                place=episode["region"], region=episode["region"], syndrome=episode["syndrome"],
                age_group=episode["age_group"], period_days=int(episode.get("period_days") or 1))
    if not rows:
        return Headline(**base, day=None, detector=None, measure="count", signal_days=(), days=0,
                        observed=math.nan, expected=math.nan, excess=0.0, day_observed=math.nan,
                        day_expected=math.nan, upperbound=math.nan, pvalue=math.nan,
                        completeness=math.nan, incomplete=bool(episode.get("incomplete")), regions=tuple(regions))
    day = max(r["date"] for r in rows)
    own = (episode["region"], episode["syndrome"], episode["age_group"])
    head = _best([r for r in rows if r["date"] == day], prefer=own)
    key = _series(head)
    per_day = _one_a_day([r for r in rows if _series(r) == key and r["measure"] == head["measure"]],
                         head["detector"])
    if kind == "cluster":  # each day's judgement covers its window: the newest one alone
        per_day = {day: head}
    signal_days = tuple(sorted(per_day))
    observed, expected, excess = _figures(list(per_day.values()), head["measure"])
    base.update(region=head["region"], syndrome=head["syndrome"], age_group=head["age_group"])
    if kind == "data_quality":
        base["place"] = place_of(head["region"]) if place_of is not None else episode["region"]
        regions = json_list(episode.get("regions")) or [episode["region"]]
    ages, parts = _parts(rows, key) if kind == "outbreak" else ((), ())
    days = int(head.get("period_days") or 1) if kind == "cluster" else len(signal_days)
    place_regions = [base["place"], *(regions if kind != "data_quality" else [])]
    return Headline(
        **base, day=day, detector=head["detector"], measure=head["measure"], signal_days=signal_days, days=days,
        observed=observed, expected=expected, excess=excess, day_observed=_float(per_day[day]["observed"]),
        day_expected=_float(per_day[day]["expected"]), upperbound=_float(per_day[day]["upperbound"]),
        pvalue=_float(per_day[day]["pvalue"]), completeness=_float(head["completeness"]),
        incomplete=bool(head["incomplete"]), provisional=flag(head.get("provisional")),
        ages=ages, parts=parts, regions=tuple(regions),
        since=_silent_since(rows, day, silent_days) if head["syndrome"] in SILENT_FINDINGS else (),
        population=_population(place_regions, populations),
    )


def facility_days(h: Headline, weeks: int = USUAL_WEEKS) -> list[date]:
    """The days whose facility counts :func:`with_facilities` needs: the signal days and the same weekdays
    of the ``weeks`` weeks before each; none for an alert that is not one county's daily series."""
    if h.kind != "outbreak" or h.period_days != 1 or h.day is None:
        return []
    return sorted({d - timedelta(weeks=k) for d in h.signal_days for k in range(weeks + 1)})


def with_facilities(h: Headline, unit_counts: Mapping[tuple[str, date], float], weeks: int = USUAL_WEEKS) -> Headline:
    """``h`` with the facilities that carry its excess, from ``unit_counts`` ((unit, day) -> count of the
    headline series' syndrome and age group, for the units of its county on :func:`facility_days`)."""
    if not facility_days(h, weeks):
        return h
    days = pd.DataFrame({"episode_id": h.episode_id, "county": h.region, "syndrome": h.syndrome,
                         "age_group": h.age_group, "date": pd.to_datetime(list(h.signal_days))})
    counts = pd.DataFrame([(h.region, h.syndrome, h.age_group, pd.Timestamp(d), unit, float(c))
                           for (unit, d), c in unit_counts.items()], columns=[*SERIES, "date", "unit", "count"])
    return replace(h, facilities=facility_carriers(days, counts, weeks).get(h.episode_id, ()))


def facility_carriers(days: pd.DataFrame, counts: pd.DataFrame, weeks: int = USUAL_WEEKS) -> dict[int, tuple[str, ...]]:
    """Per episode, the units carrying its excess, most first, for many episodes at once. ``days``: each
    episode's ``episode_id, county, syndrome, age_group, date`` (its signal days); ``counts``: ``county,
    syndrome, age_group, date, unit, count`` on those days and the same weekdays of the ``weeks`` before.

    A unit's excess is the sum over the signal days with a usual (its mean on those weekdays, two known at
    least) of its count (none reported: 0) minus that usual. Named: the fewest units, most excess first,
    that carry :data:`CARRIED_SHARE` of the positive excess (at most :data:`MAX_FACILITIES`), when at least
    two units could be judged; a county reporting as one unit says nothing."""
    counts = counts[counts["unit"] != counts["county"]]
    if days.empty or counts.empty:
        return {}
    around = pd.concat([days.assign(lag=k, at=days["date"] - pd.Timedelta(weeks=k)) for k in range(weeks + 1)])
    seen = around.merge(counts.rename(columns={"date": "at"}), on=[*SERIES, "at"])
    table = (seen.pivot_table(index=["episode_id", "date", "unit"], columns="lag", values="count", aggfunc="sum")
             .reindex(columns=range(weeks + 1)))
    past = table[list(range(1, weeks + 1))]
    usual = past.mean(axis=1).where(past.count(axis=1) >= 2)
    excess = (table[0].fillna(0.0) - usual).dropna().groupby(level=["episode_id", "unit"]).sum()
    frame = excess.rename("excess").reset_index()
    judged = frame.groupby("episode_id")["unit"].transform("size")
    frame = frame[(judged >= 2) & (frame["excess"] >= 1)].sort_values(["episode_id", "excess", "unit"],
                                                                       ascending=[True, False, True])
    by_episode = frame.groupby("episode_id")["excess"]
    carried_before = by_episode.cumsum() - frame["excess"]
    named = frame[(carried_before < CARRIED_SHARE * by_episode.transform("sum"))
                  & (frame.groupby("episode_id").cumcount() < MAX_FACILITIES)]
    return {int(e): tuple(units) for e, units in named.groupby("episode_id")["unit"]}


# --- many episodes, read from the store -----------------------------------------------------------------


def explain_episodes(con, episodes, *, silent_days: int = 2) -> dict[int, Headline]:
    """The headlines of ``episodes`` (records of ``alert_episodes``), by episode id, with their facilities:
    the evidence, the populations and the facility counts each read once for all of them."""
    episodes = [dict(e) for e in episodes]
    if not episodes:
        return {}
    evidence: dict[int, list[dict]] = {}
    for row in _records(evidence_of(con, [e["episode_id"] for e in episodes])):
        evidence.setdefault(int(row["episode_id"]), []).append(row)
    regions = regions_table(con)
    populations = dict(zip(regions["code"], regions["population"]))
    place_of = county_of_units(con)
    found = {int(e["episode_id"]): headline(e, evidence.get(int(e["episode_id"]), []), populations=populations,
                                            place_of=place_of, silent_days=silent_days) for e in episodes}
    judged = [h for h in found.values() if facility_days(h)]
    wanted = [(h.region, h.syndrome, h.age_group, d) for h in judged for d in facility_days(h)]
    counts = unit_counts_on(con, pd.DataFrame(wanted, columns=[*SERIES, "date"]))
    days = pd.DataFrame([(h.episode_id, h.region, h.syndrome, h.age_group, pd.Timestamp(d))
                         for h in judged for d in h.signal_days], columns=["episode_id", *SERIES, "date"])
    carriers = facility_carriers(days, counts)
    return {i: replace(h, facilities=carriers[i]) if i in carriers else h for i, h in found.items()}


# --- the rules' pieces -----------------------------------------------------------------------------------


def _records(evidence) -> list[dict]:
    if isinstance(evidence, pd.DataFrame):
        return evidence.astype(object).where(evidence.notna(), None).to_dict("records")
    return list(evidence)


def _clean(row: Mapping, episode: Mapping) -> dict:
    """An evidence row with its day as a date and its series named (rows stored before evidence named
    their series belong to the episode's)."""
    return {**row, "date": day_of(row["date"]), "syndrome": row.get("syndrome") or episode["syndrome"],
            "age_group": row.get("age_group") or episode["age_group"], "measure": row.get("measure") or "count"}


def _series(row: Mapping) -> tuple[str, str, str]:
    return row["region"], row["syndrome"], row["age_group"]


def _float(value) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def _finite(value) -> float:
    value = _float(value)
    return value if math.isfinite(value) else 0.0


def _best(rows: list[dict], prefer: tuple | None = None) -> dict:
    """The most severe row, counts before percentages, then rows of the series ``prefer`` (the episode's own:
    an alert keeps its headline while that series is among the most severe), the smallest p-value, the detector."""
    return min(rows, key=lambda r: (-severity_rank(r["severity"]), r["measure"] != "count", _series(r) != prefer,
                                    _float(r["pvalue"]) if math.isfinite(_float(r["pvalue"])) else 2.0,
                                    str(r["detector"])))


def _one_a_day(rows: list[dict], detector: str) -> dict[date, dict]:
    """One judgement per day: ``detector``'s where it judged the day, else the day's best."""
    by_day: dict[date, list[dict]] = {}
    for r in rows:
        by_day.setdefault(r["date"], []).append(r)
    return {d: next((r for r in day_rows if r["detector"] == detector), None) or _best(day_rows)
            for d, day_rows in by_day.items()}


def _excess(row: Mapping) -> float:
    if row["measure"] != "count":
        return 0.0
    observed, expected = _float(row["observed"]), _float(row["expected"])
    return max(observed - expected, 0.0) if math.isfinite(observed) and math.isfinite(expected) else 0.0


def _figures(rows: list[dict], measure: str) -> tuple[float, float, float]:
    """Observed, expected and excess over ``rows`` (one a day): sums, or means for a percentage."""
    observed = [_float(r["observed"]) for r in rows if math.isfinite(_float(r["observed"]))]
    expected = [_float(r["expected"]) for r in rows if math.isfinite(_float(r["expected"]))]
    if measure == "percent":
        mean = lambda values: sum(values) / len(values) if values else math.nan  # noqa: E731
        return mean(observed), mean(expected), 0.0
    return (sum(observed) if observed else math.nan, sum(expected) if expected else math.nan,
            sum(_excess(r) for r in rows))


def _parts(rows: list[dict], key: tuple) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The age groups of an all-ages headline, and the other series of its region, most excess first."""
    region, syndrome, age = key
    excess: dict[tuple[str, str], float] = {}
    for (r, s, a), part in _group_series(rows).items():
        if r == region and (s, a) != (syndrome, age):
            excess[(s, a)] = sum(_excess(row) for row in _one_a_day(part, _best(part)["detector"]).values())
    order = sorted(excess, key=lambda sa: (-excess[sa], sa))
    ages = tuple(a for s, a in order if age == ALL_AGES and s == syndrome and a != ALL_AGES)
    others = tuple(sa for sa in order if not (age == ALL_AGES and sa[0] == syndrome))
    return ages, others


def _group_series(rows: list[dict]) -> dict[tuple, list[dict]]:
    out: dict[tuple, list[dict]] = {}
    for r in rows:
        out.setdefault(_series(r), []).append(r)
    return out


def _silent_since(rows: list[dict], day: date, silent_days: int) -> tuple[tuple[str, date], ...]:
    """Units (or a feed) silent on ``day``, each with the first day of its latest silence: its findings
    run back day by day, and the first finding came ``silent_days`` days into the silence."""
    out = []
    for (region, _, _), part in sorted(_group_series(rows).items()):
        found = {r["date"] for r in part}
        if day not in found:
            continue  # reporting again
        first = day
        while first - timedelta(days=1) in found:
            first -= timedelta(days=1)
        out.append((region, first - timedelta(days=max(silent_days, 1) - 1)))
    return tuple(sorted(out, key=lambda item: (item[1], item[0])))


def _population(regions: list[str], populations: Mapping[str, float] | None) -> float | None:
    if not populations:
        return None
    values = [_float(populations.get(r)) for r in dict.fromkeys(regions)]
    return float(sum(values)) if values and all(math.isfinite(v) for v in values) else None
