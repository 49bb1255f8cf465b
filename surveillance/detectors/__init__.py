"""Detectors: each temporal one runs over every series of a panel and returns one result shape.

    from surveillance.detectors import detect, available
    result = detect("farrington_flexible", panel, alpha=0.01)
    result.to_long(panel)

``available()`` lists the registered names, the space-time scans (kind ``spatial``, from
``surveillance.spatial``) included; ``describe()`` tabulates their kind, frequency,
parameters and references. See ``result`` for the output rules, ``params`` for parameter
validation, ``registry`` for registration and the two kinds, and ``testing`` for the
conformance suite (``check_detector``) every registered detector passes.
"""

from .params import InvalidParameter
from .registry import available, describe, detect, get
from .result import STATUS_DESCRIPTIONS, DetectionResult, Status

__all__ = [
    "DetectionResult",
    "InvalidParameter",
    "STATUS_DESCRIPTIONS",
    "Status",
    "available",
    "describe",
    "detect",
    "get",
]
