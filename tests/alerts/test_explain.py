"""An alert's headline figures, the parts carrying its excess, its rank and its sentence, on cases worked
out by hand."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd
import pytest

from surveillance.alerts.explain import (Headline, explain_episodes, facility_days, headline, rank_key, rank_order,
                                         with_facilities)
from surveillance.alerts.sentence import sentence

from ..batches import write_rows

D1, D2, D3 = date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)


def episode(**kw):
    base = dict(episode_id=1, kind="outbreak", level="county", region="320222", regions='["320222"]', syndrome="ili",
                age_group="5-14", notify_severity="red", severity="red", period_days=1, incomplete=False,
                detectors='["regional_excess"]')
    return {**base, **kw}


def row(day, observed, expected, *, syndrome="ili", age="5-14", detector="regional_excess", severity="red",
        pvalue=0.001, region="320222", measure="count", completeness=0.92, upperbound=None, period_days=1):
    return dict(episode_id=1, detector=detector, region=region, date=pd.Timestamp(day), as_of=pd.Timestamp(day),
                measure=measure, observed=observed, expected=expected,
                upperbound=upperbound if upperbound is not None else expected * 1.5, pvalue=pvalue,
                severity=severity, completeness=completeness, incomplete=False, detail=None, syndrome=syndrome,
                age_group=age, period_days=period_days)


def outbreak_evidence():
    return [
        row(D1, 18, 9, severity="yellow", pvalue=0.02),
        row(D2, 20, 9), row(D2, 20, 15, detector="ears_c2", severity="yellow", pvalue=0.03),  # a second judge of D2
        row(D3, 25, 10, upperbound=16),
        row(D2, 30, 20, syndrome="fever", age="all", severity="yellow", pvalue=0.04),  # parts of the event
        row(D3, 14, 10, syndrome="ari", age="0-4", severity="yellow", pvalue=0.04),
        row(D3, 12, 4, syndrome="ari", age="5-14", severity="yellow", pvalue=0.04),
    ]


def test_the_headline_sums_one_judgement_a_day_of_its_series_over_the_alerts_days():
    h = headline(episode(), outbreak_evidence())
    assert (h.day, h.region, h.syndrome, h.age_group, h.detector) == (D3, "320222", "ili", "5-14", "regional_excess")
    assert h.signal_days == (D1, D2, D3) and h.days == 3
    # regional_excess each day (ears_c2's 15 on D2 is not the headline detector's): 18 + 20 + 25, 9 + 9 + 10
    assert (h.observed, h.expected, h.excess) == (63, 28, 35)
    assert (h.day_observed, h.day_expected, h.upperbound, h.pvalue, h.completeness) == (25, 10, 16, 0.001, 0.92)
    # the other series, most excess first: ARI 5-14 (8), fever (10 on D2) ... fever 10 > ari 5-14 8 > ari 0-4 4
    assert h.parts == (("fever", "all"), ("ari", "5-14"), ("ari", "0-4")) and h.ages == ()


def test_the_newest_days_most_severe_part_heads_and_counts_come_before_percentages():
    evidence = [row(D2, 40, 20), row(D3, 12, 10, severity="yellow", pvalue=0.04),
                row(D3, 30, 10, syndrome="fever", age="all", pvalue=0.004),
                row(D3, 9.5, 4.0, syndrome="fever", age="all", measure="percent", pvalue=0.0001)]
    h = headline(episode(), evidence)
    assert (h.syndrome, h.age_group, h.measure, h.observed, h.expected) == ("fever", "all", "count", 30, 10)
    assert h.signal_days == (D3,) and h.parts == (("ili", "5-14"),)  # ILI 5-14: 20 + 2 excess
    # among equally severe parts the episode keeps its own series, however small its p-value
    evidence[1] = row(D3, 12, 10, pvalue=0.009)
    kept = headline(episode(), evidence)
    assert (kept.syndrome, kept.age_group, kept.observed, kept.days) == ("ili", "5-14", 52, 2)


def test_an_all_ages_headline_names_the_age_groups_carrying_it_and_percentages_are_means():
    evidence = [row(D3, 50, 30, age="all", pvalue=0.0001), row(D3, 20, 8, age="5-14"), row(D3, 9, 6, age="0-4"),
                row(D3, 16, 11, syndrome="fever", age="all", severity="yellow")]
    h = headline(episode(age_group="all"), evidence)
    assert h.age_group == "all" and h.ages == ("5-14", "0-4") and h.parts == (("fever", "all"),)
    assert ", mostly 5-14 years and 0-4 years; also above expected: Fever; data" in sentence(h, "en")
    # an age group's headline says its syndrome's all-ages part with its age group
    by_age = headline(episode(), evidence)
    assert by_age.age_group == "5-14" and "；同时高于期望：流感样病例（全部年龄）、发热和流感样病例（0-4岁）；" in sentence(by_age, "zh")
    percent = headline(episode(), [row(D2, 10.0, 6.0, measure="percent"), row(D3, 12.0, 7.0, measure="percent")])
    assert (percent.observed, percent.expected, percent.excess, percent.days) == (11.0, 6.5, 0.0, 2)


def test_a_cluster_says_its_newest_window_once():
    evidence = [row(D2, 80, 40, detector="spacetime_permutation", age="all", syndrome="fever", period_days=4),
                row(D3, 100, 50, detector="spacetime_permutation", age="all", syndrome="fever", period_days=5)]
    h = headline(episode(kind="cluster", syndrome="fever", age_group="all", regions='["320222", "320223", "320224"]'),
                 evidence, populations={"320222": 400_000, "320223": 300_000, "320224": 100_000})
    assert (h.observed, h.expected, h.excess, h.days) == (100, 50, 50, 5)  # not 180 over overlapping windows
    assert h.regions == ("320223", "320224") and h.population == 800_000
    alone = headline(episode(kind="cluster", syndrome="fever", age_group="all"), evidence)
    assert sentence(alone, "zh", {"320222": "新吴区"}).startswith("新吴区发热时空聚集：截至2026-11-20的5天内就诊100人次")
    assert sentence(h, "en", {"320222": "Xinwu District", "320223": "Hudong District", "320224": "Meicun"}) == (
        "Fever cluster of 3 regions around Xinwu District (with Hudong District and Meicun): 100 visits over 5 days "
        "to 2026-11-20 against 50 expected (50 excess cases); data 92% complete.")


def silent(unit, day):
    return {**row(day, 0.0, 0.95, syndrome="unit_silent", age="all", detector="quality", severity="yellow",
                  pvalue=None, region=unit, measure="visits", completeness=None), "pvalue": None, "completeness": None}


def test_a_data_quality_alert_says_which_units_are_silent_since_when():
    county = {"F1": "320222", "F2": "320222", "F3": "320222"}
    evidence = [silent("F1", D1), silent("F1", D2), silent("F1", D3), silent("F2", D3), silent("F3", D1)]
    ep = episode(kind="data_quality", region="F1", regions='["F1", "F2", "F3"]', syndrome="unit_silent",
                 age_group="all", notify_severity="yellow", severity="yellow")
    h = headline(ep, evidence, place_of=lambda u: county.get(u, u), silent_days=2)
    # F1 found silent on D1..D3 (silent since the day before D1), F2 on D3 (since D2); F3 reports again
    assert h.place == "320222" and h.since == (("F1", D1 - timedelta(days=1)), ("F2", D2))
    names = {"320222": "Xinwu District", "F1": "Central Clinic", "F2": "Meicun Health Centre"}
    assert sentence(h, "en", names) == ("Xinwu District: 2 reporting units have sent no data, Central Clinic since "
                                        "2026-11-17 and Meicun Health Centre since 2026-11-19 (to 2026-11-20); "
                                        "1 more reporting again.")
    zh = sentence(h, "zh", {"320222": "新吴区", "F1": "中心诊所", "F2": "梅村卫生院", "F3": "东亭卫生院"})
    assert zh == "新吴区：2个报告单位无数据，中心诊所自2026-11-17起和梅村卫生院自2026-11-19起（截至2026-11-20）；另有1个已恢复报告。"
    feed = headline(episode(kind="data_quality", region="clinics", regions='["clinics"]', syndrome="feed_silent",
                            age_group="all"), [{**silent("clinics", D3), "syndrome": "feed_silent"}], silent_days=2)
    assert sentence(feed, "zh") == "数据源（clinics）自2026-11-19起未送达数据（截至2026-11-20）。"
    drop = headline(episode(kind="data_quality", syndrome="visits_drop", age_group="all"),
                    [{**silent("320222", D3), "syndrome": "visits_drop", "observed": 120.0, "expected": 400.0}])
    assert sentence(drop, "en", names) == ("Total visits in Xinwu District fell to 120 on 2026-11-20 against a usual "
                                           "400 for that weekday (30%).")


def unit_counts(jumps: dict[str, int], usual: int = 3) -> dict:
    """Each unit ``usual`` a day on the four same weekdays before each signal day, plus its jump on the days."""
    counts = {}
    for day in (D1, D2, D3):
        for unit in ("F1", "F2", "F3", "320222"):
            for k in range(1, 5):
                counts[(unit, day - timedelta(weeks=k))] = usual
            counts[(unit, day)] = usual + jumps.get(unit, 0)
    return counts


def test_the_facilities_named_are_the_fewest_carrying_half_the_excess():
    h = headline(episode(), outbreak_evidence())
    assert len(facility_days(h)) == 15  # 3 signal days and 4 same weekdays before each
    # excess over the 3 days: F1 3 x 6 = 18, F2 15, F3 12 (the county's own code is no facility): half of 45 needs
    # F1 and F2; with F1 10 and F2 9 a day, F1's 30 alone is more than half of 57
    assert with_facilities(h, unit_counts({"F1": 6, "F2": 5, "F3": 4, "320222": 50})).facilities == ("F1", "F2")
    assert with_facilities(h, unit_counts({"F1": 10, "F2": 9})).facilities == ("F1",)
    lonely = {key: value for key, value in unit_counts({"F1": 10}).items() if key[0] in ("F1", "320222")}
    assert with_facilities(h, lonely).facilities == ()  # one facility: nothing to tell apart
    weekly = headline(episode(period_days=7, level="city"), outbreak_evidence())
    assert facility_days(weekly) == []


def test_the_sentence_in_english_and_chinese():
    h = with_facilities(headline(episode(regions='["320222", "320223"]'), outbreak_evidence()),
                        unit_counts({"F1": 6, "F2": 5, "F3": 4}))
    en = {"320222": "Xinwu District", "320223": "Hudong District", "F1": "Central Primary School clinic",
          "F2": "Meicun Health Centre"}
    assert sentence(h, "en", en) == (
        "Influenza-like illness, 5-14 years, in Xinwu District: 63 visits over 3 days to 2026-11-20 against 28 "
        "expected (35 excess cases), carried by Central Primary School clinic and Meicun Health Centre; also above "
        "expected: Fever, Acute respiratory infection (5-14 years) and Acute respiratory infection (0-4 years); "
        "neighbouring Hudong District joined; data 92% complete.")
    zh_names = {"320222": "新吴区", "320223": "湖东区", "F1": "中心小学卫生室", "F2": "梅村卫生院"}
    zh = sentence(h, "zh", zh_names)
    assert zh == ("新吴区 5-14岁 流感样病例：截至2026-11-20的3天内就诊63人次，期望28人次（超出35例），主要来自中心小学卫生室和"
                  "梅村卫生院；同时高于期望：发热、急性呼吸道感染（5-14岁）和急性呼吸道感染（0-4岁）；邻近的湖东区同时出现预警；"
                  "数据完整率92%。")
    assert not re.search("[A-Za-z]", zh)
    one_day = headline(episode(), [row(D3, 1, 0.4)])
    assert sentence(one_day, "en") == ("Influenza-like illness, 5-14 years, in 320222: 1 visit on 2026-11-20 against "
                                       "0.4 expected (1 excess case); data 92% complete.")  # singular, and the code
    percent = headline(episode(), [row(D3, 12.34, 8.0, measure="percent")])
    assert "12.3% of visits on 2026-11-20 against 8.0% expected; " in sentence(percent, "en")
    assert "2026-11-20占就诊12.3%，期望8.0%；" in sentence(percent, "zh")


def test_rank_severity_then_excess_then_population():
    def ranked(severity="red", excess_rows=((D3, 30, 10),), population=None, **kw):
        rows = [row(d, o, e) for d, o, e in excess_rows]
        return headline(episode(notify_severity=severity, **kw), rows,
                        populations=None if population is None else {"320222": population})

    red_small = ranked(excess_rows=((D3, 12, 10),))  # 2 excess
    yellow_big = ranked("yellow", ((D3, 300, 10),))  # 290 excess
    red_big = ranked(excess_rows=((D2, 30, 10), (D3, 40, 10)))  # 50 excess
    assert rank_key(red_small) > rank_key(yellow_big)  # severity first
    assert rank_key(red_big) > rank_key(red_small)  # then excess cases
    crowded, sparse = ranked(population=900_000), ranked(population=50_000)
    assert rank_key(crowded) > rank_key(sparse)  # then the population affected
    assert rank_key(ranked()) == (2, 20.0, 30.0)  # without populations: the visits counted
    frame = pd.DataFrame({"episode_id": [1, 2, 3, 4], "ended_on": [None, None, D1, None],
                          "state": ["new", "new", "new", "closed"], "last_signal_on": [D3, D3, D3, D3]})
    headlines = {1: yellow_big, 2: red_small, 3: red_big, 4: red_big}
    assert rank_order(frame, headlines)["episode_id"].tolist() == [2, 1, 4, 3]  # running first, then by rank


@pytest.fixture
def xinwu(store):
    """The test store's Dongcheng District with four weeks of counts of two facilities and a jump in one."""
    days = pd.date_range(D3 - timedelta(days=35), D3)
    rows = [(d.date(), unit, "ili", "5-14", (13 if unit == "F320102001" and d.date() >= D2 else 3), 50)
            for d in days for unit in ("F320102001", "F320102002")]
    frame = pd.DataFrame(rows, columns=["date", "unit", "syndrome", "age_group", "count", "total"])
    write_rows(store, frame, pd.Timestamp(D3 + timedelta(days=1)))
    return store


def test_explained_from_the_store_with_facilities_and_population(xinwu):
    from surveillance.alerts.signals import SIGNAL_COLUMNS
    from surveillance.alerts.apply import apply_signals

    from .test_episodes import sig

    signals = [{**sig(d, region="320102", syndrome="ili", detector="regional_excess"), "age_group": "5-14",
                "observed": 16.0, "expected": 6.0} for d in (D2, D3)]
    with xinwu.transaction() as cur:
        apply_signals(cur, pd.DataFrame(signals, columns=SIGNAL_COLUMNS), today=D3, gap_days=2, quiet_days=7,
                      notify_since=None, by_event=True)
        episodes = cur.execute("SELECT * FROM alert_episodes").df().to_dict("records")
        found = explain_episodes(cur, episodes)
    h = found[1]
    assert isinstance(h, Headline) and (h.observed, h.expected, h.excess, h.days) == (32, 12, 20, 2)
    assert h.facilities == ("F320102001",) and h.population == 800_000  # Dongcheng's population
    # a data-quality alert alone (no facility counts to read) belongs to its unit's county
    quiet = {**sig(D3, region="F320102002", detector="quality", syndrome="unit_silent", severity="yellow"),
             "level": "facility", "measure": "visits"}
    with xinwu.transaction() as cur:
        apply_signals(cur, pd.DataFrame([quiet], columns=SIGNAL_COLUMNS), today=D3, gap_days=2, quiet_days=7,
                      notify_since=None, by_event=True)
        silent = cur.execute("SELECT * FROM alert_episodes WHERE kind = 'data_quality'").df().to_dict("records")
        dq = explain_episodes(cur, silent)[2]
    assert (dq.place, dq.since, dq.population) == ("320102", (("F320102002", D2),), 800_000)


def test_the_sentences_words_are_english_and_chinese_with_the_same_blanks():
    from string import Formatter

    from surveillance.alerts.sentence import WORDS

    for key, term in WORDS.items():
        blanks = [{name for _, name, _, _ in Formatter().parse(text) if name} for text in (term.en, term.zh)]
        assert blanks[1] <= blanks[0] | {"total"}, key  # Chinese says what English says ("等5个" counts all)
        assert not re.search("[\u4e00-\u9fff]", term.en), key
        assert not re.search("[A-Za-z]", re.sub(r"\{\w+\}", "", term.zh)), key  # no English word in Chinese
