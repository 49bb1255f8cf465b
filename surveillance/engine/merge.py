"""The provinces' judgements of one day as one, in the order the in-process run gives them.

``judge_day`` concatenates its signals detector by detector (in the config's order), each detector's level
by level, each level's all-ages series before the age groups', series in (region, syndrome, age group)
order; then the data-quality findings: silent units, visits drops of counties, of provinces, silent feeds.
The provinces' parts are put back in that order with a stable sort, so rows that have no order of their own
(a scan's clusters, the silent units) keep the provinces' order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..alerts.signals import SIGNAL_COLUMNS, signals_from_findings
from ..config import Config
from ..detectors import get
from ..quality import FINDING_COLUMNS

# The order of judge_day's data-quality findings: (kind, level).
FINDING_ORDER = [("unit_silent", "facility"), ("visits_drop", "county"), ("visits_drop", "province"),
                 ("feed_silent", "feed")]


def merge_day(parts: list[tuple[str, dict]], config: Config, feed_findings: pd.DataFrame | None, as_of) -> dict:
    """One day's ``signals, completeness, findings, failures`` from each province's (``parts``: province and
    its judgement) and the job's own feed findings. A detector that failed in a province is failed for the day,
    as in the in-process run: its signals of the other provinces are left out too."""
    failures: dict[str, dict] = {}
    for province, judged in parts:
        for failure in judged["failures"]:
            failures.setdefault(failure["detector"], {**failure, "error": f"province {province}: {failure['error']}"})
    signals = _concat([j["signals"] for _, j in parts], SIGNAL_COLUMNS)
    if failures and len(signals):
        signals = signals[~signals["detector"].isin(list(failures))]
    findings = _concat([j["findings"] for _, j in parts], FINDING_COLUMNS)
    if feed_findings is not None and len(feed_findings):
        signals = _concat([signals, signals_from_findings(feed_findings, as_of=as_of)], SIGNAL_COLUMNS)
        findings = _concat([findings, feed_findings], FINDING_COLUMNS)
    completeness = [j["completeness"] for _, j in parts if j["completeness"] is not None]
    if completeness:
        completeness = pd.concat(completeness, ignore_index=True).sort_values("region", kind="stable")
        completeness = completeness.reset_index(drop=True)
    return {"signals": in_local_order(signals, config),
            "completeness": completeness if isinstance(completeness, pd.DataFrame) else None,
            "findings": _findings_in_order(findings), "failures": list(failures.values())}


def in_local_order(signals: pd.DataFrame, config: Config) -> pd.DataFrame:
    """``signals`` in the in-process run's order (see the module's notes)."""
    if not len(signals):
        return signals.reset_index(drop=True)
    specs = config.detection.detectors
    block = signals["detector"].map({s.id: i for i, s in enumerate(specs)}).fillna(len(specs))
    sub = np.zeros(len(signals))
    split = np.zeros(len(signals))
    sortable = np.zeros(len(signals), dtype=bool)
    for i, spec in enumerate(specs):
        mine = (block == i).to_numpy()
        if not mine.any():
            continue
        if get(spec.name).kind == "spatial":  # syndrome by syndrome; clusters in the provinces' order
            order = {s: k for k, s in enumerate(spec.syndromes or config.syndromes)}
            sub[mine] = signals.loc[mine, "syndrome"].map(order).fillna(len(order)).to_numpy()
            continue
        sub[mine] = signals.loc[mine, "level"].map({lv: k for k, lv in enumerate(spec.levels)}).fillna(
            len(spec.levels)).to_numpy()
        if "all" in spec.age_groups:
            split[mine] = (signals.loc[mine, "age_group"] != "all").to_numpy()
        sortable |= mine
    quality = (block == len(specs)).to_numpy()
    kinds = {kind: k for k, kind in enumerate(FINDING_ORDER)}
    sub[quality] = [kinds.get(key, len(kinds)) for key in zip(signals.loc[quality, "method"],
                                                              signals.loc[quality, "level"])]
    sortable |= quality & (signals["method"] == "visits_drop").to_numpy()
    key = pd.DataFrame({"block": block.to_numpy(), "sub": sub, "split": split})
    for column in ("region", "syndrome", "age_group"):
        key[column] = np.where(sortable, signals[column].astype(str).to_numpy(), "")
    order = key.sort_values(list(key.columns), kind="stable").index
    return signals.iloc[order].reset_index(drop=True)


def _findings_in_order(findings: pd.DataFrame) -> pd.DataFrame:
    if not len(findings):
        return findings
    kinds = {kind: k for k, kind in enumerate(FINDING_ORDER)}
    rank = [kinds.get(key, len(kinds)) for key in zip(findings["kind"], findings["level"])]
    region = np.where(findings["kind"].to_numpy() == "visits_drop", findings["region"].astype(str).to_numpy(), "")
    key = pd.DataFrame({"rank": rank, "region": region})
    return findings.iloc[key.sort_values(["rank", "region"], kind="stable").index].reset_index(drop=True)


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
