"""The alarm budget's level learnt from history: what the detect job learns, when it learns again, and
that confirmed outbreaks are left out of the history."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from surveillance.alerts.budget import DAYS_PER_QUARTER, count_onsets
from surveillance.alerts.workflow import transition
from surveillance.config import load_config
from surveillance.service import thresholds as learning
from surveillance.service.detect import run_detection
from surveillance.store import open_store
from surveillance.store.thresholds import threshold_history
from surveillance.synthetic.demo import build_demo

from .test_detection import copy_demo

END = date(2026, 11, 20)


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "demo"
    build_demo(folder / "surveillance.duckdb", days=120, end=END, geography_options={"n_facilities": 30})
    return folder


def _setup(demo_folder, target, **budget):
    config = load_config(copy_demo(demo_folder, target))
    detection = config.detection.model_copy(update={"budget": config.detection.budget.model_copy(
        update={"history_days": 28, **budget})})
    config = config.model_copy(update={"detection": detection})
    return config, open_store(config.database.path)


def test_the_learnt_level_is_the_largest_that_kept_the_budget(demo_folder, tmp_path):
    config, store = _setup(demo_folder, tmp_path / "d")
    day = END - timedelta(days=3)
    rows = learning.learn_thresholds(store.cursor(), config, day)
    assert rows["level"].tolist() == ["county"]  # the demo's default detectors: counties and their facilities
    row = rows.iloc[0]
    assert row["history_from"] == day - timedelta(days=28) and row["history_to"] == day - timedelta(days=1)
    budget = config.detection.budget.noise_alerts_per_quarter
    assert row["q_nominal"] == pytest.approx(budget / DAYS_PER_QUARTER)
    days = learning._history_q(store.cursor(), config, day)
    assert days["family"].nunique() == row["families"] == 10 and days["date"].nunique() == 28
    allowed = budget * 28 / DAYS_PER_QUARTER * row["families"]
    assert count_onsets(days, row["q_learnt"], config.alerts.quiet_days) == row["onsets"] <= allowed
    looser = days.loc[days["q"] > row["q_learnt"], "q"].min()
    assert row["q_learnt"] == row["q_nominal"] or count_onsets(days, looser, config.alerts.quiet_days) > allowed
    # red against its own budget, red_share of the alerts
    red_allowed = allowed * config.detection.budget.red_share
    assert row["q_red_learnt"] <= row["q_learnt"]
    assert count_onsets(days, row["q_red_learnt"], config.alerts.quiet_days) <= max(red_allowed, 0)


def test_the_detect_job_learns_once_and_again_when_the_learning_is_old(demo_folder, tmp_path):
    config, store = _setup(demo_folder, tmp_path / "d", relearn_days=3)
    since = END - timedelta(days=4)
    run_detection(store, config, END + timedelta(days=1), since=since, until=END)
    learnt = sorted(threshold_history(store.cursor())["learnt_for"].dt.date.unique())
    assert learnt == [since, since + timedelta(days=3)]  # five days judged, learnt for the first and the fourth
    # the second learning took the days already judged as they were judged then
    from surveillance.store.alerts import judged_points
    stored = judged_points(store.cursor(), since, since + timedelta(days=2))
    day = since + timedelta(days=3)
    history = learning._history_q(store.cursor(), config, day)
    first = stored[stored["level"] == "facility"].iloc[0]
    judge_again = learning._as_first_judged(np.array([[0.5, 0.5, 0.5]]), pd.DataFrame(
        {"region": [first["region"]], "syndrome": [first["syndrome"]], "age_group": [first["age_group"]]}),
        pd.date_range(pd.Timestamp(first["date"]) - pd.Timedelta(days=1), periods=3),
        stored[(stored["region"] == first["region"]) & (stored["syndrome"] == first["syndrome"])
               & (stored["age_group"] == first["age_group"])])
    assert judge_again[0, 1] == first["pvalue"] and judge_again[0, 0] == 0.5
    assert len(history) and history["date"].max() == pd.Timestamp(day - timedelta(days=1))
    off = config.model_copy(update={"detection": config.detection.model_copy(update={
        "budget": config.detection.budget.model_copy(update={"learn": False})})})
    assert learning.thresholds_for_day(store, off, END) == {}


def test_confirmed_outbreaks_are_left_out_of_the_history(demo_folder, tmp_path):
    config, store = _setup(demo_folder, tmp_path / "d", learn=False)
    run_detection(store, config, END + timedelta(days=1), since=END - timedelta(days=20), until=END)
    con = store.cursor()
    episodes = con.execute("SELECT episode_id, region FROM alert_episodes WHERE kind = 'outbreak' "
                           "ORDER BY episode_id").df()
    assert len(episodes), "the demo's last weeks raise at least one outbreak alert"
    episode_id, region = int(episodes["episode_id"].iloc[0]), episodes["region"].iloc[0]
    for state, outcome in (("verifying", None), ("closed", "confirmed_outbreak")):
        transition(store, episode_id, state, user="epi", outcome=outcome)
    evidence = con.execute("SELECT min(date), max(date) FROM alert_evidence WHERE episode_id = ?",
                           [episode_id]).fetchone()
    dates = pd.date_range(END - timedelta(days=40), END)
    days = pd.DataFrame([(f, d, 0.5) for f in (region, "elsewhere") for d in dates], columns=["family", "date", "q"])
    kept = learning._without_confirmed(con, days, gap_days=7)
    gone = days.merge(kept, how="left", indicator=True).query("_merge == 'left_only'")
    assert set(gone["family"]) == {region}
    assert gone["date"].min() == pd.Timestamp(evidence[0]) - pd.Timedelta(days=7)
    assert gone["date"].max() == min(pd.Timestamp(evidence[1]) + pd.Timedelta(days=7), pd.Timestamp(END))


def test_what_the_budget_costs_in_detection(demo_folder, tmp_path):
    from surveillance.cli.alerts import _budget_report
    from surveillance.evaluation.budget_cost import budget_cost

    config, store = _setup(demo_folder, tmp_path / "d")
    since = END - timedelta(days=13)
    run_detection(store, config, END + timedelta(days=1), since=since, until=END)
    con = store.cursor()
    episode = con.execute("SELECT region, syndrome, opened_on, last_signal_on FROM alert_episodes "
                          "WHERE kind = 'outbreak' ORDER BY opened_on LIMIT 1").df().iloc[0]
    truth = pd.DataFrame([{"syndrome": episode["syndrome"], "counties": episode["region"],
                           "start": episode["opened_on"], "end": episode["last_signal_on"]}])
    learnt = learning.thresholds_for_day(store, config, since)["county"][0]
    cost = budget_cost(con, since, END, truth, {"learnt": learnt, "none": 1e-300}).set_index("level")
    # the alert opened on a day one of its parts was within the learnt level: detected on its first day
    assert cost.loc["learnt", "detected"] == 1 and cost.loc["learnt", "median_delay_days"] == 0
    assert cost.loc["none", "detected"] == 0
    lines = _budget_report(con, since, END, None)
    assert "alarm budget, county families" in lines[0] and "no true outbreaks" in lines[1]


def test_a_confirmed_outbreak_is_missing_from_later_panels(demo_folder, tmp_path):
    from surveillance.service.detect import DayJudge
    from surveillance.store.counts import read_panel

    config, store = _setup(demo_folder, tmp_path / "d", learn=False)
    run_detection(store, config, END + timedelta(days=1), since=END - timedelta(days=20), until=END - timedelta(days=5))
    con = store.cursor()
    episode_id = con.execute("SELECT min(episode_id) FROM alert_episodes WHERE kind = 'outbreak'").fetchone()[0]
    for state, outcome in (("verifying", None), ("closed", "confirmed_outbreak")):
        transition(store, int(episode_id), state, user="epi", outcome=outcome)
    cell = con.execute("SELECT v.region, v.syndrome, v.age_group, v.date, e.level FROM alert_evidence v "
                       "JOIN alert_episodes e USING (episode_id) WHERE episode_id = ? LIMIT 1", [episode_id]).df().iloc[0]
    level = "facility" if str(cell["region"]).startswith("F") else "county"
    spec = config.detection.detectors[0]
    judged = DayJudge(con, config, END, END + timedelta(days=1)).daily_panel(spec, level)
    plain = read_panel(con, level=level, age_groups=None if cell["age_group"] == "all" else [cell["age_group"]],
                       start=END - timedelta(days=spec.history - 1), end=END, as_of=END + timedelta(days=1))
    def value(panel):
        k = panel.keys
        row = np.flatnonzero((k["region"] == cell["region"]) & (k["syndrome"] == cell["syndrome"])
                             & (k["age_group"] == cell["age_group"]))[0]
        return panel.counts[row, panel.dates.get_loc(pd.Timestamp(cell["date"]))]
    assert not np.isnan(value(plain)) and np.isnan(value(judged))


def test_a_backfill_learns_from_its_own_first_judgements(demo_folder, tmp_path):
    """A backfill stores its signals at its end; its relearnings must still see the days it judged as it
    judged them (first known), as daily operation sees the stored ones: each learning it stored equals
    the learning made again afterwards, from the stored signals."""
    config, store = _setup(demo_folder, tmp_path / "d", relearn_days=7)
    run_detection(store, config, END + timedelta(days=1), since=END - timedelta(days=20), until=END)
    con = store.cursor()
    stored = threshold_history(con).sort_values("learnt_for")
    assert len(stored) >= 3
    later = stored.iloc[1:]  # the first learning precedes every judged day
    judged = pd.to_datetime(con.execute("SELECT DISTINCT date FROM signals").df()["date"])
    first_known = con.execute("SELECT count(*) FROM signals WHERE as_of = date + 1").fetchone()[0]
    assert first_known > 0 and judged.min().date() == END - timedelta(days=20)
    for row in later.itertuples():
        again = learning.learn_thresholds(con, config, pd.Timestamp(row.learnt_for).date()).iloc[0]
        assert again["onsets"] == row.onsets
        assert again["q_learnt"] == pytest.approx(row.q_learnt)
        assert again["q_red_learnt"] == pytest.approx(row.q_red_learnt)
