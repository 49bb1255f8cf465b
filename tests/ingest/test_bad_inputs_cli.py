"""Every file of the bad-input corpus through `surveillance ingest-file`: the exit code its outcome
promises (0 loaded, 3 some rows quarantined, 2 refused whole), the reason printed, no traceback.

The command runs in this process (typer's runner) against a fresh copy of a database with the test
hierarchy for each file, so one file's rows never meet another's, on the corpus's "today"; an
exception escaping the command would be a traceback for a person at the terminal and fails the test.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest
from typer.testing import CliRunner

from surveillance.cli import app

from ..conftest import TODAY
from .test_bad_inputs import CORPUS, EXPECTED

EXIT_CODES = {"loaded": 0, "partial": 3, "rejected_whole": 2}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A closed database with the test regions and units, copied for each file."""
    import pandas as pd

    from surveillance.store import open_store
    from surveillance.store.reference import load_reference

    from ..conftest import small_regions, small_units

    path = tmp_path_factory.mktemp("template") / "template.duckdb"
    with open_store(path) as store:
        load_reference(store, small_regions(), small_units(),
                       pd.DataFrame({"region": ["320102", "320103"], "neighbour": ["320103", "320102"]}))
    return path


@pytest.mark.parametrize("case", EXPECTED, ids=[e["file"] for e in EXPECTED])
def test_ingest_file_command(template, tmp_path, monkeypatch, case):
    monkeypatch.setattr("surveillance.cli.data.today", lambda config: TODAY)  # the corpus's "today"
    db = tmp_path / "surveillance.duckdb"
    shutil.copy(template, db)
    result = CliRunner().invoke(app, ["ingest-file", str(CORPUS / case["file"]), "--db", str(db)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == EXIT_CODES[case["outcome"]], result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(case["file"] + ": "), lines[0]
    if case["message"]:
        assert case["message"] in result.output, result.output
    if case["outcome"] == "partial":  # the first reason, with its line
        assert lines[1].strip().startswith(f"row {case['row']}: "), result.output
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM observations_latest").fetchall()[0][0]
    assert stored == case["valid_rows"]
