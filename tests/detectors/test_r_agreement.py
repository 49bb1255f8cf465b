"""Agreement with R surveillance 1.20.3 on its own datasets (see shared/reference/README.md).

Where both give a bound: median relative difference of ``upperbound`` <= 1e-6 and 99th
percentile <= 1e-3; the same points without a bound; alarms equal on >= 99.5% of points.
"""

from pathlib import Path

import pandas as pd
import pytest

from surveillance.detectors.agreement import DATASETS, METHODS, compare_one, markdown_table

REFERENCE = Path(__file__).parents[2].parent / "shared" / "reference"

pytestmark = pytest.mark.skipif(
    not (REFERENCE / "salmNewport_r_results.csv").exists(),
    reason=f"R reference outputs not found at {REFERENCE} (the shared folder beside the checkout)",
)

ROWS: list[dict] = []


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dataset", DATASETS)
def test_agreement_with_r(dataset, method):
    row, points = compare_one(dataset, method, REFERENCE)
    ROWS.append(row)
    assert row["same_missing"], f"{dataset}/{method}: R lacks a bound at {row['r_missing']} points, we at {row['ours_missing']}"
    assert row["median_rel"] <= 1e-6
    assert row["p99_rel"] <= 1e-3
    assert row["alarm_agreement"] >= 0.995


def test_print_agreement_table():
    if not ROWS:
        pytest.skip("no agreement rows collected")
    print("\n" + markdown_table(pd.DataFrame(ROWS)))
