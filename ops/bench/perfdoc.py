"""Writing figures into docs/PERFORMANCE.md: one place for every benchmark in ops/bench/.

Each benchmark owns either a marked block (`<!-- ops/bench/x.py: start -->` … `end -->`)
inside a "## Heading" section, or a whole section. Writers take an exclusive lock on the file
while they read, change and write it, so two benchmarks finishing at once cannot lose each
other's figures (that happened once: a read-modify-write raced another).
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Callable
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "PERFORMANCE.md"
NEW_FILE = "# Performance\n"


def _edit(change: Callable[[str], str], doc: Path = DOC) -> None:
    doc.parent.mkdir(parents=True, exist_ok=True)
    with (doc.parent / ".PERFORMANCE.md.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        text = doc.read_text() if doc.exists() else NEW_FILE
        doc.write_text(change(text).rstrip("\n") + "\n")


def write_block(heading: str, start: str, end: str, body: str, doc: Path = DOC) -> None:
    """Puts `body` between the `start` and `end` markers; where they are missing, at the end of
    the "## heading" section (made at the end of the file if missing). The rest stays."""

    def change(text: str) -> str:
        block = f"{start}\n{body.strip()}\n{end}"
        if start in text and end in text:
            before, rest = text.split(start, 1)
            return before + block + rest.split(end, 1)[1]
        if found := re.search(rf"^## {re.escape(heading)}\b.*$", text, re.M):
            following = re.search(r"^## ", text[found.end():], re.M)
            at = found.end() + following.start() if following else len(text)
            return text[:at].rstrip("\n") + "\n\n" + block + "\n\n" + text[at:]
        return text.rstrip("\n") + f"\n\n## {heading}\n\n" + block + "\n"

    _edit(change, doc)


def replace_section(heading: str, section: str, doc: Path = DOC) -> None:
    """Replaces the whole "## heading" section (up to the next "## ") with `section`, which
    starts with that heading; appends it where the file has none."""

    def change(text: str) -> str:
        pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
        if pattern.search(text):
            return pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text, count=1)
        return text.rstrip("\n") + "\n\n" + section + "\n"

    _edit(change, doc)
