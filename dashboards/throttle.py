"""Failed sign-ins, counted in a sliding window, lock out further tries (in memory).

Three kinds of guessing, three limits:

* one name from one address (a person mistyping, or a guesser on one account): ``per_pair``;
* one address over many names (spraying one password over every account): ``per_address``;
* many addresses over many names (the same, spread out): ``overall``; beyond it every sign-in waits
  until the window has passed, which slows spraying to ``overall`` guesses per window.

A name guessed at from many addresses is covered by ``per_name``. A sign-in that succeeds clears its
own name and address pair only.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

WINDOW = 300.0  # seconds
PER_PAIR = 5
PER_NAME = 20
PER_ADDRESS = 20
OVERALL = 100
SWEEP_AT = 2000  # keys kept before the old ones are swept away


class LoginThrottle:
    """Refuses sign-ins after too many failures in the last ``window`` seconds."""

    def __init__(self, *, per_pair: int = PER_PAIR, per_name: int = PER_NAME, per_address: int = PER_ADDRESS,
                 overall: int = OVERALL, window: float = WINDOW, clock=time.monotonic):
        self.limits = {"pair": per_pair, "name": per_name, "address": per_address, "overall": overall}
        self.window = window
        self._clock = clock
        self._failures: dict[tuple, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, address: str) -> dict[str, tuple]:
        name = name.casefold()
        return {"pair": ("pair", name, address), "name": ("name", name), "address": ("address", address),
                "overall": ("overall",)}

    def _recent(self, key) -> int:
        q = self._failures.get(key)
        if not q:
            return 0
        cutoff = self._clock() - self.window
        while q and q[0] < cutoff:
            q.popleft()
        if not q:
            del self._failures[key]
        return len(q)

    def locked(self, name: str, address: str) -> str | None:
        """Which limit refuses a sign-in of ``name`` from ``address`` now (``pair``, ``name``, ``address``,
        ``overall``), or None."""
        with self._lock:
            for kind, key in self._keys(name, address).items():
                if self._recent(key) >= self.limits[kind]:
                    return kind
        return None

    def failed(self, name: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key in self._keys(name, address).values():
                self._failures[key].append(now)
            if len(self._failures) > SWEEP_AT:  # forget names and addresses not seen within the window
                for key in list(self._failures):
                    self._recent(key)

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(name, address)["pair"], None)
