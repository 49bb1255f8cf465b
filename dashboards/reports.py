"""The stored weekly reports as files: ``/app/reports/<id>.html`` (opened in the browser, printable) and
``/app/reports/<id>.pdf`` (downloaded), behind the sign-in guard like every route.

A user may open a report of their own region or one inside it (a report of every region only with a
scope of every region), and a report with exact counts only with a role that reads exact counts
(``privacy.exact_roles``); anything else is refused as out of scope and recorded in the audit trail.
Each report served is an ``export`` line of the trail.
"""

from __future__ import annotations

import logging
import re

import pandas as pd
from flask import Response, abort

from surveillance.store.reports import list_reports, report_by_id

from .access import Scope
from .auditing import record as record_audit

log = logging.getLogger(__name__)
PATH = "/reports/<name>"  # ID.html or ID.pdf
FILE_NAME = re.compile(r"^(\d{1,12})\.(html|pdf)$")


def may_read(scope: Scope, region: str | None, exact: bool) -> bool:
    """Whether ``scope``'s user may read a report of ``region`` (None: every region) with ``exact`` counts."""
    if bool(exact) and not scope.exact:
        return False
    return scope.root is None if region is None else scope.allows(region)


def visible_reports(con, scope: Scope) -> pd.DataFrame:
    """The stored reports ``scope``'s user may read, newest week first."""
    table = list_reports(con)
    if table.empty:
        return table
    region = table["region"].astype(object).where(table["region"].notna(), None)
    keep = [may_read(scope, r, e) for r, e in zip(region, table["exact"])]
    return table[keep].reset_index(drop=True)


def report_url(ctx, report_id: int, kind: str = "html") -> str:
    return ctx.url(f"/reports/{int(report_id)}.{kind}")


def install_report_routes(server, ctx) -> None:
    @server.route(ctx.url(PATH))
    def report_file(name: str):
        user = ctx.user()
        if user is None:  # the guard answers first; kept for routes mounted without it
            abort(401)
        match = FILE_NAME.match(name)
        if match is None:
            abort(404)
        report_id, kind = int(match.group(1)), match.group(2)
        found = report_by_id(ctx.store.cursor(), report_id)
        if found is None:
            abort(404)
        if not may_read(ctx.scope(user), found["region"], found["exact"]):
            log.warning("refused report %s for %s", report_id, user.name)
            record_audit(ctx.store, user.name, "refused", "report", f"report {report_id} of {found['region']!r}")
            abort(403)
        if kind == "pdf" and found["pdf"] is None:
            abort(404)
        record_audit(ctx.store, user.name, "export", "report", f"report {report_id} ({found['week']}, {kind})")
        name = f"report-{found['region'] or 'all'}-{found['week']}-{found['language']}.{kind}"
        if kind == "pdf":
            response = Response(found["pdf"], mimetype="application/pdf")
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        else:
            response = Response(found["html"], mimetype="text/html")
            response.headers["Content-Disposition"] = f'inline; filename="{name}"'
        response.headers["Cache-Control"] = "private, no-store"
        return response
