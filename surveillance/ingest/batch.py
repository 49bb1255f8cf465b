"""What every feed hands to the ingest pipeline."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd


@dataclass
class RawBatch:
    """One unit of work from a feed: a file, an HTTP page, a query result.

    ``frame`` keeps the source's column names and raw values (strings are fine); the
    pipeline applies the feed's column mapping and validation. ``label`` names the
    origin in errors and in quarantine (a file path, a URL with its cursor, a query).
    ``state`` is the feed's incremental state after this batch; the pipeline saves it
    only once the batch is committed, so a failed batch is pulled again next time.
    ``row_numbers`` are the 1-based positions of the frame's rows in the source (line
    numbers of a file), for messages people can find; default 1..n.
    """

    label: str
    frame: pd.DataFrame
    checksum: str | None = None
    state: dict = field(default_factory=dict)
    row_numbers: list[int] | None = None


def as_text(value) -> str:
    """A source value as text: JSON for objects and lists, so validation can show it."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def plain_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of mixed or nested values as text, so that every column converts to Arrow;
    numbers, text and missing values of uniform columns stay as they are."""
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object:
            frame[name] = column.map(as_text, na_action="ignore")
    return frame


def json_type(value) -> str:
    """The JSON name of a parsed value's type, for messages about unexpected payloads."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"
