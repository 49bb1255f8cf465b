"""Detector names → implementation, kind, data frequency, parameter schema and reference.

``detect(name, panel, **params)`` is the single entry point: it looks the detector up,
validates the parameters against its schema (one error style, see ``params``), checks the
panel's frequency and runs it.

Two kinds share the registry, so configuration, the detect job and the docs treat them
alike. **Temporal** detectors judge every series of a panel on its own and return a
``DetectionResult`` of the panel's shape. **Spatial** detectors (the space-time scans,
``surveillance.spatial``) judge the series of a county panel together, one series per
region, and need the regions' centroids: ``detect(name, panel, regions=table, **params)``
with ``region, lat, lon[, population]`` columns returns a ``surveillance.spatial.ScanResult``.

Detector modules register themselves when imported; the registry imports the built-in
families on first use so that importing the package stays cheap.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import SurveillanceError, UnknownName
from ..panel import Panel
from .params import ParamSchema

FREQUENCIES = ("daily", "weekly", "any")
KINDS = ("temporal", "spatial")

# Modules that register detectors when imported: the temporal families of this package, then
# the space-time scans. Those live in a higher layer (they build on this package's parameter
# schemas), so they are imported by name here, on first use, and never at import time.
_BUILTIN_MODULES = tuple(f"{__package__}.{m}" for m in (
    "ears", "farrington", "bayes", "essence", "mpm", "serfling", "cusum", "gbm", "regional")) + ("surveillance.spatial",)

# The module that registers each built-in detector, so that running one imports its own module
# only: importing them all costs more than a small run (gbm brings scikit-learn, the scans numba).
# ``tests/detectors/test_conformance.py`` checks this table against what the modules register.
_BUILTIN_HOMES = {
    **dict.fromkeys(("ears_c1", "ears_c2", "ears_c3"), f"{__package__}.ears"),
    **dict.fromkeys(("farrington", "farrington_flexible"), f"{__package__}.farrington"),
    "bayes": f"{__package__}.bayes",
    **dict.fromkeys(("ewma", "regression", "switch"), f"{__package__}.essence"),
    "mpm": f"{__package__}.mpm",
    "serfling": f"{__package__}.serfling",
    **dict.fromkeys(("cusum", "glrnb"), f"{__package__}.cusum"),
    "gbm": f"{__package__}.gbm",
    "regional_excess": f"{__package__}.regional",
    **dict.fromkeys(("spacetime_permutation", "spacetime_poisson"), "surveillance.spatial"),
}


@dataclass(frozen=True)
class Detector:
    """A registered detector.

    ``run`` gets parameters already validated (all keys present): a temporal detector's
    ``run(panel, params)`` must return a ``DetectionResult`` of the panel's shape; a spatial
    one's ``run(panel, params, regions)`` returns its clusters. ``frequency`` is the data it is
    meant for: ``daily``, ``weekly`` (a ``period`` parameter, when declared, lets it run on
    other regular data) or ``any``. ``history_days(params)``, when given, is how many days of
    data up to the judged day the detector needs with those (validated) parameters.
    ``judges_points``: its ``run`` also takes ``points`` and ``bounds`` (see :func:`detect`) and saves
    the work they leave out; any other temporal detector judges them by ``monitor_last`` and a mask.
    """

    name: str
    run: Callable[..., Any]
    frequency: str
    schema: ParamSchema
    reference: str
    summary: str
    kind: str = "temporal"
    history_days: Callable[[dict[str, Any]], int] | None = None
    judges_points: bool = False

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"{self.name}: frequency must be one of {FREQUENCIES}, got {self.frequency!r}")
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.schema.detector != self.name:
            raise ValueError(f"{self.name}: schema is declared for {self.schema.detector!r}")

    @property
    def param_names(self) -> set[str]:
        return {p.name for p in self.schema.params}


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
            importlib.import_module(module)
        _loaded = True


def available() -> list[str]:
    """Registered detector names, sorted."""
    _load_builtins()
    return sorted(_REGISTRY)


def get(name: str) -> Detector:
    if name not in _REGISTRY:
        if name in _BUILTIN_HOMES:
            importlib.import_module(_BUILTIN_HOMES[name])
        else:
            _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownName(f"unknown detector {name!r}; valid detectors: {', '.join(available())}") from None


def describe() -> pd.DataFrame:
    """One row per detector: name, kind, frequency, parameters with defaults, reference."""
    rows = []
    for name in available():
        d = _REGISTRY[name]
        params = ", ".join(f"{p.name}={p.default!r}" for p in d.schema.params)
        rows.append({"name": name, "kind": d.kind, "frequency": d.frequency, "parameters": params,
                     "reference": d.reference, "summary": d.summary})
    return pd.DataFrame(rows)


def detect(name: str, panel: Panel, *, regions: pd.DataFrame | None = None, points: np.ndarray | None = None,
           bounds: bool = True, **params: Any):
    """Run detector ``name`` over every series of ``panel``.

    ``regions`` (``region, lat, lon[, population]``) is for the spatial detectors only.
    Raises ``UnknownName`` for an unknown detector or parameter and ``InvalidParameter``
    for a bad value; short or sparse series never raise, they get a status instead (a scan
    finds no cluster in them).

    For callers that need the p-values of some points only (the alarm budget's learning: a year of
    history of which a backfill judged part already), a temporal detector takes ``points``, the
    positions of the dates to judge (every other point is ``not_monitored``; what a point gets does not
    depend on which others are judged), and ``bounds=False``, which leaves ``expected``, ``upperbound``
    and ``score`` NaN (no alarm) where the detector can save their cost.
    """
    detector = get(name)
    values = detector.schema.validate(params)
    declares_period = "period" in detector.param_names
    if detector.frequency == "weekly" and panel.freq != "weekly" and not (declares_period and values.get("period")):
        raise SurveillanceError(
            f"{name}: needs weekly data but the panel is {panel.freq}; aggregate it to weeks "
            f"(surveillance.panel.to_weekly) or give 'period' (time points per year)"
        )
    if detector.frequency == "daily" and panel.freq != "daily":
        raise SurveillanceError(f"{name}: needs daily data but the panel is {panel.freq}")
    if detector.kind == "spatial":
        if regions is None:
            raise SurveillanceError(f"{name}: a space-time scan needs the regions' centroids "
                                    f"(regions=table with region, lat, lon[, population])")
        return detector.run(panel, dict(values), regions)
    if regions is not None:
        raise SurveillanceError(f"{name}: judges each series on its own and takes no regions")
    if points is not None:
        points = np.unique(np.asarray(points, dtype=np.int64))
        if len(points) and (points[0] < 0 or points[-1] >= panel.shape[1]):
            raise SurveillanceError(f"{name}: points must be positions of the panel's {panel.shape[1]} dates")
    if detector.judges_points:
        result = detector.run(panel, dict(values), points=points, bounds=bounds)
    elif points is not None:
        result = _judged_at(detector, panel, dict(values), points)
    else:
        result = detector.run(panel, dict(values))
    if result.shape != panel.shape:  # a broken detector must not hand out misaligned rows
        raise AssertionError(f"{name}: result has shape {result.shape} differs from panel shape {panel.shape}")
    return result


def _judged_at(detector: Detector, panel: Panel, values: dict, points: np.ndarray):
    """A detector without its own ``points``: judged from the first of them on, the others masked."""
    from .result import only_points

    run_values = dict(values)
    if "monitor_last" in detector.param_names and len(points):
        from_first = panel.shape[1] - int(points[0])
        run_values["monitor_last"] = min(values["monitor_last"] or from_first, from_first)
    result = only_points(detector.run(panel, run_values), points)
    if run_values == values:
        return result
    return replace(result, params={**result.params, "monitor_last": values["monitor_last"]})
