"""The region hierarchy, neighbours from boundaries, distances."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from surveillance.errors import SurveillanceError, UnknownName
from surveillance.regions import (
    Hierarchy,
    distance_matrix_km,
    haversine_km,
    nearest_neighbours,
    neighbours_from_boundaries,
)

REGIONS = pd.DataFrame(
    [
        ("320000", "Jiangnan Province", "province", None),
        ("320100", "Lincheng City", "city", "320000"),
        ("320200", "Hexi City", "city", "320000"),
        ("320102", "Dongcheng District", "county", "320100"),
        ("320103", "Xicheng District", "county", "320100"),
        ("320221", "Qinghe County", "county", "320200"),
        ("330000", "Zhebei Province", "province", None),
        ("330100", "Hucheng City", "city", "330000"),
        ("330102", "Shangcheng District", "county", "330100"),
    ],
    columns=["code", "name", "level", "parent"],
)
UNITS = pd.DataFrame(
    [
        ("F320102001", "Dongcheng People's Hospital", "320102", "hospital"),
        ("F320102002", "Dongcheng Clinic", "320102", "clinic"),
        ("F320103001", "Xicheng Hospital", "320103", "hospital"),
        ("F320221001", "Qinghe Township Health Centre", "320221", "township_health_centre"),
        ("330102", "Shangcheng District", "330102", "county"),  # a county reporting as one unit
    ],
    columns=["code", "name", "county", "kind"],
)


@pytest.fixture
def hierarchy() -> Hierarchy:
    return Hierarchy(REGIONS, UNITS)


def test_unit_to_level_maps_every_unit(hierarchy):
    assert hierarchy.unit_to_level("county").to_dict() == {
        "F320102001": "320102", "F320102002": "320102", "F320103001": "320103",
        "F320221001": "320221", "330102": "330102",
    }
    assert hierarchy.unit_to_level("city").tolist() == ["320100", "320100", "320100", "320200", "330100"]
    assert hierarchy.unit_to_level("province").tolist() == ["320000"] * 4 + ["330000"]
    assert hierarchy.unit_to_level("facility").tolist() == UNITS["code"].tolist()
    table = hierarchy.unit_regions()
    assert list(table.columns) == ["unit", "facility", "county", "city", "province"]
    with pytest.raises(UnknownName, match="district"):
        hierarchy.unit_to_level("district")


def test_region_to_level_and_regions_at(hierarchy):
    to_city = hierarchy.region_to_level("city")
    assert to_city["320103"] == "320100" and to_city["320100"] == "320100"
    assert "320000" not in to_city.index  # provinces are above the city level
    assert hierarchy.regions_at("county")["code"].tolist() == ["320102", "320103", "320221", "330102"]
    assert len(hierarchy.regions_at("facility")) == len(UNITS)


def test_walking_the_tree(hierarchy):
    assert hierarchy.ancestors("F320102002") == ["320102", "320100", "320000"]
    assert hierarchy.ancestors("320221") == ["320200", "320000"]
    assert hierarchy.ancestors("320000") == []
    assert hierarchy.children("320000") == ["320100", "320200"]
    assert hierarchy.children("320102") == ["F320102001", "F320102002"]
    assert hierarchy.children("F320102001") == []
    assert hierarchy.descendants("320100") == ["320102", "320103", "F320102001", "F320102002", "F320103001"]
    assert hierarchy.descendants("320000", include_units=False) == ["320100", "320200", "320102", "320103", "320221"]
    assert hierarchy.descendants("330000") == ["330100", "330102"]  # the county's own unit is not repeated
    assert hierarchy.level_of("330102") == "county"
    assert hierarchy.level_of("F320221001") == "facility"
    assert hierarchy.parent("F320221001") == "320221"
    assert "F320221001" in hierarchy and "999999" not in hierarchy
    with pytest.raises(UnknownName, match="999999"):
        hierarchy.ancestors("999999")


def test_mapping_is_vectorised_over_many_units():
    many = pd.DataFrame({"code": [f"F320102{i:05d}" for i in range(50_000)], "name": "clinic",
                         "county": np.where(np.arange(50_000) % 2, "320102", "320221")})
    mapping = Hierarchy(REGIONS, many).unit_to_level("city")
    assert (mapping.iloc[1::2] == "320100").all() and (mapping.iloc[::2] == "320200").all()


def _with(row: tuple, *, drop: str | None = None) -> pd.DataFrame:
    regions = REGIONS[REGIONS["code"] != drop] if drop else REGIONS
    return pd.concat([regions, pd.DataFrame([row], columns=REGIONS.columns)], ignore_index=True)


@pytest.mark.parametrize(
    "regions, message",
    [
        (_with(("320104", "Nancheng District", "county", "329900")),
         "region 320104 (county) has unknown parent 329900"),
        (_with(("320104", "Nancheng District", "county", "320000")),
         "region 320104 is a county but its parent 320000 is a province, not a city"),
        (_with(("320300", "Lost City", "city", None)), "region 320300 is a city without a parent province"),
        (_with(("340000", "Anbei Province", "province", "320000")), "province 340000 has parent 320000"),
        (_with(("320102", "Dongcheng Again", "county", "320100")), "region 320102 appears 2 times"),
        (_with(("320104", "Nancheng", "district", "320100")), "region 320104 has unknown level 'district'"),
        (_with(("320000", "Jiangnan Province", "province", "320102"), drop="320000"),
         "region 320000 is its own ancestor: 320000 -> 320102 -> 320100 -> 320000"),
        (_with(("320105", "Loop District", "county", "320105")), "region 320105 is its own ancestor"),
        (REGIONS.drop(columns=["level"]), "regions table lacks column(s) level"),
    ],
)
def test_region_problems_are_named(regions, message):
    with pytest.raises(SurveillanceError) as caught:
        Hierarchy(regions, UNITS)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "unit, message",
    [
        (("F1", "Somewhere", "329999", "clinic"), "unit F1 is in unknown county 329999"),
        (("F1", "Somewhere", "320100", "clinic"), "unit F1 is placed in 320100, which is a city, not a county"),
        (("F1", "Somewhere", None, "clinic"), "unit F1 has no county"),
        (("F320102001", "Twice", "320102", "clinic"), "unit F320102001 appears 2 times"),
        (("320103", "Not mine", "320102", "county"), "unit code 320103 is also the code of a region"),
    ],
)
def test_unit_problems_are_named(unit, message):
    units = pd.concat([UNITS, pd.DataFrame([unit], columns=UNITS.columns)], ignore_index=True)
    with pytest.raises(SurveillanceError, match=message.replace("(", r"\(")):
        Hierarchy(REGIONS, units)


def test_several_problems_say_how_many_more():
    bad = pd.concat([UNITS, pd.DataFrame([("F1", "a", "399999", "clinic"), ("F2", "b", "399998", "clinic")],
                                         columns=UNITS.columns)])
    with pytest.raises(SurveillanceError, match=r"unit F1 is in unknown county 399999 \(and 1 more"):
        Hierarchy(REGIONS, bad)


def _square(x: float, y: float, size: float = 1.0) -> str:
    return shapely.to_geojson(shapely.box(x, y, x + size, y + size))


def test_neighbours_share_a_border_not_a_corner():
    # A 2 x 2 grid of counties: A B / C D. A and D touch only at a corner.
    regions = pd.DataFrame({
        "code": ["A", "B", "C", "D", "P"],
        "level": ["county"] * 4 + ["city"],
        "boundary_geojson": [_square(0, 1), _square(1, 1), _square(0, 0), _square(1, 0), _square(2, 0)],
    })
    pairs = neighbours_from_boundaries(regions)
    assert set(map(tuple, pairs.to_numpy())) == {
        ("A", "B"), ("B", "A"), ("A", "C"), ("C", "A"), ("B", "D"), ("D", "B"), ("C", "D"), ("D", "C"),
    }  # P touches B and D but is a city: levels are not mixed


def test_neighbours_across_a_sliver_need_a_tolerance():
    regions = pd.DataFrame({"code": ["A", "B", "C"], "level": "county",
                            "boundary_geojson": [_square(0, 0), _square(1.0005, 0), None]})
    assert neighbours_from_boundaries(regions).empty
    assert len(neighbours_from_boundaries(regions, tolerance=0.001)) == 2


def test_neighbours_from_multipolygons():
    islands = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(5, 0, 6, 1)])
    regions = pd.DataFrame({"code": ["A", "B"], "level": "county",
                            "boundary_geojson": [json.dumps(shapely.geometry.mapping(islands)), _square(6, 0)]})
    assert neighbours_from_boundaries(regions).to_numpy().tolist() == [["A", "B"], ["B", "A"]]


def test_haversine_known_distance():
    beijing, shanghai = (39.9042, 116.4074), (31.2304, 121.4737)
    assert haversine_km(*beijing, *shanghai) == pytest.approx(1067, abs=5)
    assert haversine_km(30.0, 114.0, 30.0, 114.0) == 0.0
    # One degree of latitude is about 111 km anywhere.
    one_degree = haversine_km(np.array([0.0, 60.0]), 10.0, np.array([1.0, 61.0]), 10.0)
    assert one_degree == pytest.approx([111.2, 111.2], abs=0.2)


def test_distance_matrix_and_nearest_neighbours():
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(29, 31, 200), rng.uniform(113, 116, 200)
    matrix = distance_matrix_km(lat, lon)
    assert matrix.shape == (200, 200)
    assert np.allclose(matrix, matrix.T) and np.all(np.diag(matrix) == 0)
    index, distance = nearest_neighbours(lat, lon, 5)
    assert (index[:, 0] == np.arange(200)).all() and (distance[:, 0] == 0).all()
    assert (np.diff(distance, axis=1) >= 0).all()
    brute = np.argsort(matrix, axis=1, kind="stable")[:, :5]
    assert np.allclose(np.take_along_axis(matrix, brute, axis=1), distance)
    others, _ = nearest_neighbours(lat, lon, 3, include_self=False)
    assert (others != np.arange(200)[:, None]).all()
    assert (others == index[:, 1:4]).all()
    capped, _ = nearest_neighbours(lat[:4], lon[:4], 10)
    assert capped.shape == (4, 4)
    with pytest.raises(ValueError):
        nearest_neighbours(lat, lon, 0)
