"""Who may see what: each user sees their region's subtree only, enforced on the server.

Every data query of the dashboard takes a :class:`Scope` and asks it first: a region outside
the subtree (whatever a crafted callback request says) gives :class:`OutOfScope`, which the
callback wrapper turns into an empty answer. Roles are checked the same way.

:class:`RegionIndex` holds the region hierarchy (from the store's ``regions`` and ``units``
tables, reloaded when they change) with names, levels and simplified county boundaries.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import pandas as pd
import shapely

from surveillance.privacy import SmallCells
from surveillance.vocabulary import LANGUAGES, PANEL_LEVELS, place_name
from surveillance.regions import Hierarchy
from surveillance.store.reference import county_boundaries, reference_version, regions_table, units_table
from surveillance.users import ROLES, User


def _place_names(frame: pd.DataFrame, lang: str | None) -> dict[str, str]:
    if lang is None or "name_en" not in frame.columns:
        return dict(zip(frame["code"], frame["name"]))
    return {c: place_name(c, en, zh, lang) for c, en, zh in zip(frame["code"], frame["name_en"], frame["name_zh"])}


class OutOfScope(Exception):
    """A region or page the user may not see; the answer is empty."""


class RegionIndex:
    """The region hierarchy with names, for lookups in requests (thread-safe, cached)."""

    RELOAD_SECONDS = 30.0

    def __init__(self, store):
        self._store = store
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self._signature = None
        self._state: dict = {}

    # --- loading --------------------------------------------------------------------------

    def _current(self) -> dict:
        now = time.monotonic()
        if self._state and now - self._loaded_at < self.RELOAD_SECONDS:
            return self._state
        with self._lock:
            if self._state and now - self._loaded_at < self.RELOAD_SECONDS:
                return self._state
            cur = self._store.cursor()
            signature = reference_version(cur)
            if signature != self._signature or not self._state:
                self._state = self._load(cur)
                self._signature = signature
            self._loaded_at = now
            return self._state

    @staticmethod
    def _load(cur) -> dict:
        regions, units = regions_table(cur), units_table(cur)
        hierarchy = Hierarchy(regions, units) if len(regions) else None
        # Each place's name in each language (a region's name wins over a county reporting as one unit).
        names = {lang: {**_place_names(units, lang), **_place_names(regions, lang)} for lang in (None, *LANGUAGES)}
        levels = dict(zip(regions["code"], regions["level"]))
        for u in units["code"]:
            levels.setdefault(u, "facility")
        # Each region and unit with its ancestors at every level, for subtree tests.
        chain: dict[str, tuple[str, ...]] = {}
        if hierarchy is not None:
            for code in levels:
                chain[code] = (code, *hierarchy.ancestors(code))
        return {"regions": regions, "units": units, "hierarchy": hierarchy, "names": names,
                "levels": levels, "chain": chain, "geojson": {}, "geojson_text": {}}

    # --- lookups --------------------------------------------------------------------------

    def __contains__(self, code) -> bool:
        return isinstance(code, str) and code in self._current()["levels"]

    def name(self, code: str | None, lang: str | None = None) -> str:
        """The name of a region or unit in ``lang`` (the other language's name where it has none in ``lang``)."""
        if code is None:
            return ""
        return self.names(lang).get(code, code)

    def names(self, lang: str | None = None) -> dict[str, str]:
        """The name of every region and unit by code, in ``lang``."""
        names = self._current()["names"]
        return names.get(lang, names[None])

    def label(self, code: str, lang: str | None = None) -> str:
        """``Jiangtan District (320102)`` / ``江潭区（320102）``."""
        name = self.name(code, lang)
        if name == code:
            return code
        return f"{name}（{code}）" if lang == "zh" else f"{name} ({code})"

    def level(self, code: str) -> str | None:
        return self._current()["levels"].get(code)

    def ancestors(self, code: str) -> list[str]:
        """Regions above ``code``, nearest first."""
        return list(self._current()["chain"].get(code, (code,))[1:])

    def children(self, code: str | None) -> list[str]:
        state = self._current()
        if code is None:
            regions = state["regions"]
            return regions.loc[regions["level"] == "province", "code"].tolist()
        if state["hierarchy"] is None or code not in state["levels"]:
            return []
        return state["hierarchy"].children(code)

    def within(self, code: str, root: str | None) -> bool:
        """True if ``code`` is ``root`` or below it (everything is within ``None``)."""
        chain = self._current()["chain"].get(code)
        if chain is None:
            return False
        return root is None or root in chain

    def codes_at(self, level: str, root: str | None = None) -> list[str]:
        """Codes at ``level`` inside ``root``'s subtree (all of them for ``None``), sorted."""
        state = self._current()
        codes = [c for c, lv in state["levels"].items() if lv == level]
        return sorted(c for c in codes if self.within(c, root))

    def units(self) -> pd.DataFrame:
        return self._current()["units"]

    def regions(self) -> pd.DataFrame:
        return self._current()["regions"]

    def county_geojson(self, root: str | None) -> dict:
        """A FeatureCollection of the counties inside ``root`` (feature ``id`` = code), simplified for display."""
        state = self._current()
        cache = state["geojson"]
        if root in cache:
            return cache[root]
        counties = self.codes_at("county", root)
        wanted = set(counties)
        shapes = {code: text for code, text in county_boundaries(self._store.cursor()).items() if code in wanted}
        features = []
        if shapes:
            geoms = shapely.from_geojson(list(shapes.values()))
            minx, miny, maxx, maxy = shapely.total_bounds(geoms)
            tolerance = max(maxx - minx, maxy - miny) / 1500  # about a pixel on a wall screen
            simple = shapely.simplify(geoms, tolerance, preserve_topology=True)
            for code, geom in zip(shapes, simple):
                features.append({"type": "Feature", "id": code, "properties": {"code": code},
                                 "geometry": json.loads(shapely.to_geojson(geom))})
        collection = {"type": "FeatureCollection", "features": features}
        cache[root] = collection
        return collection

    def county_geojson_text(self, root: str | None) -> bytes:
        """:meth:`county_geojson` serialised once, for the maps to fetch by address."""
        cache = self._current()["geojson_text"]
        if root not in cache:
            cache[root] = json.dumps(self.county_geojson(root), separators=(",", ":")).encode()
        return cache[root]

    def county_shape_codes(self, root: str | None) -> list[str]:
        """The counties inside ``root`` that have a boundary to draw."""
        return [f["id"] for f in self.county_geojson(root)["features"]]

    def version(self) -> str:
        """Changes when the regions or units change (maps put it in the shapes' address)."""
        self._current()
        return format(hash(self._signature) & 0xFFFFFFFF, "08x")


def drill_level(level: str | None) -> str | None:
    """The level below ``level`` (``None`` is above the provinces)."""
    if level is None:
        return "province"
    i = PANEL_LEVELS.index(level)
    return PANEL_LEVELS[i + 1] if i + 1 < len(PANEL_LEVELS) else None


@dataclass(frozen=True)
class Scope:
    """What one user may see: the subtree under ``root`` (everything for ``None``), their role, and whether
    they read exact counts or small ones suppressed (``cells``: the service's small-cell rule)."""

    user: User
    index: RegionIndex = field(repr=False, compare=False)
    cells: SmallCells = field(default_factory=SmallCells, repr=False, compare=False)

    @property
    def exact(self) -> bool:
        """Whether this user reads exact counts (``privacy.exact_roles``); else small ones are suppressed."""
        return self.cells.exact_for(self.user.role)

    @property
    def root(self) -> str | None:
        return self.user.region

    def allows(self, code: str | None) -> bool:
        if code is None:
            return True
        return code in self.index and self.index.within(code, self.root)

    def region(self, code: str | None) -> str | None:
        """``code`` if the user may see it, the scope's root for ``None``; else :class:`OutOfScope`."""
        if code is None or code == "":
            return self.root
        if not isinstance(code, str) or not self.allows(code):
            raise OutOfScope(f"region {code!r} is outside {self.user.name}'s scope")
        return code

    def require(self, role: str) -> None:
        if role not in ROLES or not self.user.can(role):
            raise OutOfScope(f"{self.user.name} is a {self.user.role}, not a {role}")

    def counties(self) -> list[str]:
        return self.index.codes_at("county", self.root)

    def visible_ancestors(self, code: str) -> list[str]:
        """The regions above ``code`` the user may open, top first (for breadcrumbs)."""
        return [a for a in reversed(self.index.ancestors(code)) if self.allows(a)]
