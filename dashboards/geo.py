"""County shapes for the maps, fetched once by the browser instead of sent inside every figure.

Three thousand county outlines are megabytes of JSON; put in a figure they were serialised on
every callback (and once per trace on the clusters map). Maps refer to
``/app/geo/counties.json?root=CODE&v=VERSION`` instead: the server serialises the shapes of a
subtree once, the browser keeps them (``v`` changes when the regions change), and callbacks
send only the numbers. The address is under the dashboard's sign-in guard, and a user may
fetch only the shapes of their own subtree.
"""

from __future__ import annotations

import logging

from flask import Response, abort, request

from .auditing import record as record_audit

from .access import Scope

log = logging.getLogger(__name__)
PATH = "/geo/counties.json"


def county_shapes_url(ctx, scope: Scope) -> str:
    return ctx.url(PATH, root=scope.root, v=ctx.regions.version())


def install_geo_route(server, ctx) -> None:
    @server.route(ctx.url(PATH))
    def county_shapes():
        user = ctx.user()
        if user is None:  # the guard answers first; kept for routes mounted without it
            abort(401)
        asked = request.args.get("root") or None
        if asked != user.region:
            log.warning("refused county shapes of %s for %s", asked, user.name)
            record_audit(ctx.store, user.name, "refused", "geo", f"county shapes of {asked!r}")
            abort(403)
        response = Response(ctx.regions.county_geojson_text(user.region), mimetype="application/geo+json")
        response.headers["Cache-Control"] = "private, max-age=86400"
        return response
