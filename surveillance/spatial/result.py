"""What a scan returns: clusters, each a cylinder with its evidence, and the run's context."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Cluster:
    """One space-time cluster: a zone of regions over the last ``n_days`` days.

    ``relative_risk`` is the risk inside over the risk outside: for the permutation scan
    ``(c/m) / ((C - c)/(C - m))`` (as SaTScan's Poisson model reports it), for the
    expectation-based Poisson scan ``c/m`` (outside, the baseline is the risk).
    ``p_value`` and ``recurrence_interval_days`` are None without Monte Carlo replicates.
    """

    rank: int  # 1 = the most likely cluster
    regions: tuple[str, ...]  # nearest the centre first
    centre: str
    centre_lat: float
    centre_lon: float
    radius_km: float
    start_date: Any  # pandas Timestamp, or the day index when the scan had no dates
    end_date: Any
    n_days: int
    observed: float
    expected: float
    relative_risk: float
    llr: float
    p_value: float | None
    recurrence_interval_days: float | None

    @property
    def observed_over_expected(self) -> float:
        return self.observed / self.expected if self.expected > 0 else math.inf

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "regions": list(self.regions),
            "n_regions": len(self.regions),
            "centre": {"region": self.centre, "lat": self.centre_lat, "lon": self.centre_lon},
            "radius_km": round(self.radius_km, 6),
            "start_date": _date_text(self.start_date),
            "end_date": _date_text(self.end_date),
            "n_days": self.n_days,
            "observed": _number(self.observed),
            "expected": _number(self.expected),
            "observed_over_expected": _number(self.observed_over_expected),
            "relative_risk": _number(self.relative_risk),
            "llr": _number(self.llr),
            "p_value": self.p_value,
            "recurrence_interval_days": _number(self.recurrence_interval_days),
        }


@dataclass(frozen=True)
class ScanResult:
    """The clusters of one scan (most likely first) and how they were found.

    ``replicate_maxima`` are the largest statistics of the Monte Carlo replicates, from
    which every cluster's p-value comes.
    """

    method: str
    params: dict[str, Any]
    clusters: tuple[Cluster, ...]
    study_start: Any
    study_end: Any
    n_regions: int
    n_days: int  # days in the study period
    total_cases: float
    n_zones: int  # distinct zones scanned
    n_windows: int
    replicate_maxima: np.ndarray = field(repr=False)
    group: dict[str, str] = field(default_factory=dict)

    @property
    def most_likely(self) -> Cluster | None:
        return self.clusters[0] if self.clusters else None

    def p_value(self, llr: float) -> float | None:
        """The Monte Carlo p-value of a statistic ``llr`` against this run's replicates."""
        return p_value(llr, self.replicate_maxima)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; each cluster carries the method and parameters used, as a signal would."""
        parameters = {k: v for k, v in self.params.items()}
        clusters = []
        for cluster in self.clusters:
            item = cluster.to_dict()
            item["method"] = self.method
            item["parameters"] = parameters
            if self.group:
                item["group"] = dict(self.group)
            clusters.append(item)
        return {
            "method": self.method,
            "parameters": parameters,
            "group": dict(self.group),
            "study_period": {"start": _date_text(self.study_start), "end": _date_text(self.study_end),
                             "n_days": self.n_days},
            "n_regions": self.n_regions,
            "total_cases": _number(self.total_cases),
            "n_zones": self.n_zones,
            "n_windows": self.n_windows,
            "n_reps": int(len(self.replicate_maxima)),
            "clusters": clusters,
        }


def p_value(llr: float, maxima: np.ndarray) -> float | None:
    """rank / (R + 1), the rank counting the replicates whose maximum is at least ``llr``."""
    if len(maxima) == 0:
        return None
    return float((1 + np.count_nonzero(maxima >= llr)) / (len(maxima) + 1))


def _date_text(value: Any) -> Any:
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (np.integer,)):
        return int(value)
    return value


def _number(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    if math.isinf(value):
        return None  # JSON has no infinity; only a cluster with nothing expected gets here
    return value
