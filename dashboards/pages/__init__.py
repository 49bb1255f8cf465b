"""The dashboard's pages. Each module owns its layout and callbacks; its component ids start
with its ``NAME``. A module defines ``NAME``, ``PATH`` (under the dashboard prefix), ``TITLE``
(an i18n key), ``ROLE`` (the least role that may open it), ``NAV`` (shown in the navigation),
``layout(ctx, scope, lang, query, multi)`` and ``register(ctx)``.

The alert pages (Alerts, Alert detail) and Clusters join this list when the alert episodes
and space-time clusters they show are stored; nothing is listed before it works.
"""

from . import jobs, overview, quality, trends

PAGES = [overview, trends, quality, jobs]
