"""``surveillance evaluate --suite province`` / ``store`` end to end on small demo provinces: each seed
built, backfilled as first known and counted; the store suite on a copy, against its confirmed outbreaks."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pandas as pd
import pytest

from surveillance.alerts.workflow import transition
from surveillance.config import load_config
from surveillance.service.province_suite import (WARMUP_DAYS, evaluate_province, evaluate_store, figures_table,
                                                    judged_sections)
from surveillance.service.detect import run_detection
from surveillance.store import open_store
from surveillance.synthetic.demo import build_demo

pytestmark = pytest.mark.slow

END = date(2026, 11, 20)
SMALL = {"demo_days": 120, "end": END, "geography_options": {"n_facilities": 30}}
CONFIG = """
[detection.budget]
noise_alerts_per_quarter = 0.5
history_days = 28
relearn_days = 14

[alerts]
gap_days = 2
quiet_days = 7
"""


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("suite")
    config = folder / "judged.toml"
    config.write_text(CONFIG, encoding="utf-8")
    sections = judged_sections(config)
    return folder, evaluate_province([1, 2], folder / "work", days=21, sections=sections, **SMALL)


def test_each_seed_is_built_backfilled_and_counted(evaluated):
    folder, result = evaluated
    assert [run["seed"] for run in result["runs"]] == [1, 2]
    for run in result["runs"]:
        db = folder / "work" / f"seed{run['seed']}" / "surveillance.duckdb"
        con = duckdb.connect(str(db), read_only=True)
        # the judged days: the last 21 of the demo, each as known the morning after
        first, last, as_of = con.execute("SELECT min(date), max(date), bool_and(as_of = date + 1) FROM signals "
                                         "WHERE detector <> 'quality'").fetchone()
        assert (last - first).days == 20 and as_of
        # its configuration was judged with: the budget of the given file
        learnt = con.execute("SELECT min(q_nominal) FROM alarm_thresholds").fetchone()[0]
        assert learnt == pytest.approx(0.5 / (365.25 / 4))
        counted_from = pd.Timestamp(first) + pd.Timedelta(days=WARMUP_DAYS)
        events = con.execute("SELECT count(*) FROM alert_episodes WHERE kind IN ('outbreak', 'cluster') "
                             "AND opened_on BETWEEN ? AND ?", [counted_from.date(), last]).fetchone()[0]
        assert run["alerts"] == events
        truth = pd.read_csv(db.parent / "outbreaks.csv")
        ongoing = truth[(pd.to_datetime(truth["end"]) >= counted_from) & (pd.to_datetime(truth["start"]) <= pd.Timestamp(last))]
        assert run["outbreaks"] == len(ongoing)
        con.close()


def test_the_pooled_row_adds_the_seeds_up(evaluated):
    _, result = evaluated
    runs, pooled = result["runs"], result["pooled"]
    assert pooled["alerts"] == sum(r["alerts"] for r in runs)
    assert pooled["county_weeks"] == pytest.approx(sum(r["county_weeks"] for r in runs))
    # the oracle bound for every outbreak of the period it could have alerted
    assert all(len(r["oracle_delays_days"]) <= r["outbreaks"] for r in runs)
    assert pooled["oracle_delays_days"] == sorted(d for r in runs for d in r["oracle_delays_days"])
    table = figures_table(result)
    assert table["run"].tolist() == ["seed 1", "seed 2", "all"]
    assert table.iloc[-1]["alerts_per_county_week"] == pytest.approx(pooled["alerts"] / pooled["county_weeks"])


def test_the_store_suite_judges_a_copy_against_its_confirmed_outbreaks(tmp_path):
    build_demo(tmp_path / "live" / "surveillance.duckdb", seed=3, **{"days": 120, "end": END,
                                                                    "geography_options": {"n_facilities": 30}})
    config_path = tmp_path / "live" / "surveillance.toml"
    config = load_config(config_path)
    with open_store(config.database.path) as store:
        run_detection(store, config, date(2026, 11, 21), since=date(2026, 10, 20))
        episode = store.con.execute("SELECT episode_id FROM alert_episodes WHERE kind = 'outbreak' "
                                    "ORDER BY opened_on DESC LIMIT 1").fetchone()
        assert episode, "the demo's weeks raise at least one outbreak alert"
        for state, outcome in (("verifying", None), ("closed", "confirmed_outbreak")):
            transition(store, int(episode[0]), state, user="epi", outcome=outcome)
        before = store.con.execute("SELECT count(*) FROM signals").fetchone()[0]
    # judged again from the same first day, with the same configuration: the same alert finds it
    result = evaluate_store(config_path, tmp_path / "copy", days=32)
    figures = result["pooled"]
    assert figures["outbreaks"] == 1 and figures["detected"] == 1.0 and figures["median_delay_days"] == 0
    # the store itself is untouched: its signals and its confirmed alert are still there
    with open_store(config.database.path) as store:
        assert store.con.execute("SELECT count(*) FROM signals").fetchone()[0] == before
        assert store.con.execute("SELECT outcome FROM alert_episodes WHERE episode_id = ?",
                                 [int(episode[0])]).fetchone()[0] == "confirmed_outbreak"
    copy = duckdb.connect(str(tmp_path / "copy" / "surveillance.duckdb"), read_only=True)
    assert copy.execute("SELECT count(*) FROM alert_episodes WHERE outcome IS NOT NULL").fetchone()[0] == 0
    json.dumps(result, default=str)
