"""Numbers, dates and weeks as the report writes them in English and Chinese.

English: ``12,345``, ``3.4%``, ``+12%``, ``Mon 23 Nov 2026``; Chinese: counts of ten thousand and over
in 万 (``1.23万``, as Chinese statistical bulletins write them), ``2026年11月23日``. Weeks are ISO weeks
(Monday to Sunday), the weeks of the store's weekly panels and of the season code: ``2026-W48``.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta

import pandas as pd
from epiweeks import Week, Year

from ..errors import SurveillanceError

WEEK_CODE = re.compile(r"^(\d{4})-?W(\d{1,2})$")


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def count(value, lang: str | None) -> str:
    """A count (or a forecast of one): whole numbers with the language's grouping."""
    if missing(value):
        return "–"
    value = float(value)
    if lang == "zh" and abs(value) >= 10_000:
        return f"{value / 10_000:.2f}".rstrip("0").rstrip(".") + "万"
    return f"{value:,.0f}"


def percent(value, lang: str | None = None, digits: int | None = None) -> str:
    """A percentage already in percent (``3.4`` -> ``3.4%``; under 1 %, two decimals: ``0.05%``)."""
    if missing(value):
        return "–"
    value = float(value)
    digits = digits if digits is not None else (2 if abs(value) < 1 else 1)
    return f"{value:.{digits}f}%"


def share(value, lang: str | None = None) -> str:
    """A share 0-1 as a percentage (``0.93`` -> ``93%``)."""
    return "–" if missing(value) else f"{float(value) * 100:.0f}%"


def change(ratio, lang: str | None = None) -> str:
    """A ratio as a change: ``1.12`` -> ``+12%``, ``0.8`` -> ``-20%``."""
    if missing(ratio) or not math.isfinite(float(ratio)):
        return "–"
    delta = (float(ratio) - 1.0) * 100
    return "±0%" if round(delta) == 0 else f"{delta:+.0f}%"


def hours(value, lang: str | None = None) -> str:
    return "–" if missing(value) else f"{float(value):.1f}"


def day_text(day, lang: str | None) -> str:
    day = pd.Timestamp(day)
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.strftime('%a')} {day.day} {day.strftime('%b %Y')}"


# --- weeks ------------------------------------------------------------------------------------------------


def parse_week(text: str) -> Week:
    """``2026-W48`` (or ``2026W48``) as an ISO week; a clear error for anything else."""
    match = WEEK_CODE.match(str(text).strip())
    if not match:
        raise SurveillanceError(f"--week {text!r}: expected an ISO week such as 2026-W48")
    year, number = int(match.group(1)), int(match.group(2))
    weeks = Year(year, system="iso").totalweeks()
    if not 1 <= number <= weeks:
        raise SurveillanceError(f"--week {text!r}: {year} has ISO weeks 1 to {weeks}")
    return Week(year, number, system="iso")


def week_code(week: Week) -> str:
    return f"{week.year}-W{week.week:02d}"


def week_of(day) -> Week:
    return Week.fromdate(pd.Timestamp(day).date(), system="iso")


def last_complete_week(today) -> Week:
    """The ISO week that ended before ``today`` (on a Monday: the week just ended)."""
    return week_of(pd.Timestamp(today).date() - timedelta(days=pd.Timestamp(today).day_of_week + 1))


def week_before(week: Week) -> Week:
    return week_of(week.startdate() - timedelta(days=7))


def same_week_last_year(week: Week) -> Week:
    """The same ISO week number a year earlier (week 53 becomes that year's last week)."""
    weeks = Year(week.year - 1, system="iso").totalweeks()
    return Week(week.year - 1, min(week.week, weeks), system="iso")


def week_span(week: Week, lang: str | None) -> str:
    """``week 48 of 2026 (23–29 Nov)`` / ``2026年第48周（11月23日—11月29日）``."""
    monday, sunday = week.startdate(), week.enddate()
    if lang == "zh":
        return f"{week.year}年第{week.week}周（{monday.month}月{monday.day}日—{sunday.month}月{sunday.day}日）"
    first = f"{monday.day} {monday.strftime('%b')}" if monday.month != sunday.month else f"{monday.day}"
    return f"week {week.week} of {week.year} ({first}–{sunday.day} {sunday.strftime('%b')})"


def week_days(week: Week) -> tuple[date, date]:
    return week.startdate(), week.enddate()
