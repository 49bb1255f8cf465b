"""`surveillance tune`: the signal workload on the store's own history and the severity thresholds
for a target rate, checked by judging the same history again with them."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest
import tomli_w

from surveillance.store import open_store

from .test_detection import END, TODAY, cli, copy_demo, demo_folder  # noqa: F401  (fixture)

SINCE = "2026-10-01"


def coloured_rate(db, detector: str) -> tuple[int, int]:
    """(yellow-or-red signals, judged points) of ``detector`` in the backfilled window."""
    with open_store(db, read_only=True) as store:
        return store.con.execute(
            "SELECT count(*) FILTER (WHERE severity IN ('yellow', 'red')), count(*) FROM signals"
            " WHERE detector = ? AND status = 'ok' AND date >= ?", [detector, SINCE]).fetchone()


@pytest.fixture(scope="module")
def backfilled(demo_folder, tmp_path_factory):  # noqa: F811
    config = copy_demo(demo_folder, tmp_path_factory.mktemp("tune") / "d")
    # per-series thresholds, the other way to a workload: judged without the family budget on top
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    raw["detection"]["budget"] = {"noise_alerts_per_quarter": 0}
    config.write_text(tomli_w.dumps(raw), encoding="utf-8")
    out = cli("detect", "--config", str(config), "--since", SINCE, "--today", str(TODAY))
    assert out.returncode == 0, out.stderr
    return config


@pytest.mark.slow
def test_tune_reports_the_workload_and_thresholds_that_meet_the_target(backfilled, tmp_path):
    db = backfilled.parent / "surveillance.duckdb"
    with open_store(db) as store:  # an epidemiologist confirmed one alert raised by ears_c2
        episode = store.con.execute(
            "SELECT episode_id FROM alert_episodes WHERE kind = 'outbreak' AND detectors LIKE '%ears_c2%'"
            " ORDER BY opened_on LIMIT 1").fetchone()[0]
    for state in ("verifying", "investigating"):
        assert cli("alert", str(episode), "--config", str(backfilled), "--to", state, "--user", "li.wei").returncode == 0
    assert cli("alert", str(episode), "--config", str(backfilled), "--to", "closed", "--user", "li.wei",
               "--outcome", "confirmed_outbreak").returncode == 0

    per_series = tmp_path / "series.csv"
    target = 24.0
    out = cli("tune", "--config", str(backfilled), "--since", SINCE, "--until", "2026-11-20",
              "--target-rate", str(target), "-o", str(per_series))
    assert out.returncode == 0, out.stderr
    assert "ears_c2: severity = { red = " in out.stdout
    series = pd.read_csv(per_series)
    assert set(series["detector"]) >= {"ears_c2", "ears_c3_percent"}

    # recompute the workload by hand for ears_c2 from the signals table
    coloured, points = coloured_rate(db, "ears_c2")
    lines = {line.split()[0]: line.split() for line in out.stdout.splitlines() if line.startswith("ears_c2 ")}
    header = out.stdout.splitlines()[1].split()
    row = dict(zip(header, lines["ears_c2"][1:]))
    assert float(row["signals_per_year"]) == pytest.approx(coloured / (points / 365.25), rel=1e-3)
    assert float(row["confirmed"]) == 1
    assert float(row["expected_per_year"]) <= target

    # judging the same history again with the recommended thresholds gives the rate tune expected
    suggested = {}
    for line in out.stdout.splitlines():
        if ": severity = {" in line:
            name, _, rest = line.strip().partition(": severity = ")
            red, yellow = (float(part.split("=")[1]) for part in rest.strip("{} ").split(","))
            suggested[name] = {"red": red, "yellow": yellow}
    again = copy_demo(backfilled.parent.parent / "d", tmp_path / "again")
    raw = tomllib.loads(again.read_text(encoding="utf-8"))
    for spec in raw["detection"]["detectors"]:
        label = spec.get("label") or spec["name"] + ("_percent" if spec.get("percent") else "")
        if label in suggested:
            spec["severity"] = suggested[label]
    again.write_text(tomli_w.dumps(raw), encoding="utf-8")
    with open_store(again.parent / "surveillance.duckdb") as store:
        # judged as the first time, before the alert was confirmed (a confirmed outbreak leaves later baselines)
        for table in ("signals", "alert_evidence", "alert_events", "alert_episodes"):
            store.con.execute(f"DELETE FROM {table}")
    assert cli("detect", "--config", str(again), "--since", SINCE, "--today", str(TODAY)).returncode == 0
    coloured_after, points_after = coloured_rate(again.parent / "surveillance.duckdb", "ears_c2")
    assert points_after == points
    rate_after = coloured_after / (points / 365.25)
    # the printed thresholds are rounded to 3 digits, so allow a signal or two either way
    assert rate_after == pytest.approx(float(row["expected_per_year"]), abs=2 * 365.25 / points)
    assert rate_after <= target * 1.05 and coloured_after < coloured


def test_tune_without_judged_history_says_how_to_get_it(demo_folder, tmp_path):  # noqa: F811
    config = copy_demo(demo_folder, tmp_path / "fresh")
    out = cli("tune", "--config", str(config))
    assert out.returncode == 1 and "no judged signals yet" in out.stderr and "detect --since" in out.stderr
