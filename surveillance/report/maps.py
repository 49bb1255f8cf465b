"""Static SVG maps of the counties, drawn in the report itself (no script, no network), so that the
HTML opens anywhere and prints to PDF as it is.

Boundaries are the configured GeoJSON's (the store's ``county_boundaries``, as the dashboard's maps
use), simplified to about a pixel and projected equirectangularly with the longitude scaled by the
cosine of the middle latitude (counties are small: the distortion is invisible).
"""

from __future__ import annotations

import html
import math

import numpy as np
import shapely

# Light to dark: the share of visits with the syndrome (ColorBrewer's YlOrRd, 5 classes).
SCALE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA = "#e4e7eb"
HIDDEN = "#c3cad1"


def breaks(values, classes: int = len(SCALE)) -> list[float]:
    """Equal-interval class limits over the values shown (at least a tiny range)."""
    shown = [float(v) for v in values if v is not None and np.isfinite(v)]
    if not shown:
        return []
    low, high = min(shown), max(shown)
    if high - low < 1e-9:
        high = low + 1e-9
    return [low + (high - low) * k / classes for k in range(1, classes)]


def colour(value, limits: list[float]) -> str:
    if value is None or not np.isfinite(value):
        return NO_DATA
    return SCALE[int(np.searchsorted(limits, float(value), side="right"))]


def _rings(geometry) -> list[np.ndarray]:
    polygons = getattr(geometry, "geoms", [geometry])
    rings = []
    for polygon in polygons:
        if polygon.geom_type != "Polygon":
            continue
        rings.append(np.asarray(polygon.exterior.coords))
        rings.extend(np.asarray(r.coords) for r in polygon.interiors)
    return rings


def choropleth(shapes: dict[str, str], values: dict[str, float], hidden: set[str], labels: dict[str, str], *,
               width: int = 300, height: int = 220, hidden_mark: str = "*") -> str:
    """One map: each county of ``shapes`` (code -> GeoJSON geometry) filled by its value's class, a county
    whose value is hidden in grey marked ``hidden_mark``; ``labels`` gives each county's hover title."""
    if not shapes:
        return ""
    codes = list(shapes)
    geoms = shapely.from_geojson([shapes[c] for c in codes])
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    stretch = math.cos(math.radians((miny + maxy) / 2))
    span_x, span_y = max((maxx - minx) * stretch, 1e-9), max(maxy - miny, 1e-9)
    scale = min((width - 8) / span_x, (height - 8) / span_y)
    geoms = shapely.simplify(geoms, 1.0 / scale, preserve_topology=True)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2
    limits = breaks([values.get(c) for c in codes if c not in hidden])
    parts = []
    for code, geom in zip(codes, geoms):
        path = []
        for ring in _rings(geom):
            x = off_x + (ring[:, 0] - minx) * stretch * scale
            y = off_y + (maxy - ring[:, 1]) * scale
            path.append("M" + " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y)) + " Z")
        fill = HIDDEN if code in hidden else colour(values.get(code), limits)
        title = html.escape(labels.get(code, code))
        parts.append(f"<path d='{' '.join(path)}' fill='{fill}' stroke='#ffffff' stroke-width='1' "
                     f"fill-rule='evenodd'><title>{title}</title></path>")
        if code in hidden:
            centre = geom.representative_point()
            cx = off_x + (centre.x - minx) * stretch * scale
            cy = off_y + (maxy - centre.y) * scale
            parts.append(f"<text x='{cx:.1f}' y='{cy + 4:.1f}' font-size='12' text-anchor='middle' "
                         f"fill='#1f2933'>{html.escape(hidden_mark)}</text>")
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} "
            f"{height}' role='img'>{''.join(parts)}</svg>")


def legend(limits: list[float], fmt) -> str:
    """The classes' colours with their ranges (``fmt`` writes a value)."""
    if not limits:
        return ""
    edges = ["", *[fmt(v) for v in limits], ""]
    items = []
    for k, fill in enumerate(SCALE):
        low, high = edges[k], edges[k + 1]
        text = f"< {high}" if not low else (f"≥ {low}" if not high else f"{low}–{high}")
        items.append(f"<span class='key'><i style='background:{fill}'></i>{html.escape(text)}</span>")
    return "<div class='legend'>" + "".join(items) + "</div>"
