"""An engine's rows as one plain-data :class:`~relate.engine.state.EngineState` and back (e.g. for Ray's object store).

The FAISS index travels serialised; the model does not (ranking indexed articles needs none).
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..config import Config
from .state import EngineState
from .store import Stored


def engine_state(s: Stored, table: Any, config: Config, folder: str) -> EngineState:
    """The plain data of stored rows ``s`` and their rank ``table`` (:func:`relate.engine.facts.plain_table`)."""
    import faiss

    return EngineState(
        config=dataclasses.asdict(config), folder=folder, ids=s.ids, keys=s.keys, vectors=s.vectors, rows=list(s.lines),
        table=table, lexicon=s.lexicon, index=None if s.index is None else faiss.serialize_index(s.index),
        live=s.live, windows=s.windows, window_sims=s.window_sims)


def stored_of(state: EngineState, config: Config) -> Stored:
    """The stored rows an :class:`EngineState` describes (the rank table is ``state.table``)."""
    import faiss

    live = state.live if state.live is not None else np.ones(len(state.ids), dtype=bool)
    return Stored(
        ids=list(state.ids), keys=list(state.keys), live=live, vectors=state.vectors,
        index=None if state.index is None else faiss.deserialize_index(state.index), lines=list(state.rows),
        lexicon=state.lexicon, stats=getattr(state.table, "stats", None), windows=state.windows,
        window_sims=state.window_sims, digests=getattr(state.table, "digest", None),
        removed=getattr(state.table, "removed", None), hide_digests=not config.rank.suggest_digests)
