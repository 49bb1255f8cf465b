"""Agreement with SaTScan 10.3.2 (prospective space-time permutation scan) on its reference runs.

SaTScan's conventions, read from its result files and matched here: the maximum spatial size
"50 percent of population at risk" is, for this model, 50% of all cases of the study period;
circles are centred on each location, distances are great-circle; the reported radius and
span are consistent with an Earth radius of 6367 km (ours is the IUGG mean 6371.0088 km, so
our radius is 0.06% larger: the ordering of neighbours, and so the zones, are the same);
at least 2 cases per cluster; among identical zones from several centres the first centre in
file order is reported; secondary clusters share no location with a more likely one.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveillance.spatial import scan

REFERENCE = Path(__file__).parents[2].parent / "shared" / "reference" / "satscan"
SATSCAN_EARTH_RADIUS_KM = 6367.0

pytestmark = pytest.mark.skipif(not REFERENCE.is_dir(),
                                reason=f"SaTScan reference outputs not found at {REFERENCE}")


def parse_results(path: Path) -> list[dict]:
    text = path.read_text()
    body = text.split("CLUSTERS DETECTED", 1)[1].split("ADDITIONAL RESULTS FILES", 1)[0]
    clusters = []
    for block in re.split(r"\n(?=\d+\.Location IDs included)", body.strip()):
        if "Location IDs included" not in block:
            continue
        ids = re.search(r"Location IDs included\.+:(.*?)\n\s+Coordinates", block, re.S).group(1)
        radius = re.search(r"/ ([\d.]+) km", block).group(1)
        frame = re.search(r"Time frame\.+: (\S+) to (\S+)", block)
        clusters.append({
            "locations": [x.strip() for x in ids.replace("\n", " ").split(",") if x.strip()],
            "radius_km": float(radius),
            "start": pd.Timestamp(frame.group(1).replace("/", "-")),
            "end": pd.Timestamp(frame.group(2).replace("/", "-")),
            "observed": float(re.search(r"Number of cases\.+: ([\d.]+)", block).group(1)),
            "expected": float(re.search(r"Expected cases\.+: ([\d.]+)", block).group(1)),
            "llr": float(re.search(r"Test statistic\.+: ([\d.]+)", block).group(1)),
            "p_value": float(re.search(r"P-value\.+: ([\d.]+)", block).group(1)),
        })
    max_days = re.search(r"Maximum Temporal Cluster Size : (\d+) (Days|percent)", text)
    return clusters, max_days


def load(folder: Path):
    coords = pd.read_csv(folder / "coords.csv")
    cases = pd.read_csv(folder / "cases.csv", parse_dates=["date"])
    locations = coords["locid"].tolist()
    dates = pd.date_range(cases["date"].min(), cases["date"].max(), freq="D")
    counts = np.zeros((len(locations), len(dates)))
    np.add.at(counts, (pd.Index(locations).get_indexer(cases["locid"]), dates.get_indexer(cases["date"])),
              cases["count"].to_numpy())
    return counts, coords, locations, dates


RUNS = [(inp, name) for inp in ("n100_d30", "n200_d30") for name in ("satscan_max7days.txt", "satscan_max50pct.txt")]


@pytest.mark.parametrize("folder,name", RUNS)
def test_same_clusters_as_satscan(folder, name):
    counts, coords, locations, dates = load(REFERENCE / folder)
    reference, size = parse_results(REFERENCE / folder / name)
    value, unit = int(size.group(1)), size.group(2)
    max_days = value if unit == "Days" else len(dates) * value // 100
    result = scan(counts, coords["lat"], coords["lon"], dates=dates, regions=locations,
                  params={"max_days": max_days, "max_share": 0.5, "n_reps": 999, "seed": 2005})
    assert result.total_cases == counts.sum()
    for theirs, ours in zip(reference, result.clusters):
        assert list(ours.regions) == theirs["locations"]  # same locations, nearest the centre first
        assert (ours.start_date, ours.end_date) == (theirs["start"], theirs["end"])
        assert round(ours.llr, 6) == theirs["llr"]  # every printed digit (8 significant for the first)
        assert ours.observed == theirs["observed"]
        assert round(ours.expected, 2) == theirs["expected"]
        assert round(ours.radius_km * SATSCAN_EARTH_RADIUS_KM / 6371.0088, 2) == theirs["radius_km"]
        # p-values: Monte Carlo error of 999 replicates (binomial, 4 standard errors; at least 0.01).
        se = np.sqrt(max(theirs["p_value"] * (1 - theirs["p_value"]), 0.001) / 999)
        assert abs(ours.p_value - theirs["p_value"]) <= max(4 * se, 0.01)
    assert len(result.clusters) >= len(reference)
    mlc = result.most_likely
    assert mlc.recurrence_interval_days == pytest.approx(1 / mlc.p_value)
