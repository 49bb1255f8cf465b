"""The DuckDB store: schema migrations, writes that keep every revision, as-of reads.

One process owns a database file for writing (DuckDB's rule); threads inside it share
the :class:`Store` and take their own cursor with :meth:`Store.cursor`.
"""

from .database import Store, open_store

__all__ = ["Store", "open_store"]
