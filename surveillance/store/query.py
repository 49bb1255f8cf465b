"""Small helpers every store module uses to run its SQL."""

from __future__ import annotations


def first_row(con, sql: str, params=()) -> tuple | None:
    """The first row of a query, or None; the result is read to its end, so the cursor can run the next
    statement (DuckDB refuses new work on a cursor with an unfinished result)."""
    rows = con.execute(sql, list(params)).fetchall()
    return rows[0] if rows else None
