"""Reading one file (CSV, Parquet, JSON Lines, FHIR JSON) into a raw batch of text values.

A file that cannot be read at all raises :class:`FileRejected` with one message naming
the file and the cause; a file that can be read yields rows, and rows that are malformed
(a CSV line with the wrong number of fields, a JSON line that is not an object) become
rows that validation will quarantine, so the rest of the file still loads.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import FileRejected
from .batch import RawBatch

FORMATS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "fhir"}
# Column holding a line that could not be split into fields; validation reports it.
MALFORMED = "_malformed"


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise FileRejected(f"{path.name}: unsupported file type {path.suffix!r}; "
                           f"expected one of {', '.join(sorted(FORMATS))}")
    return fmt


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_file(path: str | Path, *, encoding: str = "utf-8", delimiter: str = ",") -> RawBatch:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileRejected(f"{path.name}: cannot read file: {exc.strerror or exc}") from None
    if not data.strip():
        raise FileRejected(f"{path.name}: file is empty")
    fmt = file_format(path)
    if fmt == "csv":
        frame, rows = _read_csv(path.name, data, encoding, delimiter)
    elif fmt == "parquet":
        frame, rows = _read_parquet(path.name, data)
    elif fmt == "jsonl":
        frame, rows = _read_jsonl(path.name, data, encoding)
    else:
        from .fhir import read_fhir_bytes

        return read_fhir_bytes(data, label=str(path), checksum=checksum(data))
    if frame.num_rows == 0:
        raise FileRejected(f"{path.name}: no data rows (only a header)")
    return RawBatch(label=str(path), frame=frame, checksum=checksum(data), row_numbers=rows)


def _decode(name: str, data: bytes, encoding: str) -> bytes:
    """The file as UTF-8 bytes without BOM, or a clear refusal naming the bad line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        hint = ('; files from Chinese hospital systems are often GB18030/GBK: set encoding = "gb18030" for this feed'
                if encoding == "utf-8" else "; check the feed's encoding setting")
        raise FileRejected(f"{name}: not valid {encoding.upper()} text (line {line}){hint}") from None
    if "\x00" in text:
        raise FileRejected(f"{name}: contains NUL bytes: a binary file, not {encoding.upper()} text")
    return data if encoding == "utf-8" else text.encode("utf-8")


def _read_csv(name: str, data: bytes, encoding: str, delimiter: str) -> tuple[pa.Table, np.ndarray]:
    data = _decode(name, data, encoding)
    first_line = data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    header = next(csv.reader([first_line], delimiter=delimiter), [])
    header = [h.strip() for h in header]
    if len(header) < 2 or len(set(header)) != len(header) or any(not h for h in header):
        raise FileRejected(f"{name}: the first line is not a CSV header with distinct column names: {first_line[:120]!r}")
    malformed: list[tuple[int, str]] = []

    def keep_malformed(row) -> str:
        malformed.append((row.number, row.text))
        return "skip"

    def parse(use_threads: bool) -> pa.Table:
        malformed.clear()
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=use_threads),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False,
                                             invalid_row_handler=keep_malformed),
            convert_options=pacsv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                 strings_can_be_null=True),
        )

    try:
        table = parse(use_threads=True)
        if malformed:  # line numbers of bad lines are known only to a single-threaded parse
            table = parse(use_threads=False)
    except pa.ArrowInvalid as exc:
        raise FileRejected(f"{name}: not a readable CSV file: {str(exc).splitlines()[0]}") from None
    # Physical line of each good row: every line after the header, less the malformed ones.
    bad_lines = np.array([n for n, _ in malformed], dtype=np.int64)
    lines = np.arange(2, 2 + table.num_rows + len(bad_lines), dtype=np.int64)
    lines = lines[~np.isin(lines, bad_lines)]
    blank = _all_null(table)
    if blank.any():
        table, lines = table.filter(pa.array(~blank)), lines[~blank]
    if malformed:
        extra = pa.table({h: pa.nulls(len(malformed), pa.string()) for h in header}
                         | {MALFORMED: pa.array([text for _, text in malformed], pa.string())})
        table = pa.concat_tables([table.append_column(MALFORMED, pa.nulls(table.num_rows, pa.string())), extra])
        lines = np.concatenate([lines, bad_lines])
    return table, lines


def _all_null(table: pa.Table) -> np.ndarray:
    """Rows with no value in any column: blank lines, skipped without losing line numbers."""
    blank = pa.array(np.ones(table.num_rows, dtype=bool))
    for column in table.columns:
        empty = pc.fill_null(pc.or_(pc.is_null(column), pc.equal(column, "")), True)
        blank = pc.and_(blank, empty)
    return blank.to_numpy(zero_copy_only=False) if isinstance(blank, pa.Array) else blank.combine_chunks().to_numpy(zero_copy_only=False)


def _read_parquet(name: str, data: bytes) -> tuple[pa.Table, np.ndarray]:
    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise FileRejected(f"{name}: not a readable Parquet file (truncated or corrupt?): {str(exc).splitlines()[0]}") from None
    table = table.cast(pa.schema([(f.name, pa.string()) for f in table.schema]))
    return table, np.arange(1, table.num_rows + 1, dtype=np.int64)


def _read_jsonl(name: str, data: bytes, encoding: str) -> tuple[pa.Table, np.ndarray]:
    text = _decode(name, data, encoding).decode("utf-8")
    records, lines, malformed = [], [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = None
        if not isinstance(record, dict):
            malformed.append((number, line))
            continue
        records.append({k: None if v is None else str(v) for k, v in record.items()})
        lines.append(number)
    if not records and malformed:
        raise FileRejected(f"{name}: not JSON Lines: line {malformed[0][0]} is not a JSON object")
    frame = pd.DataFrame.from_records(records)
    if malformed:
        frame[MALFORMED] = None
        bad = pd.DataFrame({MALFORMED: [text for _, text in malformed]})
        frame = pd.concat([frame, bad], ignore_index=True)
        lines += [n for n, _ in malformed]
    table = pa.Table.from_pandas(frame.astype(object).where(frame.notna(), None), preserve_index=False)
    table = table.cast(pa.schema([(f.name, pa.string()) for f in table.schema]))
    return table, np.asarray(lines, dtype=np.int64)
