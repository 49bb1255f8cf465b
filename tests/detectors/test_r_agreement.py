"""Agreement with R surveillance 1.20.3 on its own datasets (see shared/reference/README.md).

Where both give a bound: median relative difference of ``upperbound`` <= 1e-6 and 99th
percentile <= 1e-3; the same points without a bound; alarms equal on >= 99.5% of points.
``farrington_noufaily_improved`` is the improved method with R's advised
``pThresholdTrend = 1`` (shared/reference/noufaily_improved/).
"""

import itertools
from pathlib import Path

import pandas as pd
import pytest

from surveillance.detectors.agreement import DATASETS, METHODS, compare_one, markdown_table

REPOSITORY = Path(__file__).parents[2]
REFERENCE = REPOSITORY.parent / "shared" / "reference"

pytestmark = pytest.mark.skipif(
    not (REFERENCE / "salmNewport_r_results.csv").exists(),
    reason=f"R reference outputs not found at {REFERENCE} (the shared folder beside the checkout)",
)


@pytest.fixture(scope="module")
def measured():
    """``compare_one`` for a dataset and method, computed once in this module whichever test asks first."""
    cache: dict[tuple[str, str], tuple[dict, pd.DataFrame]] = {}

    def measure(dataset: str, method: str) -> tuple[dict, pd.DataFrame]:
        if (dataset, method) not in cache:
            cache[dataset, method] = compare_one(dataset, method, REFERENCE)
        return cache[dataset, method]

    return measure


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dataset", DATASETS)
def test_agreement_with_r(measured, dataset, method):
    row, _ = measured(dataset, method)
    where = f"{dataset}/{method}"
    assert row["same_missing"], f"{where}: R lacks a bound at {row['r_missing']} points, we at {row['ours_missing']}"
    assert row["median_rel"] <= 1e-6, f"{where}: median relative difference {row['median_rel']:.3g}"
    assert row["p99_rel"] <= 1e-3, f"{where}: 99th percentile of the relative difference {row['p99_rel']:.3g}"
    assert row["alarm_agreement"] >= 0.995, f"{where}: alarms equal on {100 * row['alarm_agreement']:.2f}%"


def test_the_old_trend_setting_does_not_reproduce_the_improved_method():
    # With R's default pThresholdTrend = 0.05 the trend is dropped where R, at 1, keeps it:
    # the bounds then differ by up to 40% (rotaBB), so agreeing above needs the threshold of 1.
    row, _ = compare_one("rotaBB", "farrington_noufaily_improved", REFERENCE, overrides={"trend_p_threshold": 0.05})
    assert row["p99_rel"] > 0.1


def _readme_table() -> list[list[str]]:
    text = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    section = text.split("### Agreement with R `surveillance` 1.20.3", 1)[1].splitlines()
    first = next(i for i, line in enumerate(section) if line.startswith("|"))
    lines = list(itertools.takewhile(lambda line: line.startswith("|"), section[first:]))
    header = markdown_table(pd.DataFrame(columns=["dataset", "method"])).splitlines()
    assert lines[:2] == header, "the README table's header is not markdown_table's"
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_readme_table_reports_the_measured_agreement(measured):
    # The counts and alarm shares are exact; the relative differences are rounding noise (or
    # 0), which differs between machines, so the README only has to keep them under the limits.
    rows = {(cells[0], cells[1]): cells for cells in _readme_table()}
    assert sorted(rows) == sorted((d, m) for d in DATASETS for m in METHODS)
    for (dataset, method), cells in rows.items():
        row, _ = measured(dataset, method)
        shown = [int(cells[2]), int(cells[3]), cells[6]]
        assert shown == [row["n"], row["n_bound"], f"{100 * row['alarm_agreement']:.2f}%"], (dataset, method)
        assert float(cells[4]) <= 1e-6 and float(cells[5]) <= 1e-3, (dataset, method)
