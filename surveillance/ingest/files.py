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
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import FileRejected
from ..store.staging import MALFORMED
from .batch import RawBatch
from .jsonl import read_jsonl_text

FORMATS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "fhir"}

# A line may be long (a free-text field of a megabyte): with the csv module's default limit of
# 128 KiB such a field looked like an unclosed quote. Only loosens a process-wide limit.
csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise FileRejected(f"{path.name}: unsupported file type {path.suffix!r}; "
                           f"expected one of {', '.join(sorted(FORMATS))}")
    return fmt


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_file(path: str | Path, *, encoding: str = "utf-8", delimiter: str = ",",
              typed: dict[str, str] | None = None) -> RawBatch:
    """Read one file. ``typed`` names the source columns holding the date and the counts
    (source name -> "date" | "count" | "total"); CSV readers try those as typed columns
    first, which spares validation the parsing of millions of strings."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileRejected(f"{path.name}: cannot read file: {exc.strerror or exc}") from None
    if not data or data.isspace():
        raise FileRejected(f"{path.name}: file is empty")
    fmt = file_format(path)
    if fmt == "csv":
        frame, rows = _read_csv(path.name, data, encoding, delimiter, typed or {})
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


def _sniff_binary(name: str, data: bytes) -> None:
    """Refuse, with the right reason, the non-text files people most often drop by mistake."""
    if data.startswith(b"PK\x03\x04"):
        raise FileRejected(f"{name}: a ZIP archive (an Excel .xlsx workbook?), not CSV text; export it as CSV UTF-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(f"{name}: UTF-16 text (Excel 'Unicode Text'); save it as CSV UTF-8")
    if b"\x00" in data[:8192]:
        raise FileRejected(f"{name}: contains NUL bytes: a binary file, not a text file")


def _decode(name: str, data: bytes, encoding: str, *, check_utf8: bool = True) -> bytes:
    """The file as UTF-8 bytes without BOM, or a clear refusal naming the bad line.

    ``check_utf8=False`` skips checking a UTF-8 file here, for readers that check it
    themselves and come back with ``check_utf8=True`` for the message when it fails."""
    _sniff_binary(name, data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if encoding == "utf-8" and not check_utf8:
        return data
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


def _unify_line_ends(data: bytes) -> bytes:
    """Lone carriage returns (CR-only line ends of old Mac exports) as newlines. Files with LF or
    CRLF line ends are returned as they are (both readers take CRLF), so the usual case costs a scan."""
    crs = data.count(b"\r")
    if not crs or crs == data.count(b"\r\n"):
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _lines(text: str) -> list[str]:
    """Physical lines with their newline; only LF ends a line (``str.splitlines`` would also split at
    form feeds and U+2028 inside values, which neither Arrow nor a JSON parser takes as line ends)."""
    lines = [line + "\n" for line in text.split("\n")]
    if lines[-1] == "\n":
        lines.pop()
    else:
        lines[-1] = lines[-1][:-1]
    return lines


def _wrong_fields(text: str, found: int, expected: int) -> str:
    return f"the line has {found} fields, the header {expected}: {' '.join(text.split())[:120]}"


def _physical_lines(data: bytes) -> int:
    """Lines after the header line."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1) - 1


def _read_csv(name: str, data: bytes, encoding: str, delimiter: str,
              typed: dict[str, str]) -> tuple[pa.Table, np.ndarray]:
    """Fast path: Arrow's parallel reader when every record is one line (the usual case).
    Otherwise (a quoted value spanning lines, a stray quote) a careful line-aware parse,
    so that one bad line costs that line only and row numbers stay the file's lines."""
    raw, data = data, _unify_line_ends(_decode(name, data, encoding, check_utf8=False))  # Arrow checks UTF-8
    end = data.find(b"\n")
    try:  # the whole first line, however long (a header of 64 KiB of Chinese text is still a header)
        first_line = (data if end < 0 else data[:end]).decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        _decode(name, raw, encoding)  # refuses with the encoding hint and the line
        raise FileRejected(f"{name}: the header is not valid {encoding.upper()} text") from None
    header = next(csv.reader([first_line], delimiter=delimiter), [])
    header = [h.strip() for h in header]
    if len(header) < 2 or len(set(header)) != len(header) or any(not h for h in header):
        hint = ""
        if len(header) < 2 and any(sep in first_line for sep in ";\t|"):
            hint = "; the file seems to use another delimiter: set the feed's delimiter"
        raise FileRejected(f"{name}: the first line is not a CSV header with distinct column names: "
                           f"{first_line[:120]!r}{hint}")
    arrow_types = {"date": pa.date32(), "count": pa.int64(), "total": pa.int64()}
    types = {h: arrow_types.get(typed.get(h, h.lower()), pa.string()) for h in header}
    table = None
    for attempt in (types, {h: pa.string() for h in header}):
        try:  # typed first; any value that does not convert sends the file through as text
            table, lines = _read_csv_fast(data, header, delimiter, attempt)
            break
        except pa.ArrowInvalid:
            continue
    if table is None or len(lines) != _physical_lines(data):
        data = _unify_line_ends(_decode(name, raw, encoding))  # refuses invalid UTF-8 with the line it is on
        table, lines = _read_csv_careful(name, data, header, delimiter)
    return table, lines


def _read_csv_fast(data: bytes, header: list[str], delimiter: str,
                   types: dict[str, pa.DataType]) -> tuple[pa.Table, np.ndarray]:
    malformed: list[tuple[int, str]] = []
    skipped: list[int] = []

    def keep_malformed(row) -> str:
        if row.text.strip():
            malformed.append((row.number, _wrong_fields(row.text, row.actual_columns, row.expected_columns)))
        else:
            skipped.append(row.number)  # a line of spaces is a blank line
        return "skip"

    def parse(use_threads: bool) -> pa.Table:
        malformed.clear()
        skipped.clear()
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=use_threads),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False,
                                             invalid_row_handler=keep_malformed),
            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
        )

    table = parse(use_threads=True)
    if malformed or skipped:  # line numbers of skipped lines are known only to a single-threaded parse
        table = parse(use_threads=False)
    # Physical line of each good row: every line after the header, less the skipped ones.
    bad_lines = np.array([n for n, _ in malformed] + skipped, dtype=np.int64)
    lines = np.arange(2, 2 + table.num_rows + len(bad_lines), dtype=np.int64)
    if len(bad_lines):
        lines = lines[~np.isin(lines, bad_lines)]
    if table.num_columns and table.column(0).null_count:  # only then can a row be all empty
        table, lines = _drop_blank(table, lines)
    return _with_malformed(table, lines, header, malformed), np.concatenate(
        [lines, np.array([n for n, _ in malformed], dtype=np.int64)]) if malformed else lines


def _read_csv_careful(name: str, data: bytes, header: list[str], delimiter: str) -> tuple[pa.Table, np.ndarray]:
    """Python's csv module, record by record: a record that cannot be parsed (a quote never
    closed) refuses its first line only, and parsing resumes on the next line."""
    physical = _lines(data.decode("utf-8"))[1:]
    records: list[list[str]] = []
    lines: list[int] = []
    malformed: list[tuple[int, str]] = []
    position = 0
    while position < len(physical):
        reader = csv.reader(iter(physical[position:]), delimiter=delimiter, strict=True)
        start = position
        try:
            for fields in reader:
                end = position + reader.line_num
                line_number = start + 2  # the header is line 1
                if not fields or all(not f.strip() for f in fields):
                    start = end
                    continue
                if len(fields) != len(header):
                    if end - start > 1:  # a stray quote swallowed the lines after it
                        raise csv.Error("record spans lines")
                    malformed.append((line_number, _wrong_fields(physical[start], len(fields), len(header))))
                else:
                    records.append(fields)
                    lines.append(line_number)
                start = end
            position = len(physical)
        except csv.Error:
            malformed.append((start + 2, "the line cannot be read as CSV (an unclosed quote?): "
                                         f"{' '.join(physical[start].split())[:120]}"))
            position = start + 1
    columns = list(zip(*records)) if records else [()] * len(header)
    table = pa.table({h: pa.array([v if v != "" else None for v in col], pa.string())
                      for h, col in zip(header, columns)})
    good_lines = np.asarray(lines, dtype=np.int64)
    if not records and not malformed:
        return table, good_lines
    table = _with_malformed(table, good_lines, header, malformed)
    return table, np.concatenate([good_lines, np.array([n for n, _ in malformed], dtype=np.int64)])


def _with_malformed(table: pa.Table, lines: np.ndarray, header: list[str], malformed) -> pa.Table:
    """Append the malformed lines as rows whose MALFORMED column says what is wrong."""
    if not malformed:
        return table
    extra = pa.table({h: pa.nulls(len(malformed), pa.string()) for h in header}
                     | {MALFORMED: pa.array([reason for _, reason in malformed], pa.string())})
    return pa.concat_tables([table.append_column(MALFORMED, pa.nulls(table.num_rows, pa.string())), extra])


def _drop_blank(table: pa.Table, lines: np.ndarray) -> tuple[pa.Table, np.ndarray]:
    """Rows with no value in any column are blank lines: skipped, keeping the others' line numbers."""
    blank = pa.array(np.ones(table.num_rows, dtype=bool))
    for column in table.columns:
        if pa.types.is_string(column.type):
            empty = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(column), ""), True)
        else:
            empty = pc.is_null(column)
        blank = pc.and_(blank, empty)
    blank = np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)
    if blank.any():
        return table.filter(pa.array(~blank)), lines[~blank]
    return table, lines


def _read_parquet(name: str, data: bytes) -> tuple[pa.Table, np.ndarray]:
    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise FileRejected(f"{name}: not a readable Parquet file (truncated or corrupt?): {str(exc).splitlines()[0]}") from None
    return table, np.arange(1, table.num_rows + 1, dtype=np.int64)


def _read_jsonl(name: str, data: bytes, encoding: str) -> tuple[pa.Table, np.ndarray]:
    return read_jsonl_text(name, _unify_line_ends(_decode(name, data, encoding)).decode("utf-8"))
