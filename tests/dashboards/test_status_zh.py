"""The standalone status page in the signed-in user's language: Chinese words for a user who chose Chinese,
with only codes, numbers, dates, file names, the feeds' names and what other systems said left in English."""

from __future__ import annotations

import re

import pytest

from dashboards.server import create_server
from surveillance.users import add_user, set_language

from .conftest import PASSWORD, signed_in_client

WORD = re.compile(r"[A-Za-z]{2,}")
TAG = re.compile(r"<[^>]+>")
ALLOWED = {"JSON"}


@pytest.fixture(scope="module")
def server(demo_store):
    store, config = demo_store
    return create_server(store, config, announce=lambda message: None)


def _as_stored(store) -> set[str]:
    """Words the page shows as they came: feed names, sources, and messages no template knows."""
    texts = store.con.execute("SELECT feed, source, coalesce(message, '') FROM ingest_batches UNION ALL "
                              "SELECT job, '', coalesce(message, '') FROM job_runs").fetchall()
    return {word for row in texts for text in row for word in WORD.findall(str(text))}


def test_the_status_page_speaks_chinese_to_a_chinese_reader(server, demo_store):
    store, config = demo_store
    add_user(store, "zhou", PASSWORD, role="admin", region=None)
    set_language(store, "zhou", "zh")
    page = signed_in_client(server, "zhou").get("/").get_data(as_text=True)
    assert '<html lang="zh">' in page and "近60天每日发热就诊数" in page and "数据源" in page and "任务运行" in page
    assert "Fever visits per day" not in page and "Job runs" not in page
    body = page.split("<body>", 1)[1]
    visible = TAG.sub(" ", re.sub(r"<style>.*?</style>", " ", body, flags=re.DOTALL))
    allowed = ALLOWED | {"zhou"} | {f.name for f in config.feeds} | _as_stored(store)
    left = set(WORD.findall(visible)) - allowed
    assert not left, left


def test_the_english_page_is_unchanged_for_an_english_reader(server):
    page = signed_in_client(server, "ada").get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Fever visits per day, last 60 days" in page and "Signed in as" in page
    assert "2 cities" in page and "监测服务" not in page
