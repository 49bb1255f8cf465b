"""The synthetic province: geography, realistic counts, outbreaks, deliveries and demo files."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely

from surveillance import clock
from surveillance.vocabulary import SYNDROMES
from surveillance.errors import SurveillanceError
from surveillance.regions import Hierarchy
from surveillance.synthetic.simulate import build_geography, default_period, simulate, write_demo_files
from surveillance.store.reference import read_regions_file, read_units_file

KEYS = ["date", "unit", "syndrome", "age_group"]
START, END = "2023-10-01", "2024-12-31"  # two winters, one summer, the 2024 Spring Festival (10 February)


@pytest.fixture(scope="module")
def small():
    return build_geography("city", seed=1, n_counties=4, n_facilities=24)


@pytest.fixture(scope="module")
def sim(small):
    return simulate(small, START, END, seed=1)


@pytest.fixture(scope="module")
def truth(sim):
    """Final values with plain text columns, for grouping."""
    t = sim.truth.copy()
    for column in ("unit", "syndrome", "age_group"):
        t[column] = t[column].astype(str)
    return t


def shapes(geography, level):
    rows = geography.regions[geography.regions["level"] == level]
    return pd.Series(shapely.from_geojson(rows["boundary_geojson"].to_numpy()), index=rows["code"].to_numpy())


# --- geography ------------------------------------------------------------------------------


def test_default_city_scale_looks_like_a_province():
    geography = build_geography()
    levels = geography.regions["level"].value_counts()
    assert (levels["province"], levels["city"], levels["county"]) == (1, 2, 10)
    assert 280 <= len(geography.units) <= 320
    kinds = geography.units["kind"].value_counts()
    assert kinds["clinic"] > kinds.get("township_health_centre", 0) > 0 and 10 <= kinds["hospital"] <= 40
    assert geography.regions["code"].str.fullmatch(r"\d{6}").all()
    assert geography.regions.loc[geography.regions["level"] == "province", "code"].item() == "320000"
    assert geography.units["code"].str.fullmatch(r"F\d{9}").all()
    assert (geography.units["code"].str[1:7] == geography.units["county"]).all()
    names = pd.concat([geography.regions["name"], geography.units["name"]])
    assert names.is_unique
    assert geography.regions["name"].str.fullmatch(r"[A-Z][a-z']+ (Province|City|District|County)").all()
    lat, lon = geography.regions["lat"], geography.regions["lon"]
    assert lat.between(27, 33).all() and lon.between(111, 119).all()


def test_populations_add_up(small):
    regions = small.regions.set_index("code")
    counties = regions[regions["level"] == "county"]
    assert counties["population"].between(200_000, 1_500_000).all()
    by_city = counties.groupby("parent")["population"].sum()
    assert (regions.loc[by_city.index, "population"] == by_city).all()
    assert regions.loc["320000", "population"] == counties["population"].sum()
    Hierarchy(small.regions, small.units)


@pytest.mark.parametrize("scale", ["city", "national"])
def test_polygons_partition_the_outline(scale):
    geography = (build_geography("city", seed=4) if scale == "city"
                 else build_geography("national", seed=2, n_counties=200, n_cities=40))
    counties = shapes(geography, "county")
    assert shapely.is_valid(counties.to_numpy()).all()
    assert all(g.geom_type == "Polygon" for g in counties)
    # Coordinates are rounded to 1e-6 degrees (~0.1 m), hence the small tolerances.
    outline_area = geography.outline.area
    assert shapely.union_all(counties.to_numpy()).area == pytest.approx(outline_area, rel=1e-7)
    assert counties.map(lambda g: g.area).sum() == pytest.approx(outline_area, rel=1e-7)  # so no overlaps
    tree = shapely.STRtree(counties.to_numpy())
    left, right = tree.query(counties.to_numpy(), predicate="intersects")
    overlap = shapely.area(shapely.intersection(counties.to_numpy()[left[left < right]],
                                                counties.to_numpy()[right[left < right]]))
    assert overlap.sum() < 1e-8 * outline_area
    # Cities are unions of their counties, the province (or country) is the outline.
    regions = geography.regions.set_index("code")
    for code, city in shapes(geography, "city").items():
        members = counties[regions.loc[counties.index, "parent"] == code]
        assert city.symmetric_difference(shapely.union_all(members.to_numpy())).area < 1e-8 * outline_area
        assert city.geom_type == "Polygon"  # contiguous
    provinces = shapes(geography, "province")
    assert shapely.union_all(provinces.to_numpy()).symmetric_difference(geography.outline).area < 1e-7 * outline_area
    # Each region's lat/lon lies inside it.
    for level in ("province", "city", "county"):
        polygons = shapes(geography, level)
        points = regions.loc[polygons.index]
        assert shapely.contains_xy(polygons.to_numpy(), points["lon"].to_numpy(), points["lat"].to_numpy()).all()


def test_facilities_lie_in_their_county(small):
    counties = shapes(small, "county")
    units = small.units
    home = counties[units["county"]].to_numpy()
    assert shapely.contains_xy(home, units["lon"].to_numpy(), units["lat"].to_numpy()).all()


def test_neighbours_are_symmetric_same_level_and_cover_every_county(small):
    pairs = small.neighbours
    assert not pairs.empty
    as_set = set(map(tuple, pairs.to_numpy()))
    assert as_set == {(b, a) for a, b in as_set}
    level = small.regions.set_index("code")["level"]
    assert (level[pairs["region"]].to_numpy() == level[pairs["neighbour"]].to_numpy()).all()
    counties = set(small.regions.loc[small.regions["level"] == "county", "code"])
    assert counties <= set(pairs["region"])


def test_national_scale_has_counties_reporting_as_units():
    geography = build_geography("national", seed=2, n_counties=200, n_cities=40)
    levels = geography.regions["level"].value_counts()
    assert (levels["province"], levels["city"], levels["county"]) == (31, 40, 200)
    assert (geography.units["kind"] == "county").all()
    assert (geography.units["code"] == geography.units["county"]).all()
    hierarchy = Hierarchy(geography.regions, geography.units)
    assert hierarchy.unit_to_level("province").nunique() == 31
    assert geography.regions.loc[geography.regions["level"] == "province", "code"].str[:2].is_unique


def test_geography_is_deterministic():
    a, b = build_geography("city", seed=7), build_geography("city", seed=7)
    pd.testing.assert_frame_equal(a.regions, b.regions)
    pd.testing.assert_frame_equal(a.units, b.units)
    pd.testing.assert_frame_equal(a.neighbours, b.neighbours)
    assert not build_geography("city", seed=8).regions["name"].equals(a.regions["name"])


def test_unknown_scale_is_refused():
    with pytest.raises(SurveillanceError, match="unknown scale 'planet'"):
        build_geography("planet")


# --- counts ---------------------------------------------------------------------------------


def test_tables_have_the_canonical_columns(sim, small):
    assert list(sim.deliveries.columns) == [*KEYS, "count", "total", "delivered_on", "revision"]
    assert list(sim.truth.columns) == [*KEYS, "count", "total"]
    assert set(sim.truth["syndrome"].astype(str)) == set(SYNDROMES)
    assert set(sim.truth["age_group"].astype(str)) == {"0-4", "5-14", "15-64", "65+"}
    assert set(sim.truth["unit"].astype(str)) == set(small.units["code"])
    assert sim.truth["date"].min() == pd.Timestamp(START) and sim.truth["date"].max() == pd.Timestamp(END)
    assert not sim.truth.duplicated(KEYS).any()


def test_counts_are_whole_non_negative_and_within_totals(sim, truth):
    for frame in (sim.deliveries, sim.truth):
        assert np.issubdtype(frame["count"].dtype, np.integer) and np.issubdtype(frame["total"].dtype, np.integer)
        assert (frame["count"] >= 0).all() and (frame["count"] <= frame["total"]).all()
    # ``total`` is all visits of the unit, day and age group: the same for every syndrome.
    assert truth.groupby(["date", "unit", "age_group"])["total"].nunique().max() == 1


def test_a_unit_day_has_all_rows_or_none(truth):
    rows = truth.groupby(["unit", "date"]).size()
    assert (rows == len(SYNDROMES) * 4).all()
    days = truth.groupby("unit")["date"].nunique()
    n_days = (pd.Timestamp(END) - pd.Timestamp(START)).days + 1
    assert days.max() == n_days and days.min() < n_days  # some units had outages


def test_weekdays_are_busier_than_weekends_and_clinics_close_more(truth, small):
    visits = truth[truth["syndrome"] == "fever"].groupby(["unit", "date"])["total"].sum().reset_index()
    visits["kind"] = visits["unit"].map(small.units.set_index("code")["kind"])
    visits["weekday"] = visits["date"].dt.day_of_week
    ordinary = visits[visits["date"].dt.month.isin([3, 4, 5, 6, 11])]  # few holidays
    by_day = ordinary.groupby(["kind", "weekday"])["total"].mean().unstack()
    assert (by_day[0] > by_day[2]).all() and (by_day[2] > by_day[5]).all() and (by_day[5] > by_day[6]).all()
    sunday_to_monday = by_day[6] / by_day[0]
    assert sunday_to_monday["clinic"] < sunday_to_monday["hospital"] - 0.1


def test_spring_festival_is_quiet_and_followed_by_a_rebound(truth):
    daily = truth[truth["syndrome"] == "fever"].groupby("date")["total"].sum()
    festival = daily["2024-02-10":"2024-02-16"].mean()
    weeks_before = daily["2024-01-08":"2024-02-02"].mean()
    assert festival < 0.6 * weeks_before
    after = daily["2024-02-19":"2024-02-23"].mean()  # first full working week after
    same_days_later = daily["2024-03-11":"2024-03-15"].mean()
    assert after > 1.1 * same_days_later


def share(truth, syndrome, months, ages=None):
    rows = truth[(truth["syndrome"] == syndrome) & truth["date"].dt.month.isin(months)]
    if ages:
        rows = rows[rows["age_group"].isin(ages)]
    return rows["count"].sum() / rows["total"].sum()


def test_fever_peaks_in_winter(truth):
    assert share(truth, "fever", [1, 2]) > 1.3 * share(truth, "fever", [6, 7, 8])
    assert share(truth, "ili", [1, 2]) > 1.5 * share(truth, "ili", [6, 7, 8])
    assert share(truth, "diarrhoea", [7, 8], ["15-64"]) > 1.2 * share(truth, "diarrhoea", [3, 4], ["15-64"])


def test_hfmd_peaks_april_to_july_in_young_children(truth):
    hfmd = truth[truth["syndrome"] == "hfmd"]
    assert share(truth, "hfmd", [4, 5, 6, 7]) > 3 * share(truth, "hfmd", [12, 1, 2])
    young = hfmd[hfmd["age_group"].isin(["0-4", "5-14"])]["count"].sum()
    assert young > 0.85 * hfmd["count"].sum()
    rash = truth[truth["syndrome"] == "rash_fever"]
    assert rash["count"].sum() < 0.01 * rash["total"].sum()  # rare


def test_simulation_is_deterministic(small):
    a = simulate(small, "2024-03-01", "2024-05-31", seed=5)
    b = simulate(small, "2024-03-01", "2024-05-31", seed=5)
    pd.testing.assert_frame_equal(a.deliveries, b.deliveries)
    pd.testing.assert_frame_equal(a.outbreaks, b.outbreaks)
    c = simulate(small, "2024-03-01", "2024-05-31", seed=6)
    assert not a.truth["count"].equals(c.truth["count"])


# --- outbreaks --------------------------------------------------------------------------------


def test_outbreaks_are_recorded_and_one_is_ongoing_at_the_end(sim):
    truth = sim.outbreaks
    for column in ["outbreak_id", "syndrome", "age_group", "units", "counties", "start", "end",
                   "extra_cases", "relative_risk"]:
        assert column in truth.columns
    assert len(truth) >= 3 and truth["outbreak_id"].is_unique
    assert (truth["start"] <= truth["end"]).all() and (truth["extra_cases"] > 0).all()
    last = truth[truth["ongoing"]]
    assert len(last) == 1 and last["end"].item() == pd.Timestamp(END)
    assert last["start"].item() >= pd.Timestamp(END) - pd.Timedelta(days=21)
    assert sim.outbreak_cases.groupby("outbreak_id")["cases"].sum().to_dict() == truth.set_index("outbreak_id")[
        "extra_cases"].to_dict()


def test_outbreak_units_and_counties_agree(sim, small):
    county_of = small.units.set_index("code")["county"]
    for row in sim.outbreaks.itertuples():
        units = row.units.split(",")
        assert set(county_of[units]) == set(row.counties.split(","))
        if row.kind == "respiratory_cross_border":
            assert len(row.counties.split(",")) == 2


def test_outbreaks_show_as_excess_over_the_same_simulation_without_them(small, sim, truth):
    plain = simulate(small, START, END, seed=1, outbreaks=False)
    assert plain.outbreaks.empty and list(plain.outbreaks.columns) == list(sim.outbreaks.columns)
    base = plain.truth.copy()
    for column in ("unit", "syndrome", "age_group"):
        base[column] = base[column].astype(str)
    both = truth.merge(base, on=KEYS, suffixes=("", "_plain"))
    cases = sim.outbreak_cases.groupby(KEYS)["cases"].sum().reset_index()
    both = both.merge(cases, on=KEYS, how="left").fillna({"cases": 0})
    # Same seed: the baseline is identical and the difference is exactly the injected cases.
    assert (both["count"] - both["count_plain"] == both["cases"]).all()
    for row in sim.outbreaks.itertuples():
        window = both[both["unit"].isin(row.units.split(",")) & (both["syndrome"] == row.syndrome)
                      & both["date"].between(row.start, row.end)]
        if row.age_group != "all":
            window = window[window["age_group"] == row.age_group]
        assert window["count"].sum() > 1.5 * window["count_plain"].sum()


# --- deliveries -------------------------------------------------------------------------------


def test_partial_reports_are_revised_later_and_the_last_delivery_is_the_truth(sim):
    deliveries = sim.deliveries
    repeated = deliveries[deliveries.duplicated(KEYS, keep=False)]
    assert 0.02 < len(repeated) / len(deliveries) < 0.3
    first = repeated[repeated["revision"] == 0].set_index(KEYS).sort_index()
    final = repeated[repeated["revision"] == 1].set_index(KEYS).sort_index()
    assert first.index.equals(final.index)
    assert (final["delivered_on"] > first["delivered_on"]).all()
    assert ((final["delivered_on"] - first["delivered_on"]).dt.days <= 3).all()
    assert (first["count"] <= final["count"]).all() and (first["total"] <= final["total"]).all()
    assert (first["count"] != final["count"]).mean() > 0.2
    last = deliveries.sort_values("delivered_on", kind="stable").drop_duplicates(KEYS, keep="last")
    assert same_rows(last, sim.truth)
    assert same_rows(sim.known_on(pd.Timestamp(END) + pd.Timedelta(days=30)), sim.truth)


def same_rows(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Same keys with the same count and total, whatever the row order."""
    a, b = a.sort_values(KEYS), b.sort_values(KEYS)
    return len(a) == len(b) and all(
        np.array_equal(a[c].to_numpy(), b[c].to_numpy()) for c in [*KEYS, "count", "total"])


def test_most_reports_arrive_next_day_and_some_late(sim):
    firsts = sim.deliveries[sim.deliveries["revision"] == 0]
    delay = (firsts["delivered_on"] - firsts["date"]).dt.days
    assert delay.min() == 1
    assert 0.8 < (delay == 1).mean() < 0.99
    assert delay.max() >= 3
    assert sim.deliveries["delivered_on"].is_monotonic_increasing


def test_known_on_a_day_sees_only_what_had_arrived(sim):
    day = pd.Timestamp("2024-06-15")
    known = sim.known_on(day)
    assert known["date"].max() == day - pd.Timedelta(days=1)
    assert len(known) < len(sim.truth[sim.truth["date"] < day])  # late rows not yet in


def test_without_age_groups_rows_are_all_ages(small):
    sim = simulate(small, "2024-04-01", "2024-06-30", seed=2, age_groups=False)
    assert set(sim.truth["age_group"].astype(str)) == {"all"}
    assert set(sim.outbreaks["age_group"]) == {"all"}
    assert (sim.truth["count"] <= sim.truth["total"]).all()


def test_too_short_a_period_is_refused(small):
    with pytest.raises(SurveillanceError, match="at least 28 days"):
        simulate(small, "2024-01-01", "2024-01-10")


def test_default_period():
    assert default_period(3, "2025-11-30") == (date(2022, 12, 1), date(2025, 11, 30))
    start, end = default_period(1)
    assert end == clock.today() - timedelta(days=1) and (end - start).days in (364, 365)


# --- demo files -------------------------------------------------------------------------------


def test_demo_files_replay_into_the_deliveries(tmp_path, small, sim):
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "visits_1999-01-01.csv").write_text("stale")
    files = write_demo_files(small, sim, tmp_path)
    days = [f.delivered_on for f in files]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert days[-1] == (pd.Timestamp(END) + pd.Timedelta(days=1)).date()
    assert sorted(p.name for p in (tmp_path / "drop").iterdir()) == [f"visits_{d.isoformat()}.csv" for d in days]
    assert all(f.path.name == f"visits_{f.delivered_on.isoformat()}.csv" for f in files)

    first = pd.read_csv(files[0].path, dtype={"unit": str})
    assert list(first.columns) == ["date", "unit", "syndrome", "age_group", "count", "total"]
    replayed = pd.concat([pd.read_csv(f.path, dtype={"unit": str}, parse_dates=["date"]) for f in files])
    expected = sim.deliveries[sim.deliveries["delivered_on"] <= pd.Timestamp(END) + pd.Timedelta(days=1)]
    assert len(replayed) == len(expected)
    assert replayed["count"].sum() == expected["count"].sum()
    assert (replayed["unit"].to_numpy() == expected["unit"].astype(str).to_numpy()).all()

    regions = read_regions_file(tmp_path / "regions.csv", tmp_path / "boundaries.geojson")
    units = read_units_file(tmp_path / "units.csv")
    Hierarchy(regions, units)
    assert regions["boundary_geojson"].notna().all()
    assert "boundary_geojson" not in pd.read_csv(tmp_path / "regions.csv").columns
    collection = json.loads((tmp_path / "boundaries.geojson").read_text())
    assert {f["properties"]["code"] for f in collection["features"]} == set(small.regions["code"])
    outbreaks = pd.read_csv(tmp_path / "outbreaks.csv")
    assert len(outbreaks) == len(sim.outbreaks) and outbreaks["start"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    neighbours = pd.read_csv(tmp_path / "neighbours.csv", dtype=str)
    assert list(neighbours.columns) == ["region", "neighbour"] and len(neighbours) == len(small.neighbours)
    assert not list(tmp_path.glob("**/.*partial"))


def test_the_demo_stores_what_its_files_ingested_one_by_one_store(tmp_path, monkeypatch):
    """The demo replays its deliveries in runs; ingested one file at a time, in delivery order,
    the same files give the same observations, batches and quarantine."""
    import surveillance.ingest.replay as replay
    from surveillance.config import load_config
    from surveillance.ingest.pipeline import IngestContext, ingest_file
    from surveillance.store import open_store
    from surveillance.store.reference import load_configured_reference
    from surveillance.synthetic.demo import DELIVERY_TIME, FEED, build_demo

    taken_alone = []
    monkeypatch.setattr(replay, "ingest_file", lambda *a, **k: taken_alone.append(a[1]) or ingest_file(*a, **k))
    end = date(2026, 11, 20)
    build_demo(tmp_path / "demo" / "surveillance.duckdb", days=60, end=end, geography_options={"n_facilities": 30})
    assert taken_alone == []
    config = load_config(tmp_path / "demo" / "surveillance.toml")
    archive = sorted((tmp_path / "demo" / "drop" / "archive").glob("visits_*.csv"))
    assert len(archive) == 59
    with open_store(tmp_path / "alone.duckdb") as alone:
        load_configured_reference(alone, config)
        ctx = IngestContext.for_feed(config.feed(FEED), config, today=end)
        for path in archive:
            delivered_on = date.fromisoformat(path.stem.removeprefix("visits_"))
            assert ingest_file(alone, path, ctx, received_at=pd.Timestamp.combine(delivered_on, DELIVERY_TIME)
                               ).status == "loaded"
    contents = {}
    for name in ("demo/surveillance.duckdb", "alone.duckdb"):
        with open_store(tmp_path / name, read_only=True) as store:
            contents[name] = (
                store.con.execute("SELECT * FROM observations ORDER BY ALL").fetchall(),
                store.con.execute("SELECT * EXCLUDE (source, started_at, finished_at), parse_filename(source)"
                                  " FROM ingest_batches ORDER BY batch_id").fetchall(),
                store.con.execute("SELECT count(*) FROM quarantine").fetchall(),
            )
    observations, batches, quarantined = contents["demo/surveillance.duckdb"]
    assert (observations, batches, quarantined) == contents["alone.duckdb"]
    assert len(batches) == 59 and any(row[6] > 1 for row in observations)  # revisions among them
