"""Time patterns of the simulated visits: weekdays, Chinese public holidays and seasons.

``visit_volume`` says how busy each unit is on each day relative to an ordinary
weekday. ``FLU`` and ``SEASONS`` give each syndrome's seasonal rise as curves over the
days, different every year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import holidays
import numpy as np
import pandas as pd

# Visits relative to an average weekday: Monday to Friday, then Saturday and Sunday.
# Hospitals keep outpatient clinics open at weekends; village clinics largely do not.
WEEK_PATTERN = {
    "hospital": ((1.15, 1.05, 1.02, 1.00, 0.97), 0.80, 0.72),
    "community_health_centre": ((1.14, 1.05, 1.02, 1.00, 0.97), 0.70, 0.60),
    "township_health_centre": ((1.14, 1.05, 1.02, 1.00, 0.97), 0.72, 0.62),
    "clinic": ((1.12, 1.04, 1.01, 1.00, 0.98), 0.62, 0.50),
    "county": ((1.15, 1.05, 1.02, 1.00, 0.97), 0.76, 0.68),
}
# Holiday weeks, relative to a Sunday, by day of the break; then the rebound on the
# first working days after it, as postponed visits come in.
BREAK_DEPTH = {
    "spring_festival": (0.55, 0.45, 0.50, 0.60, 0.70, 0.80, 0.85, 0.90, 0.90),
    "national_day": (0.80, 0.80, 0.85, 0.90, 0.95, 1.00, 1.00, 1.00),
    "holiday": (0.95,),
    "weekend": (1.0,),
}
REBOUND = {
    "spring_festival": (1.30, 1.22, 1.15, 1.08, 1.04),
    "national_day": (1.20, 1.10, 1.05),
    "holiday": (1.12, 1.04),
    "weekend": (),
}
BEFORE_SPRING_FESTIVAL = 0.92  # the working week before it: people travel home
MAKE_UP_DAY = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


def china_calendar(dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Per day: ``off`` (weekend or holiday, make-up working days counted as work),
    ``break_kind`` of the run of days off it belongs to, ``break_day`` (0, 1, ... within
    the break), ``after_break`` (1 on the first working day after a break, 2 on the next...)
    and ``before_spring_festival``.
    """
    padded = pd.date_range(dates[0] - pd.Timedelta(days=30), dates[-1] + pd.Timedelta(days=30))
    cn = holidays.country_holidays("CN", years=range(padded[0].year, padded[-1].year + 1))
    names = pd.Series([cn.get(d, "") for d in padded.date], index=padded)
    make_up = {pd.Timestamp(f"{y}-{m}-{d}") for m, d, y in MAKE_UP_DAY.findall(" ".join(names))}
    holiday = names != ""  # holidays and the weekdays given off in exchange for make-up days
    weekend = pd.Series(padded.day_of_week >= 5, index=padded) & ~padded.isin(list(make_up))
    off = holiday | weekend

    run = (off != off.shift()).cumsum()
    text = names.groupby(run).transform(lambda s: " ".join(s))
    any_holiday = holiday.groupby(run).transform("any")
    kind = np.select(
        [~off, text.str.contains("Spring Festival|New Year's Eve"), text.str.contains("National Day"), any_holiday],
        ["", "spring_festival", "national_day", "holiday"], default="weekend")
    calendar = pd.DataFrame({"off": off, "break_kind": kind}, index=padded)
    calendar["break_day"] = calendar.groupby(run).cumcount()
    # Working days since the end of the last break, and which kind of break that was.
    last_break = calendar["break_kind"].where(off).ffill().fillna("weekend")
    calendar["after_kind"] = last_break.where(~off, "")
    calendar["after_break"] = np.where(~off, calendar.groupby(run).cumcount() + 1, 0)
    next_break = calendar["break_kind"].where(off).bfill().fillna("")
    calendar["before_spring_festival"] = ~off & (next_break == "spring_festival") & \
        (calendar.groupby(run).cumcount(ascending=False) < 5)
    return calendar.loc[dates]


def visit_volume(dates: pd.DatetimeIndex, kinds) -> tuple[np.ndarray, np.ndarray]:
    """``volume[unit, day]`` relative to an ordinary weekday, and ``off_day[day]``."""
    calendar = china_calendar(dates)
    weekday = dates.day_of_week.to_numpy()
    kind_names = list(dict.fromkeys(kinds))
    # A few thousand days at most: plain loops over the calendar are fine here.
    depth = np.array([BREAK_DEPTH[k][min(d, len(BREAK_DEPTH[k]) - 1)] if k else 1.0
                      for k, d in zip(calendar["break_kind"], calendar["break_day"])])
    rebound = np.array([REBOUND[k][n - 1] if k and 0 < n <= len(REBOUND[k]) else 1.0
                        for k, n in zip(calendar["after_kind"], calendar["after_break"])])
    off = calendar["off"].to_numpy()
    is_break = calendar["break_kind"].isin(["spring_festival", "national_day", "holiday"]).to_numpy()
    before = np.where(calendar["before_spring_festival"], BEFORE_SPRING_FESTIVAL, 1.0)
    by_kind = np.zeros((len(kind_names), len(dates)))
    for i, name in enumerate(kind_names):
        weekdays, saturday, sunday = WEEK_PATTERN.get(name, WEEK_PATTERN["clinic"])
        work = np.array(weekdays)[np.minimum(weekday, 4)]  # a make-up Saturday works like a Friday
        rest = np.where(weekday == 5, saturday, sunday)
        day_off = np.where(is_break, sunday, rest) * depth
        by_kind[i] = np.where(off, day_off, work * rebound) * before
    index = pd.Index(kind_names).get_indexer(list(kinds))
    return by_kind[index], calendar["off"].to_numpy()


def _bump(days: np.ndarray, peak: float, spread: float) -> np.ndarray:
    return np.exp(-0.5 * ((days - peak) / spread) ** 2)


@dataclass(frozen=True)
class Season:
    """A yearly rise around a day of the year, a little earlier or later and higher or lower each year.

    ``effect`` maps a syndrome to how much its share of visits rises, by age band
    (0-4, 5-14, 15-64, 65+), at a typical peak (curve value 1).
    """

    peak_day_of_year: int
    spread_days: float
    jitter_days: float
    height_sd: float
    effect: dict = field(default_factory=dict)
    biennial: float = 0.0  # alternate strong and weak years, as HFMD often does

    def curve(self, dates: pd.DatetimeIndex, rng) -> np.ndarray:
        days = (dates - dates[0]).days.to_numpy(dtype=float)
        out = np.zeros(len(dates))
        for year in range(dates[0].year - 1, dates[-1].year + 2):
            peak = (pd.Timestamp(year, 1, 1) - dates[0]).days + self.peak_day_of_year + rng.normal(0, self.jitter_days)
            height = np.exp(rng.normal(0, self.height_sd)) * (1 + self.biennial * (1 if year % 2 else -1))
            out += height * _bump(days, peak, self.spread_days)
        return out


@dataclass(frozen=True)
class Influenza:
    """Winter waves peaking around the turn of the year (±3 weeks), of varying height and
    width; sometimes an influenza B wave in spring, sometimes a summer wave as in southern
    China. Waves reach each county after its own delay.
    """

    effect: dict

    def curves(self, dates: pd.DatetimeIndex, rng, delay_days: np.ndarray, strength: np.ndarray) -> np.ndarray:
        days = (dates - dates[0]).days.to_numpy(dtype=float)
        waves = []
        for year in range(dates[0].year - 1, dates[-1].year + 1):
            new_year = (pd.Timestamp(year + 1, 1, 1) - dates[0]).days
            peak, height, width = new_year + rng.normal(8, 18), np.exp(rng.normal(0, 0.35)), rng.uniform(12, 22)
            waves.append((peak, height, width))
            if rng.uniform() < 0.45:  # influenza B, late winter to spring
                waves.append((peak + rng.uniform(40, 70), height * rng.uniform(0.25, 0.5), rng.uniform(18, 28)))
            if rng.uniform() < 0.4:  # summer wave
                waves.append((new_year + 196 + rng.normal(0, 12), rng.uniform(0.2, 0.5), rng.uniform(12, 20)))
        out = np.zeros((len(delay_days), len(days)))
        for peak, height, width in waves:
            out += height * _bump(days[None, :], peak + delay_days[:, None], width)
        return out * strength[:, None]


# Lift in each syndrome's share of visits per unit of influenza activity, by age band.
FLU = Influenza(effect={
    "fever": [1.0, 1.5, 0.9, 0.8],
    "ili": [2.5, 3.5, 2.2, 2.0],
    "ari": [0.4, 0.5, 0.35, 0.45],
})

SEASONS = {
    # RSV and other winter respiratory viruses: a broad rise from November to March.
    "respiratory_winter": Season(15, 55, 10, 0.15, {"ari": [0.35, 0.30, 0.20, 0.35],
                                                    "fever": [0.15, 0.10, 0.05, 0.10]}),
    # Rotavirus diarrhoea in small children, peaking in early winter.
    "rotavirus": Season(345, 30, 10, 0.25, {"diarrhoea": [1.5, 0.2, 0.0, 0.0], "fever": [0.10, 0.0, 0.0, 0.0]}),
    # Bacterial and food-borne diarrhoea in the hot months.
    "diarrhoea_summer": Season(213, 40, 10, 0.2, {"diarrhoea": [0.6, 0.6, 0.8, 0.7]}),
    # Hand, foot and mouth disease: April to July, mostly under-fives, and a smaller autumn peak.
    "hfmd_spring": Season(145, 30, 12, 0.35, {"hfmd": [10.0, 5.0, 3.0, 0.0], "fever": [0.08, 0.03, 0.0, 0.0]},
                          biennial=0.3),
    "hfmd_autumn": Season(268, 20, 10, 0.35, {"hfmd": [3.0, 1.5, 1.0, 0.0]}),
    # Varicella, measles and rubella in late winter and spring, mostly in school children.
    "rash_spring": Season(100, 35, 10, 0.25, {"rash_fever": [0.8, 1.2, 0.5, 0.3]}),
}
