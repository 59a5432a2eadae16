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


@pytest.mark.parametrize("kind", ["flat", "sq8"])
def test_a_refit_gathers_its_vectors_into_a_nameless_file_and_keeps_them_once(tmp_path, azure_dir, hash_encoder,
                                                                                monkeypatch, kind):
    """At a refit the vectors read from the cache wait for the index in a nameless file (not in
    memory); the index then holds them, or, where it keeps only codes (8-bit), they are read
    back into memory. Either way they are the encoder's vectors and the file leaves nothing."""
    import relate.embed.cache as cache_module
    from relate.text import article_text

    made = []
    scratch = cache_module.scratch_array
    monkeypatch.setattr(cache_module, "scratch_array", lambda *a: made.append(scratch(*a)) or made[-1])
    config = Config.from_dict({"index": {"kind": "flat", "scalar_8bit": kind == "sq8"}})
    ws = tmp_path / "ws"
    engine = Engine.build(sorted(azure_dir.glob("*.md"))[:200], workspace=ws, config=config, encoder=hash_encoder)
    assert len(made) == 1 and isinstance(made[0], np.memmap) and made[0].shape == (200, hash_encoder.dim)
    assert not isinstance(engine.vectors, np.memmap)
    texts = [article_text(a.title, a.excerpt, config.embed) for a in engine.articles.values()]
    np.testing.assert_array_equal(engine.vectors, hash_encoder.encode(texts))
    if kind == "flat":
        assert engine.vectors.base.index is engine.index
    else:
        assert engine.vectors.base is None or not isinstance(engine.vectors.base, np.memmap)
    assert sorted(p.name for p in ws.iterdir() if p.name.startswith(("tmp", "."))) == []


def test_a_refit_keeps_its_candidate_windows_in_nameless_files_equal_to_those_saved(tmp_path, azure_dir,
                                                                                    hash_encoder):
    """At a refit the candidate windows are searched into nameless files in the workspace folder
    (their pages let go as they are written and read); what is saved, reopened, updated and
    ranked from them is what it is from memory."""
    files = sorted(azure_dir.glob("*.md"))[:260]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in files[:240]:
        shutil.copy(p, corpus / p.name)
    ws = tmp_path / "ws"
    engine = Engine.build(corpus, workspace=ws, encoder=hash_encoder)
    s = engine._s
    assert isinstance(s.windows, np.memmap) and isinstance(s.window_sims, np.memmap)
    np.testing.assert_array_equal(s.windows, np.load(ws / "windows.npy"))
    np.testing.assert_array_equal(s.window_sims, np.load(ws / "window-sims.npy"))
    assert (s.windows[:, 0] >= 0).all() and np.isfinite(s.window_sims[:, 0]).all()
    lists = engine.suggest_many(k=5)
    reopened = Engine(ws, encoder=hash_encoder)
    assert not isinstance(reopened._s.windows, np.memmap)
    assert reopened.suggest_many(k=5) == lists
    for p in files[240:]:
        shutil.copy(p, corpus / p.name)
    (corpus / files[3].name).unlink()
    stats = engine.update(corpus)
    assert not stats["refit"] and stats["added"] == 20
    again = Engine(ws, encoder=hash_encoder)
    np.testing.assert_array_equal(engine._s.windows, again._s.windows)
    np.testing.assert_array_equal(engine._s.window_sims, again._s.window_sims)
    assert engine.suggest_many(k=5) == again.suggest_many(k=5)
    assert sorted(p.name for p in ws.iterdir() if p.name.startswith(("tmp", "."))) == []
