"""Space-time scan statistics: clusters of neighbouring regions over the last days.

``scan`` works on arrays (regions x days), ``scan_table`` on a long table, ``scan_file`` on
CSV files (the ``surveillance scan-file`` command). Methods: ``permutation`` (Kulldorff's
prospective space-time permutation scan) and ``poisson`` (Neill's expectation-based Poisson
scan); their parameters are in ``SCHEMAS``. Importing the package registers both as detectors of
kind ``spatial`` (``spacetime_permutation``, ``spacetime_poisson``; see ``detector``), which run on
a county panel through ``surveillance.detectors.detect`` like the temporal ones.
"""

from . import detector  # noqa: F401  (registers the scans as detectors)
from .files import scan_file, scan_table
from .params import METHODS, PERMUTATION_PARAMS, POISSON_PARAMS, SCHEMAS
from .result import Cluster, ScanResult
from .scan import scan
from .zones import Zones, build_zones

__all__ = ["METHODS", "PERMUTATION_PARAMS", "POISSON_PARAMS", "SCHEMAS", "Cluster", "ScanResult", "Zones",
           "build_zones", "scan", "scan_file", "scan_table"]
