"""Panels shared by the detector tests."""

from __future__ import annotations

import pytest

from surveillance.detectors.testing import weekly_panel  # noqa: F401  (the tests' shared panel)
from surveillance.panel import Panel


@pytest.fixture
def panel() -> Panel:
    return weekly_panel()
