"""Array files whose rows are only ever appended to: a base file and a tail of the rows since.

A workspace's vectors and neighbour table only grow between refits (an update appends the rows
it adds). :func:`save_rows` writes just the rows appended since the base file was written whole
(``<name>-tail.npy``), while they are at most a quarter of it; :func:`load_rows` joins the two
again. :attr:`relate.engine.store.Stored.bases` keeps each base file's rows.

Example:
    >>> tail_name("vectors.npy")
    'vectors-tail.npy'
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..fileio import atomic_save_npy
from ..workspace import Workspace


def tail_name(name: str) -> str:
    """The file holding the rows appended to array file ``name`` since it was written whole."""
    return name.removesuffix(".npy") + "-tail.npy"


def save_rows(ws: Workspace, name: str, array: np.ndarray, bases: dict[str, int]) -> None:
    """Writes an array whose rows are only ever appended to (until a refit starts it again).

    While the rows appended since the base file ``name`` was written whole are at most a
    quarter of it, only they are written (``<name>-tail.npy``); else the whole array is, as a
    new base. ``bases`` holds each base file's rows (kept in ``params.json``): a tail counts
    only with the base it was written for (see :func:`load_rows`).
    """
    base, tail = bases.get(name, 0), ws.path(tail_name(name))
    if 0 < base <= len(array) and len(array) - base <= base // 4 and ws.path(name).exists():
        if len(array) > base:
            atomic_save_npy(tail, array[base:])
        else:
            tail.unlink(missing_ok=True)
        return
    atomic_save_npy(ws.path(name), array)
    tail.unlink(missing_ok=True)
    bases[name] = len(array)


def load_rows(ws: Workspace, name: str, bases: dict[str, int], saved: dict[str, Any],
              held: np.ndarray | None = None) -> np.ndarray:
    """Reads what :func:`save_rows` wrote: the base file, and its tail when ``saved`` (the
    ``bases`` of ``params.json``) says it was written for this base; records the base's rows.

    ``held``: the same rows already in memory (the vectors an index holds): returned instead
    of reading the files, when it has as many rows as they do.
    """
    base = np.load(ws.path(name), allow_pickle=False, mmap_mode="r")   # read once, into the joined array
    bases[name], tail = len(base), ws.path(tail_name(name))
    joined = saved.get(name) == len(base) and tail.exists()
    if held is not None:
        rows = len(base) + (len(np.load(tail, allow_pickle=False, mmap_mode="r")) if joined else 0)
        if held.shape == (rows, *base.shape[1:]):
            return held
    if joined:
        return np.concatenate([base, np.load(tail, allow_pickle=False).astype(base.dtype, copy=False)])
    return np.array(base)
