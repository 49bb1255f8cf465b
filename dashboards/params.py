"""Query and path parameters, declared once per route and checked before the route runs.

A route lists what it takes (``days=Int(60, 1, 3660), syndrome=Choice(...)``); :func:`parse` checks the
request against that list and raises :class:`BadParameter` with one sentence naming the parameter and
what it takes: a value of the wrong kind, out of its range, not among its choices, given twice, or a
parameter the route does not take. The routes answer it with 400, never 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable, Mapping

MAX_ID = 2**63 - 1  # the store's BIGINT ids


class BadParameter(ValueError):
    """A parameter the route cannot take; the message says which and what it takes."""


@dataclass(frozen=True)
class Int:
    default: int | None = None
    min: int | None = None
    max: int | None = None

    def parse(self, name: str, raw: str, scope) -> int:
        text = raw.strip()
        if not text or not (text.isdigit() or (text[0] in "+-" and text[1:].isdigit())) or len(text) > 20:
            raise BadParameter(f"{name}: {raw[:40]!r} is not a whole number")
        value = int(text)
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise BadParameter(f"{name}: {value} is out of range; give {self.min} to {self.max}")
        return value


@dataclass(frozen=True)
class Flag:
    default: bool = False
    TRUE = ("1", "true", "yes", "on")
    FALSE = ("0", "false", "no", "off", "")

    def parse(self, name: str, raw: str, scope) -> bool:
        text = raw.strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise BadParameter(f"{name}: {raw[:40]!r} is not a yes or no; give 1 or 0")


@dataclass(frozen=True)
class Choice:
    values: Callable[[], Iterable[str]] | tuple[str, ...]
    default: str | None = None

    def choices(self) -> list[str]:
        return list(self.values() if callable(self.values) else self.values)

    def parse(self, name: str, raw: str, scope) -> str:
        choices = self.choices()
        if raw not in choices:
            raise BadParameter(f"{name}: {raw[:40]!r} is not one of {', '.join(choices)}")
        return raw


@dataclass(frozen=True)
class Day:
    default: date | None = None

    def parse(self, name: str, raw: str, scope) -> date:
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            raise BadParameter(f"{name}: {raw[:40]!r} is not a day; give YYYY-MM-DD") from None


@dataclass(frozen=True)
class Region:
    """A region or unit code inside the caller's scope. One outside it gets the same answer as an unknown
    one, so the answer does not tell which codes exist elsewhere."""

    default: str | None = None

    def parse(self, name: str, raw: str, scope) -> str:
        code = raw.strip()
        if not code or not scope.allows(code):
            raise BadParameter(f"{name}: {raw[:40]!r} is not a region you may see")
        return code


Param = Int | Flag | Choice | Day | Region


def parse(spec: Mapping[str, Param], query, path: Mapping[str, str] | None = None, *, scope=None) -> dict:
    """The values of ``spec``'s parameters from ``query`` (a MultiDict) and ``path`` (the route's path
    values), defaults for those not given; :class:`BadParameter` for anything else."""
    path = dict(path or {})
    given = set(query.keys())
    unknown = sorted((given - set(spec)) | (given & set(path)))  # a path value cannot come twice
    if unknown:
        takes = ", ".join(k for k in spec if k not in path) or "no parameters"
        raise BadParameter(f"unknown parameter {unknown[0]!r}; this address takes {takes}")
    values = {}
    for name, param in spec.items():
        if name in path:
            values[name] = param.parse(name, str(path[name]), scope)
            continue
        given = query.getlist(name)
        if len(given) > 1:
            raise BadParameter(f"{name}: given {len(given)} times; give it once")
        values[name] = param.parse(name, given[0], scope) if given else param.default
    return values
