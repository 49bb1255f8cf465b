"""`surveillance indicators` as a person runs it: a store with hand-made alerts and workflow events, the
real command, figures worked out by hand (tests/situation/stored.py lists the events)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest

from surveillance.store import open_store
from surveillance.store.reference import load_reference

from .conftest import small_regions, small_units
from .situation.stored import write_alerts


def run(*args):
    return subprocess.run([sys.executable, "-m", "jobs.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    folder = tmp_path_factory.mktemp("indicators")
    with open_store(folder / "s.duckdb") as store:
        load_reference(store, small_regions(), small_units(), pd.DataFrame(columns=["region", "neighbour"]))
        write_alerts(store, outbreak_starts={1: date(2026, 2, 26)})
    path = folder / "surveillance.toml"
    path.write_text('[database]\npath = "s.duckdb"\n', encoding="utf-8")
    return str(path)


def lines_by_group(stdout: str) -> dict[str, list[str]]:
    rows = stdout.splitlines()[2:]  # the period, then the heading
    return {" ".join(r.split()[:2]): r.split()[2:] for r in rows}


def test_indicators_per_detector_and_syndrome(config):
    done = run("indicators", "--config", config, "--since", "2026-03-01", "--until", "2026-03-31")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Alerts opened 2026-03-01 to 2026-03-31:"
    assert done.stdout.splitlines()[1].split()[:5] == ["detector", "syndrome", "alerts", "answered", "pending"]
    groups = lines_by_group(done.stdout)
    # alerts, answered, pending, in 24 h, h to action, p90 h, h to verify, h to close, closed, confirmed, PPV,
    # 7-1-7 n, detect 7d, notify 1d, respond 7d, 7-1-7
    # ears_c2 / ili: episodes 1 (answered after 2 h, closed after 120 h, confirmed, meets 7-1-7) and 2 (30 h,
    # closed after 48 h, not an outbreak). p90 of 2 and 30: 2 + 0.9 * 28 = 27.2; verified after 12 h and 30 h.
    assert groups["ears_c2 ili"] == ["2", "2", "0", "50%", "16.0", "27.2", "21.0", "84.0", "2", "1", "50%", "1",
                                     "100%", "100%", "100%", "100%"]
    assert groups["farrington ili"] == ["1", "1", "0", "0%", "30.0", "30.0", "30.0", "48.0", "1", "0", "0%", "0",
                                        "–", "–", "–", "–"]
    assert groups["farrington hfmd"] == ["1", "1", "0", "100%", "6.0", "6.0", "6.0", "6.0", "1", "0", "0%", "0",
                                         "–", "–", "–", "–"]
    # the unit's data-quality episode: answered after 12 h, not closed; episode 5 opened after the period
    assert groups["quality unit_silent"] == ["1", "1", "0", "100%", "12.0", "12.0", "12.0", "–", "0", "0", "–", "0",
                                             "–", "–", "–", "–"]
    assert len(groups) == 4


def test_indicators_of_a_region_in_one_line(config):
    done = run("indicators", "--config", config, "--since", "2026-03-01", "--until", "2026-03-31",
               "--region", "320102", "--by", "")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Alerts opened 2026-03-01 to 2026-03-31 in 320102 and below:"
    # Dongcheng: episodes 1, 2 and its unit's 4 (2 h, 30 h, 12 h); Xicheng's 3 is not in its subtree.
    cells = done.stdout.splitlines()[2].split()
    assert cells[:6] == ["3", "3", "0", "67%", "12.0", "26.4"]


def test_indicators_as_json(config):
    done = run("indicators", "--config", config, "--since", "2026-03-01", "--until", "2026-04-30", "--by", "syndrome",
               "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["since"] == "2026-03-01" and answer["by"] == ["syndrome"] and answer["region"] is None
    groups = {g["syndrome"]: g for g in answer["groups"]}
    assert set(groups) == {"hfmd", "ili", "unit_silent"}
    # ili: episodes 1, 2 and 5 (opened 20 April, never answered: it counts against the 24-hour share)
    assert groups["ili"]["alerts"] == 3 and groups["ili"]["actioned"] == 2
    assert groups["ili"]["share_action_24h"] == pytest.approx(1 / 3)
    assert groups["ili"]["ppv"] == 0.5 and groups["ili"]["share_717"] == 1.0
    assert groups["hfmd"]["ppv"] == 0.0 and groups["unit_silent"]["ppv"] is None


@pytest.mark.parametrize("args, message", [
    (["--since", "1 March"], "--since '1 March': expected a day as YYYY-MM-DD"),
    (["--since", "2026-03-31", "--until", "2026-03-01"], "--until 2026-03-01 is before --since 2026-03-31"),
    (["--since", "2026-03-01", "--region", "999999"], "--region '999999': no such region or unit in the store"),
])
def test_wrong_options_are_one_clear_line(config, args, message):
    done = run("indicators", "--config", config, *args)
    assert done.returncode == 1 and done.stderr.strip() == f"error: {message}" and "Traceback" not in done.stderr
