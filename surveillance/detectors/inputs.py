"""What a detector reads from a panel, shared by the families: the monitored values
(counts, or percent of all visits), the holiday calendar, and the monitored range.

**Percent of visits** (``percent=true``). A rise in fever visits means little when all
visits rose, so detectors that work on any non-negative measure (EARS, the ESSENCE
family, MPM, Serfling) can run on ``100 * count / total`` instead of the count. Points
whose total is 0 or missing are missing values (status ``missing``); the outputs
``expected`` and ``upperbound`` are then in percent, and the result's ``params`` say
``percent=True``. Detectors built on a count distribution (Farrington, Bayes, CUSUM,
GLR) have no such flag: a percentage is not a Poisson or negative binomial count.

**Holidays** (``holidays=true``). A holiday is the commonest cause of false spikes and
dips in daily visit counts. ``holiday_mask`` marks the public holidays of ``country``
(ISO code, default ``CN``) from the ``holidays`` package, including the bridging days
off that the Chinese calendar moves around weekends.
"""

from __future__ import annotations

import contextlib
import functools
import warnings

import numpy as np
import pandas as pd

from ..errors import SurveillanceError
from ..panel import Panel
from .params import Bool, Choice, Int


@functools.lru_cache(maxsize=1)
def _countries() -> tuple[str, ...]:
    import holidays

    return tuple(sorted(holidays.list_supported_countries()))


class _Countries:
    """The country codes the ``holidays`` package knows, listed only when first needed."""

    def __iter__(self):
        return iter(_countries())

    def __len__(self) -> int:
        return len(_countries())

    def __bool__(self) -> bool:
        return True


def percent_param() -> object:
    return Bool("percent", False, "judge 100*count/total (percent of all visits) instead of the count; "
                "expected and upperbound are then in percent")


def holiday_params() -> tuple:
    return (
        Bool("holidays", False, "take public holidays into account (see the detector's notes)"),
        Choice("country", "CN", "holiday calendar (ISO 3166 code of the holidays package)", _Countries(),
               accepts="an ISO 3166 country code known to the holidays package, e.g. 'CN'"),
    )


def monitor_param() -> object:
    return Int("monitor_last", None, "judge only the last this many points (none: all)", low=1, nullable=True)


def values(name: str, panel: Panel, percent: bool) -> np.ndarray:
    """The values a detector judges: the counts, or ``100 * count / total``."""
    counts = np.asarray(panel.counts, dtype=float)
    if not percent:
        return counts
    if panel.totals is None:
        raise SurveillanceError(f"{name}: percent=true needs the totals (all visits) in the panel, which has none")
    totals = np.asarray(panel.totals, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * counts / totals
    out[~(totals > 0)] = np.nan
    return out


def holiday_mask(dates, country: str = "CN") -> np.ndarray:
    """True for the dates that are public holidays in ``country``."""
    dates = pd.DatetimeIndex(dates)
    if len(dates) == 0:
        return np.zeros(0, dtype=bool)
    calendar = _holidays(country, dates.min().year, dates.max().year)
    return np.fromiter((d in calendar for d in dates.date), dtype=bool, count=len(dates))


@functools.lru_cache(maxsize=32)
def _holidays(country: str, first_year: int, last_year: int) -> frozenset:
    """The public holidays of ``country`` in those years (made once: the detect job asks for every day)."""
    import holidays

    return frozenset(holidays.country_holidays(country, years=range(first_year, last_year + 1)))


def monitor_start(n_time: int, monitor_last: int | None) -> int:
    """First judged position under ``monitor_last``."""
    return 0 if monitor_last is None else max(0, n_time - monitor_last)


@contextlib.contextmanager
def quiet_empty_slices():
    """Silence numpy's warnings for all-NaN slices and invalid values: those points get a status instead."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
