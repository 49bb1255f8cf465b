"""Detector names → implementation, data frequency, parameter schema and reference.

``detect(name, panel, **params)`` is the single entry point: it looks the detector up,
validates the parameters against its schema (one error style, see ``params``), checks the
panel's frequency and returns a ``DetectionResult`` of the panel's shape.

Detector modules register themselves when imported; the registry imports the built-in
families on first use so that importing the package stays cheap.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from ..errors import SurveillanceError, UnknownName
from ..panel import Panel
from .params import ParamSchema
from .result import DetectionResult

FREQUENCIES = ("daily", "weekly", "any")

# Families shipped with the package, one module each.
_BUILTIN_MODULES = ("ears", "farrington", "bayes", "essence", "mpm", "serfling", "cusum", "gbm", "regional")


@dataclass(frozen=True)
class Detector:
    """A registered detector.

    ``run(panel, params)`` gets parameters already validated (all keys present) and must
    return a ``DetectionResult`` of the panel's shape. ``frequency`` is the data it is
    meant for: ``daily``, ``weekly`` (a ``period`` parameter, when declared, lets it run on
    other regular data) or ``any``.
    """

    name: str
    run: Callable[[Panel, dict[str, Any]], DetectionResult]
    frequency: str
    schema: ParamSchema
    reference: str
    summary: str

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"{self.name}: frequency must be one of {FREQUENCIES}, got {self.frequency!r}")
        if self.schema.detector != self.name:
            raise ValueError(f"{self.name}: schema is declared for {self.schema.detector!r}")


_REGISTRY: dict[str, Detector] = {}
_loaded = False


def register(detector: Detector) -> Detector:
    if detector.name in _REGISTRY and _REGISTRY[detector.name] is not detector:
        raise ValueError(f"detector {detector.name!r} is already registered")
    _REGISTRY[detector.name] = detector
    return detector


def _load_builtins() -> None:
    global _loaded
    if not _loaded:
        for module in _BUILTIN_MODULES:
            importlib.import_module(f"{__package__}.{module}")
        _loaded = True


def available() -> list[str]:
    """Registered detector names, sorted."""
    _load_builtins()
    return sorted(_REGISTRY)


def get(name: str) -> Detector:
    _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownName(f"unknown detector {name!r}; valid detectors: {', '.join(available())}") from None


def describe() -> pd.DataFrame:
    """One row per detector: name, frequency, parameters with defaults, reference."""
    rows = []
    for name in available():
        d = _REGISTRY[name]
        params = ", ".join(f"{p.name}={p.default!r}" for p in d.schema.params)
        rows.append({"name": name, "frequency": d.frequency, "parameters": params,
                     "reference": d.reference, "summary": d.summary})
    return pd.DataFrame(rows)


def detect(name: str, panel: Panel, **params: Any) -> DetectionResult:
    """Run detector ``name`` over every series of ``panel``.

    Raises ``UnknownName`` for an unknown detector or parameter and ``InvalidParameter``
    for a bad value; short or sparse series never raise, they get a status instead.
    """
    detector = get(name)
    values = detector.schema.validate(params)
    declares_period = "period" in {p.name for p in detector.schema.params}
    if detector.frequency == "weekly" and panel.freq != "weekly" and not (declares_period and values.get("period")):
        raise SurveillanceError(
            f"{name}: needs weekly data but the panel is {panel.freq}; aggregate it to weeks "
            f"(surveillance.panel.to_weekly) or give 'period' (time points per year)"
        )
    if detector.frequency == "daily" and panel.freq != "daily":
        raise SurveillanceError(f"{name}: needs daily data but the panel is {panel.freq}")
    result = detector.run(panel, dict(values))
    if result.shape != panel.shape:  # a broken detector must not hand out misaligned rows
        raise AssertionError(f"{name}: result shape {result.shape} differs from panel shape {panel.shape}")
    return result
