"""The write ledger (``written.json``): what the last runs wrote into each record file.

A warm run skips reading a file whose stat is unchanged since relate wrote it and whose new
list has the same digest; losing the ledger only costs time.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from ..fileio import atomic_write_bytes
from .lists import canonical, without_scores

logger = logging.getLogger(__name__)


class WriteLedger:
    """What the last runs wrote into each record file, so that an unchanged file need not be read.

    One row per file: its size, modification and change times and inode just after relate
    wrote (or checked) it, and a digest of the list it holds. A file whose stat is still the
    same, and whose new list has the same digest, already holds exactly that list; any other
    file is read and checked as usual. Kept as JSON in the workspace; losing it only costs time.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[str, list] = {}
        self.dirty = False
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("format") == 1 and isinstance(data.get("files"), dict):
                self.rows = data["files"]
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            logger.info("ignoring the write ledger %s: %s", path, exc)

    @staticmethod
    def digest(entries: list[dict[str, Any]]) -> str:
        """A short digest of a list's content (scores left out)."""
        return hashlib.sha1(canonical([without_scores(e) for e in entries]).encode("utf-8")).hexdigest()[:20]

    @staticmethod
    def _stat(path: str) -> list[int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]

    def holds(self, path: str, digest: str) -> bool:
        """Whether ``path`` is untouched since relate wrote ``digest``'s list into it."""
        row = self.rows.get(os.path.abspath(path))
        if row is None or row[4] != digest:
            return False
        return self._stat(path) == row[:4]

    def record(self, path: str, digest: str) -> None:
        """Notes that ``path`` now holds the list of ``digest`` (call right after writing or checking)."""
        st = self._stat(path)
        key = os.path.abspath(path)
        if st is None:
            self.dirty |= self.rows.pop(key, None) is not None
            return
        self.rows[key] = [*st, digest]
        self.dirty = True

    def forget(self, path: str) -> None:
        self.dirty |= self.rows.pop(os.path.abspath(path), None) is not None

    def save(self) -> None:
        """Writes the ledger atomically (failures are only logged: it is a cache)."""
        if not self.dirty:
            return
        self.rows = {k: v for k, v in self.rows.items() if os.path.exists(k)}  # files gone since
        try:
            atomic_write_bytes(self.path, json.dumps({"format": 1, "files": self.rows}).encode("utf-8"))
            self.dirty = False
        except OSError as exc:
            logger.warning("cannot save the write ledger %s: %s", self.path, exc)
