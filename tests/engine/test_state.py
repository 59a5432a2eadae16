"""The engine as plain data: an engine rebuilt from its state ranks exactly as the original."""
from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import numpy as np
import pytest

import relate
from relate.engine import EngineState, build_table

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def engine(tmp_path_factory, hash_encoder):
    return relate.Engine.build(DATA, workspace=tmp_path_factory.mktemp("state-ws"), encoder=hash_encoder)


def test_state_is_plain_data(engine):
    state = engine.state()
    assert isinstance(state, EngineState)
    assert isinstance(state.config, dict) and state.config["rank"]["k"] == engine.config.rank.k
    assert state.ids == engine.ids and state.keys == engine.keys and state.vectors is engine.vectors
    assert all(isinstance(line, str) for line in state.rows) and len(state.rows) == len(engine)
    assert state.folder == str(engine.folder)
    assert {f.name for f in dataclasses.fields(state)} == {"config", "folder", "ids", "keys", "vectors", "rows",
                                                           "table", "lexicon", "index", "live", "windows",
                                                           "window_sims"}


def test_engine_from_state_ranks_the_same(engine, hash_encoder, tmp_path):
    state = pickle.loads(pickle.dumps(engine.state(), protocol=5))
    state.folder = str(tmp_path / "elsewhere")  # a worker need not see the workspace folder
    clone = relate.Engine.from_state(state, encoder=hash_encoder)
    assert not (tmp_path / "elsewhere").exists()
    assert clone.config == engine.config and len(clone) == len(engine)
    rows = engine._rows[:20]
    assert clone.suggest_many(rows, k=4) == engine.suggest_many(rows, k=4)
    new = {"title": "Nimbus Cloud region outage disrupts check-in", "webUrl": "https://example.org/n"}
    assert clone.suggest(new) == engine.suggest(new)
    again = relate.Engine.from_state(clone.state(), encoder=hash_encoder)  # and round again
    assert again.suggest_many(rows) == engine.suggest_many(rows)


def test_engine_from_state_loads_no_model(engine):
    clone = relate.Engine.from_state(engine.state())
    assert clone.encoder._model is None  # the configured encoder, not loaded to rank indexed articles
    assert clone.articles.keys() == engine.articles.keys()


def test_shipped_table_is_the_one_build_table_makes(engine):
    table = build_table(engine._rows, engine.vectors, engine.config.rank, engine.config.embed)
    shipped = engine.state().table
    for f in dataclasses.fields(table):
        a, b = getattr(table, f.name), getattr(shipped, f.name)
        if f.name == "key_terms":
            assert (a.terms, a.idf, a.names, a.lower) == (b.terms, b.idf, b.names, b.lower)
        elif f.name == "stats":
            assert a.to_json() == b.to_json()
        elif f.name == "neighbour_sims":   # filled on first ranking; state() fills it before shipping
            assert a is None and b.shape == (len(engine), engine.config.rank.reciprocal_depth)
        else:
            assert np.array_equal(a, b, equal_nan=True) if isinstance(a, np.ndarray) else a == b
