"""The layer contract of pyproject.toml ([tool.importlinter]), checked on the code as it is.

On failure the report printed above names the broken contract and the import chain."""

from __future__ import annotations

import os
from pathlib import Path

from importlinter.application import use_cases
from importlinter.configuration import configure

ROOT = Path(__file__).resolve().parents[1]


def test_import_layers_hold(capsys):
    configure()
    cwd = os.getcwd()
    os.chdir(ROOT)  # the root packages are found from the project's folder
    try:
        passed = use_cases.lint_imports(config_filename=str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True)
    finally:
        os.chdir(cwd)
    report = capsys.readouterr().out
    assert "KEPT" in report and report.count("KEPT") >= 3, report
    assert passed, report


STORE_TABLES = ("observations", "observations_latest", "unit_regions", "units", "regions", "region_neighbours",
                "ingest_batches", "quarantine", "feed_state", "job_runs", "signals", "alert_episodes",
                "alert_evidence", "alert_events", "data_quality", "outbox", "delivery_log", "users", "audit_log",
                "sessions", "schema_migrations", "reports")


def _sql_in(paths) -> list[str]:
    """Each call of ``.execute``/``.sql`` and each SQL statement on a store table in these sources."""
    import ast
    import re

    statement = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b[\s\S]*?\b(FROM|INTO|JOIN)\s+(\w+)|"
                           r"\bUPDATE\s+(\w+)\s+SET\b", re.IGNORECASE)
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("execute", "executemany", "sql"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.func.attr}(...)")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for match in statement.finditer(node.value):
                    table = match.group(3) or match.group(4)
                    if table and table.lower() in STORE_TABLES:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: SQL on {table}")
    return found


def test_no_sql_on_the_store_outside_the_store_package():
    """The schema has one owner: every read and write of the store's tables goes through surveillance.store."""
    store = ROOT / "surveillance" / "store"
    paths = [p for package in ("surveillance", "dashboards", "jobs") for p in sorted((ROOT / package).rglob("*.py"))
             if not p.is_relative_to(store)]
    assert len(paths) > 50
    assert _sql_in(paths) == []


def test_the_sql_check_sees_sql():
    """The check finds the queries of a store module (it would pass vacuously if it saw nothing)."""
    found = _sql_in([ROOT / "surveillance" / "store" / "alerts.py"])
    assert any("SQL on alert_episodes" in f for f in found) and any(".execute(...)" in f for f in found)
