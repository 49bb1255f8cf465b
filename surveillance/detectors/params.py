"""Declarative parameter schemas for detectors, and the one routine that validates them.

Each detector declares its parameters (type, default, allowed range or choices,
description). ``ParamSchema.validate`` turns user input into a complete, checked dict of
parameters without touching the input. Strings, as they arrive from the command line
(``"0.01"``, ``"true"``, ``"2/3"``, ``"none"``), are coerced to the declared type.

Every error has the same shape, naming the detector and the parameter, e.g.::

    farrington_flexible: parameter 'alpha' must be a number in (0, 1), got 2
    farrington_flexible: unknown parameter 'alfa'; valid parameters: alpha, b, ...
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..errors import SurveillanceError, UnknownName


class InvalidParameter(SurveillanceError):
    """A detector parameter with a value outside its declared type, range or choices."""


_TRUE = {"true", "t", "yes", "y", "1", "on"}
_FALSE = {"false", "f", "no", "n", "0", "off"}
_NONE = {"none", "null", ""}


class _Reject(Exception):
    """Raised by a coercer: the value does not fit; the schema formats the message."""


def _format_number(x: float) -> str:
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


@dataclass(frozen=True)
class Param:
    """One parameter: ``kind`` is ``"int"``, ``"float"``, ``"bool"`` or ``"choice"``.

    Numbers may be bounded by ``low``/``high`` (``None`` = unbounded), each inclusive
    unless ``low_open``/``high_open``. ``nullable`` allows ``None`` (its meaning goes in the
    description).
    """

    name: str
    kind: str
    default: Any
    description: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple = ()
    nullable: bool = False
    aliases: tuple[str, ...] = ()  # other accepted spellings, e.g. R's camelCase names
    accepts: str | None = None  # what the parameter accepts, in words, where listing every choice is too long

    def __post_init__(self) -> None:
        if self.kind not in ("int", "float", "bool", "choice"):
            raise ValueError(f"parameter {self.name!r}: unknown kind {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"parameter {self.name!r}: a choice needs choices")

    # -- what the parameter accepts, in words (used by errors and docs) ----------------
    def expectation(self) -> str:
        if self.accepts is not None:
            return self.accepts + (" (or none)" if self.nullable else "")
        if self.kind == "bool":
            text = "true or false"
        elif self.kind == "choice":
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        else:
            noun = "an integer" if self.kind == "int" else "a number"
            text = noun + self._range_text()
        return text + (" (or none)" if self.nullable else "")

    def _range_text(self) -> str:
        lo, hi = self.low, self.high
        if lo is None and hi is None:
            return ""
        if lo is not None and hi is not None:
            left = "(" if self.low_open else "["
            right = ")" if self.high_open else "]"
            return f" in {left}{_format_number(lo)}, {_format_number(hi)}{right}"
        if lo is not None:
            return f" {'>' if self.low_open else '>='} {_format_number(lo)}"
        return f" {'<' if self.high_open else '<='} {_format_number(hi)}"

    # -- coercion ----------------------------------------------------------------------
    def coerce(self, value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.strip().lower() in _NONE and self.kind != "choice"):
            if self.nullable:
                return None
            raise _Reject
        if self.kind == "bool":
            return self._coerce_bool(value)
        if self.kind == "choice":
            return self._coerce_choice(value)
        number = self._coerce_number(value)
        self._check_range(number)
        return number

    def _coerce_bool(self, value: Any) -> bool:
        if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
            return bool(value)
        if isinstance(value, str):
            text = value.strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        if isinstance(value, numbers.Integral) and value in (0, 1):
            return bool(value)
        raise _Reject

    def _coerce_choice(self, value: Any) -> Any:
        for choice in self.choices:
            if value == choice:
                return choice
        if isinstance(value, str):
            # Case-insensitive, so R spellings such as "nbPlugin" work too.
            for choice in self.choices:
                if isinstance(choice, str) and value.strip().lower() == choice.lower():
                    return choice
        raise _Reject

    def _coerce_number(self, value: Any):
        if isinstance(value, bool) or type(value).__name__ == "bool_":
            raise _Reject  # True is an int in Python, never a sensible count or level
        if isinstance(value, str):
            text = value.strip()
            try:
                value = int(text) if self.kind == "int" and text.lstrip("+-").isdigit() else float(text)
            except ValueError:
                raise _Reject from None
        if not isinstance(value, numbers.Real):
            raise _Reject
        if self.kind == "int":
            if isinstance(value, numbers.Integral):
                return int(value)
            if math.isfinite(value) and float(value).is_integer():
                return int(value)
            raise _Reject
        value = float(value)
        if math.isnan(value):
            raise _Reject
        return value

    def _check_range(self, x: float) -> None:
        if self.low is not None and (x < self.low or (self.low_open and x == self.low)):
            raise _Reject
        if self.high is not None and (x > self.high or (self.high_open and x == self.high)):
            raise _Reject


@dataclass(frozen=True)
class ParamSchema:
    """The parameters of one detector, plus optional checks across parameters.

    ``checks`` are functions of the validated dict returning ``None`` or a message (the
    part after "<detector>: ").
    """

    detector: str
    params: tuple[Param, ...]
    checks: tuple[Callable[[dict], str | None], ...] = field(default=())

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.detector}: duplicate parameter names in schema")

    @property
    def names(self) -> list[str]:
        return sorted(p.name for p in self.params)

    def __getitem__(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def error(self, message: str) -> InvalidParameter:
        return InvalidParameter(f"{self.detector}: {message}")

    def validate(self, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A new dict with every parameter, user values coerced and checked, defaults filled."""
        values = self._resolve_aliases(dict(values or {}))
        unknown = sorted(set(values) - {p.name for p in self.params})
        if unknown:
            which = ", ".join(repr(u) for u in unknown)
            noun = "parameter" if len(unknown) == 1 else "parameters"
            valid = ", ".join(self.names) if self.params else "(none)"
            raise UnknownName(f"{self.detector}: unknown {noun} {which}; valid parameters: {valid}")
        out: dict[str, Any] = {}
        for p in self.params:
            if p.name not in values:
                out[p.name] = p.default
                continue
            raw = values[p.name]
            try:
                out[p.name] = p.coerce(raw)
            except _Reject:
                raise self.error(f"parameter {p.name!r} must be {p.expectation()}, got {_show(raw)}") from None
        for check in self.checks:
            message = check(out)
            if message:
                raise self.error(message)
        return out

    def _resolve_aliases(self, values: dict[str, Any]) -> dict[str, Any]:
        for p in self.params:
            for alias in p.aliases:
                if alias in values:
                    if p.name in values:
                        raise self.error(f"parameter {p.name!r} is given twice (also as {alias!r})")
                    values[p.name] = values.pop(alias)
        return values

    def describe(self) -> list[dict[str, Any]]:
        """One dict per parameter (name, default, accepts, description), for docs and tables."""
        return [
            {"name": p.name, "default": p.default, "accepts": p.expectation(), "description": p.description}
            for p in self.params
        ]


def _show(value: Any) -> str:
    if isinstance(value, str):
        # Command-line values read best as typed ("got 2"); odd ones are quoted ("got ''").
        return value if re.fullmatch(r"[\w./+-]+", value) else repr(value)
    if isinstance(value, float):
        return _format_number(value)
    return repr(value) if not isinstance(value, numbers.Number) else str(value)


# Shorthands so that schemas read like tables.
def Int(name, default, description, *, low=None, high=None, nullable=False, aliases=()) -> Param:
    return Param(name, "int", default, description, low=low, high=high, nullable=nullable, aliases=aliases)


def Float(name, default, description, *, low=None, high=None, low_open=False, high_open=False, nullable=False,
          aliases=()) -> Param:
    return Param(name, "float", default, description, low=low, high=high, low_open=low_open,
                 high_open=high_open, nullable=nullable, aliases=aliases)


def Bool(name, default, description, *, aliases=()) -> Param:
    return Param(name, "bool", default, description, aliases=aliases)


def Choice(name, default, description, choices, *, aliases=(), accepts=None) -> Param:
    return Param(name, "choice", default, description, choices=tuple(choices), aliases=aliases, accepts=accepts)


def Probability(name, default, description, *, aliases=()) -> Param:
    """A level strictly between 0 and 1, such as a significance level."""
    return Float(name, default, description, low=0.0, high=1.0, low_open=True, high_open=True, aliases=aliases)
