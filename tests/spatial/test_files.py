"""``scan_file`` (the ``surveillance scan-file`` command) and ``scan_table``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from surveillance.errors import FileRejected, SurveillanceError, UnknownName
from surveillance.spatial import scan_file, scan_table

from .conftest import dates, with_cluster


def _write(tmp_path, *, poisson=False, groups=False, population=False):
    counts, lat, lon, cluster = with_cluster(rr=3.0, seed=0, n=40, T=20)
    ids = [f"R{i:03d}" for i in range(len(lat))]
    days = dates(counts.shape[1])
    rows = []
    for g in (["fever", "ili"] if groups else [None]):
        for i, region in enumerate(ids):
            for t, day in enumerate(days):
                value = counts[i, t] if g != "ili" else np.random.default_rng(i * 100 + t).poisson(5)
                row = {"region": region, "date": day.strftime("%Y-%m-%d"), "count": int(value)}
                if poisson:
                    row["expected"] = 5.0
                if g is not None:
                    row["syndrome"] = g
                rows.append(row)
    counts_path = tmp_path / "counts.csv"
    regions_path = tmp_path / "regions.csv"
    pd.DataFrame(rows).to_csv(counts_path, index=False)
    regions = pd.DataFrame({"region": ids, "lat": lat, "lon": lon})
    if population:
        regions["population"] = 10_000
    regions.to_csv(regions_path, index=False)
    return counts_path, regions_path, {ids[i] for i in cluster}


@pytest.mark.parametrize("method", ["permutation", "poisson"])
def test_scan_file_writes_the_clusters_as_json(tmp_path, method):
    counts_path, regions_path, cluster = _write(tmp_path, poisson=method == "poisson", population=True)
    out = tmp_path / "out" / "clusters.json"
    document = scan_file(counts_path, regions_path, out, method, {"n_reps": "99", "seed": "3", "max_days": "5"})
    assert json.loads(out.read_text()) == json.loads(json.dumps(document))
    assert document["method"] == method and document["parameters"]["n_reps"] == 99
    first = document["clusters"][0]
    assert set(first["regions"]) == cluster
    assert (first["start_date"], first["end_date"], first["n_days"]) == ("2024-03-18", "2024-03-20", 3)
    for key in ("centre", "radius_km", "observed", "expected", "relative_risk", "llr", "p_value",
                "recurrence_interval_days", "method", "parameters"):
        assert key in first
    assert first["p_value"] == pytest.approx(0.01) and first["recurrence_interval_days"] == pytest.approx(100)
    assert first["parameters"]["max_days"] == 5 and first["method"] == method
    assert document["scans"][0]["study_period"] == {"start": "2024-03-01", "end": "2024-03-20", "n_days": 20}


def test_each_syndrome_is_scanned_on_its_own_and_end_date_backtests(tmp_path):
    counts_path, regions_path, cluster = _write(tmp_path, groups=True)
    document = scan_file(counts_path, regions_path, tmp_path / "c.json", "permutation", {"n_reps": "19"})
    assert [s["group"] for s in document["scans"]] == [{"syndrome": "fever"}, {"syndrome": "ili"}]
    fever = [c for c in document["clusters"] if c["group"] == {"syndrome": "fever"}]
    assert set(fever[0]["regions"]) == cluster
    earlier = scan_file(counts_path, regions_path, tmp_path / "d.json", "permutation",
                        {"n_reps": "19", "end_date": "2024-03-15"})
    assert earlier["scans"][0]["study_period"]["end"] == "2024-03-15"
    assert all(c["end_date"] == "2024-03-15" for c in earlier["clusters"])


def test_scan_table_takes_data_frames(tmp_path):
    counts_path, regions_path, cluster = _write(tmp_path)
    results = scan_table(pd.read_csv(counts_path), pd.read_csv(regions_path), "permutation", {"n_reps": 9})
    assert len(results) == 1 and set(results[0].most_likely.regions) == cluster


def _edit(path, row, column, value):
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.loc[row, column] = value
    table.to_csv(path, index=False)


@pytest.mark.parametrize("edit,message", [
    (("counts", 4, "region", "NOPE"), r"counts.csv: row 6, field 'region': 'NOPE' is not in .*regions.csv"),
    (("counts", 2, "count", "-1"), r"counts.csv: row 4, field 'count': '-1' is not a whole non-negative number"),
    (("counts", 2, "count", "2.5"), r"row 4, field 'count': '2.5' is not a whole"),
    (("counts", 0, "date", "yesterday"), r"row 2, field 'date': 'yesterday' is not a date"),
    (("counts", 3, "date", "2024-03-01"), r"row 5: region 'R000' has date 2024-03-01 more than once"),
    (("regions", 1, "lat", "north"), r"regions.csv: row 3, field 'lat': 'north' is not a number in \[-90, 90\]"),
    (("regions", 2, "region", "R000"), r"regions.csv: row 4: region 'R000' appears more than once"),
])
def test_bad_rows_are_named_and_nothing_is_written(tmp_path, edit, message):
    counts_path, regions_path, _ = _write(tmp_path)
    which, row, column, value = edit
    _edit(counts_path if which == "counts" else regions_path, row, column, value)
    out = tmp_path / "clusters.json"
    with pytest.raises(FileRejected, match=message):
        scan_file(counts_path, regions_path, out, "permutation", {"n_reps": "9"})
    assert not out.exists() and list(tmp_path.glob(".clusters.json*")) == []


def test_bad_commands_are_clear_errors(tmp_path):
    counts_path, regions_path, _ = _write(tmp_path)
    out = tmp_path / "c.json"
    with pytest.raises(FileRejected, match="needs an 'expected' column"):
        scan_file(counts_path, regions_path, out, "poisson", {})
    with pytest.raises(UnknownName, match="unknown scan method 'satscan'; valid methods: permutation, poisson"):
        scan_file(counts_path, regions_path, out, "satscan", {})
    with pytest.raises(UnknownName, match="permutation scan: unknown parameter 'nreps'"):
        scan_file(counts_path, regions_path, out, "permutation", {"nreps": "9"})
    with pytest.raises(SurveillanceError, match="parameter 'max_days' must be an integer in \\[1, 365\\], got 0"):
        scan_file(counts_path, regions_path, out, "permutation", {"max_days": "0"})
    with pytest.raises(SurveillanceError, match="'end_date' must be a date"):
        scan_file(counts_path, regions_path, out, "permutation", {"end_date": "soon"})
    with pytest.raises(FileRejected, match="no such file"):
        scan_file(tmp_path / "missing.csv", regions_path, out, "permutation", {})
    assert not out.exists()
