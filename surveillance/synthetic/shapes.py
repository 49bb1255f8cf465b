"""Shapes for the synthetic geography: a projected plane, an irregular outline, Voronoi cells of
scattered seats relaxed towards even sizes, and which cells touch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import Voronoi, cKDTree

from ..errors import SurveillanceError
from ..regions import neighbours_from_boundaries

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_AT_EQUATOR = 111.320

def projection(lat0: float, lon0: float):
    """Flat km plane around (lat0, lon0) -> lon/lat degrees, rounded to ~0.1 m."""
    km_per_lon = KM_PER_DEGREE_LON_AT_EQUATOR * np.cos(np.radians(lat0))

    def to_lonlat(geoms: np.ndarray) -> np.ndarray:
        # Rounding is per vertex, so a vertex shared by two polygons stays shared.
        return shapely.transform(
            geoms, lambda xy: np.round(np.column_stack([lon0 + xy[:, 0] / km_per_lon,
                                                        lat0 + xy[:, 1] / KM_PER_DEGREE_LAT]), 6))

    return to_lonlat


def irregular_outline(rng, area_km2: float, aspect: float, n_vertices: int) -> shapely.Polygon:
    """A star-shaped blob with a wobbly edge: low harmonics for the shape, high ones for the coast."""
    theta = np.linspace(0, 2 * np.pi, n_vertices, endpoint=False)
    radius = np.ones_like(theta)
    for harmonic in range(2, 9):
        radius += rng.uniform(0, 0.3 / harmonic**0.8) * np.cos(harmonic * theta + rng.uniform(0, 2 * np.pi))
    radius *= np.exp(rng.normal(0, 0.025, n_vertices))
    radius = np.maximum(radius, 0.45)
    stretch = np.sqrt(aspect)  # wider east-west than north-south
    shape = shapely.Polygon(np.column_stack([stretch * radius * np.cos(theta), radius * np.sin(theta) / stretch]))
    return shapely.affinity.scale(shape, *(2 * [np.sqrt(area_km2 / shape.area)]), origin=(0, 0))


def sample_points(area, n: int, rng, east_gradient: float = 0.0) -> np.ndarray:
    """n random points inside ``area``, denser towards the east by ``exp(gradient * x / half-width)``."""
    minx, miny, maxx, maxy = area.bounds
    half_width = (maxx - minx) / 2
    points = np.zeros((0, 2))
    while len(points) < n:
        xy = rng.uniform([minx, miny], [maxx, maxy], size=(4 * n + 16, 2))
        keep = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
        keep &= rng.uniform(size=len(xy)) < np.exp(east_gradient * (xy[:, 0] / half_width - 1))
        points = np.vstack([points, xy[keep]])
    return points[:n]


def _raw_voronoi(seeds: np.ndarray) -> tuple[Voronoi, int]:
    """Voronoi of the seeds plus four far corners, so every seed's cell is finite."""
    centre = seeds.mean(axis=0)
    span = np.ptp(seeds, axis=0).max() + 1.0
    far = centre + 20 * span * np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]])
    return Voronoi(np.vstack([seeds, far])), len(seeds)


def relax(seeds: np.ndarray, area, steps: int, blend: float) -> np.ndarray:
    """Partial Lloyd relaxation: move seeds part-way to their cells' centres for evener cells."""
    for _ in range(steps):
        if len(seeds) < 3:
            break
        vor, n = _raw_voronoi(seeds)
        cells = shapely.intersection(_voronoi_cells(vor, n), area)
        target = np.column_stack([shapely.get_x(shapely.centroid(cells)), shapely.get_y(shapely.centroid(cells))])
        outside = ~shapely.contains_xy(area, target[:, 0], target[:, 1])
        if outside.any():
            fallback = shapely.point_on_surface(cells[outside])
            target[outside] = np.column_stack([shapely.get_x(fallback), shapely.get_y(fallback)])
        seeds = seeds + blend * (target - seeds)
    return seeds


def _voronoi_cells(vor: Voronoi, n: int) -> np.ndarray:
    """Convex cells of the first n Voronoi points as polygons."""
    regions = [vor.regions[vor.point_region[i]] for i in range(n)]
    owner = np.repeat(np.arange(n), [len(r) for r in regions])
    corners = vor.vertices[np.concatenate(regions)]
    return shapely.convex_hull(shapely.multipoints(corners, indices=owner))


def voronoi_partition(area, seeds: np.ndarray) -> np.ndarray:
    """Cells of the seeds clipped to ``area``: one polygon each, covering it, not overlapping.

    The cell edges and the outline are noded into one line network and polygonised, so
    two neighbouring cells share exactly the same vertices along their border.
    """
    n = len(seeds)
    if n == 1:
        return np.array([area])
    vor, _ = _raw_voronoi(seeds)
    ridges = np.array(vor.ridge_vertices)
    ridges = ridges[(ridges >= 0).all(axis=1)]
    # Whole ridges, not clipped ones: a clipped end lies only nearly on the outline and
    # would not be noded to it, while a ridge crossing the outline always is.
    network = shapely.union_all(np.append(shapely.linestrings(vor.vertices[ridges]), area.boundary))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(network)))
    inside = shapely.point_on_surface(faces)
    within = shapely.contains(area, inside)
    faces, inside = faces[within], inside[within]
    owner = cKDTree(seeds).query(np.column_stack([shapely.get_x(inside), shapely.get_y(inside)]))[1]
    cells = np.array([shapely.union_all(faces[owner == i]) for i in range(n)], dtype=object)
    return _absorb_detached_parts(cells, seeds)


def _absorb_detached_parts(cells: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """A cell cut in two by a bay of the outline keeps its seed's part; the rest joins a neighbour."""
    for _ in range(len(cells)):
        split = [i for i, c in enumerate(cells) if c.geom_type != "Polygon"]
        if not split:
            return cells
        for i in split:
            parts = shapely.get_parts(cells[i])
            home = shapely.contains_xy(parts, *seeds[i]) | (shapely.area(parts) == shapely.area(parts).max())
            keep = int(np.flatnonzero(home)[0])
            cells[i] = parts[keep]
            for part in np.delete(parts, keep):
                shared = shapely.length(shapely.intersection(part.boundary, shapely.boundary(cells)))
                shared[i] = -1.0
                j = int(np.argmax(shared))
                cells[j] = shapely.union(cells[j], part)
    raise SurveillanceError("could not make every Voronoi cell a single polygon")


def inside_points(shapes: np.ndarray) -> np.ndarray:
    """Centroids, or a point on the surface where a concave shape's centroid falls outside it."""
    points = shapely.centroid(shapes)
    outside = ~shapely.contains(shapes, points)
    points[outside] = shapely.point_on_surface(shapes[outside])
    return np.column_stack([shapely.get_x(points), shapely.get_y(points)])


def touching(shapes: np.ndarray) -> list[list[int]]:
    frame = pd.DataFrame({"code": np.arange(len(shapes)).astype(str), "level": "county", "geometry": shapes})
    pairs = neighbours_from_boundaries(frame, tolerance=1e-6, min_shared_length=1e-3)
    adjacency: list[list[int]] = [[] for _ in shapes]
    for a, b in zip(pairs["region"].astype(int), pairs["neighbour"].astype(int)):
        adjacency[a].append(b)
    return adjacency
