"""Figures of the status page and API, computed once per change of the store.

Monitoring polls ``/`` and ``/api/status`` every few seconds; recomputing the date range, the fever
chart of the caller's regions and the store's totals each time cost 0.1-0.6 s of queries per request
on the city demo. They change only when a batch is ingested or a job run starts or ends
(``store.operations.status_version``), so each is kept under that version and recomputed after it moves.
"""

from __future__ import annotations

import threading
from typing import Callable

from surveillance.store import Store
from surveillance.store.operations import status_version

MAX_ENTRIES = 256  # scopes x parameters kept per version; more are computed but not kept


class PerVersion:
    """``get(key, compute)``: ``compute(cursor)``'s value, kept until the store's data version changes."""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._version = None
        self._values: dict = {}

    def get(self, key, compute: Callable):
        cur = self.store.cursor()
        version = status_version(cur)
        with self._lock:
            if version != self._version:
                self._version, self._values = version, {}
            if key in self._values:
                return self._values[key]
        value = compute(cur)
        with self._lock:
            if version == self._version and len(self._values) < MAX_ENTRIES:
                self._values[key] = value
        return value
