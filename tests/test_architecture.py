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
