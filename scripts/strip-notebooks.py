"""Strip outputs, execution counts and run metadata from notebooks, in place, so that git holds
only what a person wrote. The test suite checks that committed notebooks are stripped.

    python scripts/strip-notebooks.py notebooks/*.ipynb
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

RUN_METADATA = ("execution", "collapsed", "scrolled", "jupyter")


def strip(path: Path) -> bool:
    """Strip one notebook; returns whether it changed."""
    book = nbformat.read(path, as_version=4)
    before = nbformat.writes(book)
    for cell in book.cells:
        for key in RUN_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    book.metadata.pop("widgets", None)
    after = nbformat.writes(book)
    if after != before:
        path.write_text(after, encoding="utf-8")
    return after != before


if __name__ == "__main__":
    changed = [p for p in map(Path, sys.argv[1:]) if strip(p)]
    for path in changed:
        print(f"stripped {path}")
