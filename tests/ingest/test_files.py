"""Good files in every supported shape: encodings, column mappings, Parquet, JSON Lines, row numbers."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from surveillance.errors import FileRejected
from surveillance.ingest.files import read_file
from surveillance.ingest.pipeline import IngestContext, ingest_file

from ..conftest import TODAY, write_csv

# A Chinese hospital system's export: its own headers and syndrome names.
CHINESE_COLUMNS = {"日期": "date", "机构编码": "unit", "症状": "syndrome", "年龄组": "age_group",
                   "就诊人数": "count", "总就诊人数": "total"}
CHINESE_SYNDROMES = {"发热": "fever", "流感样病例": "ili", "腹泻": "diarrhoea"}
CHINESE_CSV = (
    "日期,机构编码,症状,年龄组,就诊人数,总就诊人数\n"   # line 1
    "2026-11-01,F320102001,发热,0-4,3,40\n"              # line 2
    "2026/11/01,F320102001,流感样病例,0-4,2,40\n"        # line 3
    "2026-11-01,F320102002,腹泻,all,1,25\n"              # line 4
    "2026-11-01,F320103001,咳嗽,all,4,50\n"              # line 5: not a known syndrome
    "2026-11-02,F320103001,发热,65+,5,50\n"              # line 6
)
LOADED = {
    (date(2026, 11, 1), "F320102001", "fever", "0-4", 3, 40),
    (date(2026, 11, 1), "F320102001", "ili", "0-4", 2, 40),
    (date(2026, 11, 1), "F320102002", "diarrhoea", "all", 1, 25),
    (date(2026, 11, 2), "F320103001", "fever", "65+", 5, 50),
}


@pytest.fixture
def chinese_ctx():
    return IngestContext(today=TODAY, feed="hospital_his", columns=CHINESE_COLUMNS,
                         syndrome_values=CHINESE_SYNDROMES)


def latest(store) -> set[tuple]:
    return set(store.con.execute(
        "SELECT date, unit, syndrome, age_group, count, total FROM observations_latest").fetchall())


def quarantine(store) -> list[tuple]:
    return store.con.execute("SELECT row_number, field, value, reason FROM quarantine ORDER BY row_number").fetchall()


@pytest.mark.parametrize("encoding, write_as", [
    ("utf-8", "utf-8-sig"),   # UTF-8 with a byte-order mark, as Excel saves it
    ("utf-8", "utf-8"),
    ("gb18030", "gb18030"),
    ("gbk", "gbk"),
    ("gb18030", "gbk"),       # GBK is a subset of GB18030
])
def test_chinese_export_with_mapping(store, chinese_ctx, tmp_path, encoding, write_as):
    path = write_csv(tmp_path / "his_export.csv", CHINESE_CSV, encoding=write_as)
    outcome = ingest_file(store, path, chinese_ctx, encoding=encoding)
    assert (outcome.status, outcome.new_rows, outcome.rejected_rows) == ("partial", 4, 1)
    assert latest(store) == LOADED
    [(row, field, value, reason)] = quarantine(store)
    # The unmapped value is shown as the source wrote it, decoded correctly.
    assert (row, field, value) == (5, "syndrome", "咳嗽")
    assert "unknown syndrome '咳嗽'" in reason
    assert store.con.execute("SELECT DISTINCT feed FROM quarantine").fetchall() == [("hospital_his",)]


def test_gb18030_file_read_as_utf8_names_the_setting(store, chinese_ctx, tmp_path):
    path = write_csv(tmp_path / "his_export.csv", CHINESE_CSV, encoding="gb18030")
    outcome = ingest_file(store, path, chinese_ctx)
    assert outcome.status == "failed"
    assert "his_export.csv" in outcome.message and 'encoding = "gb18030"' in outcome.message
    assert latest(store) == set()


def test_utf8_file_read_as_gb18030_is_refused_not_garbled(store, chinese_ctx, tmp_path):
    path = write_csv(tmp_path / "his_export.csv", CHINESE_CSV, encoding="utf-8")
    outcome = ingest_file(store, path, chinese_ctx, encoding="gb18030")
    assert outcome.status == "failed"
    assert outcome.message.startswith("his_export.csv: not valid GB18030 text")
    assert latest(store) == set()


def test_bom_before_english_header(store, ctx, tmp_path):
    path = write_csv(tmp_path / "bom.csv", "date,unit,syndrome,count\n2026-11-01,F320102001,fever,3\n",
                     encoding="utf-8-sig")
    outcome = ingest_file(store, path, ctx)
    assert (outcome.status, outcome.new_rows) == ("loaded", 1)


def test_headers_match_case_insensitively_and_extra_columns_are_ignored(store, ctx, tmp_path):
    path = write_csv(tmp_path / "mixed.csv",
                     "Date,UNIT,Facility Name,Syndrome,Count,Total\n"
                     '2026-11-01,F320102001,"Dongcheng People\'s Hospital, east wing",Fever,3,30\n')
    outcome = ingest_file(store, path, ctx)
    assert (outcome.status, outcome.new_rows) == ("loaded", 1)
    assert latest(store) == {(date(2026, 11, 1), "F320102001", "fever", "all", 3, 30)}


def test_other_delimiter(store, ctx, tmp_path):
    path = write_csv(tmp_path / "tabs.txt", "date\tunit\tsyndrome\tcount\n2026-11-01\tF320102001\tfever\t3\n")
    outcome = ingest_file(store, path, ctx, delimiter="\t")
    assert (outcome.status, outcome.new_rows) == ("loaded", 1)


def test_default_age_group_of_a_feed(store, tmp_path):
    ctx = IngestContext(today=TODAY, default_age_group="15-64")
    path = write_csv(tmp_path / "adults.csv", "date,unit,syndrome,count\n2026-11-01,F320102001,fever,3\n")
    ingest_file(store, path, ctx)
    assert latest(store) == {(date(2026, 11, 1), "F320102001", "fever", "15-64", 3, None)}


# --- Parquet -------------------------------------------------------------------------------


def test_parquet_with_typed_columns(store, ctx, tmp_path):
    table = pa.table({
        "date": pa.array([date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)], pa.date32()),
        "unit": ["F320102001", "F320102002", "F320103001"],
        "syndrome": ["fever", "ili", "fever"],
        "age_group": ["0-4", None, "65+"],
        "count": pa.array([3, 2, -1], pa.int32()),
        "total": pa.array([30, None, 10], pa.int64()),
    })
    pq.write_table(table, tmp_path / "typed.parquet")
    outcome = ingest_file(store, tmp_path / "typed.parquet", ctx)
    assert (outcome.status, outcome.new_rows, outcome.rejected_rows) == ("partial", 1, 2)
    assert latest(store) == {(date(2026, 11, 1), "F320102001", "fever", "0-4", 3, 30)}
    # Parquet has no lines: the row number is the record's position, from 1. A null age group is
    # missing: refused, as the feed sets no default_age_group.
    assert [(r, f) for r, f, _, _ in quarantine(store)] == [(2, "age_group"), (3, "count")]


def test_parquet_written_by_pandas_with_datetime_dates(store, ctx, tmp_path):
    """pandas stores datetime64 columns as Parquet timestamps; midnight timestamps are dates."""
    frame = pd.DataFrame({
        "date": pd.to_datetime(["2026-11-01", "2026-11-02"]),
        "unit": ["F320102001", "F320102001"],
        "syndrome": ["fever", "fever"],
        "count": [3, 4],
        "total": [30, 40],
    })
    frame.to_parquet(tmp_path / "pandas.parquet", index=False)
    outcome = ingest_file(store, tmp_path / "pandas.parquet", ctx)
    assert (outcome.status, outcome.new_rows) == ("loaded", 2), outcome.first_reasons
    assert latest(store) == {
        (date(2026, 11, 1), "F320102001", "fever", "all", 3, 30),
        (date(2026, 11, 2), "F320102001", "fever", "all", 4, 40),
    }


def test_parquet_with_mapped_chinese_columns(store, chinese_ctx, tmp_path):
    frame = pd.DataFrame({"日期": ["2026-11-01"], "机构编码": ["F320102001"], "症状": ["发热"],
                          "年龄组": ["0-4"], "就诊人数": [3], "总就诊人数": [40]})
    frame.to_parquet(tmp_path / "his.parquet", index=False)
    outcome = ingest_file(store, tmp_path / "his.parquet", chinese_ctx)
    assert (outcome.status, outcome.new_rows) == ("loaded", 1)
    assert latest(store) == {(date(2026, 11, 1), "F320102001", "fever", "0-4", 3, 40)}


# --- JSON Lines ------------------------------------------------------------------------------


def test_json_lines(store, ctx, tmp_path):
    records = [
        {"date": "2026-11-01", "unit": "F320102001", "syndrome": "fever", "count": 3, "total": 30},
        {"date": "2026-11-01", "unit": "F320102002", "syndrome": "fever", "count": 2, "total": None},
        {"date": "2026-11-02", "unit": "F320102001", "syndrome": "fever", "count": 4.0, "age_group": "0-4"},
        {"date": "2026-11-02", "unit": "F320102002", "syndrome": "fever", "count": "5"},
    ]
    text = "\n".join(json.dumps(r) for r in records[:2]) + "\n\n" + "\n".join(json.dumps(r) for r in records[2:]) + "\n"
    (tmp_path / "feed.jsonl").write_text(text, encoding="utf-8")
    # Records without the age group another record has are refused, unless the feed gives a default.
    refused = ingest_file(store, tmp_path / "feed.jsonl", ctx)
    assert (refused.status, refused.new_rows, refused.rejected_rows) == ("partial", 1, 3)
    assert [r.split(":")[0] for r in refused.first_reasons] == ["row 1", "row 2", "row 5"]
    assert all("age group is missing" in r for r in refused.first_reasons)
    (tmp_path / "again.jsonl").write_text(text + "\n", encoding="utf-8")
    outcome = ingest_file(store, tmp_path / "again.jsonl", IngestContext(today=TODAY, default_age_group="all"))
    assert (outcome.status, outcome.new_rows, outcome.unchanged_rows) == ("loaded", 3, 1), outcome.first_reasons
    assert latest(store) == {
        (date(2026, 11, 1), "F320102001", "fever", "all", 3, 30),
        (date(2026, 11, 1), "F320102002", "fever", "all", 2, None),
        (date(2026, 11, 2), "F320102001", "fever", "0-4", 4, None),
        (date(2026, 11, 2), "F320102002", "fever", "all", 5, None),
    }


def test_json_lines_in_gb18030(store, chinese_ctx, tmp_path):
    line = json.dumps({"日期": "2026-11-01", "机构编码": "F320102001", "症状": "发热", "就诊人数": 3},
                      ensure_ascii=False)
    (tmp_path / "his.ndjson").write_bytes((line + "\n").encode("gb18030"))
    outcome = ingest_file(store, tmp_path / "his.ndjson", chinese_ctx, encoding="gb18030")
    assert (outcome.status, outcome.new_rows) == ("loaded", 1)


# --- row numbers are the file's lines ----------------------------------------------------------


def test_row_numbers_count_physical_lines(store, ctx, tmp_path):
    text = (
        "date,unit,syndrome,count,total\r\n"        # 1 (CRLF line endings throughout)
        "2026-11-01,F320102001,fever,3,30\r\n"      # 2
        "\r\n"                                      # 3 blank
        "2026-11-01,F320102002,fever,x,30\r\n"      # 4 bad
        ",,,,\r\n"                                  # 5 empty fields
        "2026-11-02,F320102001,fever,3,30,9\r\n"    # 6 ragged
        "2026-11-02,F320102002,fever,3,30\r\n"      # 7
        "\r\n"                                      # 8 blank
        "2026-11-03,F320102001,rash,1,30\r\n"       # 9 bad
        "2026-11-03,F320102002,fever,40,30\r\n"     # 10 bad
    )
    path = write_csv(tmp_path / "lines.csv", text)
    outcome = ingest_file(store, path, ctx)
    assert [(r, f) for r, f, _, _ in quarantine(store)] == [(4, "count"), (6, "row"), (9, "syndrome"), (10, "count")]
    assert outcome.first_reasons[0].startswith("row 4: count 'x'")
    assert outcome.new_rows == 2


def test_row_numbers_after_a_quoted_value_spanning_lines(store, ctx, tmp_path):
    text = (
        "date,unit,syndrome,count,note\n"                  # 1
        '2026-11-01,F320102001,fever,3,"first line\n'      # 2
        'second line"\n'                                   # 3
        "2026-11-01,F320102002,fever,x,\n"                 # 4 bad
    )
    path = write_csv(tmp_path / "multiline.csv", text)
    outcome = ingest_file(store, path, ctx)
    assert outcome.new_rows == 1
    assert [(r, f) for r, f, _, _ in quarantine(store)] == [(4, "count")]


def test_row_numbers_in_json_lines_count_blank_lines(store, ctx, tmp_path):
    good = json.dumps({"date": "2026-11-01", "unit": "F320102001", "syndrome": "fever", "count": 3})
    bad = json.dumps({"date": "2026-11-01", "unit": "F320102002", "syndrome": "fever", "count": -3})
    (tmp_path / "gaps.jsonl").write_text(f"{good}\n\n   \n{bad}\n", encoding="utf-8")
    ingest_file(store, tmp_path / "gaps.jsonl", ctx)
    assert [(r, f) for r, f, _, _ in quarantine(store)] == [(4, "count")]


# --- reading alone ---------------------------------------------------------------------------------


def test_read_file_reports_line_numbers_and_checksum(tmp_path):
    path = write_csv(tmp_path / "a.csv", "date,unit,syndrome,count\n\n2026-11-01,F320102001,fever,3\n")
    raw = read_file(path)
    assert list(raw.row_numbers) == [3]
    assert raw.checksum == read_file(path).checksum and len(raw.checksum) == 64


def test_missing_file_is_refused_with_its_name(tmp_path):
    with pytest.raises(FileRejected, match="nowhere.csv: cannot read file"):
        read_file(tmp_path / "nowhere.csv")
