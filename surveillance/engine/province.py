"""A worker's task: judge every day of the plan for one province, on that province's in-memory store."""

from __future__ import annotations

from datetime import date, timedelta

from ..config import Config
from ..store.dataset import open_province

def history_start(config: Config, plan: list[tuple[date, date]]) -> date:
    """The first data day judging ``plan`` reads: the longest detector history, the data-quality windows and
    the delay training before the earliest judged day (a week more, for weekly panels' edges)."""
    first_day = min(day for day, _ in plan)
    first_as_of = min(as_of for _, as_of in plan)
    quality = config.quality
    back = max([spec.history for spec in config.detection.detectors]
               + [quality.usual_window_days + 28, quality.usual_window_days + 7])
    start = first_day - timedelta(days=back)
    delay = config.detection.delay
    if delay.adjust:
        start = min(start, first_as_of - timedelta(days=delay.training_days + delay.max_days))
    return start - timedelta(days=7)


def worker_config(config: Config) -> Config:
    """The config a province is judged with: without feeds, since whether a feed delivers is a check of the
    whole store, run once by the job (``quality.feed_silences``)."""
    return config.model_copy(update={"feeds": []})


def reader_settings(reader) -> tuple[type, tuple | None] | None:
    """The class of the job's panel reader and the days it read, to make the same kind of reader on a
    worker's store, reading the same days at once (None: the detect job's default reader)."""
    if reader is None:
        return None
    return type(reader), reader.span() if hasattr(reader, "span") else None


def judge_province(dataset: str, province: str, since: date, config: Config, plan: list[tuple[date, date]],
                   judge, reader: tuple[type, tuple | None] | None) -> list[dict]:
    """``judge`` (the detect job's ``judge_days``) of ``plan`` on ``province``'s part of the export."""
    con = open_province(dataset, province, since)
    try:
        made = None
        if reader is not None:
            made = reader[0](con)
            if reader[1] is not None:
                made.cover(max(reader[1][0], since), reader[1][1])
        return judge(con, config, plan, reader=made)
    finally:
        con.close()
