"""Small-cell suppression on hand-made tables: primary cells, complementary cells where a total would give
a suppressed cell away (a county minus its other facilities, all ages minus the other age groups), the
two dimensions together, and the store's daily table along the region hierarchy."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from surveillance.config import PrivacyConfig, parse_config
from surveillance.errors import ConfigError
from surveillance.privacy import ROOT, CountCells, SmallCells, suppress
from surveillance.regions import Hierarchy

from .batches import write_rows
from .conftest import small_regions, small_units

DAY = date(2026, 3, 10)
AGES = ["0-4", "5-14", "15-64", "65+"]


def _recoverable(cells: dict, relations, hidden: set) -> list:
    """The suppressed cells a reader could work out from one relation: its total and every part but one shown
    (or every part shown and the total suppressed)."""
    found = []
    for total, parts in relations:
        members = [total, *parts]
        gone = [m for m in members if m in hidden and cells.get(m) is not None]
        if len(gone) == 1:
            found.append(gone[0])
    return found


def test_a_small_count_is_suppressed_and_zero_and_large_ones_are_not():
    cells = {"A": 3, "B": 0, "C": 12}
    assert suppress(cells, []) == {"A"}
    assert suppress({"A": 4, "B": 5, "C": 1}, [], min_cell=5) == {"A", "C"}
    assert suppress({"A": 9, "B": 3}, [], min_cell=10) == {"A", "B"}
    assert suppress({"A": 3}, [], min_cell=1) == set()  # 1: nothing is suppressed


def test_a_county_total_minus_its_other_facilities_would_give_a_small_one_away():
    """Clinic A's 3 is suppressed; the county's 23 and B's 12 are shown, so C must go too (23 - 12 = A + C):
    the smallest positive other facility, not the total that officials read first."""
    cells = {"county": 23, "A": 3, "B": 12, "C": 8}
    relations = [("county", ["A", "B", "C"])]
    assert _recoverable(cells, relations, {"A"}) == ["A"]  # without a complement: 23 - 12 - 8 = 3
    hidden = suppress(cells, relations)
    assert hidden == {"A", "C"}
    assert _recoverable(cells, relations, hidden) == []


def test_all_ages_minus_the_other_age_groups_would_give_a_small_one_away():
    """0-4 years' 2 is suppressed; all ages (20) minus the others would give it back, so the smallest positive
    other group goes too; the zero group is shown and not chosen while a positive one is left."""
    cells = {"all": 20, "0-4": 2, "5-14": 0, "15-64": 10, "65+": 8}
    relations = [("all", ["0-4", "5-14", "15-64", "65+"])]
    hidden = suppress(cells, relations)
    assert hidden == {"0-4", "65+"}
    assert _recoverable(cells, relations, hidden) == []


def test_a_zero_part_then_the_total_are_the_last_choices():
    assert suppress({"all": 3, "a": 3, "b": 0}, [("all", ["a", "b"])]) == {"all", "a"}  # the total is small too
    assert suppress({"all": 9, "a": 3, "b": 0, "c": 6}, [("all", ["a", "b", "c"])]) == {"a", "c"}
    assert suppress({"all": 7, "a": 3, "b": 0, "c": None}, [("all", ["a", "b", "c"])]) == {"a", "b"}  # no data: not chosen
    assert suppress({"all": 8, "a": 3, "c": None}, [("all", ["a", "c"])]) == {"all", "a"}  # nothing but the total left


def test_complements_across_two_dimensions_are_repeated_until_no_cell_can_be_worked_out():
    """Regions x age groups: X's 3 in group a is hidden; its complement in the region (X b) is then alone in
    group b's column, whose complement (Y b) is alone in Y's row, and so on until every row and column is safe."""
    values = {("X", "a"): 3, ("X", "b"): 11, ("Y", "a"): 9, ("Y", "b"): 11, ("Z", "a"): 30, ("Z", "b"): 40}
    cells = dict(values)
    for a in ("a", "b"):
        cells[("T", a)] = sum(v for (r, g), v in values.items() if g == a)
    for r in ("X", "Y", "Z", "T"):
        cells[(r, "all")] = sum(v for (rr, g), v in cells.items() if rr == r and g != "all")
    relations = [(("T", a), [("X", a), ("Y", a), ("Z", a)]) for a in ("a", "b", "all")]
    relations += [((r, "all"), [(r, "a"), (r, "b")]) for r in ("X", "Y", "Z", "T")]
    hidden = suppress(cells, relations)
    assert hidden == {("X", "a"), ("X", "b"), ("Y", "a"), ("Y", "b")}
    assert _recoverable(cells, relations, hidden) == []


def test_a_relation_names_only_cells_of_the_table():
    with pytest.raises(ValueError, match="'D', which is not a cell"):
        suppress({"A": 1}, [("A", ["D"])])


def test_random_tables_keep_every_small_count_hidden_and_none_recoverable():
    rng = np.random.default_rng(7)
    for _ in range(200):
        n_regions, n_ages = rng.integers(1, 6), rng.integers(1, 5)
        values = {(r, a): int(v) for r in range(n_regions) for a in range(n_ages)
                  for v in [rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40])]}
        cells = dict(values)
        for a in range(n_ages):
            cells[("T", a)] = sum(values[(r, a)] for r in range(n_regions))
        for r in [*range(n_regions), "T"]:
            cells[(r, "all")] = sum(cells[(r, a)] for a in range(n_ages))
        relations = [(("T", a), [(r, a) for r in range(n_regions)]) for a in [*range(n_ages), "all"]]
        relations += [((r, "all"), [(r, a) for a in range(n_ages)]) for r in [*range(n_regions), "T"]]
        hidden = suppress(cells, relations)
        assert {k for k, v in cells.items() if 1 <= v < 5} <= hidden
        assert _recoverable(cells, relations, hidden) == []


# --- the daily table of the region hierarchy ---------------------------------------------------------


def _hierarchy() -> Hierarchy:
    return Hierarchy(small_regions(), small_units())


def _counts(rows) -> pd.DataFrame:
    return pd.DataFrame([(DAY, u, a, c) for u, a, c in rows], columns=["date", "unit", "age_group", "count"])


def test_the_days_table_sums_units_up_the_hierarchy_and_over_ages():
    cells = CountCells(_hierarchy(), ["all", *AGES])
    rows = [("F320102001", "0-4", 2), ("F320102001", "15-64", 18), ("F320102002", "0-4", 1),
            ("F320102002", "15-64", 2), ("F320103001", "all", 30)]  # Xicheng's hospital does not report by age
    table = cells.table(_counts(rows), [DAY])[:, 0]
    at = lambda code, age="all": table[cells.cell(code, age)]  # noqa: E731
    assert at("F320102001") == 20 and at("F320102002") == 3 and at("320102") == 23 and at("320102", "0-4") == 3
    assert at("320103") == 30 and np.isnan(at("320103", "0-4"))  # no age groups reported there
    assert at("320100") == 53 and at("320000") == 53 and at(ROOT) == 53 and at(None, "15-64") == 20
    assert np.isnan(at("F320102001", "65+"))


def test_the_days_table_protects_a_facility_from_its_county_and_an_age_group_from_all_ages():
    """Dongcheng Clinic's 3 visits (0-4 years 1, 15-64 years 2) with its county's 23 shown would be 23 minus the
    hospital's 20: the hospital is hidden with it; and the clinic's age groups with it."""
    cells = CountCells(_hierarchy(), ["all", *AGES])
    rows = [("F320102001", "0-4", 6), ("F320102001", "15-64", 14), ("F320102002", "0-4", 1),
            ("F320102002", "15-64", 2), ("F320103001", "0-4", 10), ("F320103001", "15-64", 20)]
    table = cells.table(_counts(rows), [DAY])[:, 0]
    from surveillance.privacy import suppress_columns

    hidden = suppress_columns(table, cells.relations, 5)
    shown = {(code, age) for code in cells.codes for age in cells.ages if not hidden[cells.cell(code, age)]}
    assert ("F320102002", "all") not in shown and ("F320102001", "all") not in shown  # the clinic and its complement
    assert ("F320102002", "0-4") not in shown and ("F320102002", "15-64") not in shown
    assert ("320102", "all") in shown and ("320100", "all") in shown and (ROOT, "all") in shown
    # no relation of the table is left with exactly one hidden cell that has data
    members = cells.relations.members
    for row in members:
        row = row[row >= 0]
        gone = [c for c in row if hidden[c] and np.isfinite(table[c])]
        assert len(gone) != 1, [divmod(c, len(cells.ages)) for c in row]


def _store_with(store, rows):
    frame = pd.DataFrame([(DAY, u, "fever", a, c, 100) for u, a, c in rows],
                         columns=["date", "unit", "syndrome", "age_group", "count", "total"])
    now = datetime(2026, 3, 11, 7)
    write_rows(store, frame, now)


def test_the_stores_mask_is_the_same_whoever_asks_and_follows_new_data(store):
    _store_with(store, [("F320102001", "all", 20), ("F320102002", "all", 3), ("F320103001", "all", 30)])
    small = SmallCells(PrivacyConfig(), ["all", *AGES])
    mask = small.mask(store.cursor(), "fever", [DAY])
    hidden = mask.hides(["F320102002", "F320102001", "320102", "320103", None], "all", [DAY] * 5)
    assert hidden.tolist() == [True, True, False, False, False]
    assert mask.hides(["320103"], "all", [DAY], values=[4]).tolist() == [True]  # a count as judged: its value
    assert small.mask(store.cursor(), "ili", [DAY]).hides(["F320102002"], "all", [DAY]).tolist() == [False]
    _store_with(store, [("F320102002", "all", 7)])  # a revision: the clinic's count is 7 now
    assert not small.mask(store.cursor(), "fever", [DAY]).hides(["F320102002", "F320102001"], "all",
                                                                [DAY] * 2).any()


def test_roles_and_the_config_section():
    small = SmallCells(PrivacyConfig())
    assert not small.exact_for("viewer") and small.exact_for("epidemiologist") and small.exact_for("admin")
    only_admins = SmallCells(PrivacyConfig(exact_roles=["admin"]))
    assert not only_admins.exact_for("epidemiologist") and only_admins.exact_for("admin")
    assert SmallCells(PrivacyConfig(min_cell=1)).exact_for("viewer")
    config = parse_config({"privacy": {"min_cell": 10}, "subscriptions": [{"email": "a@b.org", "exact_counts": True}]},
                          base_dir=".")
    assert config.privacy.min_cell == 10 and config.subscriptions[0].exact_counts
    assert parse_config({}, base_dir=".").privacy.min_cell == 5
    with pytest.raises(ConfigError, match="privacy.min_cell"):
        parse_config({"privacy": {"min_cell": 0}}, base_dir=".")
    with pytest.raises(ConfigError, match="privacy.exact_roles"):
        parse_config({"privacy": {"exact_roles": ["guest"]}}, base_dir=".")


# --- what a viewer reads of an alert ----------------------------------------------------------------


def _headline(observed: list[float]):
    from surveillance.alerts.explain import headline

    episode = {"episode_id": 1, "kind": "outbreak", "notify_severity": "red", "region": "320102", "regions": None,
               "syndrome": "ili", "age_group": "all", "period_days": 1}
    days = pd.date_range(end=DAY, periods=len(observed))
    evidence = [{"detector": "ears_c2", "region": "320102", "date": d, "measure": "count", "observed": o,
                 "expected": 1.5, "upperbound": 3.0, "pvalue": 0.004, "severity": "red", "completeness": 1.0,
                 "incomplete": False, "syndrome": "ili", "age_group": "all"} for d, o in zip(days, observed)]
    return headline(episode, evidence)


def test_a_headline_says_a_hidden_day_as_under_five_and_a_sum_over_one_as_withheld():
    from surveillance.alerts.sentence import sentence
    from surveillance.privacy import viewer_headline

    one = _headline([4.0])
    shown = viewer_headline(one, {DAY}, 5)
    assert "<5 visits on 2026-03-10 against 1.5 expected" in sentence(shown, "en")
    assert "4 visits" in sentence(one, "en") and "excess" in sentence(one, "en")
    assert "excess" not in sentence(shown, "en") and shown.shown("pvalue", "0.004", "en") == "*"
    three = _headline([12.0, 9.0, 4.0])
    withheld = viewer_headline(three, {DAY}, 5)
    assert "* visits over 3 days to 2026-03-10 against 4.5 expected" in sentence(withheld, "en")
    assert "截至2026-03-10的3天内就诊*人次，期望4.5人次" in sentence(withheld, "zh")
    assert viewer_headline(three, set(), 5) == three  # nothing hidden: the exact headline


def test_the_services_notes_lose_their_figures():
    from surveillance.privacy import figure_free

    note = "ears_c2: observed 4 vs expected 1.3; p=0.004; 3 regions over 7 days, relative risk 2.10"
    assert figure_free(note) == "ears_c2; 3 regions over 7 days"
    assert figure_free("neighbouring region 320103 joined") == "neighbouring region 320103 joined"
