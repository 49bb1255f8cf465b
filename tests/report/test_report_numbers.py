"""How the report writes numbers and weeks in each language."""

from __future__ import annotations

from datetime import date

import pytest

from surveillance.errors import SurveillanceError
from surveillance.report import numbers


def test_counts_shares_and_changes_per_language():
    assert numbers.count(178_753, "en") == "178,753"
    assert numbers.count(178_753, "zh") == "17.88万"
    assert numbers.count(3_909, "zh") == "3,909"
    assert numbers.count(float("nan"), "en") == "–"
    assert numbers.percent(2.1868) == "2.2%" and numbers.percent(0.0481) == "0.05%"
    assert numbers.change(1.12) == "+12%" and numbers.change(0.8) == "-20%" and numbers.change(1.001) == "±0%"
    assert numbers.share(0.934) == "93%"
    assert numbers.day_text(date(2026, 11, 23), "zh") == "2026年11月23日"
    assert numbers.day_text(date(2026, 11, 23), "en") == "Mon 23 Nov 2026"


def test_iso_weeks_monday_to_sunday():
    week = numbers.parse_week("2026-W48")
    assert (week.startdate(), week.enddate()) == (date(2026, 11, 23), date(2026, 11, 29))
    assert numbers.week_code(numbers.week_before(week)) == "2026-W47"
    assert numbers.week_code(numbers.same_week_last_year(week)) == "2025-W48"
    assert numbers.week_code(numbers.same_week_last_year(numbers.parse_week("2026-W53"))) == "2025-W52"
    assert numbers.week_code(numbers.parse_week("2021W01")) == "2021-W01"
    # Monday 30 November: the week just ended is 2026-W48; on the Sunday it is still the week before
    assert numbers.week_code(numbers.last_complete_week(date(2026, 11, 30))) == "2026-W48"
    assert numbers.week_code(numbers.last_complete_week(date(2026, 11, 29))) == "2026-W47"
    # ISO weeks, not calendar years: 1 January 2027 is in 2026-W53
    assert numbers.week_code(numbers.week_of(date(2027, 1, 1))) == "2026-W53"
    assert numbers.week_span(week, "en") == "week 48 of 2026 (23–29 Nov)"
    assert numbers.week_span(numbers.parse_week("2026-W49"), "en") == "week 49 of 2026 (30 Nov–6 Dec)"
    assert numbers.week_span(week, "zh") == "2026年第48周（11月23日—11月29日）"


@pytest.mark.parametrize("text", ["2026-48", "2026-W54", "2025-W53", "week 48"])
def test_a_week_that_is_not_an_iso_week_is_refused(text):
    with pytest.raises(SurveillanceError, match="--week"):
        numbers.parse_week(text)
