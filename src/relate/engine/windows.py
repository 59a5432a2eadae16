"""Candidate windows: each indexed article's nearest rows, kept in the workspace and kept up to date.

A related list is ranked from the article's *window*: its ``width`` nearest live rows (itself
included), best first, with their cosines. Windows are searched once and stored
(``windows.npy``, ``window-sims.npy``), so that a nightly run touches only what changed:

- a new row gets its window searched;
- an article whose window holds a row that left (removed, or re-encoded under a new row)
  gets its window searched again;
- every other article gets each new row merged in exactly when it belongs there: the new
  row's cosine beats the last one in the window (found with one exact pass of the new rows
  against every stored vector, so no index approximation is involved).

So the windows after an update are exactly what a fresh exact search would give, and a
list whose window and rows did not change need not be ranked again. Cosines are recomputed
the same way everywhere (:func:`pair_cosines`, in float64), and windows are ordered by
cosine, then row, so the result does not depend on how searches were batched.

Example:
    >>> import numpy as np
    >>> v = np.eye(3, dtype="float32")
    >>> pair_cosines(v, np.array([0, 0]), np.array([0, 1])).tolist()
    [1.0, 0.0]
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..index import search

#: Extra rows searched beyond the window, so rows the index scores as a near tie at the
#: window's edge are ordered by the exact cosine too.
MARGIN = 8
#: Rows per block of the exact passes (bounds their temporary memory).
EXACT_BLOCK = 16_384


def dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products of two ``(..., dim)`` arrays (float32, summed along the last axis).

    The one way relate computes the cosine that orders a window: the same pair gets the
    same bits whichever search, merge or batch it comes from (unlike a BLAS product, whose
    rounding depends on how the batch is blocked).
    """
    return np.multiply(a, b, dtype=np.float32).sum(axis=-1, dtype=np.float32)


def pair_cosines(vectors: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of each pair ``(vectors[a[i]], vectors[b[i]])`` (see :func:`dots`)."""
    a, b = np.asarray(a).ravel(), np.asarray(b).ravel()
    out = np.empty(len(a), dtype=np.float32)
    for start in range(0, len(a), EXACT_BLOCK):
        out[start:start + EXACT_BLOCK] = dots(vectors[a[start:start + EXACT_BLOCK]], vectors[b[start:start + EXACT_BLOCK]])
    return out


def order(rows: np.ndarray, sims: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Each line of ``(rows, sims)`` sorted by cosine, then row, cut to ``width``; -1 rows last.

    Example:
        >>> r, s = order(np.array([[3, 1, -1, 2]]), np.array([[0.5, 0.9, 0.0, 0.5]], dtype="float32"), 3)
        >>> r.tolist(), s.tolist()
        ([[1, 2, 3]], [[0.8999999761581421, 0.5, 0.5]])
    """
    rows = np.asarray(rows, dtype=np.int64)
    key = np.where(rows < 0, np.inf, -np.asarray(sims, dtype=np.float64))
    idx = np.lexsort((rows, key), axis=1)[:, :width]
    out_rows = np.take_along_axis(rows, idx, axis=1)
    out_sims = np.take_along_axis(np.asarray(sims, dtype=np.float32), idx, axis=1)
    out_sims[out_rows < 0] = -np.inf
    if out_rows.shape[1] < width:
        pad = width - out_rows.shape[1]
        out_rows = np.pad(out_rows, ((0, 0), (0, pad)), constant_values=-1)
        out_sims = np.pad(out_sims, ((0, 0), (0, pad)), constant_values=-np.inf)
    return out_rows, out_sims


def search_windows(index, vectors: np.ndarray, queries: np.ndarray, width: int, live: int,
                   params=None) -> tuple[np.ndarray, np.ndarray]:
    """The windows of query vectors: ``(rows, sims)``, each ``(len(queries), width)``.

    Args:
        index: the FAISS index over ``vectors``' rows.
        vectors: the stored vectors (for the exact cosines).
        queries: ``(q, dim)`` query vectors.
        width: rows per window.
        live: how many rows the index may return (rows beyond are padded with -1).
        params: FAISS search parameters (e.g. a selector leaving out removed rows).
    """
    k = max(1, min(width + MARGIN, live))
    queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    if params is None:
        _, rows = search(index, queries, k)
    else:
        _, rows = index.search(queries, k, params=params)
    rows = rows.astype(np.int64)
    sims = dots(queries[:, None, :], vectors[np.where(rows < 0, 0, rows)])
    return order(rows, sims, width)


def entering(vectors: np.ndarray, new_rows: Sequence[int], floors: np.ndarray, candidates: np.ndarray,
             block: int = EXACT_BLOCK) -> dict[int, list[int]]:
    """For each new row, the stored rows whose window it enters (cosine at least the window's floor).

    One exact pass of the new rows against ``candidates`` (the rows whose windows are kept),
    with a small tolerance; callers check each hit with :func:`pair_cosines`.

    Args:
        vectors: every stored vector.
        new_rows: the rows added.
        floors: per stored row, the cosine of its window's last row (``-inf`` when the window
            is not full).
        candidates: the rows to check.
        block: stored rows per block.
    """
    hits: dict[int, list[int]] = {}
    new_rows = np.asarray(list(new_rows), dtype=np.int64)
    if not len(new_rows) or not len(candidates):
        return hits
    x = np.ascontiguousarray(vectors[new_rows], dtype=np.float32)
    for start in range(0, len(candidates), block):
        rows = candidates[start:start + block]
        sims = np.asarray(vectors[rows], dtype=np.float32) @ x.T           # (block, new)
        found = np.nonzero(sims >= floors[rows][:, None] - 1e-4)
        for r, j in zip(found[0].tolist(), found[1].tolist()):
            hits.setdefault(int(new_rows[j]), []).append(int(rows[r]))
    return hits


def merge(rows: np.ndarray, sims: np.ndarray, target: int, new: list[int], new_sims: np.ndarray,
          width: int) -> list[int] | None:
    """Merges new rows into one stored window (in place).

    Returns:
        ``None`` when the window did not change, else the rows it lost (pushed out).
    """
    all_rows = np.concatenate([rows[target], np.asarray(new, dtype=np.int64)])
    all_sims = np.concatenate([sims[target], np.asarray(new_sims, dtype=np.float32)])
    r, s = order(all_rows[None, :], all_sims[None, :], width)
    if np.array_equal(r[0], rows[target]) and np.array_equal(s[0], sims[target]):
        return None
    lost = sorted(set(rows[target].tolist()) - set(r[0].tolist()) - {-1})
    rows[target], sims[target] = r[0], s[0]
    return lost


def floors(sims: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per window, the cosine a new row must reach to enter it (``-inf`` for a window not yet full)."""
    full = rows[:, -1] >= 0
    return np.where(full, sims[:, -1], -np.inf).astype(np.float32)


def neighbour_table(rows: np.ndarray, sims: np.ndarray, own: np.ndarray, depth: int) -> np.ndarray:
    """``(n, depth)`` cosines of each window's rows other than its own article, padded with ``-inf``.

    Example:
        >>> neighbour_table(np.array([[0, 2, 1]]), np.array([[1.0, 0.8, 0.7]], dtype="float32"),
        ...                 np.array([0]), 3).tolist()
        [[0.800000011920929, 0.699999988079071, -inf]]
    """
    keep = (rows >= 0) & (rows != np.asarray(own)[:, None])
    idx = np.argsort(~keep, axis=1, kind="stable")
    out = np.take_along_axis(np.where(keep, sims, -np.inf).astype(np.float32), idx, axis=1)[:, :depth]
    if out.shape[1] < depth:
        out = np.pad(out, ((0, 0), (0, depth - out.shape[1])), constant_values=-np.inf)
    return np.ascontiguousarray(out)
