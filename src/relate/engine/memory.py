"""Giving memory back: freed memory to the operating system, rows' lines to a file.

Python frees a run's records as soon as nothing holds them, but glibc's allocator keeps the
pages of freed blocks (the records' longer strings) for its own later use; an index built
afterwards takes new memory instead. :func:`give_back` asks glibc to return them
(``malloc_trim``); elsewhere it does nothing. :func:`spilled` moves a refit's article lines
(a gigabyte at a million rows) to a file until the workspace is saved.

Example:
    >>> give_back() in (True, False)
    True
"""
from __future__ import annotations

import ctypes
import functools
from collections.abc import Sequence
from pathlib import Path

from ..workspace.lines import READS_FROM_FILE, FileLines


@functools.cache
def _trim():
    """glibc's ``malloc_trim`` among the symbols the process already has (no search for the
    library: ``ctypes.util.find_library`` runs a program, a fork of a process gigabytes large)."""
    try:
        return getattr(ctypes.CDLL(None), "malloc_trim", None)
    except (OSError, TypeError):
        return None


def give_back() -> bool:
    """Returns the C library's free memory to the system; whether any was returned (``False``
    also where there is no ``malloc_trim``)."""
    trim = _trim()
    return bool(trim(0)) if trim is not None else False


def spilled(lines: list[str] | FileLines, folder: Path) -> Sequence[str]:
    """``lines`` written to a nameless file in ``folder`` and read from there when asked
    (:meth:`relate.workspace.FileLines.spill`); the list is emptied. Lines read from a file
    already (a :class:`~relate.workspace.FileLines` holding none in memory), and every list
    where ``os.pread`` is missing, stay as they are."""
    if not READS_FROM_FILE or (isinstance(lines, FileLines) and not lines.held):
        return lines
    folder.mkdir(parents=True, exist_ok=True)
    out = FileLines.spill(lines, folder)
    lines.clear()
    return out
