"""Detector output -> signals: one row per judged point, with its severity.

Severity follows ESSENCE's colours: ``red`` when the p-value is below ``severity.red``
(default 0.01), ``yellow`` below ``severity.yellow`` (0.05), else ``none``; only counts
above their expectation are coloured (a dip is not an outbreak). A point the detector
could not judge (status other than ``ok``) has severity ``none``. A detector that gives
an alarm but no p-value colours it ``yellow``.

A signal on a day whose data completeness is below ``min_completeness`` (or on a day with
a data-quality finding for its region) is marked ``incomplete``: it is kept, shown and
attached to its episode, but never emailed as red until the data fill in. A signal on a day
whose data are still arriving (``provisional``, from the reporting delay: see
``surveillance.service.delays``) is marked so and shown as provisional.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..config import SeverityConfig
from ..detectors.result import STATUS_LABELS
from ..notes import note
from ..store.alerts import SIGNAL_COLUMNS



def severity_from_pvalue(pvalue, thresholds: SeverityConfig, *, above=None, alarm=None) -> np.ndarray:
    """``none`` / ``yellow`` / ``red`` for each p-value (array in, array of labels out)."""
    p = np.asarray(pvalue, dtype=float)
    out = np.full(p.shape, "none", dtype=object)
    out[p < thresholds.yellow] = "yellow"
    out[p < thresholds.red] = "red"
    if alarm is not None:
        out[np.isnan(p) & np.asarray(alarm, dtype=bool)] = "yellow"
    if above is not None:
        out[~np.asarray(above, dtype=bool)] = "none"
    return out


def cap_incomplete(severity: str, incomplete: bool) -> str:
    """What an email may say: red on incomplete data is said as yellow."""
    return "yellow" if incomplete and severity == "red" else severity


def signals_from_result(
    result,
    panel,
    *,
    level: str,
    severity_thresholds: SeverityConfig,
    judged_dates=None,
    detector: str | None = None,
    as_of=None,
    measure: str = "count",
    period_days: int | None = None,
    completeness: pd.DataFrame | None = None,
    min_completeness: float = 0.8,
    flagged: pd.DataFrame | None = None,
    observed: np.ndarray | None = None,
    provisional: np.ndarray | None = None,
) -> pd.DataFrame:
    """The signals of a ``DetectionResult`` on ``judged_dates`` (default: the panel's last date).

    ``panel.keys`` holds ``region, syndrome, age_group``. ``completeness`` (``region, date,
    completeness``) marks points below ``min_completeness`` as incomplete, as does a row of
    ``flagged`` (``region, date``: a data-quality finding). ``observed`` replaces the panel's
    counts (e.g. the percentages a detector judged). ``provisional`` (bool, the panel's shape) marks the
    points whose data were still arriving. Points whose count is missing are left out.
    """
    dates = panel.dates if judged_dates is None else pd.DatetimeIndex(pd.to_datetime(judged_dates))
    if judged_dates is None:
        dates = panel.dates[-1:]
    columns = panel.dates.get_indexer(dates)
    columns = columns[columns >= 0]
    values = panel.counts if observed is None else observed
    n_series = panel.shape[0]
    s = np.repeat(np.arange(n_series), len(columns))
    t = np.tile(columns, n_series)
    obs = values[s, t]
    expected = result.expected[s, t]
    pvalue = result.pvalue[s, t]
    status = STATUS_LABELS[result.status[s, t]]
    ok = status == "ok"
    severity = severity_from_pvalue(np.where(ok, pvalue, np.nan), severity_thresholds,
                                    above=ok & (obs > np.nan_to_num(expected, nan=np.inf)), alarm=result.alarm[s, t] & ok)
    period = period_days if period_days is not None else (7 if panel.freq == "weekly" else 1)
    day = panel.dates[t] + pd.Timedelta(days=period - 1)  # weekly: the week's last day
    keys = panel.keys.iloc[s].reset_index(drop=True)
    out = pd.DataFrame({
        "detector": detector or result.detector,
        "method": result.detector,
        "level": level,
        "region": keys["region"].astype(str).to_numpy(),
        "syndrome": keys["syndrome"].astype(str).to_numpy(),
        "age_group": keys["age_group"].astype(str).to_numpy() if "age_group" in keys else "all",
        "date": day,
        "period_days": period,
        "as_of": pd.Timestamp(as_of if as_of is not None else day.max()).normalize(),
        "measure": measure,
        "observed": obs,
        "expected": expected,
        "upperbound": result.upperbound[s, t],
        "score": result.score[s, t],
        "pvalue": pvalue,
        "status": status,
        "severity": severity,
        "completeness": np.nan,
        "incomplete": False,
        "regions": None,
        "detail": None,
        "provisional": np.zeros(len(s), dtype=bool) if provisional is None else np.asarray(provisional)[s, t],
    })
    out = out[~np.isnan(obs)].reset_index(drop=True)
    if completeness is not None and len(completeness) and len(out):
        comp = completeness[["region", "date", "completeness"]].copy()
        comp["date"] = pd.to_datetime(comp["date"])
        merged = out[["region", "date"]].merge(comp, on=["region", "date"], how="left")
        out["completeness"] = merged["completeness"].to_numpy()
        out["incomplete"] = (out["completeness"] < min_completeness).to_numpy()
    if flagged is not None and len(flagged) and len(out):
        marks = flagged[["region", "date"]].drop_duplicates().assign(_flag=True)
        marks["date"] = pd.to_datetime(marks["date"])
        hit = out[["region", "date"]].merge(marks, on=["region", "date"], how="left")["_flag"].fillna(False)
        out["incomplete"] = out["incomplete"].to_numpy() | hit.to_numpy(dtype=bool)
    return out[SIGNAL_COLUMNS]


def signals_from_clusters(scan_result, *, detector: str, syndrome: str, age_group: str, as_of,
                          severity_thresholds: SeverityConfig, completeness: pd.DataFrame | None = None,
                          min_completeness: float = 0.8, provisional_regions=()) -> pd.DataFrame:
    """Signals of a space-time scan: one row per cluster ending on the newest day, region = its centre,
    ``regions`` = all its regions (JSON). Completeness is that of the least complete region; a cluster
    with a region among ``provisional_regions`` (their newest day's data still arriving) is provisional."""
    rows = []
    for c in scan_result.clusters:
        if c.p_value is None:
            continue
        severity = severity_from_pvalue([c.p_value], severity_thresholds, above=[c.observed > c.expected])[0]
        end = pd.Timestamp(c.end_date).normalize()
        comp = np.nan
        if completeness is not None and len(completeness):
            sel = completeness[(completeness["region"].isin(c.regions)) & (pd.to_datetime(completeness["date"]) == end)]
            comp = float(sel["completeness"].min()) if len(sel) else np.nan
        rows.append({
            "detector": detector, "method": scan_result.method, "level": "county", "region": c.centre,
            "syndrome": syndrome, "age_group": age_group, "date": end, "period_days": int(c.n_days),
            "as_of": pd.Timestamp(as_of).normalize(), "measure": "count", "observed": c.observed,
            "expected": c.expected, "upperbound": np.nan, "score": c.relative_risk, "pvalue": c.p_value,
            "status": "ok", "severity": severity, "completeness": comp,
            "incomplete": bool(np.isfinite(comp) and comp < min_completeness),
            "regions": json.dumps(list(c.regions)),
            "detail": note("cluster", k=len(c.regions), days=c.n_days, rr=f"{c.relative_risk:.2f}"),
            "provisional": bool(set(c.regions) & set(provisional_regions)),
        })
    return pd.DataFrame(rows, columns=SIGNAL_COLUMNS)


def signals_from_findings(findings: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """Data-quality findings as signals of the ``quality`` detector (region = unit, feed or region;
    syndrome = the finding's kind), so outages become episodes of their own."""
    if not len(findings):
        return pd.DataFrame(columns=SIGNAL_COLUMNS)
    out = pd.DataFrame({
        "detector": "quality", "method": findings["kind"].to_numpy(), "level": findings["level"].to_numpy(),
        "region": findings["region"].astype(str).to_numpy(), "syndrome": findings["kind"].to_numpy(),
        "age_group": "all", "date": pd.to_datetime(findings["date"]).to_numpy(), "period_days": 1,
        "as_of": pd.Timestamp(as_of).normalize(), "measure": "visits",
        "observed": findings["value"].astype(float).to_numpy(), "expected": findings["usual"].astype(float).to_numpy(),
        "upperbound": np.nan, "score": np.nan, "pvalue": np.nan, "status": "ok",
        "severity": findings["severity"].to_numpy(), "completeness": np.nan, "incomplete": False,
        "regions": None, "detail": findings["detail"].to_numpy(), "provisional": False,
    })
    return out[SIGNAL_COLUMNS]
