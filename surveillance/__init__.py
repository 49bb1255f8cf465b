"""Syndromic surveillance and early warning from aggregated daily visit counts.

The library: configuration, the DuckDB store, feeds and validation, regions, panels,
detectors and the synthetic demo province. It imports neither dash nor apscheduler;
the service (``jobs``) and the dashboard (``dashboards``) build on it.
"""

__version__ = "0.1.0"
