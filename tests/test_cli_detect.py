"""`surveillance detect-file` as a person runs it: real files, the real command."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest


def run(*args):
    return subprocess.run([sys.executable, "-m", "jobs.cli", *args], capture_output=True, text=True)


def daily_series(tmp_path):
    rng = np.random.default_rng(3)
    dates = pd.date_range("2026-01-01", periods=60)
    counts = rng.poisson(20, 60)
    counts[-1] = 80  # a spike on the newest day
    frame = pd.DataFrame({"series": "fever/320102", "date": dates.strftime("%Y-%m-%d"), "count": counts})
    frame.loc[10, "count"] = None
    path = tmp_path / "in.csv"
    frame.to_csv(path, index=False)
    return path


def test_detect_file_writes_one_row_per_input_row(tmp_path):
    source = daily_series(tmp_path)
    out = tmp_path / "out.csv"
    done = run("detect-file", str(source), "--method", "ears_c2", "--param", "alpha=0.001", "-o", str(out))
    assert done.returncode == 0, done.stderr
    result = pd.read_csv(out)
    assert list(result.columns) == ["series", "date", "count", "expected", "upperbound", "score", "pvalue",
                                    "alarm", "status"]
    assert len(result) == 60
    assert result["status"].iloc[10] == "missing"
    assert result["status"].iloc[0] == "insufficient_baseline"
    assert bool(result["alarm"].iloc[-1])  # the spike on the newest day
    assert "alarms (ears_c2)" in done.stdout


@pytest.mark.slow
def test_unknown_method_and_parameter_are_one_clear_line(tmp_path):
    source = daily_series(tmp_path)
    bad_method = run("detect-file", str(source), "--method", "ears_c9", "-o", str(tmp_path / "o.csv"))
    assert bad_method.returncode != 0 and "valid detectors:" in bad_method.stderr
    assert "Traceback" not in bad_method.stderr
    bad_param = run("detect-file", str(source), "--method", "ears_c1", "--param", "alfa=1", "-o", str(tmp_path / "o.csv"))
    assert "unknown parameter 'alfa'; valid parameters:" in bad_param.stderr
    malformed = run("detect-file", str(source), "--method", "ears_c1", "--param", "alpha", "-o", str(tmp_path / "o.csv"))
    assert "expected key=value" in malformed.stderr
