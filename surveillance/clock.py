""""Today" in the service's time zone: the one place the rule is written.

Future dates are refused, days are judged and reports are dated in the zone the service runs
for (``schedule.timezone``), never the host's: a server in UTC must not think it is still
yesterday in Shanghai.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from .config import Config, ScheduleConfig


def service_zone(config: Config | None = None) -> ZoneInfo:
    """The service's time zone (the configured one, else the default of ``schedule.timezone``)."""
    return ZoneInfo(config.schedule.timezone if config is not None else ScheduleConfig().timezone)


def now(config: Config | None = None) -> datetime:
    """The current time in the service's time zone (aware)."""
    return datetime.now(service_zone(config))


def today(config: Config | None = None) -> date:
    """Today's date in the service's time zone."""
    return now(config).date()
