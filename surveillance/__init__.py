"""Syndromic surveillance and early warning from aggregated daily visit counts.

The library, in the order the data flow through it: ``ingest`` (feeds, files, validation into
quarantine) -> ``store`` (the DuckDB schema and the only SQL: counts with every revision, reference
data, signals and episodes, operations) -> ``quality`` and ``detectors`` / ``spatial`` (the algorithms,
on panels) -> ``service`` (the detect job and the cycle) -> ``alerts`` (signals into episodes, the
workflow) -> ``notify`` (emails); ``situation`` (trends, season, forecast, indicators), ``evaluation``
and ``synthetic`` (the simulated province and the demo) beside them, and ``vocabulary`` (the
bilingual words of everything). It imports neither dash nor apscheduler: the service (``jobs``)
and the dashboard (``dashboards``) build on it; the layers are a contract in pyproject.toml.
"""

__version__ = "0.1.0"
