"""A synthetic but plausible geography for the demo and the benchmarks.

An irregular outline somewhere in central-eastern China is cut into counties by Voronoi
cells of scattered county seats; contiguous counties are grouped into cities (and, at
national scale, cities into provinces). Places get pinyin-style names with their Chinese (沙山县 for Shashan County), six-digit
administrative-division-style codes and populations; at city scale each county gets
hospitals, township or community health centres and village clinics placed inside it.

Everything is computed in a flat kilometre plane around the area's centre and turned
into longitude/latitude at the end. Nothing here reads a file or the clock: the same
seed gives the same geography.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.cluster.vq import kmeans2

from ..errors import SurveillanceError
from ..regions import REGION_COLUMNS, UNIT_COLUMNS, Hierarchy, neighbours_from_boundaries
from .shapes import inside_points, irregular_outline, projection, relax, sample_points, touching, voronoi_partition



@dataclass(frozen=True)
class Scale:
    n_provinces: int
    n_cities: int
    n_counties: int
    n_facilities: int  # ignored when counties report as single units (0: three per county)
    county_units: bool  # each county reports as one unit (kind "county")
    km2_per_county: float


SCALES = {
    # One province of two cities: ten districts and counties, ~300 facilities.
    "city": Scale(n_provinces=1, n_cities=2, n_counties=10, n_facilities=300, county_units=False,
                  km2_per_county=2_200),
    # A country-sized set for benchmarks: ~31 provinces, ~330 cities, ~3,000 counties.
    "national": Scale(n_provinces=31, n_cities=330, n_counties=3_000, n_facilities=0, county_units=True,
                      km2_per_county=3_000),
}

# Real two-digit province prefixes, so codes look like GB/T 2260 codes (the places are not real).
PROVINCE_PREFIXES = ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
                     "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"]
CITY_SCALE_PROVINCE = "32"

FIRST_SYLLABLES = (
    "An Bai Bao Bei Bi Chang Chen Cheng Chong Da Dan Dong Feng Fu Gao Gu Guang Gui Hai Han He Heng Hong Hua "
    "Huai Huang Hui Jia Jian Jiang Jin Jing Kai Lan Le Li Lian Lin Ling Long Lu Luo Mei Ming Nan Ning Pan Ping "
    "Pu Qi Qian Qing Quan Rui Sha Shan Shang Shi Shou Shu Song Tai Tang Tao Tian Tong Wan Wei Wen Wu Xi Xia "
    "Xian Xiang Xin Xing Xu Yan Yang Yi Ying Yong You Yu Yuan Yun Ze Zhang Zhao Zhen Zhong Zhou Zi"
).split()
SECOND_SYLLABLES = (
    "an ba bei bin chang cheng chi chuan dian ding dong du feng fu gang gou guan he heng hu hua jiang jiao jing "
    "kang kou lin ling long men ming nan ning ping pu qiao qing quan shan shi shui tai tan tang tian ting tou "
    "wan xi xia xian xing yang yao yi yuan yun zhai zhou zhuang"
).split()

HOSPITAL_NAMES = ["People's Hospital", "Hospital of Traditional Chinese Medicine",
                  "Maternal and Child Health Hospital", "Second People's Hospital"]

# The characters the syllables are written with, in the first and in the second place of a name: each
# pinyin name has one Chinese name (沙山 for Shashan), and different names stay different.
FIRST_HANZI = dict(zip(FIRST_SYLLABLES,
    "安白宝北碧长辰城崇大丹东丰福高古广桂海汉河衡洪华淮黄惠嘉建江金靖开兰乐丽连临灵龙鹿洛梅明南宁磐平浦祁千青泉瑞"
    "沙山商石寿舒松泰唐桃天通万渭文武西夏仙湘新兴许延阳宜英永攸玉元云泽章昭贞中周资", strict=True))
SECOND_HANZI = dict(zip(SECOND_SYLLABLES,
    "安坝北滨昌城池川店定东都峰府港沟关河横湖华江角井康口林陵隆门明南宁平埔桥清泉山石水台潭塘田亭头湾溪峡贤兴阳"
    "窑邑源云寨州庄", strict=True))
HANZI = {first + ("'" if second[0] in "aeo" else "") + second: FIRST_HANZI[first] + SECOND_HANZI[second]
         for first, second in itertools.product(FIRST_SYLLABLES, SECOND_SYLLABLES)}
HOSPITAL_NAMES_ZH = ["人民医院", "中医医院", "妇幼保健院", "第二人民医院"]


@dataclass(frozen=True)
class Geography:
    """Regions (with boundaries), reporting units, neighbours and the outline of the whole area."""

    regions: pd.DataFrame  # code, name, level, parent, population, lat, lon, boundary_geojson
    units: pd.DataFrame  # code, name, county, kind, lat, lon
    neighbours: pd.DataFrame  # region, neighbour: same level, sharing a border; both ways round
    outline: shapely.Geometry  # lon/lat outline of the whole area (the province at city scale)
    scale: str = "city"

    def hierarchy(self) -> Hierarchy:
        return Hierarchy(self.regions, self.units)


def build_geography(
    scale: str = "city",
    seed: int = 0,
    *,
    n_cities: int | None = None,
    n_counties: int | None = None,
    n_facilities: int | None = None,
    facility_units: bool | None = None,
) -> Geography:
    """A synthetic province (``"city"``) or country (``"national"``) for demos and benchmarks.

    The counts can be overridden to make small test geographies; cities then default to
    about five counties each (city scale) or ten (national scale). ``facility_units``: facilities
    (at least three a county on average) report instead of whole counties; the default is the scale's
    (facilities at city scale, counties at national scale).
    """
    if scale not in SCALES:
        raise SurveillanceError(f"unknown scale {scale!r}; valid scales: {', '.join(SCALES)}")
    spec = SCALES[scale]
    counties_wanted = n_counties or spec.n_counties
    per_city = spec.n_counties / spec.n_cities
    cities_wanted = n_cities or (spec.n_cities if n_counties is None else max(1, round(counties_wanted / per_city)))
    provinces_wanted = min(spec.n_provinces, cities_wanted)
    if counties_wanted < cities_wanted or counties_wanted < 1:
        raise SurveillanceError(
            f"need at least one county per city; got {counties_wanted} counties, {cities_wanted} cities")
    rng = np.random.default_rng([seed, 2260])  # 2260: the national standard for division codes

    if scale == "city":
        lat0, lon0, aspect, gradient = rng.uniform(28.5, 31.5), rng.uniform(113.0, 117.0), 1.2, 0.3
    else:
        lat0, lon0, aspect, gradient = 34.0, 107.0, 1.45, 1.2  # denser in the east, as in China
    outline = irregular_outline(rng, counties_wanted * spec.km2_per_county, aspect, 180 if scale == "national" else 72)
    seeds = sample_points(outline, counties_wanted, rng, east_gradient=gradient)
    seeds = relax(seeds, outline, steps=2, blend=0.6)
    county_shapes = voronoi_partition(outline, seeds)
    county_xy = inside_points(county_shapes)
    adjacency = touching(county_shapes)

    # Group counties into provinces, then each province's counties into cities.
    province_of, _ = _contiguous_groups(county_xy, adjacency, np.arange(counties_wanted), provinces_wanted, rng)
    cities_per_province = _apportion(np.bincount(province_of, minlength=provinces_wanted), cities_wanted)
    city_of = np.zeros(counties_wanted, dtype=int)
    city_seat: list[int] = []  # the county each city is centred on
    for p in range(provinces_wanted):
        members = np.flatnonzero(province_of == p)
        groups, seats = _contiguous_groups(county_xy, adjacency, members, cities_per_province[p], rng)
        city_of[members] = groups + len(city_seat)
        city_seat.extend(int(seat) for seat in seats)

    names = _name_pool(rng)
    regions, county_codes = _region_table(
        rng, names, outline, county_shapes, county_xy, province_of, city_of, city_seat, scale, gradient
    )
    if spec.county_units if facility_units is None else not facility_units:
        county_names = regions.set_index("code")[["name", "name_zh"]].loc[county_codes]
        units = pd.DataFrame({"code": county_codes, "name": county_names["name"].to_numpy(),
                              "name_zh": county_names["name_zh"].to_numpy(), "county": county_codes, "kind": "county", "x": county_xy[:, 0], "y": county_xy[:, 1]})
    else:
        units = _facilities(rng, names, regions, county_shapes, county_xy, county_codes,
                            n_facilities or spec.n_facilities)

    to_lonlat = projection(lat0, lon0)
    regions["geometry"] = to_lonlat(regions["geometry"].to_numpy())
    inside = to_lonlat(shapely.points(regions[["x", "y"]].to_numpy()))
    regions["lon"], regions["lat"] = shapely.get_x(inside), shapely.get_y(inside)
    unit_points = to_lonlat(shapely.points(units[["x", "y"]].to_numpy()))
    units["lon"], units["lat"] = shapely.get_x(unit_points), shapely.get_y(unit_points)
    regions["boundary_geojson"] = shapely.to_geojson(regions["geometry"].to_numpy())
    neighbours = neighbours_from_boundaries(regions)
    regions["name_en"], units["name_en"] = regions["name"], units["name"]
    regions = regions[REGION_COLUMNS].reset_index(drop=True)
    units = units[UNIT_COLUMNS].sort_values("code").reset_index(drop=True)
    Hierarchy(regions, units)  # the generator must produce what the loader accepts
    return Geography(regions=regions, units=units, neighbours=neighbours, outline=to_lonlat(np.array([outline]))[0],
                     scale=scale)


# --- grouping counties into cities and provinces --------------------------------------------


def _contiguous_groups(xy, adjacency, members, n_groups, rng) -> tuple[np.ndarray, np.ndarray]:
    """Split ``members`` into n contiguous groups grown from spread-out seats.

    Each group starts at one county and claims neighbouring counties nearest to its seat
    first (a Voronoi diagram on the adjacency graph), so every group is connected.
    Returns the group (0..n-1) of each member and the seat county of each group.
    """
    members = np.asarray(members)
    if n_groups >= len(members):
        return np.arange(len(members)), members.copy()
    centres, _ = kmeans2(xy[members], n_groups, minit="++", rng=rng)
    seats: list[int] = []
    for centre in centres:  # the nearest member not yet a seat
        order = np.argsort(np.hypot(*(xy[members] - centre).T))
        seats.append(int(next(m for m in members[order] if m not in seats)))
    position = {int(m): i for i, m in enumerate(members)}
    group_of = np.full(len(members), -1)
    heap = [(0.0, seat, g) for g, seat in enumerate(seats)]
    while heap:
        _, county, g = heapq.heappop(heap)
        if group_of[position[county]] >= 0:
            continue
        group_of[position[county]] = g
        for nb in adjacency[county]:
            if nb in position and group_of[position[nb]] < 0:
                heapq.heappush(heap, (float(np.hypot(*(xy[nb] - xy[seats[g]]))), nb, g))
    stranded = np.flatnonzero(group_of < 0)  # only if the adjacency graph is disconnected
    for i in stranded:
        group_of[i] = int(np.argmin(np.hypot(*(xy[seats] - xy[members[i]]).T)))
    return group_of, np.array(seats)


def _apportion(weights: np.ndarray, total: int) -> np.ndarray:
    """Largest-remainder split of ``total`` in proportion to weights, at least 1 and at most weight each."""
    share = weights / weights.sum() * total
    out = np.clip(np.floor(share).astype(int), 1, weights)
    while out.sum() < total:
        room = np.flatnonzero(out < weights)
        out[room[np.argmax((share - out)[room])]] += 1
    while out.sum() > total:
        room = np.flatnonzero(out > 1)
        out[room[np.argmin((share - out)[room])]] -= 1
    return out


# --- names, codes, populations ------------------------------------------------------------


def _name_pool(rng) -> list[str]:
    """Unique two-syllable pinyin names in random order (with the apostrophe of Xi'an where needed)."""
    names = [first + ("'" if second[0] in "aeo" else "") + second
             for first, second in itertools.product(FIRST_SYLLABLES, SECOND_SYLLABLES)
             if first.lower() != second]
    return [names[i] for i in rng.permutation(len(names))]


def _region_table(rng, names, outline, county_shapes, county_xy, province_of, city_of, city_seat, scale, gradient):
    n_provinces, n_cities = province_of.max() + 1, city_of.max() + 1
    half_width = (outline.bounds[2] - outline.bounds[0]) / 2
    population = np.exp(rng.normal(np.log(520_000), 0.42, len(county_shapes)))
    population *= np.exp(0.25 * gradient * county_xy[:, 0] / half_width)  # busier east
    # Cities' central districts: the seat county and the nearest others, about a third.
    is_district = np.zeros(len(county_shapes), dtype=bool)
    for c in range(n_cities):
        members = np.flatnonzero(city_of == c)
        seat_xy = county_xy[city_seat[c]]
        n_districts = int(np.clip(round(len(members) * 0.3), 1, 6))
        is_district[members[np.argsort(np.hypot(*(county_xy[members] - seat_xy).T))[:n_districts]]] = True
    population = np.clip(np.where(is_district, 1.3, 1.0) * population, 200_000, 1_500_000).round(-2).astype(int)

    # Codes: provinces in a stable geographic order, cities by size, districts 02.., counties 21...
    prov_xy = np.array([county_xy[province_of == p].mean(axis=0) for p in range(n_provinces)])
    prov_order = np.lexsort((prov_xy[:, 0], -np.round(prov_xy[:, 1] / 300)))
    prefixes = [CITY_SCALE_PROVINCE] if scale == "city" and n_provinces == 1 else PROVINCE_PREFIXES
    if n_provinces > len(prefixes):
        raise SurveillanceError(f"at most {len(prefixes)} provinces can be coded, not {n_provinces}")
    prov_code = {int(p): prefixes[i] + "0000" for i, p in enumerate(prov_order)}
    city_code, county_code = {}, np.empty(len(county_shapes), dtype=object)
    for p in range(n_provinces):
        cities = np.unique(city_of[province_of == p])
        city_pop = np.array([population[city_of == c].sum() for c in cities])
        for rank, c in enumerate(cities[np.argsort(-city_pop, kind="stable")]):
            city_code[c] = prov_code[p][:2] + f"{rank + 1:02d}00"
            members = np.flatnonzero(city_of == c)
            members = members[np.argsort(np.hypot(*(county_xy[members] - county_xy[city_seat[c]]).T))]
            districts, counties = members[is_district[members]], members[~is_district[members]]
            if len(districts) > 18 or len(counties) > 59:
                raise SurveillanceError(f"too many counties in city {city_code[c]} for two-digit codes")
            for k, m in enumerate(districts):
                county_code[m] = city_code[c][:4] + f"{k + 2:02d}"
            for k, m in enumerate(counties):
                county_code[m] = city_code[c][:4] + f"{k + 21:02d}"

    take = iter(names)
    rows = []
    for p in range(n_provinces):
        shape = outline if n_provinces == 1 else shapely.union_all(county_shapes[province_of == p])
        name = next(take)
        rows.append((prov_code[p], f"{name} Province", f"{HANZI[name]}省", "province", None,
                     population[province_of == p].sum(), shape))
    for c in range(n_cities):
        p, name = province_of[city_of == c][0], next(take)
        rows.append((city_code[c], f"{name} City", f"{HANZI[name]}市", "city", prov_code[p],
                     population[city_of == c].sum(), shapely.union_all(county_shapes[city_of == c])))
    for m in range(len(county_shapes)):
        name = next(take)
        rows.append((county_code[m], f"{name} {'District' if is_district[m] else 'County'}",
                     HANZI[name] + ("区" if is_district[m] else "县"), "county",
                     city_code[city_of[m]], population[m], county_shapes[m]))
    regions = pd.DataFrame(rows, columns=["code", "name", "name_zh", "level", "parent", "population", "geometry"])
    regions["population"] = regions["population"].astype("int64")
    xy = inside_points(regions["geometry"].to_numpy())
    regions["x"], regions["y"] = np.nan, np.nan
    regions.loc[regions["level"] == "county", ["x", "y"]] = county_xy
    regions.loc[regions["level"] != "county", ["x", "y"]] = xy[(regions["level"] != "county").to_numpy()]
    regions = regions.sort_values("code").reset_index(drop=True)
    return regions, county_code


# --- reporting facilities -------------------------------------------------------------------


def _facilities(rng, names, regions, county_shapes, county_xy, county_codes, n_facilities) -> pd.DataFrame:
    """Hospitals near the county seat, health centres spread out, village clinics around the centres."""
    counties = regions[regions["level"] == "county"].set_index("code")
    population = counties.loc[county_codes, "population"].to_numpy(dtype=float)
    per_county = _apportion(population**0.8, max(n_facilities, 3 * len(county_codes)))
    per_county = np.minimum(per_county, 999)
    used = set(regions["name"].str.rsplit(" ", n=1).str[0])
    # Village names repeat from county to county in a country-sized set (there are a few thousand
    # two-syllable names); within a county (at most 999 units) they stay different.
    pool = itertools.cycle([n for n in names if n not in used])
    rows = []
    for m, code in enumerate(county_codes):
        # Keep facilities 50 m clear of the border, so rounding never moves one across it.
        shape, n = county_shapes[m].buffer(-0.05), int(per_county[m])
        county_name, county_zh = counties.at[code, "name"], counties.at[code, "name_zh"]
        urban = county_name.endswith("District")
        n_hospitals = int(np.clip(round(n * 0.08), 1, 4))
        n_centres = int(np.clip(round(n * 0.35), 1, n - n_hospitals)) if n > n_hospitals else 0
        n_clinics = n - n_hospitals - n_centres
        hospitals = _points_near(shape, np.repeat(county_xy[m:m + 1], n_hospitals, axis=0), 2.0, rng)
        centres = sample_points(shape, n_centres, rng)
        around = centres[rng.integers(0, max(n_centres, 1), n_clinics)] if n_centres else county_xy[[m] * n_clinics]
        clinics = _points_near(shape, around, 3.0, rng)
        entries = [(f"{county_name} {HOSPITAL_NAMES[k]}", county_zh + HOSPITAL_NAMES_ZH[k], "hospital")
                   for k in range(n_hospitals)]
        entries += [_centre(next(pool), urban) for _ in range(n_centres)]
        entries += [_clinic(next(pool), urban) for _ in range(n_clinics)]
        xy = np.vstack([hospitals, centres.reshape(-1, 2), clinics.reshape(-1, 2)])
        for k, ((name, name_zh, kind), (x, y)) in enumerate(zip(entries, xy)):
            rows.append((f"F{code}{k + 1:03d}", name, name_zh, code, kind, x, y))
    return pd.DataFrame(rows, columns=["code", "name", "name_zh", "county", "kind", "x", "y"])


def _centre(place: str, urban: bool) -> tuple[str, str, str]:
    """A community health service centre (in a district) or a township health centre, in both languages."""
    if urban:
        return f"{place} Community Health Service Centre", f"{HANZI[place]}社区卫生服务中心", "community_health_centre"
    return f"{place} Township Health Centre", f"{HANZI[place]}镇卫生院", "township_health_centre"


def _clinic(place: str, urban: bool) -> tuple[str, str, str]:
    """A community health station (in a district) or a village clinic, in both languages."""
    if urban:
        return f"{place} Community Clinic", f"{HANZI[place]}社区卫生服务站", "clinic"
    return f"{place} Village Clinic", f"{HANZI[place]}村卫生室", "clinic"


def _points_near(shape, centres: np.ndarray, spread_km: float, rng) -> np.ndarray:
    """One point scattered around each centre, redrawn until it falls inside ``shape``."""
    points = centres + rng.normal(0, spread_km, centres.shape)
    for attempt in range(50):
        outside = ~shapely.contains_xy(shape, points[:, 0], points[:, 1])
        if not outside.any():
            return points
        scale = spread_km * 0.8**attempt
        points[outside] = centres[outside] + rng.normal(0, scale, (outside.sum(), 2))
    outside = ~shapely.contains_xy(shape, points[:, 0], points[:, 1])
    points[outside] = sample_points(shape, int(outside.sum()), rng)
    return points
