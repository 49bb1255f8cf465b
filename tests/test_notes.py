"""The service's own notes, job messages, audit details and workflow refusals said in Chinese: every template
the service writes with, rows written before the Chinese edition, and a person's words left alone."""

from __future__ import annotations

import re

import pytest

from surveillance.alerts.workflow import WorkflowError, check_transition
from surveillance.audit_words import DETAILS, detail_words, target_words
from surveillance.notes import NOTES, delivery_parts, joined, note, render

WORD = re.compile(r"[A-Za-z]{2,}")
NAMES = {"320102": "东城区", "320103": "西城区"}
# A value for each field of the templates (codes where a field holds one, else figures).
VALUES = {"detector": "ears_c2", "severity": "red", "outcome": "confirmed_outbreak", "region": "320102",
          "regions": "320102, 320103", "state": "new", "to_state": "verifying", "role": "viewer",
          "to_role": "admin", "to_region": "all", "via": "session", "what": "severity", "parts": "2 failed for good"}


def english(text: str) -> list[str]:
    return WORD.findall(text)


@pytest.mark.parametrize("key", sorted(NOTES))
def test_every_note_the_service_writes_reads_in_chinese(key):
    fields = re.findall(r"\{(\w+)\}", NOTES[key].en)
    values = {f: VALUES.get(f, "12") for f in fields}
    if key == "undelivered_error":
        values["error"] = "12"  # another system's words stay as they came
    stored = note(key, **values)
    said = render(stored, "zh", NAMES)
    assert english(said) == [], (stored, said)
    assert render(stored, "en", NAMES) == stored  # English reads the note as stored


@pytest.mark.parametrize("key", sorted(DETAILS))
def test_every_audit_detail_reads_in_chinese(key):
    fields = re.findall(r"\{(\w+)\}", DETAILS[key].en)
    values = {f: VALUES.get(f, "12") for f in fields}
    stored = DETAILS[key].en.format(**values)
    said = detail_words(stored, "login", "zh", NAMES)
    allowed = {"CSV", "API"} | ({"GET"} if key == "call" else set())
    assert [w for w in english(said) if w not in allowed and w not in values.values()] == [], (stored, said)


def test_notes_written_before_the_chinese_edition_read_in_chinese():
    opened = "farrington: observed 52 vs expected 20.7; p=0.0003; red on incomplete data (completeness 60%); " \
             "said as yellow until the data fill in"
    assert render(opened, "zh") == ("法林顿回归法：观察值 52，期望值 20.7；P=0.0003；基于不完整数据（完整率60%）判为红色；"
                                    "数据补齐前按黄色通知")
    assert render("no signal for 7 days since 2026-11-13", "zh") == "自2026-11-13起7天无信号"
    assert render("cluster grew by 320102, 320103", "zh", NAMES) == "聚集范围扩大：东城区、西城区"
    assert render("ears_c2_percent; p=0.01", "zh") == "早期异常报告系统C2法（百分比）；P=0.01"  # figures stripped


def test_a_persons_words_are_left_as_written():
    assert render("outcome: not_an_outbreak; called the county CDC", "zh") == "结论：非暴发；called the county CDC"
    assert render("电话核实：学校3例", "zh") == "电话核实：学校3例"
    assert detail_words("checked the upload log", "alert_note", "zh") == "checked the upload log"


def test_notes_are_stored_as_before():
    assert joined([note("observed", detector="ears_c2", observed="30", expected="10"), note("pvalue", pvalue="0.001")]) \
        == "ears_c2: observed 30 vs expected 10; p=0.001"
    assert delivery_parts({"failed": 2, "unconfirmed": 0, "retry": 1}) == "2 failed for good, 1 waiting to be retried"


def test_audit_targets_and_languages_read_in_chinese():
    assert target_words("alert 12", "zh") == "预警12" and target_words("vic", "zh") == "vic"
    assert detail_words(None, "logout", "zh") == "" and detail_words(float("nan"), "logout", "en") == ""
    assert detail_words("vic is a viewer, not a epidemiologist", "refused", "zh") == "vic的角色是查看者，不是流行病学专业人员"
    assert detail_words("zh", "language_set", "zh") == "中文"
    assert detail_words("role viewer, region 320102, one-time password", "user_added", "zh", NAMES) == \
        "角色：查看者，地区：东城区，一次性密码"
    assert detail_words("new -> verifying; outcome: data_artefact", "alert_transition", "zh") == \
        "新预警 → 核实中；结论：数据问题"
    assert detail_words("alert list CSV: 3 alert(s), with ended ones; severity red,yellow", "export", "zh") == \
        "预警列表CSV：3条（含已结束）；级别：红色、黄色"


def test_workflow_refusals_say_why_in_the_readers_language_without_python_values():
    with pytest.raises(WorkflowError) as refused:
        check_transition("verifying", "closed", None, user="li")
    assert "None" not in str(refused.value) and "None" not in refused.value.say("zh")
    assert refused.value.say("zh") == "关闭预警需要选择结论：确认暴发、非暴发、数据问题"
    with pytest.raises(WorkflowError) as refused:
        check_transition("new", "investigating", user="li")
    assert refused.value.say("zh") == "处于“新预警”状态的预警不能转为“调查中”；可转为：核实中、已关闭"
    assert english(refused.value.say("zh")) == []
