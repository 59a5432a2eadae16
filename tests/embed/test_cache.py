"""The vector cache and encode_cached, with the hash encoder (no model)."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from relate.embed import VectorCache, encode_cached, text_key


class Counting:
    """A TextEncoder that records every call made to it."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls: list[list[str]] = []

    id = property(lambda self: self.inner.id)
    dim = property(lambda self: self.inner.dim)

    def encode(self, texts, show_progress=False):
        self.calls.append(list(texts))
        return self.inner.encode(texts, show_progress)


TEXTS = ["Azure outage in Europe", "Azure outage hits Europe", "bakery recall", "Azure outage in Europe",
         "a much longer text about a bakery recall in the north"]


def test_text_key_is_a_short_sha1():
    assert text_key("Azure adds GPU VMs") == text_key("Azure adds GPU VMs")
    assert len(text_key("x")) == 20 and text_key("x") != text_key("y")


def test_cache_round_trip(tmp_path, hash_encoder):
    cache = VectorCache(tmp_path / "vectors", hash_encoder.id)
    keys = [text_key(t) for t in TEXTS[:3]]
    assert cache.get(keys) == (None, [0, 1, 2]) and len(cache) == 0
    cache.add(keys, hash_encoder.encode(TEXTS[:3]))
    cache.add(keys[:1], np.zeros((1, hash_encoder.dim)))  # a key already there is not replaced
    assert len(cache) == 3 and keys[0] in cache
    cache.save()
    again = VectorCache(tmp_path / "vectors", hash_encoder.id)
    vecs, missing = again.get([keys[2], text_key("new"), keys[0]])
    assert missing == [1]
    np.testing.assert_array_equal(vecs[[0, 2]], hash_encoder.encode([TEXTS[2], TEXTS[0]]))
    assert not vecs[1].any()
    assert len(VectorCache(tmp_path / "vectors", "another model")) == 0  # keyed by model
    assert not list(tmp_path.glob("vectors/*.tmp"))


def test_cache_reads_its_files_on_first_use_only(tmp_path, hash_encoder):
    cache = VectorCache(tmp_path, hash_encoder.id)
    cache.add([text_key("a")], hash_encoder.encode(["a"]))
    cache.save()
    later = VectorCache(tmp_path, hash_encoder.id)
    for f in tmp_path.iterdir():
        f.unlink()  # removed before the first use: the cache never read them
    assert len(later) == 0


def test_a_cache_whose_keys_do_not_match_starts_again(tmp_path, hash_encoder, caplog):
    cache = VectorCache(tmp_path, hash_encoder.id)
    cache.add([text_key("a"), text_key("b")], hash_encoder.encode(["a", "b"]))
    cache.save()
    (meta,) = tmp_path.glob("*.json")
    meta.write_text(json.dumps({"model": hash_encoder.id, "keys": [text_key("a")]}))
    with caplog.at_level(logging.WARNING):
        assert len(VectorCache(tmp_path, hash_encoder.id)) == 0
    assert "does not match its keys" in caplog.text


@pytest.mark.parametrize("damage", ["keys emptied", "keys garbage", "vectors cut short", "vectors emptied"])
def test_a_damaged_cache_is_encoded_again_not_a_crash(tmp_path, hash_encoder, caplog, damage):
    """The cache is a cache: files cut short or overwritten cost an encode, never a run."""
    texts = ["a", "b", "c"]
    cache = VectorCache(tmp_path, hash_encoder.id)
    cache.add([text_key(t) for t in texts], hash_encoder.encode(texts))
    cache.save()
    (meta,), (vecs,) = tmp_path.glob("*.json"), tmp_path.glob("*.npy")
    {"keys emptied": lambda: meta.write_bytes(b""), "keys garbage": lambda: meta.write_text("[1, 2]"),
     "vectors cut short": lambda: vecs.write_bytes(vecs.read_bytes()[:200]),
     "vectors emptied": lambda: vecs.write_bytes(b"")}[damage]()
    with caplog.at_level(logging.WARNING):
        again = VectorCache(tmp_path, hash_encoder.id)
        out, encoded = encode_cached(hash_encoder, texts, again)
    assert len(caplog.records) == 1 and ("damaged" in caplog.text or "does not match" in caplog.text)
    assert encoded == 3 and np.array_equal(out, hash_encoder.encode(texts))
    again.save()
    assert len(VectorCache(tmp_path, hash_encoder.id)) == 3          # written whole again


def test_encode_cached_encodes_only_what_is_missing(tmp_path, hash_encoder):
    enc = Counting(hash_encoder)
    cache = VectorCache(tmp_path, enc.id)
    vecs, encoded = encode_cached(enc, TEXTS[:3], cache)
    assert encoded == 3 and enc.calls == [TEXTS[:3]]
    np.testing.assert_array_equal(vecs, hash_encoder.encode(TEXTS[:3]))
    vecs, encoded = encode_cached(enc, TEXTS, cache)
    # one call, each new text once, in input order (the duplicate of text 0 is cached already)
    assert encoded == 1 and enc.calls[1] == [TEXTS[4]]
    np.testing.assert_array_equal(vecs, hash_encoder.encode(TEXTS))
    assert encode_cached(enc, TEXTS, cache)[1] == 0 and len(enc.calls) == 2
    assert not list(tmp_path.iterdir())  # one call does not save: the caller does


def test_encode_cached_duplicates_are_encoded_once(tmp_path, hash_encoder):
    enc = Counting(hash_encoder)
    texts = ["b", "a", "b", "c"]
    vecs, encoded = encode_cached(enc, texts, VectorCache(tmp_path, enc.id))
    assert encoded == 3 and enc.calls == [["a", "b", "c"]]  # at the place of each text's last copy
    np.testing.assert_array_equal(vecs[0], vecs[2])


def test_encode_cached_without_a_cache_encodes_everything(hash_encoder):
    enc = Counting(hash_encoder)
    vecs, encoded = encode_cached(enc, TEXTS, None)
    assert encoded == len(TEXTS) and enc.calls == [TEXTS] and vecs.shape == (len(TEXTS), enc.dim)
    with pytest.raises(ValueError, match="cache"):
        encode_cached(enc, TEXTS, None, chunk=2)
    with pytest.raises(ValueError, match="skip needs chunk"):
        encode_cached(enc, TEXTS, VectorCache("unused", enc.id), skip={text_key(TEXTS[0])})


def test_encode_cached_in_chunks_like_the_batch_job(tmp_path, hash_encoder):
    enc = Counting(hash_encoder)
    cache = VectorCache(tmp_path, enc.id)
    cache.add([text_key(TEXTS[2])], hash_encoder.encode([TEXTS[2]]))     # in the cache
    skip = {text_key(TEXTS[1])}                                            # already indexed
    events, saves = [], []
    real_save = cache.save
    cache.save = lambda: (saves.append(len(cache)), real_save())

    def through_a_runner(chunks):
        for c in chunks:
            events.append(("chunk", list(c)))
            yield enc.encode(c)

    vecs, encoded = encode_cached(enc, TEXTS, cache, chunk=1, skip=skip, save_every=2,
                                  encode_chunks=through_a_runner, on_start=lambda n: events.append(("start", n)),
                                  on_chunk=lambda n: events.append(("done", n)))
    assert vecs is None and encoded == 2
    # each distinct text once (its first copy), shortest first, one chunk at a time
    assert events == [("start", 2), ("chunk", [TEXTS[0]]), ("done", 1), ("chunk", [TEXTS[4]]), ("done", 1)]
    assert saves == [3]  # after two new texts; none left unsaved at the end
    again = VectorCache(tmp_path, enc.id)
    got, missing = again.get([text_key(t) for t in TEXTS])
    assert missing == [1]
    np.testing.assert_array_equal(got[[0, 2, 3, 4]], hash_encoder.encode([TEXTS[i] for i in (0, 2, 3, 4)]))


def test_chunks_are_length_sorted_and_saved_at_the_end(tmp_path, hash_encoder):
    enc = Counting(hash_encoder)
    cache = VectorCache(tmp_path, enc.id)
    texts = ["ccc", "a", "bb", "dddd", "ee"]
    started = []
    _, encoded = encode_cached(enc, texts, cache, chunk=2, save_every=10, on_start=started.append)
    assert encoded == 5 and started == [5]
    assert enc.calls == [["a", "bb"], ["ee", "ccc"], ["dddd"]]  # by length; equal lengths in input order
    assert len(VectorCache(tmp_path, enc.id)) == 5  # saved once, at the end
    enc.calls.clear()
    assert encode_cached(enc, texts, cache, chunk=2, save_every=10, on_start=started.append) == (None, 0)
    assert enc.calls == [] and started == [5, 0]


def test_nothing_to_encode_reads_no_cache(tmp_path, hash_encoder):
    cache = VectorCache(tmp_path, hash_encoder.id)
    cache._load = None  # would fail if the cache were asked anything
    skip = {text_key(t) for t in TEXTS}
    assert encode_cached(hash_encoder, TEXTS, cache, chunk=3, skip=skip) == (None, 0)


def test_saves_append_segments_and_merge_them(tmp_path):
    """Each save writes only what is new (a segment); past MAX_SEGMENTS they merge into the base."""
    rng = np.random.default_rng(0)
    cache = VectorCache(tmp_path, "m|x|1")
    cache.add([text_key(f"base {i}") for i in range(100)], rng.normal(size=(100, 4)).astype(np.float32))
    cache.save()
    keys, vecs = [text_key(f"base {i}") for i in range(100)], [VectorCache(tmp_path, "m|x|1").get(
        [text_key(f"base {i}") for i in range(100)])[0]]
    merged = []
    for step in range(12):
        k = [text_key(f"text {step} {i}") for i in range(5)]
        v = rng.normal(size=(5, 4)).astype(np.float32)
        cache.add(k, v)
        cache.save()
        keys += k
        vecs.append(v)
        files = sorted(tmp_path.glob("*.npy"), key=lambda p: p.stat().st_mtime_ns)
        assert len(np.load(files[-1])) == 5 or len(files) == 1      # only what is new, or all merged
        merged.append(len(files) == 1)
        again = VectorCache(tmp_path, "m|x|1")
        got, missing = again.get(keys)
        assert missing == [] and np.array_equal(got, np.concatenate(vecs))
    assert merged[:4] == [False] * 4 and merged[4]       # 25 new rows = a quarter of the base: merged


def test_a_large_read_from_the_cache_file_gives_the_rows_asked_for_in_any_order(tmp_path, monkeypatch):
    """Reading many rows of a saved cache goes through its file a slice at a time (each slice's
    pages let go once read); the rows are those asked for, in the order asked, missing ones zero."""
    import relate.embed.cache as cache_module

    rng = np.random.default_rng(0)
    keys = [text_key(f"text {i}") for i in range(5000)]
    vecs = rng.standard_normal((5000, 8)).astype(np.float32)
    cache = VectorCache(tmp_path, "model")
    cache.add(keys, vecs)
    cache.save()
    monkeypatch.setattr(cache_module, "GATHER_ROWS", 300)
    seen = []
    gather = cache_module._gather
    monkeypatch.setattr(cache_module, "_gather", lambda out, dst, block, src: (
        seen.append(type(block).__name__), gather(out, dst, block, src))[1])
    order = rng.permutation(5000)[:4000].tolist()
    asked = [keys[i] for i in order] + [text_key("unknown")] + [keys[order[0]]]
    got, missing = VectorCache(tmp_path, "model").get(asked)
    assert seen == ["memmap"]                              # read from the file, not from memory
    np.testing.assert_array_equal(got[:4000], vecs[order])
    assert missing == [4000] and not got[4000].any()
    np.testing.assert_array_equal(got[4001], vecs[order[0]])


def test_a_large_read_into_a_scratch_file_gives_the_same_rows_as_one_into_memory(tmp_path, monkeypatch):
    """``get(keys, out=scratch_array(...))`` fills the mapped array (its pages let go as it is
    filled) with exactly the rows a read into memory gives; ``encode_cached(scratch=...)`` returns
    such an array."""
    import relate.embed.cache as cache_module
    from relate.mapped import scratch_array

    rng = np.random.default_rng(1)
    keys = [text_key(f"text {i}") for i in range(5000)]
    vecs = rng.standard_normal((5000, 8)).astype(np.float32)
    cache = VectorCache(tmp_path / "c", "model")
    cache.add(keys, vecs)
    cache.save()
    monkeypatch.setattr(cache_module, "GATHER_ROWS", 300)
    released = []
    let_go = cache_module.let_go
    monkeypatch.setattr(cache_module, "let_go", lambda a, lo, hi: released.append(type(a).__name__) or let_go(a, lo, hi))
    asked = [keys[i] for i in rng.permutation(5000)] + [text_key("unknown")]
    fresh = VectorCache(tmp_path / "c", "model")
    want, _ = fresh.get(asked)
    out = scratch_array((len(asked), 8), np.float32, tmp_path)
    got, missing = fresh.get(asked, out=out)
    assert got is out and missing == [5000]
    np.testing.assert_array_equal(got, want)
    assert released.count("memmap") >= 2 * (5000 // 300)           # the cache's slices and the output
    texts = [f"text {i}" for i in range(5000)]
    vectors, encoded = encode_cached(None, texts, fresh, scratch=tmp_path)
    assert encoded == 0 and isinstance(vectors, np.memmap)
    np.testing.assert_array_equal(vectors, vecs)
