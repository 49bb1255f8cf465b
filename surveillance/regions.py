"""The region hierarchy, neighbouring regions and distances.

Regions form a strict hierarchy, province -> city -> county, and every reporting unit
(a facility, or a county reporting as one unit) belongs to one county. ``Hierarchy``
checks that structure once and then answers "which county, city and province is this
unit in?" for whole tables at a time.

Neighbours come from boundaries (regions sharing a stretch of border, not just a
corner); distances between points are great-circle distances in kilometres.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import SurveillanceError, UnknownName
from .vocabulary import PANEL_LEVELS, REGION_LEVELS, place_name

REGION_COLUMNS = ["code", "name", "name_en", "name_zh", "level", "parent", "population", "lat", "lon",
                  "boundary_geojson"]
UNIT_COLUMNS = ["code", "name", "name_en", "name_zh", "county", "kind", "lat", "lon"]
NAME_COLUMNS = ("name_en", "name_zh")  # a place's name in each language (see with_names)
EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)

# The level each level's parent must have; provinces have no parent.
PARENT_LEVEL = {"province": None, "city": "province", "county": "city"}


class Hierarchy:
    """Regions (province, city, county) and the reporting units in the counties.

    Built from a regions table (``code, name, level, parent, ...``) and a units table
    (``code, name, county, ...``). A problem in either raises ``SurveillanceError`` with
    one line naming the offending code. A unit may carry its county's own code when the
    county reports as a single unit.
    """

    def __init__(self, regions: pd.DataFrame, units: pd.DataFrame | None = None) -> None:
        self.regions = _clean_regions(regions)
        self.units = _clean_units(units)
        _check_regions(self.regions)
        _check_units(self.units, self.regions)
        parent = self.regions.set_index("code")["parent"]
        level = self.regions.set_index("code")["level"]
        self._parent = parent
        self._parent_of = {c: (p if isinstance(p, str) else None) for c, p in parent.items()}
        self._level = level
        # Each region's ancestor at every level (itself at its own level, None below it).
        ancestors = pd.DataFrame(index=self.regions["code"].to_numpy())
        ancestors["county"] = np.where(level == "county", level.index, None)
        ancestors["city"] = np.where(level == "city", level.index, ancestors["county"].map(parent))
        ancestors["province"] = np.where(level == "province", level.index, ancestors["city"].map(parent))
        self._region_ancestors = ancestors.astype(object).where(ancestors.notna(), None)
        # Every unit with its facility, county, city and province, like the store's unit_regions.
        unit_regions = pd.DataFrame({"unit": self.units["code"], "facility": self.units["code"],
                                     "county": self.units["county"]})
        unit_regions["city"] = unit_regions["county"].map(parent)
        unit_regions["province"] = unit_regions["city"].map(parent)
        self._unit_regions = unit_regions.set_index("unit", drop=False)
        self._parents = {**self._parent_of, **dict(zip(self.units["code"], self.units["county"]))}

    # --- levels and lookups -------------------------------------------------------------

    def level_of(self, code: str) -> str:
        """``province``, ``city``, ``county`` or ``facility``; a region code wins over a unit code."""
        if code in self._level.index:
            return self._level[code]
        if code in self._unit_regions.index:
            return "facility"
        raise UnknownName(f"unknown region or unit {code!r}")

    def __contains__(self, code: object) -> bool:
        return code in self._level.index or code in self._unit_regions.index

    def regions_at(self, level: str) -> pd.DataFrame:
        """The rows of the regions table at ``level`` (the units table for ``facility``)."""
        _check_level(level, PANEL_LEVELS)
        if level == "facility":
            return self.units.reset_index(drop=True)
        return self.regions[self.regions["level"] == level].reset_index(drop=True)

    def unit_regions(self) -> pd.DataFrame:
        """Every unit with its ``facility, county, city, province`` codes, one row per unit."""
        return self._unit_regions.reset_index(drop=True)

    def unit_to_level(self, level: str) -> pd.Series:
        """Unit code -> the code of its ancestor at ``level`` (the unit itself at ``facility``)."""
        _check_level(level, PANEL_LEVELS)
        return self._unit_regions[level].rename(level).rename_axis("unit")

    def region_to_level(self, level: str) -> pd.Series:
        """Region code -> its ancestor at ``level``, for regions at or below that level."""
        _check_level(level, REGION_LEVELS)
        mapping = self._region_ancestors[level]
        return mapping[mapping.notna()].rename(level).rename_axis("region")

    # --- walking the tree ---------------------------------------------------------------

    def parent(self, code: str) -> str | None:
        """The region directly above ``code`` (a unit's county); None for a province."""
        level = self.level_of(code)
        if level == "facility":
            return self._unit_regions.at[code, "county"]
        return self._parent_of[code]

    def parents(self, codes) -> list[str | None]:
        """:meth:`parent` of many codes at once (None for a province or an unknown code)."""
        return [self._parents.get(c) for c in codes]

    def ancestors(self, code: str) -> list[str]:
        """The regions above ``code``, nearest first (county, city, province for a facility)."""
        chain, current = [], self.parent(code)
        while current is not None:
            chain.append(current)
            current = self._parent_of[current]
        return chain

    def lineage(self, code: str) -> set[str]:
        """``code`` and every region above it; just ``code`` when it is not in the hierarchy (a feed)."""
        return {code, *self.ancestors(code)} if code in self else {code}

    def names(self, lang: str | None = None) -> dict[str, str]:
        """The name of every region and unit by code, in ``lang`` (the other language's name where a place
        has none in it; without ``lang`` the ``name`` column, English first)."""
        names = _names_in(self.units, lang) if len(self.units) else {}
        names.update(_names_in(self.regions, lang))
        return names

    def children(self, code: str) -> list[str]:
        """Regions (or, for a county, units) directly below ``code``, sorted by code."""
        level = self.level_of(code)
        if level == "facility":
            return []
        if level == "county":
            units = self.units["code"][self.units["county"] == code]
            return sorted(units.tolist())
        return sorted(self._parent.index[self._parent == code].tolist())

    def descendants(self, code: str, *, include_units: bool = True) -> list[str]:
        """Everything below ``code``, coarsest level first, then by code; ``code`` not included."""
        level = self.level_of(code)
        if level == "facility":
            return []
        below = []
        for lower in REGION_LEVELS[REGION_LEVELS.index(level) + 1:]:
            codes = self._region_ancestors.index[
                (self._region_ancestors[level] == code) & (self._level == lower).to_numpy()
            ]
            below.extend(sorted(codes))
        if include_units:
            units = self._unit_regions["unit"][self._unit_regions[level] == code]
            below.extend(sorted(set(units) - {code}))
        return list(dict.fromkeys(below))


def _check_level(level: str, valid) -> None:
    if level not in valid:
        raise UnknownName(f"unknown region level {level!r}; valid levels: {', '.join(valid)}")


def _as_code(values: pd.Series) -> pd.Series:
    """Codes as strings with missing values as None (so "" and NaN both mean missing)."""
    text = values.astype("string").str.strip()
    text = text.mask(text == "")
    return text.astype(object).where(text.notna(), None)


def with_names(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``name_en``, ``name_zh`` and ``name`` (the English name, else the Chinese one, else the
    code). A ``name`` column alone is the English name, as in files written before places had two names."""
    out = frame.copy()
    if "name_en" not in out.columns:
        out["name_en"] = out["name"] if "name" in out.columns else None
    if "name_zh" not in out.columns:
        out["name_zh"] = None
    for column in NAME_COLUMNS:
        out[column] = _as_code(out[column])
    fallback = out["name_en"].where(out["name_en"].notna(), out["name_zh"])
    if "name" in out.columns:
        given = _as_code(out["name"])
        fallback = fallback.where(fallback.notna(), given)
    out["name"] = fallback.where(fallback.notna(), out["code"] if "code" in out.columns else None)
    return out


def _names_in(frame: pd.DataFrame, lang: str | None) -> dict[str, str]:
    codes = frame["code"].tolist()
    if lang is None or "name_en" not in frame.columns:
        column = frame["name"] if "name" in frame.columns else frame["code"]
        return {c: (n if isinstance(n, str) and n else c) for c, n in zip(codes, column)}
    return {c: place_name(c, en, zh, lang) for c, en, zh in zip(codes, frame["name_en"], frame["name_zh"])}


def _clean_regions(regions: pd.DataFrame) -> pd.DataFrame:
    named = any(c in regions.columns for c in ("name", *NAME_COLUMNS))
    missing = [c for c in ("code", "name", "level") if c not in regions.columns and not (c == "name" and named)]
    if missing:
        raise SurveillanceError(f"regions table lacks column(s) {', '.join(missing)}")
    out = with_names(regions.reset_index(drop=True))
    if "parent" not in out.columns:
        out["parent"] = None
    for column in ("code", "parent", "level"):
        out[column] = _as_code(out[column])
    return out


def _clean_units(units: pd.DataFrame | None) -> pd.DataFrame:
    if units is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in UNIT_COLUMNS})
    missing = [c for c in ("code", "county") if c not in units.columns]
    if missing:
        raise SurveillanceError(f"units table lacks column(s) {', '.join(missing)}")
    out = with_names(units.reset_index(drop=True))
    for column in ("code", "county"):
        out[column] = _as_code(out[column])
    return out


def _first_problem(problems: list[str], what: str) -> None:
    if problems:
        more = f" (and {len(problems) - 1} more problem(s) in the {what} table)" if len(problems) > 1 else ""
        raise SurveillanceError(problems[0] + more)


def _check_regions(regions: pd.DataFrame) -> None:
    problems: list[str] = []
    no_code = regions.index[regions["code"].isna()]
    problems += [f"regions table: row {i + 1} has no code" for i in no_code]
    counts = regions["code"].value_counts()
    problems += [f"region {c} appears {n} times in the regions table" for c, n in counts[counts > 1].items()]
    bad_level = regions[~regions["level"].isin(REGION_LEVELS) & regions["code"].notna()]
    problems += [
        f"region {r.code} has unknown level {r.level!r}; valid levels: {', '.join(REGION_LEVELS)}"
        for r in bad_level.itertuples()
    ]
    _first_problem(problems, "regions")

    parent = regions.set_index("code")["parent"]
    level = regions.set_index("code")["level"]
    unknown = parent.notna() & ~parent.isin(parent.index)
    problems += [f"region {c} ({level[c]}) has unknown parent {p}" for c, p in parent[unknown].items()]
    _first_problem(problems, "regions")
    _check_cycles(parent)

    parent_level = parent.map(level)
    for child_level, wanted in PARENT_LEVEL.items():
        at_level = level == child_level
        if wanted is None:
            with_parent = at_level & parent.notna()
            problems += [
                f"province {c} has parent {p}; provinces are the top level and have no parent"
                for c, p in parent[with_parent].items()
            ]
            continue
        orphan = at_level & parent.isna()
        problems += [f"region {c} is a {child_level} without a parent {wanted}" for c in parent.index[orphan]]
        wrong = at_level & parent.notna() & (parent_level != wanted)
        problems += [
            f"region {c} is a {child_level} but its parent {parent[c]} is a {parent_level[c]}, not a {wanted}"
            for c in parent.index[wrong]
        ]
    _first_problem(problems, "regions")


def _check_cycles(parent: pd.Series) -> None:
    """Follow parents; anything still climbing after more steps than there are levels loops."""
    current = parent.copy()
    for _ in range(len(REGION_LEVELS)):
        current = current.map(parent).where(current.notna(), None)
    parent_of = {c: (p if isinstance(p, str) else None) for c, p in parent.items()}
    for code in current.index[current.notna()]:  # few: regions on or under a loop, or too deep
        path, node = [code], parent_of[code]
        while node is not None and node not in path:
            path.append(node)
            node = parent_of[node]
        if node is not None:
            loop = path[path.index(node):]
            first = loop.index(min(loop))  # name the loop the same way whatever the row order
            loop = loop[first:] + loop[:first]
            raise SurveillanceError(f"region {loop[0]} is its own ancestor: {' -> '.join(loop + [loop[0]])}")


def _check_units(units: pd.DataFrame, regions: pd.DataFrame) -> None:
    problems: list[str] = []
    problems += [f"units table: row {i + 1} has no code" for i in units.index[units["code"].isna()]]
    counts = units["code"].value_counts()
    problems += [f"unit {c} appears {n} times in the units table" for c, n in counts[counts > 1].items()]
    level = regions.set_index("code")["level"]
    county_level = units["county"].map(level)
    has_code = units["code"].notna()
    no_county = has_code & units["county"].isna()
    problems += [f"unit {c} has no county" for c in units["code"][no_county]]
    unknown = has_code & units["county"].notna() & county_level.isna()
    problems += [f"unit {u} is in unknown county {c}"
                 for u, c in zip(units["code"][unknown], units["county"][unknown])]
    wrong = has_code & county_level.notna() & (county_level != "county")
    problems += [
        f"unit {u} is placed in {c}, which is a {lv}, not a county"
        for u, c, lv in zip(units["code"][wrong], units["county"][wrong], county_level[wrong])
    ]
    # A unit may share a code only with its own county (a county reporting as one unit).
    clash = has_code & units["code"].isin(level.index) & (units["code"] != units["county"])
    problems += [f"unit code {c} is also the code of a region other than its county" for c in units["code"][clash]]
    _first_problem(problems, "units")


# --- neighbours from boundaries ---------------------------------------------------------


def region_shapes(regions: pd.DataFrame) -> pd.Series:
    """Region code -> shapely geometry, from ``boundary_geojson`` (or a ``geometry`` column)."""
    import shapely  # here, not at import: the scans need only the distances below

    if "geometry" in regions.columns:
        shapes = np.asarray(regions["geometry"], dtype=object)
    elif "boundary_geojson" in regions.columns:
        text = regions["boundary_geojson"]
        shapes = np.full(len(regions), None, dtype=object)
        present = text.notna().to_numpy()
        try:
            shapes[present] = shapely.from_geojson(text[present].to_numpy(dtype=object))
        except shapely.errors.GEOSException as exc:
            raise SurveillanceError(f"a region boundary is not valid GeoJSON: {exc}") from None
    else:
        raise SurveillanceError("regions table has neither boundary_geojson nor geometry")
    return pd.Series(shapes, index=regions["code"].astype(str).to_numpy(), name="geometry")


def neighbours_from_boundaries(
    regions: pd.DataFrame, *, tolerance: float = 1e-6, min_shared_length: float = 1e-4
) -> pd.DataFrame:
    """Pairs of regions at the same level that share a border, both ways round.

    Two regions are neighbours when a stretch of one's boundary longer than
    ``min_shared_length`` lies within ``tolerance`` of the other (both in the units of the
    coordinates, degrees for lon/lat: the defaults are about 0.1 m and 11 m). Touching at a
    single corner is not sharing a border. Real boundary files often leave slivers between
    neighbours; raise ``tolerance`` (e.g. to 0.001 degrees) for those.
    """
    import shapely

    shapes = region_shapes(regions)
    level = regions["level"].to_numpy() if "level" in regions.columns else np.full(len(regions), "")
    pairs = []
    for this_level in pd.unique(level):
        at_level = (level == this_level) & pd.notna(shapes.to_numpy())
        geoms = shapes.to_numpy()[at_level]
        codes = shapes.index.to_numpy()[at_level]
        if len(geoms) < 2:
            continue
        grown = shapely.buffer(geoms, tolerance) if tolerance > 0 else geoms
        tree = shapely.STRtree(geoms)
        left, right = tree.query(grown, predicate="intersects")
        keep = left < right
        left, right = left[keep], right[keep]
        shared = shapely.length(shapely.intersection(shapely.boundary(geoms[right]), grown[left]))
        border = shared > min_shared_length
        pairs.append(pd.DataFrame({"region": codes[left[border]], "neighbour": codes[right[border]]}))
    if not pairs:
        return pd.DataFrame({"region": pd.Series(dtype=object), "neighbour": pd.Series(dtype=object)})
    one_way = pd.concat(pairs, ignore_index=True)
    both = pd.concat([one_way, one_way.rename(columns={"region": "neighbour", "neighbour": "region"})])
    return both[["region", "neighbour"]].sort_values(["region", "neighbour"]).reset_index(drop=True)


# --- distances --------------------------------------------------------------------------


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees; arrays broadcast."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def distance_matrix_km(lat, lon) -> np.ndarray:
    """``[n, n]`` great-circle distances in km between n points."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    return haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])


def nearest_neighbours(lat, lon, k: int, *, include_self: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest points to each point: ``(index[n, k], distance_km[n, k])``, nearest first.

    With ``include_self`` column 0 is the point itself (distance 0), as a scan window
    growing from a centre needs. ``k`` larger than the number of candidates is capped.
    Rows are done in blocks so memory stays bounded for tens of thousands of points.
    """
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    n = len(lat)
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    k = min(k, n if include_self else n - 1)
    index = np.zeros((n, max(k, 0)), dtype=np.int64)
    distance = np.zeros((n, max(k, 0)))
    if k <= 0:
        return index, distance
    block = max(1, 20_000_000 // max(n, 1))
    for first in range(0, n, block):
        rows = np.arange(first, min(first + block, n))
        d = haversine_km(lat[rows, None], lon[rows, None], lat[None, :], lon[None, :])
        if include_self:
            d[np.arange(len(rows)), rows] = -1.0  # the point itself first, even among duplicates
        else:
            d[np.arange(len(rows)), rows] = np.inf
        part = np.argpartition(d, k - 1, axis=1)[:, :k] if k < n else np.tile(np.arange(n), (len(rows), 1))
        part_d = np.take_along_axis(d, part, axis=1)
        order = np.lexsort((part, part_d), axis=1)  # by distance, ties by index
        index[rows] = np.take_along_axis(part, order, axis=1)
        distance[rows] = np.maximum(np.take_along_axis(part_d, order, axis=1), 0.0)
    return index, distance
