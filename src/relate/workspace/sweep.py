"""The sweep: temporary files a killed run left behind, in a workspace or beside record files.

An atomic write (:func:`relate.fileio.atomic_open`) writes ``.<name>.<8 random chars>.tmp`` and
renames it over ``<name>``; a run killed in between leaves the temporary file, which the next run
holding the lock removes (:meth:`relate.workspace.Workspace.sweep`).
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..fileio import temp_in_use

logger = logging.getLogger(__name__)

#: A temporary file of an atomic write (``.<name>.<8 random chars>.tmp``), left by a killed run.
_TEMP_FILE = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")


def sweep_temp_files(folder: Path, names: Iterable[str] | None = None) -> int:
    """Removes temporary files that a killed run left in ``folder``; returns how many.

    Only files named like relate's atomic writes go, and with ``names`` only those of these
    files (``.a.md.x1y2z3w4.tmp`` for ``a.md``). A file a live process is still writing
    (another run, with another workspace: :func:`relate.fileio.temp_in_use`) is left alone.
    Call it while holding the workspace lock.
    """
    wanted = None if names is None else set(names)
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        m = _TEMP_FILE.match(entry.name)
        if m is None or (wanted is not None and m.group("name") not in wanted):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and not temp_in_use(entry.path):
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    if removed:
        logger.info("removed %d temporary file(s) left in %s by an interrupted run", removed, folder)
    return removed


def sweep_record_folders(paths: Iterable[Any]) -> None:
    """Removes the temporary files a killed run left beside these record files (theirs only).

    Record folders are shared by runs with different workspaces: a write still in flight
    (its temporary file locked by its writer) is not taken away.
    """
    by_folder: dict[str, set[str]] = {}
    for p in paths:
        if p:
            folder, name = os.path.split(str(p))
            by_folder.setdefault(folder or ".", set()).add(name)
    for folder, names in by_folder.items():
        sweep_temp_files(Path(folder), names)
