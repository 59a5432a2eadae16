"""The batch stages: which articles get new lists (``--since``, paths), and the encode stage."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from _helpers_batch import DATA, art

from relate.batch import LocalRunner, parse_since, select
from relate.batch.stages import encode
from relate.config import Config
from relate.corpus import read_corpus
from relate.engine import Engine
from relate.errors import ConfigError

UTC = timezone.utc


def test_parse_since_forms():
    now = datetime(2024, 2, 1, 12, tzinfo=UTC)
    assert parse_since("2024-01-31") == datetime(2024, 1, 31, tzinfo=UTC)
    assert parse_since("2024-01-31T06:30:00Z") == datetime(2024, 1, 31, 6, 30, tzinfo=UTC)
    assert parse_since("2024-01-31T06:30:00+02:00") == datetime(2024, 1, 31, 4, 30, tzinfo=UTC)
    assert parse_since("2024-01-31 06:30") == datetime(2024, 1, 31, 6, 30, tzinfo=UTC)
    assert parse_since("7d", now=now) == now - timedelta(days=7)
    assert parse_since("36h", now=now) == now - timedelta(hours=36)
    assert parse_since("2w", now=now) == now - timedelta(weeks=2)
    with pytest.raises(ConfigError, match="36h"):
        parse_since("last tuesday")


def test_select_by_since_and_paths(tmp_path):
    a = art("https://x.com/a", datetime(2023, 1, 1, tzinfo=UTC), str(tmp_path / "a.md"))
    b = art("https://x.com/b", datetime(2024, 1, 1, tzinfo=UTC), str(tmp_path / "b.md"))
    c = art("https://x.com/c", None, str(tmp_path / "c.md"))
    arts = [a, b, c]
    assert select(arts) == arts
    assert select(arts, since=datetime(2023, 6, 1, tzinfo=UTC)) == [b]  # no date: not picked
    assert select(arts, paths=[tmp_path / "c.md"]) == [c]
    assert select(arts, paths=["https://x.com/a"]) == [a]
    assert select(arts, paths=[b.id]) == [b]
    # either filter picks; corpus order is kept
    assert select(arts, since=datetime(2023, 6, 1, tzinfo=UTC), paths=[str(tmp_path / "a.md")]) == [a, b]
    # a relative path resolves against the working folder
    os.chdir(tmp_path)
    assert select(arts, paths=["a.md"]) == [a]
    with pytest.raises(ConfigError, match="not in the corpus: nope.md"):
        select(arts, paths=["nope.md"])


class _CountingRunner(LocalRunner):
    """A local runner with its own batch size and save interval, counting what it is given."""

    def __init__(self, encode_batch=None, save_every=0):
        self.encode_batch, self.save_every, self.sizes = encode_batch, save_every, []

    def map(self, fn, items):
        for batch in items:
            self.sizes.append(len(batch))
            yield fn(batch)


def test_encode_stage_encodes_only_new_texts_in_checkpointed_chunks(hash_encoder, tmp_path, monkeypatch):
    articles = read_corpus(DATA, cache=False).articles
    engine = Engine(tmp_path / "ws", Config(), encoder=hash_encoder)
    saves = []
    from relate.embed import VectorCache

    real_save = VectorCache.save
    monkeypatch.setattr(VectorCache, "save", lambda self: (saves.append(len(self)), real_save(self)))
    runner = _CountingRunner()
    assert encode(engine, articles, runner, checkpoint=16) == len(articles)
    assert runner.sizes == [16, 16, len(articles) - 32]  # sorted by length, 16 at a time
    assert saves == [16, 32, len(articles)]  # saved after each checkpoint, and at the end
    assert encode(engine, articles, _CountingRunner(), checkpoint=16) == 0  # all in the cache now
    # texts the workspace already indexes are not even looked up in the cache
    engine.update(articles)
    (tmp_path / "ws" / "vectors").rename(tmp_path / "elsewhere")
    assert encode(engine, articles) == 0
    # a runner's own batch size and save interval win over the checkpoint
    other = Engine(tmp_path / "ws2", Config(), encoder=hash_encoder)
    saves.clear()
    runner = _CountingRunner(encode_batch=30, save_every=35)
    assert encode(other, articles, runner, checkpoint=16) == len(articles)
    assert runner.sizes == [30, len(articles) - 30] and saves == [len(articles)]
