"""FHIR R4 ``MeasureReport`` resources as rows of aggregated daily counts.

A file holds one ``MeasureReport`` or a ``Bundle`` whose entries include MeasureReports
(entries of other types, e.g. the ``Organization`` a report points at, are skipped;
nested Bundles are read too). Each report is one reporting unit on one day; each of its
groups is one syndrome. The frame has the canonical columns ``date, unit, syndrome,
age_group, count, total`` with the source's own values (the pipeline maps syndrome codes
through the feed's ``syndrome_values`` and validates everything).

=====================  ==============================================================
column                 taken from
=====================  ==============================================================
``date``               ``MeasureReport.period.start``, the day as written (a date, or
                       the date part of a dateTime, not shifted to UTC). A period
                       longer than one day (``end`` after the end of ``start``'s day, or
                       more than 24 h after a dateTime ``start``) rejects the file.
``unit``               the first of ``reporter.identifier.value``,
                       ``subject.identifier.value``, the id in ``reporter.reference``,
                       the id in ``subject.reference`` (``"Location/F320102001"`` and
                       ``".../Location/F320102001/_history/2"`` give ``F320102001``). A
                       reference to another entry of the Bundle (``urn:uuid:...`` or its
                       ``fullUrl``) or to a contained resource (``#id``) gives that
                       resource's first ``identifier.value``, else its ``id``.
``syndrome``           ``group.code.coding[0].code``, else ``group.code.text``
                       (e.g. ``"fever"``, ``"发热"``), unchanged.
``age_group``          ``"all"`` for a group without an age stratifier; for a stratifier whose
                       code (text, coding code or display) names an age (``age``,
                       ``age-group``, ``AgeGroup``, ``年龄``...), one row per stratum
                       with ``stratum.value.text``, else ``stratum.value.coding[0].code``
                       (e.g. ``"0-4"``), with the stratum's own populations. Other
                       stratifiers (sex...) are ignored.
``count``              the population whose code (``population.code.coding[].code``,
                       else ``.text``) is ``numerator``: its ``count``.
``total``              the ``denominator`` population's ``count``; without one, the
                       ``initial-population``'s.
=====================  ==============================================================

``measureScore`` is ignored: counts come from populations only. A group with an age
stratifier gives its strata only: its own populations are their total, and an ``"all"`` row
beside the age groups would count the same visits twice (validation refuses the mix).

What cannot be read becomes visible, never silently dropped:

* The whole file is rejected (:class:`~surveillance.errors.FileRejected`, naming the file
  and the reason) when it is not JSON, is neither a MeasureReport nor a Bundle, is a
  Bundle without any MeasureReport, or holds a report that is not about one day (no
  ``period.start``, a month, a week...) or is patient-level (``type`` ``individual`` or
  ``subject-list``: only aggregate counts are accepted).
* A row-level problem still yields its row, with the missing value empty, so validation
  quarantines it with a reason: a group without a numerator (``count`` NaN), without a
  code (``syndrome`` missing), a report without a recognisable unit (``unit`` missing),
  a report without any group (one row with ``syndrome`` and ``count`` missing).

Rows come in document order (report by report, group by group, stratum by stratum); a
batch's row numbers are positions in that order.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from ..errors import FileRejected
from ..vocabulary import ALL_AGES, OBSERVATION_COLUMNS
from .batch import RawBatch, as_text, json_type

NUMERATOR = "numerator"
DENOMINATOR = "denominator"
INITIAL_POPULATION = "initial-population"
_POPULATION_CODES = {NUMERATOR, DENOMINATOR, INITIAL_POPULATION}
# Report types about patients rather than aggregates.
_PATIENT_LEVEL = {"individual", "subject-list"}
# "age", "age-group", "Age group", "AGE_BAND", "patientAge", "年龄组"; not "stage" or "usage".
_AGE = re.compile(r"(?:^|[^A-Za-z])(?:age|Age|AGE)|[a-z]Age|年龄")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2})?$")


def read_fhir_file(path: str | Path) -> RawBatch:
    """One file of MeasureReports as a batch; :class:`FileRejected` if it cannot be used."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileRejected(f"{path.name}: cannot read the file: {exc.strerror or exc}") from None
    return read_fhir_bytes(data, label=str(path))


def read_fhir_bytes(data: bytes, *, label: str, checksum: str | None = None) -> RawBatch:
    """A file's content as a batch. ``label`` is its path (its name appears in errors);
    ``checksum`` defaults to the sha256 of ``data``."""
    name = Path(label).name or label
    if not data.strip():
        raise FileRejected(f"{name}: empty file")
    try:
        resource = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FileRejected(f"{name}: not UTF-8 text (FHIR JSON is UTF-8): byte {exc.start + 1} is invalid") from None
    except json.JSONDecodeError as exc:
        raise FileRejected(f"{name}: not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    frame = measure_reports_to_frame(resource, source=name)
    return RawBatch(label=label, frame=frame, checksum=checksum or hashlib.sha256(data).hexdigest(), state={})


def measure_reports_to_frame(resource: dict, *, source: str = "resource") -> pd.DataFrame:
    """The rows of a MeasureReport or of every MeasureReport in a Bundle.

    ``source`` names the origin in :class:`FileRejected` messages (the file name).
    """
    if not isinstance(resource, dict):
        raise FileRejected(
            f"{source}: not a FHIR resource (the JSON is a {json_type(resource)}, "
            "not an object with a resourceType)"
        )
    kind = resource.get("resourceType")
    if kind == "MeasureReport":
        reports = [(resource, "MeasureReport", {})]
    elif kind == "Bundle":
        index: dict[str, dict] = {}
        skipped: dict[str, int] = {}
        reports = list(_bundle_reports(resource, source, index, skipped, "entry "))
        if not reports:
            found = ", ".join(f"{n} {t}" for t, n in sorted(skipped.items())) or "no resources"
            raise FileRejected(f"{source}: the Bundle has no MeasureReport (it holds {found})")
        reports = [(r, where, index) for r, where in reports]
    elif kind is None:
        raise FileRejected(f"{source}: not a FHIR resource (no resourceType)")
    else:
        raise FileRejected(f"{source}: a {kind} resource, not a MeasureReport or a Bundle of them")

    rows: list[dict] = []
    for report, where, index in reports:
        rows.extend(_report_rows(report, f"{source}: {where}{_ident(report)}", index))
    frame = pd.DataFrame(rows, columns=list(OBSERVATION_COLUMNS))
    for column in ("count", "total"):
        if frame[column].dtype == object:  # a count written as text, or as an object
            frame[column] = frame[column].map(as_text, na_action="ignore")
    return frame


# --- the Bundle ----------------------------------------------------------------------


def _bundle_reports(bundle: dict, source: str, index: dict, skipped: dict, prefix: str) -> Iterator[tuple[dict, str]]:
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise FileRejected(f"{source}: Bundle.entry is a {json_type(entries)}, not a list")
    # Index every entry first: a report may point at an entry that comes after it.
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            res = entry["resource"]
            if entry.get("fullUrl"):
                index[str(entry["fullUrl"])] = res
                relative = _relative(str(entry["fullUrl"]))
                if relative:
                    index.setdefault(relative, res)
            if res.get("resourceType") and res.get("id"):
                index[f"{res['resourceType']}/{res['id']}"] = res
    for i, entry in enumerate(entries, start=1):
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict):
            skipped["entries without a resource"] = skipped.get("entries without a resource", 0) + 1
            continue
        kind = res.get("resourceType") or "untyped"
        if kind == "MeasureReport":
            yield res, f"{prefix}{i} MeasureReport"
        elif kind == "Bundle":
            yield from _bundle_reports(res, source, index, skipped, f"{prefix}{i}, entry ")
        else:
            skipped[kind] = skipped.get(kind, 0) + 1


# --- one report ----------------------------------------------------------------------


def _report_rows(report: dict, where: str, index: dict) -> list[dict]:
    kind = report.get("type")
    if kind in _PATIENT_LEVEL:
        raise FileRejected(
            f"{where} is of type {kind!r} (patient-level); only aggregate 'summary' reports are accepted"
        )
    day = _report_day(report, where)
    unit = _unit(report, index)
    groups = report.get("group") or []
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise FileRejected(f"{where}: group must be a list of objects")
    if not groups:
        return [_row(day, unit, None, ALL_AGES, None, None)]

    rows: list[dict] = []
    for group in groups:
        syndrome = _code(group.get("code"))
        populations = group.get("population") or []
        strata = [
            stratum
            for stratifier in _objects(group.get("stratifier"))
            if _is_age(stratifier.get("code"))
            for stratum in _objects(stratifier.get("stratum"))
        ]
        if not strata:
            count, total = _counts(populations)
            rows.append(_row(day, unit, syndrome, ALL_AGES, count, total))
        for stratum in strata:
            count, total = _counts(stratum.get("population") or [])
            rows.append(_row(day, unit, syndrome, _stratum_value(stratum), count, total))
    return rows


def _row(day, unit, syndrome, age_group, count, total) -> dict:
    nan = float("nan")
    return {
        "date": day,
        "unit": unit,
        "syndrome": syndrome,
        "age_group": age_group,
        "count": nan if count is None else count,
        "total": nan if total is None else total,
    }


def _report_day(report: dict, where: str) -> str:
    period = report.get("period")
    start_text = period.get("start") if isinstance(period, dict) else None
    if not start_text:
        raise FileRejected(f"{where} has no period.start; each MeasureReport must cover one day")
    start, start_is_day = _instant(str(start_text), "period.start", where)
    end_text = period.get("end")
    if end_text:
        end, end_is_day = _instant(str(end_text), "period.end", where)
        if end_is_day:
            end = end + timedelta(days=1)  # a date as period.end means the whole day
        if (start.tzinfo is None) != (end.tzinfo is None):
            start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
        span = f"period {start_text} to {end_text}"
        if end < start or (end_is_day and end == start):
            raise FileRejected(f"{where}: {span} ends before it starts")
        if end - start > timedelta(days=1):
            raise FileRejected(
                f"{where}: {span} is longer than one day; only daily reports (one day per "
                "MeasureReport) are accepted"
            )
    return str(start_text)[:10]


def _instant(text: str, field: str, where: str) -> tuple[datetime, bool]:
    text = text.strip()
    if _PARTIAL_DATE.match(text):
        raise FileRejected(f"{where}: {field} {text!r} is a month or a year, not a day; only daily reports are accepted")
    try:
        if _DAY.match(text):
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day), True
        return datetime.fromisoformat(text.replace("Z", "+00:00")), False
    except ValueError:
        raise FileRejected(f"{where}: {field} {text!r} is not a FHIR date or dateTime") from None


def _unit(report: dict, index: dict) -> str | None:
    refs = [report.get("reporter"), report.get("subject")]
    for ref in refs:
        if isinstance(ref, dict):
            value = _identifier_value(ref.get("identifier"))
            if value:
                return value
    for ref in refs:
        if isinstance(ref, dict) and ref.get("reference"):
            value = _reference_id(str(ref["reference"]).strip(), report, index)
            if value:
                return value
    return None


def _identifier_value(identifier) -> str | None:
    if isinstance(identifier, list):
        identifier = identifier[0] if identifier else None
    if isinstance(identifier, dict) and identifier.get("value") not in (None, ""):
        return str(identifier["value"]).strip()
    return None


def _reference_id(reference: str, report: dict, index: dict) -> str | None:
    target = None
    if reference.startswith("#"):
        target = next(
            (c for c in _objects(report.get("contained")) if c.get("id") == reference[1:]), None
        )
    else:
        # An entry is found by its fullUrl or by its relative form "Type/id".
        target = index.get(reference) or index.get(_relative(reference) or "")
    if target is not None:
        return _identifier_value(target.get("identifier")) or (str(target["id"]) if target.get("id") else None)
    if reference.startswith(("urn:", "#")):
        return None  # points at nothing in this file
    relative = _relative(reference)
    return relative.split("/")[1] if relative else None


def _relative(reference: str) -> str | None:
    """``"Type/id"`` of a relative or absolute reference, without ``/_history/n``."""
    if reference.startswith(("urn:", "#")):
        return None
    parts = [p for p in reference.split("?")[0].split("/") if p]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2:
        return f"{parts[-2]}/{parts[-1]}"
    return None


def _code(concept) -> str | None:
    """``coding[0].code``, else ``text``, of a CodeableConcept (or the first of a list)."""
    if isinstance(concept, list):
        concept = concept[0] if concept else None
    if not isinstance(concept, dict):
        return None
    codings = _objects(concept.get("coding"))
    if codings and codings[0].get("code") not in (None, ""):
        return str(codings[0]["code"])
    if concept.get("text") not in (None, ""):
        return str(concept["text"])
    return None


def _counts(populations) -> tuple[Any, Any]:
    """(numerator, denominator or else initial population) of a population list."""
    found: dict[str, Any] = {}
    for population in _objects(populations):
        code = _population_code(population.get("code"))
        if code in _POPULATION_CODES and code not in found:
            found[code] = population.get("count")
    total = found.get(DENOMINATOR)
    if total is None:
        total = found.get(INITIAL_POPULATION)
    return found.get(NUMERATOR), total


def _population_code(concept) -> str | None:
    if not isinstance(concept, dict):
        return None
    codes = [str(c.get("code")) for c in _objects(concept.get("coding")) if c.get("code")]
    for code in codes:
        if code in _POPULATION_CODES:
            return code
    if codes:
        return codes[0]
    text = str(concept.get("text") or "").strip().lower()
    return text or None


def _is_age(concepts) -> bool:
    if isinstance(concepts, dict):
        concepts = [concepts]
    for concept in _objects(concepts):
        words = [concept.get("text")]
        for coding in _objects(concept.get("coding")):
            words += [coding.get("code"), coding.get("display")]
        if any(isinstance(w, str) and _AGE.search(w) for w in words):
            return True
    return False


def _stratum_value(stratum: dict) -> str | None:
    value = stratum.get("value")
    if value is None:
        # A multi-component stratum: the component whose code is an age.
        for component in _objects(stratum.get("component")):
            if _is_age(component.get("code")):
                value = component.get("value")
                break
    if not isinstance(value, dict):
        return None
    if value.get("text") not in (None, ""):
        return str(value["text"]).strip()
    codings = _objects(value.get("coding"))
    if codings and codings[0].get("code") not in (None, ""):
        return str(codings[0]["code"]).strip()
    return None




def _objects(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _ident(resource: dict) -> str:
    return f" {resource['id']!r}" if resource.get("id") else ""

