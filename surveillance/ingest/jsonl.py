"""Reading JSON Lines: one JSON object per line, each a record.

A line that is not an object becomes a row that validation quarantines with the reason, so the
other lines still load. What is not JSON Lines at all is refused whole with one message rather
than read as a few stray lines: a file holding one JSON array, or pretty-printed objects spread
over several lines each (read line by line, only the lines that happen to be complete values
would load: one row of five).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import FileRejected
from ..store.staging import MALFORMED
from .batch import json_type


def read_jsonl_text(name: str, text: str) -> tuple[pa.Table, np.ndarray]:
    """The records of ``text`` (decoded, line ends unified) as a table of text values and their line numbers."""
    _refuse_json_document(name, text)
    records, lines, malformed = [], [], []
    spelling: dict[str, str] = {}  # lower-case key -> the spelling first seen, so one column per name
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            malformed.append((number, f"the line is not valid JSON ({exc.msg}, column {exc.colno}): {line.strip()[:120]}"))
            continue
        if not isinstance(record, dict):
            malformed.append((number, f"the line is a JSON {json_type(record)}, not an object: {line.strip()[:120]}"))
            continue
        clash = _case_clash(record)
        if clash:
            malformed.append((number, f"the record has both {clash[0]!r} and {clash[1]!r} (one name in two spellings);"
                                      " keep one"))
            continue
        records.append({spelling.setdefault(k.strip().lower(), k): None if v is None else str(v)
                        for k, v in record.items()})
        lines.append(number)
    if not records and malformed:
        multiline = _multiline_value(text)
        if multiline:
            raise FileRejected(f"{name}: not JSON Lines: lines {multiline[0]}-{multiline[1]} hold one JSON object "
                               "(pretty-printed JSON); write one object per line")
        raise FileRejected(f"{name}: not JSON Lines: line {malformed[0][0]} is not a JSON object")
    if malformed:
        multiline = _multiline_value(text)
        if multiline:  # a pretty-printed record among one-line ones: its lines are not records
            raise FileRejected(f"{name}: not JSON Lines: lines {multiline[0]}-{multiline[1]} hold one JSON object "
                               "spread over several lines (pretty-printed); write one object per line")
    frame = pd.DataFrame.from_records(records)
    if malformed:
        frame[MALFORMED] = None
        bad = pd.DataFrame({MALFORMED: [reason for _, reason in malformed]})
        frame = pd.concat([frame, bad], ignore_index=True)
        lines += [n for n, _ in malformed]
    table = pa.Table.from_pandas(frame.astype(object).where(frame.notna(), None), preserve_index=False)
    table = table.cast(pa.schema([(f.name, pa.string()) for f in table.schema]))
    return table, np.asarray(lines, dtype=np.int64)


def _refuse_json_document(name: str, text: str) -> None:
    """A file that opens a JSON array is a JSON document (an export), not JSON Lines."""
    start = text.lstrip()
    if not start.startswith("["):
        return
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        first = start.split("\n", 1)[0].strip()
        try:
            json.loads(first)
        except json.JSONDecodeError:  # the array does not close on its line: pretty-printed, or cut short
            raise FileRejected(f"{name}: not JSON Lines: the file opens a JSON array that is not valid JSON "
                               "(pretty-printed or cut short?); write one object per line") from None
        return  # a one-line array followed by records: that line alone is refused
    raise FileRejected(f"{name}: not JSON Lines: the file is one JSON array"
                       f"{f' of {len(value)} values' if isinstance(value, list) else ''} (a JSON document, "
                       "not one object per line); write one object per line")


def _case_clash(record: dict) -> tuple[str, str] | None:
    """Two keys of one record that differ only in case or spaces ('Count' and 'count'), if any."""
    seen: dict[str, str] = {}
    for key in record:
        low = key.strip().lower()
        if low in seen:
            return seen[low], key
        seen[low] = key
    return None


def _multiline_value(text: str) -> tuple[int, int] | None:
    """(first line, last line) of the first JSON value that spans lines, when the whole text is a
    sequence of JSON values; None otherwise."""
    decoder = json.JSONDecoder()
    position, found = 0, None
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return found
        try:
            _, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return None
        first, last = text.count("\n", 0, position) + 1, text.count("\n", 0, end) + 1
        if found is None and last > first:
            found = (first, last)
        position = end
