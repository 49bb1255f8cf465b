"""Drop folders: files appear, get ingested once, and move to ``archive/`` or ``failed/``.

The ledger (ingest batches by checksum) makes a re-delivered file a no-op. A file moves
only after its batch is committed, so a crash in between leaves it in place to be seen
again, and the ledger then skips it. One bad file never stops the folder: it goes to
``failed/`` with its reason recorded in its failed batch, and the files behind it are ingested.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

from ..store import Store
from ..store.write import BatchOutcome
from .pipeline import IngestContext, ingest_file

log = logging.getLogger(__name__)


def pending_files(folder: Path, patterns: Iterable[str]) -> list[Path]:
    """Files waiting in the folder (not in its subfolders), oldest name first."""
    if not folder.is_dir():
        return []
    found = {p for pattern in patterns for p in folder.glob(pattern) if p.is_file() and not p.name.startswith(".")}
    return sorted(found, key=lambda p: p.name)


def _move(path: Path, target_dir: Path) -> Path:
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    if target.exists():  # a file of the same name delivered again: keep both
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
        target = target_dir / f"{path.stem}.{stamp}{path.suffix}"
    shutil.move(str(path), target)
    return target


def process_folder(
    store: Store,
    feed,
    ctx: IngestContext,
    *,
    received_at: Callable[[Path], datetime | None] | None = None,
    progress: Callable[[Path, BatchOutcome], None] | None = None,
) -> list[BatchOutcome]:
    """Ingest every waiting file of a folder or FHIR feed and move it out of the way."""
    archive = feed.archive_dir or feed.path / "archive"
    failed = feed.failed_dir or feed.path / "failed"
    outcomes = []
    for path in pending_files(feed.path, feed.patterns):
        when = received_at(path) if received_at else None
        # FHIR feeds are folders of .json files; read_file dispatches on the extension.
        # Never raises for the file's content: a file nobody foresaw is a failed batch with its reason.
        outcome = ingest_file(store, path, ctx, encoding=getattr(feed, "encoding", "utf-8"),
                              delimiter=getattr(feed, "delimiter", ","), received_at=when)
        try:
            _move(path, failed if outcome.status == "failed" else archive)
        except OSError as exc:  # left in place: seen again next time (and skipped by checksum once loaded)
            log.error("feed %s: cannot move %s out of the drop folder: %s", feed.name, path, exc)
        outcomes.append(outcome)
        if progress:
            progress(path, outcome)
    return outcomes
