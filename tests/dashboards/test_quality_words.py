"""The Data quality page's quarantine table says the blamed field and the reason in the reader's language."""

from __future__ import annotations

import pandas as pd

from dashboards.pages.quality import said_quarantine


def _rows() -> pd.DataFrame:
    return pd.DataFrame({"field": ["count", "unit", "row"], "value": ["-3", "F320199009", ""],
                         "reason": ["count -3 is negative",
                                    "unknown reporting unit 'F320199009'; add it to the units file or correct the code",
                                    "a reason from somewhere else"]})


def test_the_quarantine_table_in_chinese():
    said = said_quarantine(_rows(), "zh")
    assert list(said["field"]) == ["就诊数", "报告单位", "整行"]
    assert list(said["reason"]) == ["就诊数-3为负数", "未知的报告单位'F320199009'；请将其加入单位文件或更正代码",
                                    "a reason from somewhere else"]
    assert list(said["value"]) == ["-3", "F320199009", ""]


def test_the_quarantine_table_in_english_is_as_stored():
    rows = _rows()
    pd.testing.assert_frame_equal(said_quarantine(rows, "en"), rows)


def test_an_empty_quarantine_stays_empty():
    empty = _rows().iloc[0:0]
    assert said_quarantine(empty, "zh").empty
