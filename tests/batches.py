"""Writing test rows into a store as one accepted batch, as ingest would after validation."""

from __future__ import annotations

import pandas as pd

from surveillance.store.write import write_batch

ROW_COLUMNS = ["date", "unit", "syndrome", "age_group", "count", "total"]


def write_rows(store, rows, received_at, *, source: str = "t") -> None:
    """Store ``rows`` (tuples or a frame of :data:`ROW_COLUMNS`) as one batch received at ``received_at``."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=ROW_COLUMNS)
    with store.transaction() as cur:
        cur.register("rows", frame)
        write_batch(cur, feed="clinics", source=source, checksum=None, valid_table="rows",
                    quarantined=pd.DataFrame(columns=["row_number", "field", "value", "reason", "raw"]),
                    rows_read=len(frame), collapsed_rows=0, received_at=received_at, started_at=received_at)
        cur.unregister("rows")
