"""Write the binary members of the bad-input corpus (run once; the outputs are committed).

    python tests/data/bad/make_binary_inputs.py

The tests read the committed files and never run this script; it exists so the bytes
can be explained and regenerated. Text members of the corpus are written by hand.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import date
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
    }


def main() -> None:
    for name, data in outputs().items():
        (HERE / name).write_bytes(data)
        print(f"wrote {name} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
