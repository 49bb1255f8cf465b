"""Shared fixtures: a small real DuckDB store with a hierarchy of known codes."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from surveillance.ingest.pipeline import IngestContext
from surveillance.store import open_store
from surveillance.store.reference import load_reference

TODAY = date(2026, 11, 22)


def small_regions() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("320000", "Jiangnan Province", "province", None, 2_000_000, 31.0, 118.0),
            ("320100", "Lincheng City", "city", "320000", 2_000_000, 31.0, 118.0),
            ("320102", "Dongcheng District", "county", "320100", 800_000, 31.1, 118.1),
            ("320103", "Xicheng District", "county", "320100", 1_200_000, 30.9, 117.9),
        ],
        columns=["code", "name", "level", "parent", "population", "lat", "lon"],
    )


def small_units() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("F320102001", "Dongcheng People's Hospital", "320102", "hospital", 31.1, 118.1),
            ("F320102002", "Dongcheng Clinic", "320102", "clinic", 31.12, 118.12),
            ("F320103001", "Xicheng Hospital", "320103", "hospital", 30.9, 117.9),
        ],
        columns=["code", "name", "county", "kind", "lat", "lon"],
    )


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "test.duckdb")
    load_reference(s, small_regions(), small_units(),
                   pd.DataFrame({"region": ["320102", "320103"], "neighbour": ["320103", "320102"]}))
    yield s
    s.close()


@pytest.fixture
def ctx():
    return IngestContext(today=TODAY)


def write_csv(path, text: str, encoding: str = "utf-8") -> str:
    path.write_bytes(text.encode(encoding))
    return str(path)
