"""corpus.jsonl: JSON and JSONL corpora, bad lines reported in place."""
from __future__ import annotations

import json

import pytest
from _helpers_articles import write

from relate import corpus as C
from relate.errors import RecordError


def test_jsonl_corpus_reports_bad_lines(tmp_path):
    lines = [json.dumps({"title": "A", "webUrl": "https://a.com/1"}), "",
             "{not json", json.dumps({"title": "B"}), '{"title": "C", "title": "D", "webUrl": "x"}',
             json.dumps([1]), json.dumps({"title": "E", "webUrl": "https://a.com/1"}),
             json.dumps({"title": "F", "webUrl": "https://a.com/2", "related": [{"webUrl": "https://a.com/1"}]})]
    path = write(tmp_path / "c.jsonl", "\n".join(lines) + "\n")
    corpus = C.read_corpus(path)
    assert [a.title for a in corpus] == ["A", "F"]
    assert all(a.path == str(path) for a in corpus)
    got = [(e.code, e.line) for e in corpus.skipped]
    assert got == [("invalid-json", 3), ("missing-url", 4), ("duplicate-key", 5), ("not-a-mapping", 6),
                   ("duplicate-id", None)]
    assert corpus.articles[1].related == [{"webUrl": "https://a.com/1"}]


def test_json_corpus_and_single_json_record(tmp_path):
    many = write(tmp_path / "m.json", json.dumps([{"title": "A", "webUrl": "a"}, {"title": "B"}]))
    corpus = C.read_corpus(many)
    assert [a.title for a in corpus] == ["A"] and corpus.skipped[0].reason.startswith("record 2: ")
    one = write(tmp_path / "one.json", json.dumps({"title": "A", "webUrl": "a"}))
    assert C.read_article(one).title == "A"
    with pytest.raises(RecordError, match="holds 2 records"):
        C.read_article(many)
    assert C.read_corpus(write(tmp_path / "e.json", "")).skipped[0].code == "empty-file"
