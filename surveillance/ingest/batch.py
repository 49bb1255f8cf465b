"""What every feed hands to the ingest pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class RawBatch:
    """One unit of work from a feed: a file, an HTTP page, a query result.

    ``frame`` keeps the source's column names and raw values (strings are fine); the
    pipeline applies the feed's column mapping and validation. ``label`` names the
    origin in errors and in quarantine (a file path, a URL with its cursor, a query).
    ``state`` is the feed's incremental state after this batch; the pipeline saves it
    only once the batch is committed, so a failed batch is pulled again next time.
    ``row_numbers`` are the 1-based positions of the frame's rows in the source (line
    numbers of a file), for messages people can find; default 1..n.
    """

    label: str
    frame: pd.DataFrame
    checksum: str | None = None
    state: dict = field(default_factory=dict)
    row_numbers: list[int] | None = None
