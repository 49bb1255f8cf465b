"""Why a row was quarantined or a file refused, said in the reader's language when it is shown.

The ingest rules store their reasons in English (the CLI prints them, the API returns them, the person who
fixes the source may read them in the batch ledger): validation writes the row reasons
(:mod:`surveillance.store.staging`), the readers the lines they cannot split and the whole-file refusals
(:mod:`surveillance.ingest.files`, :mod:`surveillance.ingest.jsonl`, :mod:`surveillance.ingest.pipeline`).
A page turns a stored reason back into its template and fields (:func:`render`), as
:mod:`surveillance.notes` does for alert notes. A reason is matched whole, since its own text holds ``; ``.
The file's own values (a code, a date, a line, another library's error) are shown as received; a reason no
template knows is shown as stored.
"""

from __future__ import annotations

from .notes import patterns
from .notes import render as render_note
from .vocabulary import Term, age_label, syndrome_label

# The reason of one quarantined row (surveillance.store.staging, the readers' unreadable lines).
ROW_REASONS: dict[str, Term] = {
    "date_missing": Term("date is missing", "缺少日期"),
    "date_time": Term("date '{value}' has a time of day ({time} in {zone}); a timestamp is taken as a date only "
                      "at midnight: send the day as YYYY-MM-DD",
                      "日期'{value}'带有时刻（{zone}时间{time}）；时间戳只有在零点时才按日期读取：请按 YYYY-MM-DD 发送日期"),
    "date_bad": Term("date '{value}' is not a date; use YYYY-MM-DD or YYYY/MM/DD",
                     "日期'{value}'不是有效日期；请使用 YYYY-MM-DD 或 YYYY/MM/DD"),
    "date_early": Term("date {value} is before {earliest}; check the year", "日期{value}早于{earliest}；请检查年份"),
    "date_future": Term("date {value} is in the future (today is {today})", "日期{value}晚于今天（今天是{today}）"),
    "unit_missing": Term("unit is missing", "缺少报告单位"),
    "unit_unknown": Term("unknown reporting unit '{value}'; add it to the units file or correct the code",
                         "未知的报告单位'{value}'；请将其加入单位文件或更正代码"),
    "syndrome_missing": Term("syndrome is missing", "缺少症候群"),
    "syndrome_unknown": Term("unknown syndrome '{value}'; known syndromes: {known}",
                             "未知的症候群'{value}'；已知症候群：{known}"),
    "age_missing": Term("age group is missing; give one of {known} (all: the unit's visits of every age), "
                        "or set the feed's default_age_group",
                        "缺少年龄组；请填写{known}之一（all 表示该单位所有年龄的就诊），或设置数据源的 default_age_group"),
    "age_unknown": Term("unknown age group '{value}'; known age groups: {known}", "未知的年龄组'{value}'；已知年龄组：{known}"),
    "count_missing": Term("count is missing", "缺少就诊数"),
    "count_text": Term("count '{value}' is not a number", "就诊数'{value}'不是数字"),
    "count_fraction": Term("count {value} is not a whole number", "就诊数{value}不是整数"),
    "count_negative": Term("count {value} is negative", "就诊数{value}为负数"),
    "count_large": Term("count {value} is implausibly large", "就诊数{value}大得不合常理"),
    "total_text": Term("total '{value}' is not a number", "总就诊数'{value}'不是数字"),
    "total_fraction": Term("total {value} is not a whole number", "总就诊数{value}不是整数"),
    "total_negative": Term("total {value} is negative", "总就诊数{value}为负数"),
    "total_large": Term("total {value} is implausibly large", "总就诊数{value}大得不合常理"),
    "over_total": Term("count {value} is more than total visits {total}", "就诊数{value}超过总就诊数{total}"),
    "region_unknown": Term("unknown region '{value}'", "未知的地区'{value}'"),
    "region_wrong": Term("unit '{unit}' is not in region '{region}'", "单位'{unit}'不在地区'{region}'内"),
    "mixed_ages": Term("unit {unit} on {day} ({syndrome}) is given for all ages and by age group (rows {rows}); "
                       "send one or the other: read together they count the same visits twice",
                       "单位{unit}在{day}（{syndrome}）既有全部年龄的数据又有分年龄组的数据（第{rows}行）；"
                       "请只发送其中一种：合在一起会把同样的就诊计算两次"),
    "stored_ages": Term("unit {unit} on {day} ({syndrome}) already has visits by age group stored; an all-ages "
                        "row would count them twice: send the age groups",
                        "单位{unit}在{day}（{syndrome}）已存有分年龄组的就诊数据；全部年龄的行会把它们计算两次：请发送分年龄组的数据"),
    "stored_all": Term("unit {unit} on {day} ({syndrome}) already has an all-ages row stored; rows by age group "
                       "would count it twice: send all ages",
                       "单位{unit}在{day}（{syndrome}）已存有全部年龄的数据；分年龄组的行会把它计算两次：请发送全部年龄的数据"),
    "conflicting": Term("conflicting duplicates: rows {rows} give different counts for {day}, unit {unit}, "
                        "{syndrome}, age {age}; send one value per day",
                        "重复行相互矛盾：第{rows}行对{day}、单位{unit}、{syndrome}、{age}给出了不同的就诊数；每天只发送一个值"),
    "ragged": Term("the line has {found} fields, the header {expected}: {line}", "该行有{found}个字段，表头有{expected}个：{line}"),
    "unclosed_quote": Term("the line cannot be read as CSV (an unclosed quote?): {line}",
                           "该行无法按 CSV 读取（引号未闭合？）：{line}"),
    "not_json": Term("the line is not valid JSON ({error}, column {column}): {line}",
                     "该行不是有效的 JSON（{error}，第{column}列）：{line}"),
    "not_object": Term("the line is a JSON {kind}, not an object: {line}", "该行是 JSON {kind}，不是对象：{line}"),
    "two_spellings": Term("the record has both {first} and {second} (one name in two spellings); keep one",
                          "该记录同时有{first}和{second}（同一名称的两种写法）；请只保留一个"),
}

# Why a whole file was refused (surveillance.ingest.files, .jsonl, .pipeline); each names the file first.
FILE_REASONS: dict[str, Term] = {
    "unsupported": Term("{file}: unsupported file type {suffix}; expected one of {known}",
                        "{file}：不支持的文件类型{suffix}；应为以下之一：{known}"),
    "unreadable": Term("{file}: cannot read file: {error}", "{file}：无法读取文件：{error}"),
    "empty": Term("{file}: file is empty", "{file}：文件为空"),
    "header_only": Term("{file}: no data rows (only a header)", "{file}：没有数据行（只有表头）"),
    "zip": Term("{file}: a ZIP archive (an Excel .xlsx workbook?), not CSV text; export it as CSV UTF-8",
                "{file}：这是 ZIP 压缩包（Excel .xlsx 工作簿？），不是 CSV 文本；请导出为 CSV UTF-8"),
    "utf16": Term("{file}: UTF-16 text (Excel 'Unicode Text'); save it as CSV UTF-8",
                  "{file}：这是 UTF-16 文本（Excel 的“Unicode 文本”）；请另存为 CSV UTF-8"),
    "binary": Term("{file}: contains NUL bytes: a binary file, not a text file", "{file}：含有 NUL 字节：是二进制文件，不是文本文件"),
    "binary_encoding": Term("{file}: contains NUL bytes: a binary file, not {encoding} text",
                            "{file}：含有 NUL 字节：是二进制文件，不是 {encoding} 文本"),
    "not_utf8": Term('{file}: not valid {encoding} text (line {line}); files from Chinese hospital systems are often '
                     'GB18030/GBK: set encoding = "gb18030" for this feed',
                     '{file}：不是有效的 {encoding} 文本（第{line}行）；国内医院系统导出的文件常为 GB18030/GBK 编码：'
                     '请为该数据源设置 encoding = "gb18030"'),
    "bad_encoding": Term("{file}: not valid {encoding} text (line {line}); check the feed's encoding setting",
                         "{file}：不是有效的 {encoding} 文本（第{line}行）；请检查数据源的 encoding 设置"),
    "bad_header_text": Term("{file}: the header is not valid {encoding} text", "{file}：表头不是有效的 {encoding} 文本"),
    "bad_header_delimiter": Term("{file}: the first line is not a CSV header with distinct column names: {line}; "
                                 "the file seems to use another delimiter: set the feed's delimiter",
                                 "{file}：第一行不是列名互不相同的 CSV 表头：{line}；文件似乎使用了其他分隔符：请设置数据源的 delimiter"),
    "bad_header": Term("{file}: the first line is not a CSV header with distinct column names: {line}",
                       "{file}：第一行不是列名互不相同的 CSV 表头：{line}"),
    "bad_parquet": Term("{file}: not a readable Parquet file (truncated or corrupt?): {error}",
                        "{file}：不是可读的 Parquet 文件（被截断或已损坏？）：{error}"),
    "pretty_objects": Term("{file}: not JSON Lines: lines {first}-{last} hold one JSON object (pretty-printed JSON); "
                           "write one object per line",
                           "{file}：不是 JSON Lines：第{first}-{last}行是同一个 JSON 对象（格式化排版的 JSON）；请每行写一个对象"),
    "pretty_object_among": Term("{file}: not JSON Lines: lines {first}-{last} hold one JSON object spread over several "
                                "lines (pretty-printed); write one object per line",
                                "{file}：不是 JSON Lines：第{first}-{last}行是分成多行的同一个 JSON 对象（格式化排版）；请每行写一个对象"),
    "no_object": Term("{file}: not JSON Lines: line {line} is not a JSON object",
                      "{file}：不是 JSON Lines：第{line}行不是 JSON 对象"),
    "broken_array": Term("{file}: not JSON Lines: the file opens a JSON array that is not valid JSON "
                         "(pretty-printed or cut short?); write one object per line",
                         "{file}：不是 JSON Lines：文件以无效的 JSON 数组开头（格式化排版或被截断？）；请每行写一个对象"),
    "array_of": Term("{file}: not JSON Lines: the file is one JSON array of {n} values (a JSON document, not one "
                     "object per line); write one object per line",
                     "{file}：不是 JSON Lines：整个文件是一个含{n}个值的 JSON 数组（JSON 文档，而非每行一个对象）；请每行写一个对象"),
    "array": Term("{file}: not JSON Lines: the file is one JSON array (a JSON document, not one object per line); "
                  "write one object per line",
                  "{file}：不是 JSON Lines：整个文件是一个 JSON 数组（JSON 文档，而非每行一个对象）；请每行写一个对象"),
    "same_column": Term("{file}: columns {sources} all map to {targets}; keep one", "{file}：列{sources}都对应{targets}；请只保留一列"),
    "missing_columns": Term("{file}: missing required column(s) {missing} (found: {found}); map source columns to "
                            "canonical names with the feed's [columns] setting",
                            "{file}：缺少必需的列{missing}（现有：{found}）；请用数据源的 [columns] 设置把源列对应到标准列名"),
    "not_ingested": Term("{file}: could not be ingested ({error})", "{file}：无法导入（{error}）"),
}

REASONS = ROW_REASONS | FILE_REASONS
PATTERNS = patterns(REASONS)

# The JSON type names in "the line is a JSON {kind}" (surveillance.ingest.batch.json_type).
JSON_TYPES: dict[str, Term] = {
    "list": Term("list", "数组"), "string": Term("string", "字符串"), "number": Term("number", "数字"),
    "boolean": Term("boolean", "布尔值"), "null": Term("null", "空值"), "object": Term("object", "对象"),
}


def template(text: str) -> str | None:
    """The key of the template a stored reason was written from, if any."""
    return next((key for key, pattern in PATTERNS if pattern.match(text)), None)


def render(text: str | None, lang: str | None) -> str:
    """A stored reason said in ``lang``; one no template knows is said as a note, else as stored."""
    if not isinstance(text, str) or not text:
        return ""
    if lang != "zh":
        return text
    for key, pattern in PATTERNS:
        match = pattern.match(text)
        if match:
            fields = {name: _field(name, value, lang) for name, value in match.groupdict().items()}
            return REASONS[key].say(lang).format(**fields)
    return render_note(text, lang)


def _field(name: str, value: str, lang: str) -> str:
    if name == "syndrome":
        return syndrome_label(value, lang)
    if name == "age":
        return age_label(value, lang)
    if name == "kind" and value in JSON_TYPES:
        return JSON_TYPES[value].say(lang)
    return value


# The field a quarantined row is blamed on ("row": a line that cannot be split into fields).
FIELDS: dict[str, Term] = {
    "row": Term("row", "整行"), "date": Term("date", "日期"), "unit": Term("unit", "报告单位"),
    "syndrome": Term("syndrome", "症候群"), "age_group": Term("age_group", "年龄组"), "count": Term("count", "就诊数"),
    "total": Term("total", "总就诊数"), "region": Term("region", "地区"),
}


def field_label(code, lang: str | None) -> str:
    """The blamed field in ``lang``; the stored name in English or when unknown."""
    return FIELDS[code].say(lang) if code in FIELDS else code
