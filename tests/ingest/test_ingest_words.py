"""Quarantine and refusal reasons in Chinese: every template has a Chinese form with the same fields and no
English words of its own, and a stored reason reads in Chinese with the file's values as received."""

from __future__ import annotations

import re

import pytest

from surveillance import ingest_words
from surveillance.ingest_words import FIELDS, PATTERNS, REASONS, field_label, render

# Names of formats, settings and codes a Chinese reader types or sees as they are.
KEPT_AS_WRITTEN = {"YYYY", "MM", "DD", "CSV", "UTF", "JSON", "Lines", "Parquet", "ZIP", "Excel", "xlsx", "Unicode",
                   "NUL", "GB18030", "GBK", "gb18030", "encoding", "delimiter", "columns", "default_age_group", "all"}
FIELD = re.compile(r"\{(\w+)\}")


def english_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)) - KEPT_AS_WRITTEN


def english_left(reason: str) -> set[str]:
    """The English words of a stored reason said in Chinese, once the file's own values are taken out;
    a reason no template knows is all English."""
    said = render(reason, "zh")
    for key, pattern in PATTERNS:
        match = pattern.match(reason)
        if match:
            received = set().union(*(english_words(value) for value in match.groupdict().values()))
            return english_words(said) - received
    return english_words(said) or {"<unknown reason>"}


@pytest.mark.parametrize("key", sorted(REASONS))
def test_every_reason_has_a_chinese_form_with_the_same_fields(key):
    term = REASONS[key]
    assert sorted(FIELD.findall(term.zh)) == sorted(FIELD.findall(term.en))
    assert not english_words(FIELD.sub("", term.zh)), term.zh


@pytest.mark.parametrize("reason, said", [
    ("count 'about 12' is not a number", "就诊数'about 12'不是数字"),
    ("unknown syndrome 'cough'; known syndromes: fever, ili", "未知的症候群'cough'；已知症候群：fever, ili"),
    ("date '2026-02-30' is not a date; use YYYY-MM-DD or YYYY/MM/DD",
     "日期'2026-02-30'不是有效日期；请使用 YYYY-MM-DD 或 YYYY/MM/DD"),
    ("a.csv: file is empty", "a.csv：文件为空"),
    ("the line is a JSON list, not an object: [1, 2]", "该行是 JSON 数组，不是对象：[1, 2]"),
])
def test_a_stored_reason_reads_in_chinese(reason, said):
    assert render(reason, "zh") == said
    assert render(reason, "en") == reason


def test_the_syndrome_and_age_of_a_reason_are_named_in_chinese():
    stored = ("conflicting duplicates: rows 3, 5 give different counts for 2026-11-01, unit F320102002, "
              "fever, age all; send one value per day")
    said = render(stored, "zh")
    assert "发热" in said and "fever" not in said and "第3, 5行" in said and not english_left(stored)


def test_a_reason_no_template_knows_is_shown_as_stored():
    assert render("the feed's operator wrote this", "zh") == "the feed's operator wrote this"
    assert render(None, "zh") == "" and ingest_words.template("something else") is None


def test_the_blamed_field_is_named_in_chinese():
    assert field_label("age_group", "zh") == "年龄组" and field_label("age_group", "en") == "age_group"
    assert field_label("other", "zh") == "other"
    assert all(not english_words(term.zh) for term in FIELDS.values())
