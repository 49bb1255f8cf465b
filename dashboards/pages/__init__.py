"""The dashboard's pages. Each module owns its layout and callbacks; its component ids start
with its ``NAME``. A module defines ``NAME``, ``PATH`` (under the dashboard prefix), ``TITLE``
(an i18n key), ``ROLE`` (the least role that may open it), ``NAV`` (shown in the navigation),
``layout(ctx, scope, lang, query, multi)`` and ``register(ctx)``. A page whose address holds a
value (the alert detail, ``/alerts/12``) also defines ``PATTERN``, a regular expression whose named
groups join the query, and ``NAV_PARENT``, the page it belongs to in the navigation. The administration
pages (users, API tokens, the audit trail) share their forms' pieces in ``admin_forms``; Overview and Trends
share the epidemic situation's in ``situation_parts``.
"""

from . import alert, alerts, audit, clusters, indicators, jobs, overview, quality, tokens, trends, users

PAGES = [overview, trends, alerts, alert, clusters, indicators, quality, jobs, users, tokens, audit]
