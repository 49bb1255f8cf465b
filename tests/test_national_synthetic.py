"""The country of reporting facilities for the national benchmark (surveillance.synthetic.national)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from surveillance.regions import Hierarchy
from surveillance.store.reference import read_regions_file, read_units_file
from surveillance.synthetic.national import national_facility_geography, province_part, write_national_files
from surveillance.synthetic.simulate import AGE_BANDS, build_geography, simulate

START, END = date(2026, 10, 1), date(2026, 10, 30)


@pytest.fixture(scope="module")
def country():
    return national_facility_geography(200, seed=3)


def test_facilities_report_in_31_provinces(country):
    levels = country.regions["level"].value_counts()
    assert levels["province"] == 31 and levels["county"] == 62
    assert len(country.units) == 200 and country.units["code"].is_unique
    assert (country.units.groupby("county").size() >= 1).all()
    assert set(country.units["kind"]) >= {"hospital", "clinic"}
    assert set(country.units["county"]) == set(country.regions.loc[country.regions["level"] == "county", "code"])


def test_national_scale_still_reports_by_county_unless_asked():
    counties = build_geography("national", n_counties=40, n_cities=4)
    assert (counties.units["kind"] == "county").all()
    facilities = build_geography("national", n_counties=40, n_cities=4, facility_units=True)
    assert (facilities.units["kind"] != "county").all() and len(facilities.units) >= 120


def test_a_province_part_holds_only_that_province(country):
    part = province_part(country, "320000")
    assert part.regions["code"].str.startswith("32").all() and part.units["county"].str.startswith("32").all()
    assert part.neighbours["region"].str.startswith("32").all()
    assert part.neighbours["neighbour"].str.startswith("32").all()
    assert len(part.regions[part.regions["level"] == "province"]) == 1


def test_day_files_gather_every_province_as_simulated(tmp_path, country):
    files = write_national_files(country, tmp_path, START, END, seed=3)
    assert [f.delivered_on for f in files] == sorted(f.delivered_on for f in files)
    assert files[-1].delivered_on == date(2026, 10, 31) and not list((tmp_path / "drop").glob(".*"))
    Hierarchy(read_regions_file(tmp_path / "regions.csv"), read_units_file(tmp_path / "units.csv"))
    rows = pd.concat([pd.read_csv(f.path, dtype={"unit": str}).assign(delivered_on=f.delivered_on) for f in files])
    assert set(rows["age_group"]) == set(AGE_BANDS)
    assert set(rows["unit"].str[1:3]) == set(country.regions.loc[country.regions["level"] == "province", "code"].str[:2])
    # one province's rows are its own simulation's deliveries up to the morning after the last day
    number = country.regions.loc[country.regions["level"] == "province", "code"].tolist().index("320000")
    own = simulate(province_part(country, "320000"), START, END, seed=3 * 1_000 + number).deliveries
    own = own[own["delivered_on"] <= pd.Timestamp(END) + pd.Timedelta(days=1)]
    mine = rows[rows["unit"].str.startswith("F32")]
    assert len(mine) == len(own)
    assert mine["count"].sum() == own["count"].sum() and mine["total"].sum() == own["total"].sum()
    outbreaks = pd.read_csv(tmp_path / "outbreaks.csv")
    assert outbreaks["outbreak_id"].is_unique
