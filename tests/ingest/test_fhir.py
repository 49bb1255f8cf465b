"""FHIR R4 MeasureReports (single, in Bundles, stratified by age) as rows of counts."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from surveillance.vocabulary import OBSERVATION_COLUMNS
from surveillance.errors import FileRejected
from surveillance.ingest.fhir import measure_reports_to_frame, read_fhir_bytes, read_fhir_file

DATA = Path(__file__).resolve().parents[1] / "data" / "fhir"


def rows(frame: pd.DataFrame) -> list[tuple]:
    """Rows as plain tuples, NaN as None, numbers as int."""
    out = []
    for record in frame.to_dict("records"):
        values = []
        for column in OBSERVATION_COLUMNS:
            v = record[column]
            if isinstance(v, float) and math.isnan(v):
                v = None
            elif isinstance(v, float):
                v = int(v)
            values.append(v)
        out.append(tuple(values))
    return out


def report(**overrides) -> dict:
    """A minimal daily summary report; ``overrides`` replace top-level fields."""
    base = {
        "resourceType": "MeasureReport",
        "id": "r1",
        "status": "complete",
        "type": "summary",
        "reporter": {"identifier": {"value": "F1"}},
        "period": {"start": "2024-03-01", "end": "2024-03-01"},
        "group": [
            {
                "code": {"coding": [{"code": "fever"}]},
                "population": [
                    {"code": {"coding": [{"code": "numerator"}]}, "count": 3},
                    {"code": {"coding": [{"code": "denominator"}]}, "count": 50},
                ],
            }
        ],
    }
    base.update(overrides)
    return base


# --- the sample files ----------------------------------------------------------------


def test_single_report():
    path = DATA / "single_report.json"
    batch = read_fhir_file(path)
    assert list(batch.frame.columns) == list(OBSERVATION_COLUMNS)
    assert rows(batch.frame) == [
        ("2024-03-01", "F320102001", "fever", "all", 12, 240),
        ("2024-03-01", "F320102001", "ili", "all", 4, 240),
        ("2024-03-01", "F320102001", "diarrhoea", "all", 0, None),  # code.text, no denominator
    ]
    assert batch.label == str(path)
    assert batch.checksum == hashlib.sha256(path.read_bytes()).hexdigest()
    assert batch.state == {}


def test_bundle_of_facilities_and_days():
    frame = read_fhir_file(DATA / "bundle_facilities_days.json").frame
    # The Organization entry is skipped; each unit comes from a different kind of reference.
    assert rows(frame) == [
        ("2024-03-01", "F320102001", "fever", "all", 12, 240),  # reporter.identifier
        ("2024-03-02", "F320102001", "fever", "all", 15, 251),  # reporter.reference Organization/...
        ("2024-03-01", "F320102002", "fever", "all", 3, 88),  # absolute subject URL with _history
        ("2024-03-02", "F320102002", "fever", "all", 5, 92),  # subject.reference Location/...
        ("2024-03-02", "F320102003", "fever", "all", 1, 40),  # urn:uuid of the Organization entry
    ]


def test_age_stratifiers():
    frame = read_fhir_file(DATA / "age_stratified.json").frame
    assert rows(frame) == [  # the group's own total (30 of 400) is its strata's: no "all" row beside them
        ("2024-03-05", "F320102001", "fever", "0-4", 11, 60),
        ("2024-03-05", "F320102001", "fever", "5-14", 9, 80),
        ("2024-03-05", "F320102001", "fever", "15-64", 7, 200),  # stratum value as a coding
        ("2024-03-05", "F320102001", "fever", "65+", 3, 60),
        # The sex stratifier is ignored. hfmd has strata only ("年龄组"): no "all" row;
        # its 5-14 stratum lacks a numerator and is kept for quarantine.
        ("2024-03-05", "F320102001", "hfmd", "0-4", 2, 60),
        ("2024-03-05", "F320102001", "hfmd", "5-14", None, 80),
    ]


def test_chinese_syndrome_text_and_missing_numerator():
    frame = read_fhir_file(DATA / "chinese_syndrome.json").frame
    assert rows(frame) == [
        ("2024-03-01", "F320106001", "发热", "all", 17, 180),  # initial-population as total
        ("2024-03-01", "F320106001", "腹泻", "all", None, 180),  # no numerator: count NaN
    ]
    assert frame["count"].isna().tolist() == [False, True]


def test_truncated_file_is_rejected():
    with pytest.raises(FileRejected, match=r"^truncated\.json: not JSON: Unterminated string .*\(line 13, column \d+\)$"):
        read_fhir_file(DATA / "truncated.json")


def test_weekly_period_is_rejected():
    with pytest.raises(FileRejected) as info:
        read_fhir_file(DATA / "weekly_period.json")
    assert str(info.value) == (
        "weekly_period.json: MeasureReport 'F320102001-2024-W09': period 2024-02-26 to 2024-03-03 "
        "is longer than one day; only daily reports (one day per MeasureReport) are accepted"
    )


# --- whole-file problems -------------------------------------------------------------


def write(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "x.json: empty file"),
        (b"\xff\xfe\x00garbage", "x.json: not UTF-8 text"),
        ([report()], "x.json: not a FHIR resource (the JSON is a list, not an object with a resourceType)"),
        ({"id": "r1"}, "x.json: not a FHIR resource (no resourceType)"),
        ({"resourceType": "Patient", "id": "p1"}, "x.json: a Patient resource, not a MeasureReport or a Bundle of them"),
        (
            {"resourceType": "Bundle", "type": "collection", "entry": [
                {"resource": {"resourceType": "Organization", "id": "o1"}},
                {"resource": {"resourceType": "Location", "id": "l1"}},
                {"resource": {"resourceType": "Location", "id": "l2"}},
            ]},
            "x.json: the Bundle has no MeasureReport (it holds 2 Location, 1 Organization)",
        ),
        ({"resourceType": "Bundle", "type": "collection"}, "x.json: the Bundle has no MeasureReport (it holds no resources)"),
    ],
)
def test_unusable_files_are_rejected(tmp_path, content, message):
    with pytest.raises(FileRejected) as info:
        read_fhir_file(write(tmp_path, "x.json", content))
    assert str(info.value).startswith(message)


def test_missing_file_is_rejected(tmp_path):
    with pytest.raises(FileRejected, match=r"^gone\.json: cannot read the file"):
        read_fhir_file(tmp_path / "gone.json")


@pytest.mark.parametrize(
    "period, why",
    [
        ({}, "has no period.start; each MeasureReport must cover one day"),
        ({"start": "2024-03"}, "period.start '2024-03' is a month or a year, not a day"),
        ({"start": "2024-02-30"}, "period.start '2024-02-30' is not a FHIR date or dateTime"),
        ({"start": "2024-03-01", "end": "2024-03-02"}, "period 2024-03-01 to 2024-03-02 is longer than one day"),
        ({"start": "2024-03-01T00:00:00+08:00", "end": "2024-03-02T06:00:00+08:00"}, "is longer than one day"),
        ({"start": "2024-03-02", "end": "2024-03-01"}, "period 2024-03-02 to 2024-03-01 ends before it starts"),
    ],
)
def test_report_not_about_one_day_is_rejected(period, why):
    bundle = {"resourceType": "Bundle", "entry": [{"resource": report()}, {"resource": report(id="r2", period=period)}]}
    with pytest.raises(FileRejected) as info:
        measure_reports_to_frame(bundle, source="feed.json")
    assert str(info.value).startswith("feed.json: entry 2 MeasureReport 'r2'")
    assert why in str(info.value)


@pytest.mark.parametrize(
    "period",
    [
        {"start": "2024-03-01"},
        {"start": "2024-03-01T00:00:00Z", "end": "2024-03-02T00:00:00Z"},
        {"start": "2024-03-01T00:00:00+08:00", "end": "2024-03-01T23:59:59.999+08:00"},
    ],
)
def test_daily_periods_are_accepted(period):
    frame = measure_reports_to_frame(report(period=period))
    assert frame["date"].tolist() == ["2024-03-01"]


def test_patient_level_report_is_rejected():
    with pytest.raises(FileRejected, match=r"MeasureReport 'r1' is of type 'individual' \(patient-level\)"):
        measure_reports_to_frame(report(type="individual", subject={"reference": "Patient/123"}))


# --- row-level problems are kept for quarantine --------------------------------------


def test_row_level_problems_keep_their_rows():
    r = report(reporter={"display": "a clinic without an identifier"}, group=[
        {"population": [{"code": {"coding": [{"code": "numerator"}]}, "count": 2}]},  # no code
        {"code": {"coding": [{"code": "ili"}]}, "population": []},  # no counts
        {"code": {"coding": [{"code": "ari"}]}, "measureScore": {"value": 0.1}},  # score only
    ])
    assert rows(measure_reports_to_frame(r)) == [
        ("2024-03-01", None, None, "all", 2, None),
        ("2024-03-01", None, "ili", "all", None, None),
        ("2024-03-01", None, "ari", "all", None, None),
    ]


def test_report_without_groups_is_one_visible_row():
    assert rows(measure_reports_to_frame(report(group=[]))) == [("2024-03-01", "F1", None, "all", None, None)]


def test_unit_sources_in_order():
    r = report(reporter={"reference": "Organization/ORG9"}, subject={"identifier": {"value": "LOC7"}})
    assert measure_reports_to_frame(r)["unit"].tolist() == ["LOC7"]  # identifiers before references
    r = report(reporter={"reference": "#fac"}, contained=[
        {"resourceType": "Organization", "id": "fac", "identifier": [{"value": "F320102009"}]}
    ])
    assert measure_reports_to_frame(r)["unit"].tolist() == ["F320102009"]
    r = report(reporter={"reference": "urn:uuid:not-in-this-file"})
    assert measure_reports_to_frame(r)["unit"].isna().all()


def test_nested_bundle_and_other_resources_skipped():
    second = report(id="r2", reporter={"identifier": {"value": "F2"}})
    bundle = {"resourceType": "Bundle", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p"}},
        {"resource": report()},
        {"resource": {"resourceType": "Bundle", "entry": [{"resource": second}]}},
    ]}
    assert measure_reports_to_frame(bundle)["unit"].tolist() == ["F1", "F2"]


def test_input_is_not_modified():
    r = report()
    before = copy.deepcopy(r)
    measure_reports_to_frame(r)
    assert r == before


def test_bytes_with_bom_and_counts_written_as_text():
    r = report()
    r["group"][0]["population"][0]["count"] = "3"
    r["group"].append({"code": {"text": "ili"}, "population": [{"code": {"coding": [{"code": "numerator"}]}, "count": 1}]})
    data = b"\xef\xbb\xbf" + json.dumps(r).encode()
    batch = read_fhir_bytes(data, label="/drop/fhir/day1.json")
    assert batch.label == "/drop/fhir/day1.json"
    assert batch.checksum == hashlib.sha256(data).hexdigest()
    assert batch.frame["count"].tolist() == ["3", "1"]  # raw values, as text when mixed
    with pytest.raises(FileRejected, match=r"^day2\.json: not JSON"):
        read_fhir_bytes(b"{", label="/drop/fhir/day2.json")
