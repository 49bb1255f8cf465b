"""The operational evaluation: the alerts a province's teams would have had to answer, against the
outbreaks that really happened.

Given the episodes a backfill opened (``surveillance detect --since``, each day judged as known the
morning after) and the true outbreaks (the demo's ``outbreaks.csv``, or a store's alerts closed as
confirmed outbreaks), it counts:

* ``alerts_per_county_week`` (outbreak and cluster episodes opened in the period, per county and
  week), ``red_per_county_week`` (those whose emailed severity was red) and
  ``quality_per_county_week`` (data-quality episodes);
* ``emails_per_week``: the alert emails a subscription to the whole province at ``min_severity``
  would have received (episodes opened or escalated to that severity);
* ``detected``: the share of true outbreaks with a matching alert opened during their course, and
  ``median_delay_days`` from an outbreak's start to its first matching alert;
* ``matched``: the share of alerts that match a true outbreak.

An alert matches an outbreak when they share a place (the alert's region or one of its regions is a
county of the outbreak, or a facility in one), a syndrome group (fever, ILI and ARI are one group:
:data:`surveillance.vocabulary.SYNDROME_GROUPS`) and at least one day (the alert's opening to its
last signal against the outbreak's start to its end).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..vocabulary import severity_rank, syndrome_group

EVENT_KINDS = ("outbreak", "cluster")


def _places(episode: pd.Series, county_of) -> set[str]:
    regions = episode["regions"]
    listed = json.loads(regions) if isinstance(regions, str) else list(regions or [])
    return {county_of(r) for r in {episode["region"], *listed}}


def outbreak_counties(outbreak: pd.Series) -> set[str]:
    value = outbreak["counties"]
    if isinstance(value, str):
        return set(value.replace(";", " ").replace(",", " ").split())
    return set(value or [])


def match_alerts(episodes: pd.DataFrame, outbreaks: pd.DataFrame, county_of=lambda code: code) -> pd.DataFrame:
    """``episode_id, outbreak_id`` for every matching pair (see the module's rule)."""
    pairs = []
    for _, ep in episodes.iterrows():
        places = _places(ep, county_of)
        group = syndrome_group(ep["syndrome"])
        opened, last = pd.Timestamp(ep["opened_on"]), pd.Timestamp(ep["last_signal_on"])
        for _, ob in outbreaks.iterrows():
            if syndrome_group(ob["syndrome"]) != group or not places & outbreak_counties(ob):
                continue
            if opened <= pd.Timestamp(ob["end"]) and last >= pd.Timestamp(ob["start"]):
                pairs.append((ep["episode_id"], ob["outbreak_id"]))
    return pd.DataFrame(pairs, columns=["episode_id", "outbreak_id"])


def workload_figures(episodes: pd.DataFrame, outbreaks: pd.DataFrame, *, counties: int, start, end,
                     county_of=lambda code: code, min_severity: str = "yellow") -> dict:
    """The figures of the module's docstring over the days ``[start, end]``."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    weeks = ((end - start).days + 1) / 7.0
    opened = pd.to_datetime(episodes["opened_on"])
    in_period = episodes[(opened >= start) & (opened <= end)]
    events = in_period[in_period["kind"].isin(EVENT_KINDS)]
    quality = in_period[in_period["kind"] == "data_quality"]
    per_county_week = max(counties * weeks, 1e-12)
    emailed = events[events["notify_severity"].map(severity_rank) >= severity_rank(min_severity)]
    truth = outbreaks[(pd.to_datetime(outbreaks["start"]) <= end) & (pd.to_datetime(outbreaks["end"]) >= start)]
    pairs = match_alerts(events, truth, county_of)
    first_alert = (pairs.merge(events[["episode_id", "opened_on"]], on="episode_id")
                   .assign(opened_on=lambda f: pd.to_datetime(f["opened_on"]))
                   .groupby("outbreak_id")["opened_on"].min())
    starts = pd.to_datetime(truth.set_index("outbreak_id")["start"])
    delays = (first_alert - starts.reindex(first_alert.index)).dt.days.clip(lower=0)
    return {
        "weeks": weeks,
        "county_weeks": counties * weeks,
        "alerts": int(len(events)),
        "red_alerts": int((events["notify_severity"] == "red").sum()),
        "quality_alerts": int(len(quality)),
        "emails": int(len(emailed)),
        "detected_outbreaks": int(len(first_alert)),
        "matched_alerts": int(pairs["episode_id"].nunique()),
        "delays_days": [int(d) for d in delays.sort_values()],
        "alerts_per_county_week": len(events) / per_county_week,
        "red_per_county_week": int((events["notify_severity"] == "red").sum()) / per_county_week,
        "quality_per_county_week": len(quality) / per_county_week,
        "emails_per_week": len(emailed) / max(weeks, 1e-12),
        "outbreaks": int(len(truth)),
        "detected": len(first_alert) / len(truth) if len(truth) else np.nan,
        "median_delay_days": float(delays.median()) if len(delays) else np.nan,
        "matched": pairs["episode_id"].nunique() / len(events) if len(events) else np.nan,
    }


def pooled_figures(runs: list[dict]) -> dict:
    """The figures of several runs (seeds) together: alerts over all their county-weeks, outbreaks and
    delays over all their outbreaks, matches over all their alerts (not the mean of the runs' shares)."""
    county_weeks = sum(r["county_weeks"] for r in runs)
    weeks = sum(r["weeks"] for r in runs)
    alerts = sum(r["alerts"] for r in runs)
    outbreaks = sum(r["outbreaks"] for r in runs)
    delays = sorted(d for r in runs for d in r["delays_days"])
    oracle = sorted(d for r in runs for d in r.get("oracle_delays_days", []))
    return {
        "weeks": weeks, "county_weeks": county_weeks, "alerts": alerts,
        "red_alerts": sum(r["red_alerts"] for r in runs), "quality_alerts": sum(r["quality_alerts"] for r in runs),
        "emails": sum(r["emails"] for r in runs),
        "detected_outbreaks": sum(r["detected_outbreaks"] for r in runs),
        "matched_alerts": sum(r["matched_alerts"] for r in runs), "delays_days": delays,
        "alerts_per_county_week": alerts / max(county_weeks, 1e-12),
        "red_per_county_week": sum(r["red_alerts"] for r in runs) / max(county_weeks, 1e-12),
        "quality_per_county_week": sum(r["quality_alerts"] for r in runs) / max(county_weeks, 1e-12),
        "emails_per_week": sum(r["emails"] for r in runs) / max(weeks, 1e-12),
        "outbreaks": outbreaks,
        "detected": sum(r["detected_outbreaks"] for r in runs) / outbreaks if outbreaks else np.nan,
        "median_delay_days": float(np.median(delays)) if delays else np.nan,
        "matched": sum(r["matched_alerts"] for r in runs) / alerts if alerts else np.nan,
        "oracle_delays_days": oracle,
        "oracle_median_delay_days": float(np.median(oracle)) if oracle else np.nan,
    }


def confirmed_as_truth(episodes: pd.DataFrame) -> pd.DataFrame:
    """A real store's truth: its alerts closed as confirmed outbreaks, as outbreaks (their regions, their
    days from opening to the last signal)."""
    confirmed = episodes[episodes["outcome"] == "confirmed_outbreak"]
    return pd.DataFrame({
        "outbreak_id": [f"alert {i}" for i in confirmed["episode_id"]],
        "syndrome": confirmed["syndrome"].to_numpy(),
        "counties": [" ".join(json.loads(r) if isinstance(r, str) else [c]) for r, c in
                     zip(confirmed["regions"], confirmed["region"])],
        "start": confirmed["opened_on"].to_numpy(), "end": confirmed["last_signal_on"].to_numpy(),
    })


def store_workload(con, start, end, *, outbreaks: pd.DataFrame | None = None, min_severity: str = "yellow") -> dict:
    """:func:`workload_figures` of a store's episodes (after a backfill), against ``outbreaks`` (default:
    the store's confirmed outbreaks)."""
    from ..store.alerts import episodes_table
    from ..store.counts import county_of_units
    from ..store.reference import reference_sizes

    episodes = episodes_table(con)
    truth = confirmed_as_truth(episodes) if outbreaks is None else outbreaks
    return workload_figures(episodes, truth, counties=reference_sizes(con)[0].get("county", 0), start=start, end=end,
                            county_of=county_of_units(con), min_severity=min_severity)
