"""Reference data: regions, reporting units and neighbours, loaded from files or frames."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..errors import FileRejected, SurveillanceError
from .database import Store

REGION_COLUMNS = ["code", "name", "level", "parent", "population", "lat", "lon", "boundary_geojson"]
UNIT_COLUMNS = ["code", "name", "county", "kind", "lat", "lon"]


def read_regions_file(path: Path, boundaries: Path | None = None) -> pd.DataFrame:
    regions = _read_reference_csv(path, ["code", "name", "level"])
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
    units = _read_reference_csv(path, ["code", "name", "county"])
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
    regions = regions.reindex(columns=REGION_COLUMNS)
    units = units.reindex(columns=UNIT_COLUMNS)
    with store.transaction() as cur:
        cur.execute("DELETE FROM regions")
        cur.execute("DELETE FROM units")
        cur.register("new_regions", regions)
        cur.execute(
            "INSERT INTO regions SELECT code::VARCHAR, name::VARCHAR, level::VARCHAR, parent::VARCHAR,"
            " population::BIGINT, lat::DOUBLE, lon::DOUBLE, boundary_geojson::VARCHAR FROM new_regions"
        )
        cur.register("new_units", units)
        cur.execute(
            "INSERT INTO units SELECT code::VARCHAR, name::VARCHAR, county::VARCHAR, kind::VARCHAR,"
            " lat::DOUBLE, lon::DOUBLE FROM new_units"
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
    missing = [c for c in required if c not in frame.columns]
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
