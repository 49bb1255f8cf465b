"""Replaying delivery files in runs stores exactly what ingesting them one by one stores."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

import surveillance.ingest.replay as replay
from surveillance.ingest.pipeline import ingest_file
from surveillance.ingest.replay import replay_files
from surveillance.store import open_store
from surveillance.store.reference import load_reference

from ..conftest import small_regions, small_units

HEADER = "date,unit,syndrome,age_group,count,total\n"
A, B, C = "F320102001", "F320102002", "F320103001"
FIRST_DELIVERY = datetime(2026, 11, 2, 6, 0)


def _store(path):
    store = open_store(path)
    load_reference(store, small_regions(), small_units(),
                   pd.DataFrame({"region": ["320102", "320103"], "neighbour": ["320103", "320102"]}))
    return store


def _contents(store) -> dict[str, list[tuple]]:
    """Every stored row but the batches' own clocks."""
    return {
        "observations": store.con.execute("SELECT * FROM observations ORDER BY ALL").fetchall(),
        "ingest_batches": store.con.execute(
            "SELECT * EXCLUDE (started_at, finished_at) FROM ingest_batches ORDER BY batch_id").fetchall(),
        "quarantine": store.con.execute("SELECT * FROM quarantine ORDER BY ALL").fetchall(),
    }


@pytest.fixture
def both_ways(tmp_path, ctx, monkeypatch):
    """Ingest CSV texts (one per delivery day) in runs and one by one; give both stores' contents,
    the outcomes of each way and the files the runs handed to ``ingest_file``."""
    taken_alone = []

    def counted(store, path, *args, **kwargs):
        taken_alone.append(path.name)
        return ingest_file(store, path, *args, **kwargs)

    monkeypatch.setattr(replay, "ingest_file", counted)

    def run(texts: list[str], files_per_run: int):
        (tmp_path / "drop").mkdir(exist_ok=True)
        files = []
        for day, text in enumerate(texts):
            path = tmp_path / "drop" / f"visits_{day}.csv"
            path.write_text(text, encoding="utf-8")
            files.append((path, FIRST_DELIVERY + timedelta(days=day)))
        together, alone = _store(tmp_path / "runs.duckdb"), _store(tmp_path / "alone.duckdb")
        try:
            run_outcomes = [o.as_dict() for _, o in replay_files(together, files, ctx, files_per_run=files_per_run)]
            alone_outcomes = [ingest_file(alone, path, ctx, received_at=at).as_dict() for path, at in files]
            return _contents(together), _contents(alone), run_outcomes, alone_outcomes, taken_alone
        finally:
            together.close()
            alone.close()

    return run


def csv(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


REVISIONS = [
    csv(f"2026-11-01,{A},fever,all,4,40", f"2026-11-01,{B},fever,all,5,50"),
    csv(f"2026-11-01,{A},fever,all,6,40", f"2026-11-01,{B},fever,all,5,50", f"2026-11-01,{C},fever,all,1,9"),
    csv(f"2026-11-01,{A},fever,all,6,41", f"2026-11-01,{B},fever,all,5,50", f"2026-11-02,{A},fever,all,2,30"),
    csv(f"2026-11-01,{A},fever,all,4,40", f"2026-11-02,{A},ili,all,1,30"),
    csv(f"2026-11-01,{B},fever,all,7,50", f"2026-11-01,{A},fever,all,4,40", f"2026-11-01,{A},fever,all,4,"),
]

BAD_ROWS = [
    csv(f"2026-11-01,{A},fever,all,4,40",
        f"2026-12-25,{A},fever,all,4,40",        # in the future
        f"2026-11-01,F999,fever,all,4,40",        # unknown unit
        f"2026-11-01,{B},fever,all,5,50",
        f"2026-11-01,{B},fever,all,5,50",         # an identical copy: collapsed
        f"2026-11-01,{C},ili,all,1,10",
        f"2026-11-01,{C},ili,all,2,10"),          # conflicting copies: both refused
    csv(f"2026-11-01,{C},ili,all,2,10",           # the same key in another file is no duplicate
        f"2026-11-01,{B},fever,all,6,50",
        f"2026-11-01,{B},fever,all,6,50",
        f"2026-11-02,{C},fever,all,3,30",
        f"2026-11-02,{C},fever,0-4,1,5"),         # all ages beside an age group, in one file: both refused
    csv(f"2026-11-02,{C},fever,all,3,30", f"2026-11-01,{A},fever,all,3,-1"),
    csv(f"2026-11-01,{A},fever,0-4,1,10",         # by age group where all ages are stored (first run)
        f"2026-11-03,{A},fever,all,3,30"),
]


@pytest.mark.parametrize("texts, files_per_run, taken_alone", [
    (REVISIONS, 2, []), (REVISIONS, 3, []), (REVISIONS, 10, []), (BAD_ROWS, 3, []),
    # The last file's age group beside the first's all ages: judged file by file.
    (BAD_ROWS, 4, [f"visits_{day}.csv" for day in range(4)]),
], ids=["revisions-2", "revisions-3", "revisions-all", "bad-rows-3", "bad-rows-4"])
def test_runs_store_what_the_files_one_by_one_store(both_ways, texts, files_per_run, taken_alone):
    together, alone, run_outcomes, alone_outcomes, files_alone = both_ways(texts, files_per_run)
    assert together == alone
    assert run_outcomes == alone_outcomes
    assert files_alone == taken_alone
    assert any(revision > 1 for *_, revision, _, _, _ in together["observations"])


def test_bad_rows_are_refused_in_runs_as_in_single_files(both_ways):
    together, _, outcomes, _, files_alone = both_ways(BAD_ROWS, 3)
    assert files_alone == []
    assert [(o["status"], o["new_rows"], o["revised_rows"], o["collapsed_rows"], o["rejected_rows"])
            for o in outcomes] == [("partial", 2, 0, 1, 4), ("partial", 1, 1, 1, 2), ("partial", 1, 0, 0, 1),
                                   ("partial", 1, 0, 0, 1)]
    reasons = [reason for *_, reason, _, _ in together["quarantine"]]
    assert any(r.startswith("conflicting duplicates: rows 7, 8") for r in reasons)
    assert any("already has an all-ages row stored" in r for r in reasons)


def test_all_ages_in_one_file_and_age_groups_in_another_go_file_by_file(both_ways):
    texts = [csv(f"2026-11-01,{A},fever,all,4,40"), csv(f"2026-11-02,{B},fever,all,1,9"),
             csv(f"2026-11-01,{A},fever,0-4,1,10", f"2026-11-01,{B},fever,all,2,20")]
    together, alone, run_outcomes, alone_outcomes, taken_alone = both_ways(texts, 3)
    assert together == alone and run_outcomes == alone_outcomes
    assert taken_alone == ["visits_0.csv", "visits_1.csv", "visits_2.csv"]
    assert run_outcomes[2]["rejected_rows"] == 1


@pytest.mark.parametrize("odd_one", ["", "repeat"], ids=["empty-file", "content-seen-before"])
def test_a_file_refused_whole_or_seen_before_sends_its_run_file_by_file(both_ways, odd_one):
    texts = [csv(f"2026-11-01,{A},fever,all,4,40"), csv(f"2026-11-01,{A},fever,all,5,40"),
             csv(f"2026-11-02,{B},fever,all,1,9"), csv(f"2026-11-03,{B},fever,all,1,9")]
    texts.insert(3, texts[0] if odd_one == "repeat" else odd_one)
    together, alone, run_outcomes, alone_outcomes, taken_alone = both_ways(texts, 3)
    assert together == alone and run_outcomes == alone_outcomes
    assert taken_alone == ["visits_3.csv", "visits_4.csv"]  # the first run went through whole
    assert run_outcomes[3]["status"] == ("failed" if odd_one == "" else "already_ingested")
