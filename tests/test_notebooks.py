"""The notebooks run, top to bottom, on a small demo that has been through a cycle, and git holds
them without outputs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from surveillance.synthetic.demo import build_demo

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
END = date(2026, 11, 20)

pytestmark = pytest.mark.slow  # a kernel per notebook


def test_the_three_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == ["01_explore_trends.ipynb", "02_investigate_an_alert.ipynb",
                                           "03_compare_detectors.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert any(c.cell_type == "markdown" for c in book.cells)


def test_strip_script_removes_outputs(tmp_path):
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    book.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    book.cells[0].execution_count = 1
    path = tmp_path / "x.ipynb"
    nbformat.write(book, path)
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "strip-notebooks.py"), str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "stripped" in done.stdout
    cell = nbformat.read(path, as_version=4).cells[0]
    assert cell.outputs == [] and cell.execution_count is None


@pytest.fixture(scope="module")
def demo_config(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebook-demo")
    build_demo(folder / "surveillance.duckdb", days=60, end=END, geography_options={"n_facilities": 30})
    config = folder / "surveillance.toml"
    # one cycle: the newest delivery, detection, alerts and the snapshot the notebooks read
    done = subprocess.run([sys.executable, "-m", "jobs.cli", "cycle", "--config", str(config),
                           "--today", "2026-11-21"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert (folder / "surveillance.snapshot.duckdb").exists()
    return config


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_on_the_demo(path, demo_config, monkeypatch):
    monkeypatch.setenv("SURVEILLANCE_CONFIG", str(demo_config))
    # the kernel imports this checkout's package, not whichever one the environment has installed
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    book = nbformat.read(path, as_version=4)
    NotebookClient(book, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    figures = [o for c in book.cells if c.cell_type == "code" for o in c.outputs
               if "text/html" in o.get("data", {}) and "plotly" in o["data"]["text/html"]]
    assert figures, "every notebook draws at least one chart"
