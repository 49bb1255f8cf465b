"""Small-cell suppression: counts a reader without exact counts may not see, and the ones that would give
them away.

* :mod:`~surveillance.privacy.suppress`: the rule on any table of cells and relations (primary cells from 1
  to ``min_cell - 1``, then complementary cells until no relation has exactly one suppressed cell);
* :mod:`~surveillance.privacy.cells`: the table of one day's counts of a syndrome (every region, unit and
  age group, and everything together) and its relations along the hierarchy and the age groups;
* :mod:`~surveillance.privacy.masks`: that table's hidden cells, read from the store per syndrome and day
  and remembered until the next batch (:class:`SmallCells`, one per service);
* :mod:`~surveillance.privacy.alerts`: what such a reader sees of an alert's judgements, headline, events
  and history.

Presentation applies it (the dashboard, the API, the emails); detection never does: it judges exact counts.
"""

from .alerts import (figure_free, hide_judgements, judgements_hidden, series_hidden, viewer_detail, viewer_headline,
                     viewer_headlines)
from .cells import ROOT, CountCells
from .masks import DayMask, SmallCells
from .suppress import Relations, primary, suppress, suppress_columns

__all__ = ["ROOT", "CountCells", "DayMask", "Relations", "SmallCells", "figure_free", "hide_judgements",
           "judgements_hidden", "primary", "series_hidden", "suppress", "suppress_columns", "viewer_detail",
           "viewer_headline", "viewer_headlines"]
