"""The vectors are held once: a flat or HNSW index's own memory is the engine's vector array,
after a build, an update that adds rows, and a reopen (real azure records, the hash encoder)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from relate.config import Config
from relate.engine import Engine


def _saved(ws):
    base = np.load(ws / "vectors.npy")
    tail = ws / "vectors-tail.npy"
    return np.concatenate([base, np.load(tail)]) if tail.exists() else base


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_the_index_memory_is_the_engine_vectors(tmp_path, azure_dir, hash_encoder, kind):
    files = sorted(azure_dir.glob("*.md"))[:320]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in files[:300]:
        shutil.copy(p, corpus / p.name)
    config = Config.from_dict({"index": {"kind": kind}})
    ws = tmp_path / "ws"
    engine = Engine.build(corpus, workspace=ws, config=config, encoder=hash_encoder)
    assert engine.vectors.base.index is engine.index and not engine.vectors.flags.writeable
    assert np.array_equal(engine.vectors, _saved(ws))
    rows = len(engine.vectors)
    for p in files[300:]:
        shutil.copy(p, corpus / p.name)
    (corpus / files[0].name).unlink()
    stats = engine.update(corpus)
    assert not stats["refit"] and stats["added"] == 20 and stats["removed"] == 1
    assert engine.vectors.base.index is engine.index and len(engine.vectors) == engine.index.ntotal == rows + 20
    assert np.array_equal(engine.vectors, _saved(ws))
    again = Engine(ws, config=config, encoder=hash_encoder)
    assert again.vectors.base.index is again.index and np.array_equal(again.vectors, engine.vectors)
    assert again.suggest_many(k=5) == engine.suggest_many(k=5)
