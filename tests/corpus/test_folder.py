"""corpus.folder: walking a folder into a Corpus, skipping bad records and duplicates."""
from __future__ import annotations

from pathlib import Path

import pytest
from _helpers_articles import TINY, azure_files, make_folder, needs_azure, write

from relate import corpus as C
from relate import records as R


def test_read_corpus_of_records_in_memory():
    corpus = C.read_corpus([{"title": "A", "webUrl": "a"}, {"title": "B"}, R.Article("C", "c")])
    assert [a.title for a in corpus] == ["A", "C"] and corpus.summary()["reasons"] == {"missing-url": 1}


def test_read_corpus_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError):
        C.read_corpus(tmp_path / "nope")


def test_corpus_skips_bad_records_and_duplicates(tmp_path):
    root = make_folder(tmp_path)
    corpus = C.read_corpus(root, cache=False)
    assert [a.title for a in corpus] == ["A", "B", "D"]          # sorted by path; c.md dropped
    assert [Path(e.path).name for e in corpus.skipped] == ["e.md", "f.md", "c.md"]
    assert corpus.summary() == {"articles": 3, "skipped": 3,
                                "reasons": {"invalid-yaml": 1, "empty-file": 1, "duplicate-id": 1}}
    dup = corpus.skipped[2]
    assert "same id" in dup.reason and "a.md" in dup.reason and dup.field == "webUrl"
    assert len(corpus) == 3
    assert corpus.stats["files"] == 6 and corpus.stats["parsed"] == 6


def test_corpus_related_urls_without_full_related(tmp_path):
    write(tmp_path / "c" / "t.md", TINY)
    fast = C.read_corpus(tmp_path / "c", cache=False).articles[0]
    full = C.read_corpus(tmp_path / "c", cache=False, full_related=True).articles[0]
    assert fast.related is None and fast.related_urls == ["https://f.com/1", "https://g.com/2"]
    assert full.related == C.parse_article(TINY).related and full.related_urls == fast.related_urls


def test_corpus_checks_related_block_even_without_full_related(tmp_path):
    bad = TINY.replace('    webUrl: "https://g.com/2"\n', "")
    write(tmp_path / "c" / "t.md", bad)
    corpus = C.read_corpus(tmp_path / "c", cache=False)
    assert len(corpus) == 0 and corpus.skipped[0].code == "bad-related"
    assert corpus.skipped[0].field == "related[1].webUrl" and corpus.skipped[0].line == 38


@needs_azure
def test_corpus_facts_from_the_readme():
    """786 records have no related list; the others carry 1 to 179 entries."""
    counts = []
    for path in azure_files(step=50):
        a = C.read_article(path)
        counts.append(len(a.related) if a.related is not None else 0)
        assert a.topics[0] == "Azure" and isinstance(a.quality, int)
        assert a.related is None or 1 <= len(a.related) <= 179
    assert 0 in counts and max(counts) > 1
