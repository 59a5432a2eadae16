"""Record layer on the real corpus (../shared/corpora/azure): exactness, speed, the cache.

The full-corpus tests are marked ``slow``; a quick sample runs always.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import yaml

from _helpers_articles import AZURE, block_span
from relate import articles as A
from relate import frontmatter as F

pytestmark = pytest.mark.skipif(not AZURE.is_dir(), reason=f"{AZURE} not found")


def _files(step: int = 1) -> list[Path]:
    return sorted(AZURE.glob("*.md"))[::step]


def _yaml_reference(data: bytes) -> tuple[dict, list | None]:
    """What plain PyYAML (C loader) reads, with related times as the seed writes them."""
    text = F.split_front_matter(data).text
    ref = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    related = ref.pop("related", None)
    for e in related or []:
        if "publishedDateTime" in e:
            e["publishedDateTime"] = F.norm_entry_time(e["publishedDateTime"])
    return ref, related


def _check_identity(path: Path) -> None:
    data = path.read_bytes()
    a = A.read_article(path)
    assert A.replace_related(data, a.related or []) is data
    span = block_span(data)
    if span is None:
        assert a.related is None
    else:
        assert A.render_related(a.related).encode() == data[span[0]:span[1]]


def _check_against_yaml(path: Path) -> None:
    data = path.read_bytes()
    ref, related = _yaml_reference(data)
    sp = F.split_front_matter(data)
    fast = F.parse_fast(sp.text, True)
    assert fast is not None, f"{path.name} left the fast path"
    assert fast.data == ref and list(fast.data) == list(ref)
    assert (fast.related if fast.block else None) == related
    assert fast.related_urls == [e["webUrl"] for e in related or []]


def test_sample_reads_like_yaml_and_rewrites_identically():
    for path in _files(step=250):
        _check_against_yaml(path)
        _check_identity(path)


@pytest.mark.slow
def test_every_file_reads_like_plain_yaml():
    for path in _files():
        _check_against_yaml(path)


@pytest.mark.slow
def test_every_file_rewritten_with_its_own_list_is_byte_identical(tmp_path):
    # on a copy, so that a bug could never touch the shared corpus
    copy = tmp_path / "azure"
    shutil.copytree(AZURE, copy)
    before = {p.name: (p.stat().st_mtime_ns, p.stat().st_ino) for p in copy.iterdir()}
    corpus = A.read_corpus(copy, cache=False, full_related=True)
    arts = corpus.articles + [A.read_article(e.path) for e in corpus.skipped]   # duplicates too
    assert len(arts) == 4958
    for a in arts:
        data = Path(a.path).read_bytes()
        span = block_span(data)
        # the renderer alone reproduces the block from its parsed entries, byte for byte
        if span is None:
            assert a.related is None
        else:
            assert A.render_related(a.related).encode() == data[span[0]:span[1]]
        assert A.write_related(a.path, a.related or []) is False
    for p in copy.iterdir():
        assert (p.stat().st_mtime_ns, p.stat().st_ino) == before[p.name]
        assert p.read_bytes() == (AZURE / p.name).read_bytes()


@pytest.mark.slow
def test_every_file_takes_a_different_list_and_keeps_every_other_byte(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)   # durability is tested elsewhere; speed here
    copy = tmp_path / "azure"
    shutil.copytree(AZURE, copy)
    corpus = A.read_corpus(copy, cache=False)
    arts = corpus.articles
    n = len(arts)
    expected = {}
    for i, a in enumerate(arts):
        # a new list: up to three other articles (none for every seventh, which removes the block)
        others = [] if i % 7 == 0 else [arts[(i * 31 + j) % n].related_entry() for j in range(1, 1 + i % 4)]
        entries = [dict(e, score=0.1, score_parts={"cos": 0.1}) for e in others]
        A.write_related(a.path, entries)
        expected[a.path] = [{k: e[k] for k in A.RELATED_FIELDS if k in e} for e in others]
    for a in arts:
        new = Path(a.path).read_bytes()
        old = (AZURE / Path(a.path).name).read_bytes()
        b = A.read_article(a.path)
        assert (b.related or []) == expected[a.path]
        # every other byte unchanged, spelled out: the block is replaced, removed (with the
        # blank line after it) or inserted before the secured: line (with a blank line)
        block = A.render_related(expected[a.path]).encode()
        span = block_span(old)
        if span is not None and block:
            assert new == old[:span[0]] + block + old[span[1]:]
        elif span is not None:
            assert old[span[1]:span[1] + 1] == b"\n" and new == old[:span[0]] + old[span[1] + 1:]
        elif block:
            at = old.index(b"\nsecured:") + 1
            assert new == old[:at] + block + b"\n" + old[at:]
        else:
            assert new == old
        assert b.title == a.title and b.extra == a.extra and b.images == a.images


@pytest.mark.slow
def test_cold_and_warm_loads_agree_and_are_fast(tmp_path):
    cache = tmp_path / "records.json"
    t0 = time.perf_counter()
    cold = A.read_corpus(AZURE, cache=cache)
    t1 = time.perf_counter()
    warm = A.read_corpus(AZURE, cache=cache)
    t2 = time.perf_counter()
    assert cold.stats["parsed"] == 4958 and warm.stats["cached"] == 4958 and warm.stats["parsed"] == 0
    assert warm.articles == cold.articles
    assert [str(e) for e in warm.skipped] == [str(e) for e in cold.skipped]
    assert cold.summary() == {"articles": 4943, "skipped": 15, "reasons": {"duplicate-id": 15}}
    assert len({a.web_url for a in cold}) == 4943
    full = A.read_corpus(AZURE, cache=False, full_related=True)
    assert [a.related_urls for a in full] == [a.related_urls for a in cold]
    assert sum(a.related is not None for a in full) == 4172 - sum(
        1 for e in full.skipped if A.read_article(e.path).related is not None)
    # generous bounds for a shared 2-core machine; the benchmark reports the real figures
    assert t1 - t0 < 20 and t2 - t1 < 4, (t1 - t0, t2 - t1)


def test_corpus_facts_from_the_readme():
    """786 records have no related list; the others carry 1 to 179 entries."""
    counts = []
    for path in _files(step=50):
        a = A.read_article(path)
        counts.append(len(a.related) if a.related is not None else 0)
        assert a.topics[0] == "Azure" and isinstance(a.quality, int)
        assert a.related is None or 1 <= len(a.related) <= 179
    assert 0 in counts and max(counts) > 1
