"""Giving freed memory back to the operating system, where the C library keeps it otherwise.

Python frees a run's records as soon as nothing holds them, but glibc's allocator keeps the
pages of freed blocks (the records' longer strings) for its own later use; an index built
afterwards takes new memory instead. :func:`give_back` asks glibc to return them
(``malloc_trim``); elsewhere it does nothing.

Example:
    >>> give_back() in (True, False)
    True
"""
from __future__ import annotations

import ctypes
import functools


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
