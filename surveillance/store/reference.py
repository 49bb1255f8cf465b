"""Reference data: regions, reporting units and neighbours, loaded from files or frames."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..errors import FileRejected, SurveillanceError
from ..regions import REGION_COLUMNS, UNIT_COLUMNS, with_names
from .database import Store
from .query import first_row

NAMES = ("name", "name_en", "name_zh")  # a file needs one of them (``name`` alone is the English name)


def read_regions_file(path: Path, boundaries: Path | None = None) -> pd.DataFrame:
    regions = with_names(_read_reference_csv(path, ["code", NAMES, "level"]))
    for column in REGION_COLUMNS:
        if column not in regions.columns:
            regions[column] = None
    if boundaries is not None:
        geometry = read_boundaries(boundaries)
        regions["boundary_geojson"] = regions["code"].map(geometry).where(
            regions["code"].isin(geometry.index), regions["boundary_geojson"]
        )
    return regions[REGION_COLUMNS]


def read_units_file(path: Path) -> pd.DataFrame:
    units = with_names(_read_reference_csv(path, ["code", NAMES, "county"]))
    for column in UNIT_COLUMNS:
        if column not in units.columns:
            units[column] = None
    return units[UNIT_COLUMNS]


def read_boundaries(path: Path) -> pd.Series:
    """GeoJSON FeatureCollection -> geometry (as a JSON string) by ``properties.code``."""
    try:
        collection = json.loads(Path(path).read_text(encoding="utf-8"))
        features = collection["features"]
        return pd.Series(
            {str(f["properties"]["code"]): json.dumps(f["geometry"], separators=(",", ":")) for f in features}
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FileRejected(f"{path}: not a GeoJSON FeatureCollection with properties.code: {exc}") from None


def load_reference(
    store: Store,
    regions: pd.DataFrame,
    units: pd.DataFrame,
    neighbours: pd.DataFrame | None = None,
) -> None:
    """Replace the reference tables with these frames, in one transaction."""
    from ..regions import Hierarchy  # validates parents, levels and unit counties

    Hierarchy(regions, units)
    regions = with_names(regions).reindex(columns=REGION_COLUMNS)
    units = with_names(units).reindex(columns=UNIT_COLUMNS)
    with store.transaction() as cur:
        cur.execute("DELETE FROM regions")
        cur.execute("DELETE FROM units")
        cur.register("new_regions", regions)
        cur.execute(
            "INSERT INTO regions (code, name, name_en, name_zh, level, parent, population, lat, lon, boundary_geojson)"
            " SELECT code::VARCHAR, name::VARCHAR, name_en::VARCHAR, name_zh::VARCHAR, level::VARCHAR,"
            " parent::VARCHAR, population::BIGINT, lat::DOUBLE, lon::DOUBLE, boundary_geojson::VARCHAR"
            " FROM new_regions"
        )
        cur.register("new_units", units)
        cur.execute(
            "INSERT INTO units (code, name, name_en, name_zh, county, kind, lat, lon) SELECT code::VARCHAR,"
            " name::VARCHAR, name_en::VARCHAR, name_zh::VARCHAR, county::VARCHAR, kind::VARCHAR, lat::DOUBLE,"
            " lon::DOUBLE FROM new_units"
        )
        if neighbours is not None:
            cur.execute("DELETE FROM region_neighbours")
            cur.register("new_neighbours", neighbours[["region", "neighbour"]])
            cur.execute(
                "INSERT INTO region_neighbours SELECT DISTINCT region::VARCHAR, neighbour::VARCHAR FROM new_neighbours"
            )


def _read_reference_csv(path: Path, required: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise FileRejected(f"{path}: cannot read reference file: {exc}") from None
    missing = [c if isinstance(c, str) else " or ".join(c) for c in required
               if not (c in frame.columns if isinstance(c, str) else any(one in frame.columns for one in c))]
    if missing:
        raise SurveillanceError(f"{path}: missing column(s) {', '.join(missing)}")
    for numeric in ("population", "lat", "lon"):
        if numeric in frame.columns:
            frame[numeric] = pd.to_numeric(frame[numeric], errors="coerce")
    return frame


def load_configured_reference(store: Store, config) -> bool:
    """Load the regions and units files named in the config, if any. Returns whether it did."""
    files = config.regions
    if files.regions_file is None or files.units_file is None:
        return False
    regions = read_regions_file(files.regions_file, files.boundaries_file)
    units = read_units_file(files.units_file)
    neighbours = None
    if files.neighbours_file is not None:
        neighbours = pd.read_csv(files.neighbours_file, dtype=str)
    load_reference(store, regions, units, neighbours)
    return True


# --- reading ---------------------------------------------------------------------------------------------


def regions_table(con) -> pd.DataFrame:
    """``code, name, name_en, name_zh, level, parent, population, lat, lon`` of every region, by code."""
    return con.execute("SELECT code, name, name_en, name_zh, level, parent, population, lat, lon FROM regions"
                       " ORDER BY code").df()


def units_table(con) -> pd.DataFrame:
    """``code, name, name_en, name_zh, county, kind, lat, lon`` of every reporting unit, by code."""
    return con.execute("SELECT code, name, name_en, name_zh, county, kind, lat, lon FROM units ORDER BY code").df()


def hierarchy(con):
    """The stored regions and units as a :class:`~surveillance.regions.Hierarchy` (None when there are none)."""
    from ..regions import Hierarchy

    regions = regions_table(con)
    return Hierarchy(regions, units_table(con)) if len(regions) else None


def reference_version(con) -> tuple:
    """Changes whenever a region or unit is added, removed or renamed (for caches of the hierarchy)."""
    return first_row(con, 
        "SELECT (SELECT count(*) FROM regions),"
        " (SELECT coalesce(sum(hash(code, parent, name, name_en, name_zh)), 0) FROM regions),"
        " (SELECT count(*) FROM units), (SELECT coalesce(sum(hash(code, county, name, name_en, name_zh)), 0) FROM units)")


def county_boundaries(con) -> dict[str, str]:
    """GeoJSON text of each county's boundary, for the counties that have one."""
    return dict(con.execute("SELECT code, boundary_geojson FROM regions WHERE level = 'county'"
                            " AND boundary_geojson IS NOT NULL ORDER BY code").fetchall())


def region_points(con, level: str = "county") -> pd.DataFrame:
    """``code, lat, lon, population`` of the regions at ``level`` (the space-time scans' geography)."""
    return con.execute("SELECT code, lat, lon, population FROM regions WHERE level = ? ORDER BY code",
                       [level]).df()


def neighbour_pairs(con) -> pd.DataFrame:
    """``region, neighbour``: the stored pairs of neighbouring regions (each pair as stored)."""
    return con.execute("SELECT region, neighbour FROM region_neighbours").df()


def neighbours_of(con, region: str) -> list[str]:
    """The regions next to ``region`` (pairs count in both directions), sorted."""
    rows = con.execute("SELECT neighbour FROM region_neighbours WHERE region = ? UNION "
                       "SELECT region FROM region_neighbours WHERE neighbour = ?", [region, region]).fetchall()
    return sorted(r[0] for r in rows if r[0] != region)


def reference_sizes(con) -> tuple[dict[str, int], int]:
    """Regions per level and the number of reporting units."""
    levels = dict(con.execute("SELECT level, count(*) FROM regions GROUP BY level ORDER BY level").fetchall())
    return levels, first_row(con, "SELECT count(*) FROM units")[0]
