"""The stage functions and their runners: local, Ray when asked (and a clear message without it)."""
from __future__ import annotations

import pickle
import sys

import pytest

from relate.batch import EncodeBatch, LocalRunner, RankBatch, batches, get_runner
from relate.config import Config, EmbedConfig
from relate.errors import ConfigError


def test_batches_and_local_runner():
    assert batches([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert batches([], 3) == []
    assert list(LocalRunner().map(sum, batches([1, 2, 3], 2))) == [3, 3]


def test_ray_engine_without_ray_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    monkeypatch.delitem(sys.modules, "relate.batch.ray_runner", raising=False)
    with pytest.raises(ConfigError, match=r"pip install 'relate\[ray\]'"):
        get_runner(Config.from_dict({"batch": {"engine": "ray"}}))
    # the local engine never needs it
    assert get_runner(Config()).name == "local"


@pytest.mark.ray
def test_ray_engine_gives_the_ray_runner():
    pytest.importorskip("ray")
    runner = get_runner(Config.from_dict({"batch": {"engine": "ray", "ray_batch_size": 1000}}))
    assert runner.name == "ray"  # it connects on first use, not here
    assert runner.encode_batch == 1024  # whole local chunks (512 texts), so the vectors are the local ones


def test_encode_batch_pickles_without_its_model():
    fn = EncodeBatch(EmbedConfig(), encoder=object())
    clone = pickle.loads(pickle.dumps(fn))
    assert clone.cfg == EmbedConfig() and clone._encoder is None


def test_stage_functions_with_an_injected_encoder(hash_encoder, tmp_path):
    from _helpers_batch import DATA

    from relate.engine import Engine

    fn = EncodeBatch(EmbedConfig(), encoder=hash_encoder)
    assert fn(["a text", "another"]).shape == (2, hash_encoder.dim)
    engine = Engine.build(DATA, workspace=tmp_path / "ws", encoder=hash_encoder)
    rows = engine._rows[:3]
    lists = RankBatch(engine, k=2)(rows)
    assert set(lists) == {a.id for a in rows}
    assert all(len(v) <= 2 and all("score" not in e for e in v) for v in lists.values())
    scored = RankBatch(engine, k=2, keep_scores=True)(rows)
    assert all("score" in e for v in scored.values() for e in v)
