"""Candidate windows: one cosine per pair whatever the batch, exact merges, stable order."""
from __future__ import annotations

import numpy as np

from relate.config import IndexConfig
from relate.engine.windows import entering, floors, merge, neighbour_table, order, pair_cosines, search_windows
from relate.index import build_index, search_params


def unit_rows(n: int, d: int = 32, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_a_pair_gets_the_same_cosine_in_any_batch():
    v = unit_rows(500)
    index = build_index(v, IndexConfig(kind="flat"))
    rows, sims = search_windows(index, v, v[:100], 12, len(v))
    one_rows, one_sims = search_windows(index, v, v[37:38], 12, len(v))
    assert np.array_equal(one_rows[0], rows[37]) and np.array_equal(one_sims[0], sims[37])
    assert np.array_equal(pair_cosines(v, np.repeat(np.arange(100), 12), rows.ravel()), sims.ravel())
    assert rows[5, 0] == 5 and np.all(np.diff(sims, axis=1) <= 0)          # itself first, best first


def test_windows_leave_out_dead_rows_and_pad_short_ones():
    v = unit_rows(20)
    index = build_index(v, IndexConfig(kind="flat"))
    dead = np.array([3, 4])
    rows, sims = search_windows(index, v, v[:2], 25, 18, search_params(index, dead))
    assert not np.isin(rows, dead).any()
    assert (rows[:, :18] >= 0).all() and (rows[:, 18:] == -1).all() and np.isneginf(sims[:, 18:]).all()
    assert np.isneginf(floors(sims, rows)).all()            # not full: anything may enter


def test_merging_a_new_row_gives_what_a_fresh_search_gives():
    v = unit_rows(300, seed=3)
    old, new = v[:290], np.arange(290, 300)
    index = build_index(old, IndexConfig(kind="flat"))
    rows, sims = search_windows(index, old, old, 15, len(old))
    hits = entering(v, new, floors(sims, rows), np.arange(290))
    for x, targets in hits.items():
        for q in targets:
            merge(rows, sims, q, [x], pair_cosines(v, [q], [x]), 15)
    index.add(v[290:])
    fresh_rows, fresh_sims = search_windows(index, v, v[:290], 15, len(v))
    assert np.array_equal(rows, fresh_rows) and np.array_equal(sims, fresh_sims)
    assert sum(len(t) for t in hits.values()) > 0


def test_order_breaks_ties_by_row_and_neighbour_table_drops_the_article():
    r, s = order(np.array([[9, 2, 5]]), np.array([[0.5, 0.5, 0.7]], dtype=np.float32), 3)
    assert r.tolist() == [[5, 2, 9]]
    assert neighbour_table(r, s, np.array([2]), 2).tolist() == [[np.float32(0.7), np.float32(0.5)]]
