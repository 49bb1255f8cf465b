"""The one result shape every detector returns.

A detector judges every point of its input panel and says, per point, what it expected,
the threshold above which a count is an alarm (``upperbound``), how far the count is
beyond the expectation relative to that threshold (``score``), a p-value, the alarm
itself and a ``status`` saying whether the point could be judged at all.

Outputs are never shorter than the input: a point that cannot be judged keeps its place,
with NaN outputs, ``alarm=False`` and a status other than ``ok``.

The rule linking the outputs, common to all threshold detectors:

* ``score = (count - expected) / (upperbound - expected)``, so the score is 1 at the
  threshold; where the threshold is not above the expectation (a discrete quantile below
  a tiny mean, a zero-variance baseline) the score is ``inf`` above the threshold and 0
  otherwise;
* ``alarm = score > 1``, which is the same as ``count > upperbound``.

A detector may document another score (EARS C3 does), but ``alarm == score > 1`` holds
for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..panel import Panel, panel_to_long


class Status(IntEnum):
    """Why a point was or was not judged. Stored as ``uint8`` codes; ``label`` is the name users see."""

    OK = 0
    MISSING = 1
    INSUFFICIENT_BASELINE = 2
    FEW_RECENT_CASES = 3
    FIT_FAILED = 4
    NOT_MONITORED = 5

    @property
    def label(self) -> str:
        return self.name.lower()


STATUS_DESCRIPTIONS: Mapping[str, str] = MappingProxyType({
    "ok": "judged: expected, upperbound, score, pvalue and alarm are set",
    "missing": "the count itself is missing (NaN), so there is nothing to judge",
    "insufficient_baseline": "too little (non-missing) history before this point to form a baseline",
    "few_recent_cases": "fewer cases in the recent weeks than `min_recent_cases`: no threshold, no alarm",
    "fit_failed": "no threshold could be formed: the baseline model did not converge, or the rule divides "
                  "by zero (R's EARS C3 on a constant baseline)",
    "not_monitored": "before the range the caller asked to judge (`monitor_last`)",
})

STATUS_LABELS = np.array([s.label for s in Status], dtype=object)

OUTPUT_COLUMNS = ("expected", "upperbound", "score", "pvalue", "alarm", "status")


def _frozen(array: np.ndarray, dtype) -> np.ndarray:
    out = np.array(array, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class DetectionResult:
    """Outputs of one detector run: arrays of the input panel's shape ``[n_series, n_time]``.

    ``detector`` and ``params`` (all parameters, defaults filled in) say how the outputs were
    made; they are kept apart from the outputs. Arrays are read-only copies.
    """

    detector: str
    params: Mapping[str, Any]
    expected: np.ndarray
    upperbound: np.ndarray
    score: np.ndarray
    pvalue: np.ndarray
    alarm: np.ndarray
    status: np.ndarray

    def __post_init__(self) -> None:
        shape = np.shape(self.expected)
        if len(shape) != 2:
            raise ValueError(f"{self.detector}: outputs must be 2-d [n_series, n_time], got shape {shape}")
        for name in OUTPUT_COLUMNS:
            value = getattr(self, name)
            if np.shape(value) != shape:
                raise ValueError(f"{self.detector}: output {name!r} has shape {np.shape(value)}, expected {shape}")
            dtype = bool if name == "alarm" else np.uint8 if name == "status" else np.float64
            object.__setattr__(self, name, _frozen(value, dtype))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def shape(self) -> tuple[int, int]:
        return self.expected.shape

    def status_labels(self) -> np.ndarray:
        """The status of every point as its label (``"ok"``, ``"missing"``, ...)."""
        return STATUS_LABELS[self.status]

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in OUTPUT_COLUMNS}

    def to_long(self, panel: Panel, *, dropna: bool = False) -> pd.DataFrame:
        """One row per series and date: the panel's keys, date, count (, total) and the outputs."""
        if panel.shape != self.shape:
            raise ValueError(f"{self.detector}: result has shape {self.shape}, panel has {panel.shape}")
        arrays = self.arrays()
        arrays["status"] = self.status_labels()
        return panel_to_long(panel, arrays, dropna=dropna)


def exceedance_score(count: np.ndarray, expected: np.ndarray, upperbound: np.ndarray) -> np.ndarray:
    """``(count - expected) / (upperbound - expected)`` with the module's rule where the ratio breaks down.

    Returns a score with ``score > 1`` exactly where ``count > upperbound``; NaN where any
    input is NaN.
    """
    count, expected, upperbound = np.broadcast_arrays(count, expected, upperbound)
    above = count > upperbound
    span = upperbound - expected
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(span > 0, (count - expected) / span, np.where(above, np.inf, 0.0))
    # Rounding can put the ratio on the wrong side of 1 right at the threshold.
    score = np.where(above & ~(score > 1), np.nextafter(1.0, 2.0), score)
    score = np.where(~above & (score > 1), 1.0, score)
    score[np.isnan(count) | np.isnan(expected) | np.isnan(upperbound)] = np.nan
    return score


def assemble(
    detector: str,
    params: Mapping[str, Any],
    counts: np.ndarray,
    *,
    expected: np.ndarray,
    upperbound: np.ndarray,
    pvalue: np.ndarray,
    status: np.ndarray,
    score: np.ndarray | None = None,
) -> DetectionResult:
    """Build a result, enforcing the shared rules.

    Points whose status is not ``ok`` get NaN upperbound, score and pvalue and no alarm
    (``expected`` is kept where the detector could compute it); ``missing`` counts always
    get the ``missing`` status; ``alarm = score > 1``.
    """
    counts = np.asarray(counts, dtype=float)
    status = np.array(status, dtype=np.uint8, copy=True)
    status[np.isnan(counts)] = Status.MISSING
    judged = status == Status.OK
    upperbound = np.where(judged, upperbound, np.nan)
    pvalue = np.where(judged, pvalue, np.nan)
    if score is None:
        score = exceedance_score(counts, expected, upperbound)
    score = np.where(judged, score, np.nan)
    expected = np.asarray(expected, dtype=float)
    return DetectionResult(
        detector=detector,
        params=params,
        expected=expected,
        upperbound=upperbound,
        score=score,
        pvalue=pvalue,
        alarm=score > 1,
        status=status,
    )


def only_points(result: DetectionResult, points: np.ndarray) -> DetectionResult:
    """``result`` judged at the positions ``points`` of its dates only: every other point ``not_monitored``
    (or ``missing``), with no outputs and no alarm."""
    other = np.ones(result.shape[1], dtype=bool)
    other[points] = False
    status = result.status.copy()
    status[:, other] = np.where(status[:, other] == Status.MISSING, Status.MISSING, Status.NOT_MONITORED)
    blank = lambda values: np.where(other, np.nan, values)  # noqa: E731
    return replace(result, expected=blank(result.expected), upperbound=blank(result.upperbound),
                   score=blank(result.score), pvalue=blank(result.pvalue), alarm=result.alarm & ~other, status=status)
