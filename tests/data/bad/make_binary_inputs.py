"""Write the binary members of the bad-input corpus (run once; the outputs are committed).

    python tests/data/bad/make_binary_inputs.py

The tests read the committed files and never run this script; it exists so the bytes
can be explained and regenerated. Text members of the corpus are written by hand, except
those whose point is bytes an editor would change (CR-only line ends) or sheer length.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent


def png_bytes() -> bytes:
    """A valid 1x1 PNG image: what a mis-named attachment looks like."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def good_table() -> pa.Table:
    return pa.table({
        "date": pa.array([date(2026, 11, 1), date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 2)], pa.date32()),
        "unit": ["F320102001", "F320102002", "F320102001", "F320102002"],
        "syndrome": ["fever", "fever", "fever", "fever"],
        "count": pa.array([12, 5, 9, 6], pa.int64()),
        "total": pa.array([100, 60, 90, 60], pa.int64()),
    })


def xlsx_bytes() -> bytes:
    """The skeleton of a spreadsheet package (a zip), enough to be recognisably not CSV."""
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as zf:
        stamp = (2026, 11, 1, 0, 0, 0)
        zf.writestr(zipfile.ZipInfo("[Content_Types].xml", stamp),
                    '<?xml version="1.0" encoding="UTF-8"?><Types/>')
        zf.writestr(zipfile.ZipInfo("xl/worksheets/sheet1.xml", stamp),
                    '<worksheet><sheetData><row><c t="inlineStr"><is><t>date</t></is></c></row></sheetData></worksheet>')
    return sink.getvalue()


CHINESE_CSV = (
    "日期,机构编码,症状,年龄组,就诊人数,总就诊人数\n"
    "2026-11-01,F320102001,发热,all,12,100\n"
    "2026-11-01,F320102002,发热,all,5,60\n"
)
ENGLISH_CSV = (
    "date,unit,syndrome,age_group,count,total\n"
    "2026-11-01,F320102001,fever,all,12,100\n"
    "2026-11-01,F320102002,fever,all,5,60\n"
)


def cr_only_csv() -> bytes:
    """Line ends of a lone carriage return (classic Mac OS, some HIS exports)."""
    lines = ["date,unit,syndrome,age_group,count,total", "2026-11-01,F320102001,fever,all,12,100",
             "2026-11-01,F320102002,fever,all,-5,60", "2026-11-02,F320102001,fever,all,9,90"]
    return ("\r".join(lines) + "\r").encode("utf-8")


def long_chinese_header_csv() -> bytes:
    """A header of over 64 KiB of Chinese text (a remarks column named by a whole paragraph) whose
    first 65,536 bytes end inside a three-byte character."""
    start = "date,unit,syndrome,age_group,count,total,"
    name = "备注" * 11_000
    cut = 65_536 - len(start.encode("utf-8"))
    assert cut % 3 != 0, "the 65,536th byte must fall inside a character"
    rows = ["2026-11-01,F320102001,fever,all,12,100,无", "2026-11-01,F320102002,fever,all,5,x,无",
            "2026-11-02,F320102001,fever,all,9,90,无"]
    return ("\n".join([start + name, *rows]) + "\n").encode("utf-8")


def long_line_csv() -> bytes:
    """A line of over a megabyte (a count pasted with a note) among ordinary lines."""
    rows = ["date,unit,syndrome,age_group,count,total", "2026-11-01,F320102001,fever,all,12,100",
            "2026-11-01,F320102002,fever,all,about " + "5" * 1_048_576 + ",60",
            "2026-11-02,F320102001,fever,all,9,90"]
    return ("\n".join(rows) + "\n").encode("utf-8")


def zoned_timestamps() -> pa.Table:
    """Dates written as timestamps with a zone (UTC instants): the midnights of Shanghai are 16:00 UTC
    the day before; 04:00 UTC is noon in Shanghai, not a date."""
    stamps = [datetime(2026, 10, 31, 16, tzinfo=timezone.utc), datetime(2026, 10, 31, 16, tzinfo=timezone.utc),
              datetime(2026, 11, 2, 4, tzinfo=timezone.utc), datetime(2026, 11, 1, 16, tzinfo=timezone.utc)]
    return good_table().set_column(0, "date", pa.array(stamps, pa.timestamp("us", tz="UTC")))


def nested_region() -> pa.Table:
    """An optional column of lists (a nested Parquet column): null where unused, a list in one row."""
    return good_table().append_column("region", pa.array([None, ["320102"], None, None], pa.list_(pa.string())))


def binary_unit() -> pa.Table:
    """Codes stored as bytes (Parquet BYTE_ARRAY without the UTF-8 annotation), one of them not UTF-8."""
    units = [b"F320102001", b"F3201\xff\xfe", b"F320102001", b"F320102002"]
    return good_table().set_column(1, "unit", pa.array(units, pa.binary()))


def outputs() -> dict[str, bytes]:
    whole = parquet_bytes(good_table())
    as_text = good_table().set_column(3, "count", pa.array(["12", "twelve", "9", "6"], pa.string()))
    fractional = good_table().set_column(3, "count", pa.array([12.0, 5.0, 12.5, 6.0], pa.float64()))
    return {
        "png_bytes.csv": png_bytes(),
        # The footer (schema and row groups) is cut off, as by an interrupted upload.
        "truncated.parquet": whole[: len(whole) // 2],
        "count_as_text.parquet": parquet_bytes(as_text),
        "fractional_count.parquet": parquet_bytes(fractional),
        "gb18030_read_as_utf8.csv": CHINESE_CSV.encode("gb18030"),
        # Excel's "Unicode Text" export: UTF-16 little-endian with a byte-order mark.
        "utf16_excel_export.csv": ENGLISH_CSV.encode("utf-16"),
        "unsupported.xlsx": xlsx_bytes(),
        "cr_only_line_ends.csv": cr_only_csv(),
        "long_header_chinese.csv": long_chinese_header_csv(),
        "long_line.csv": long_line_csv(),
        "timestamp_with_zone.parquet": parquet_bytes(zoned_timestamps()),
        "nested_values.parquet": parquet_bytes(nested_region()),
        "binary_codes.parquet": parquet_bytes(binary_unit()),
    }


def main() -> None:
    for name, data in outputs().items():
        (HERE / name).write_bytes(data)
        print(f"wrote {name} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
