"""detect-file: long CSV in, one result row per input row out."""

import numpy as np
import pandas as pd
import pytest

from surveillance.detectors.files import OUTPUT_COLUMNS, detect_file
from surveillance.errors import FileRejected, UnknownName
from surveillance.detectors import InvalidParameter

from .conftest import weekly_panel


def _long_csv(tmp_path, freq="weekly", shuffle=True):
    p = weekly_panel(n_series=3, n_weeks=3 * 52 + 12)
    rows = []
    for i, key in enumerate(p.keys["region"]):
        for j, d in enumerate(p.dates):
            d = d if freq == "weekly" else p.dates[0] + pd.Timedelta(days=j)
            rows.append((key, d.strftime("%Y-%m-%d"), p.counts[i, j]))
    df = pd.DataFrame(rows, columns=["series", "date", "count"])
    df.loc[5, "count"] = np.nan
    if shuffle:
        df = df.sample(frac=1.0, random_state=1).reset_index(drop=True)
    path = tmp_path / "in.csv"
    df.to_csv(path, index=False)
    return path, df


def test_weekly_file_round_trip(tmp_path):
    path, df = _long_csv(tmp_path)
    out = detect_file(path, tmp_path / "out.csv", "farrington_flexible", {"b": "2", "alpha": "0.01"})
    written = pd.read_csv(tmp_path / "out.csv", keep_default_na=False, na_values=[""])
    assert list(written.columns) == list(OUTPUT_COLUMNS)
    assert len(written) == len(df)
    assert list(written["series"]) == list(df["series"]) and list(written["date"]) == list(df["date"])
    assert written.loc[df["count"].isna(), "status"].eq("missing").all()
    assert written["status"].isin(["ok", "insufficient_baseline", "few_recent_cases", "missing"]).all()
    assert (written["status"] == "ok").sum() > 0
    assert out["alarm"].dtype == bool


def test_daily_auto_and_errors(tmp_path):
    path, _ = _long_csv(tmp_path, freq="daily")
    out = detect_file(path, tmp_path / "o.csv", "ears_c2", {})
    assert (out["status"] == "ok").sum() > 0
    with pytest.raises(Exception, match="needs weekly data"):
        detect_file(path, tmp_path / "o2.csv", "farrington", {})
    assert not (tmp_path / "o2.csv").exists()
    with pytest.raises(UnknownName, match="valid detectors"):
        detect_file(path, tmp_path / "o.csv", "nope", {})
    with pytest.raises(InvalidParameter, match="ears_c2: parameter 'alpha' must be a number in"):
        detect_file(path, tmp_path / "o.csv", "ears_c2", {"alpha": "2"})


def test_bad_rows_name_file_row_and_field(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("series,date,count\na,2024-01-01,3\na,2024-01-02,x\n")
    with pytest.raises(FileRejected, match=r"bad.csv: row 3, field 'count': 'x'"):
        detect_file(bad, tmp_path / "o.csv", "ears_c1", {})
    bad.write_text("series,date,count\na,2024-13-01,3\n")
    with pytest.raises(FileRejected, match=r"row 2, field 'date'"):
        detect_file(bad, tmp_path / "o.csv", "ears_c1", {})
    bad.write_text("series,day,count\na,2024-01-01,3\n")
    with pytest.raises(FileRejected, match="missing column"):
        detect_file(bad, tmp_path / "o.csv", "ears_c1", {})
