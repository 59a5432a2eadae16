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


def test_jsonl_lines_end_at_newlines_only_and_a_bad_line_is_skipped_alone(tmp_path):
    a = json.dumps({"title": "A\u2028B", "webUrl": "https://a.com/1"}, ensure_ascii=False).encode()
    data = b"\xef\xbb\xbf" + a + b"\r\n" + b'{"title": "caf\xe9", "webUrl": "https://a.com/2"}\n' + \
        json.dumps({"title": "C", "webUrl": "https://a.com/3"}).encode()
    corpus = C.read_corpus(write(tmp_path / "c.jsonl", data))
    assert [a.title for a in corpus] == ["A\u2028B", "C"]           # a line separator inside a string is text
    (bad,) = corpus.skipped
    assert (bad.code, bad.line) == ("not-utf8", 2) and f"offset {3 + len(a) + 2 + 14}" in bad.reason


def _lines_known(path):
    """What a workspace would know after reading ``path``: each kept record's line digest."""
    first = C.read_corpus(path)
    rows = {d: (i, aid) for i, (aid, d) in enumerate(first.sources.items())}
    return first, rows.get


def test_lines_a_caller_holds_are_not_parsed_and_read_again_when_asked(tmp_path):
    lines = [json.dumps({"title": f"T{i}", "webUrl": f"https://a.com/{i}", "quality": i}) for i in range(6)]
    path = write(tmp_path / "c.jsonl", "\n".join(lines) + "\n")
    first, known = _lines_known(path)
    assert sorted(first.sources) == sorted(a.id for a in first) and first.stats["parsed"] == 6
    lines[2] = json.dumps({"title": "T2", "webUrl": "https://a.com/2", "quality": 99})      # changed
    lines.append(json.dumps({"title": "new", "webUrl": "https://a.com/new"}))              # added
    lines.append(lines[4])                                        # the same line twice: a duplicate
    lines.append(json.dumps({"title": "T5 again", "webUrl": "https://a.com/5"}))         # another copy of 5
    write(path, "\n".join(lines) + "\n")
    again = C.read_corpus(path, known=known)
    plain = C.read_corpus(path)
    assert again.stats["unchanged"] == 3 and again.stats["parsed"] == 6      # 0, 1, 3 left unparsed
    assert [type(a).__name__ for a in again] == ["Unchanged", "Unchanged", "Article", "Unchanged", "Article",
                                                 "Article", "Article"]
    # the same records kept and skipped, with the same reasons, as reading every line
    assert [a.id for a in again] == [a.id for a in plain]
    assert [(e.code, e.reason) for e in again.skipped] == [(e.code, e.reason) for e in plain.skipped]
    assert again.sources == plain.sources
    parsed = list(again.parsed(again.articles))
    assert parsed == plain.articles
    # a line read again must still be the line that was read
    write(path, "\n".join(["{}"] + lines[1:]) + "\n")
    with pytest.raises(RecordError, match="changed while relate read it") as exc:
        list(again.parsed(again.articles[:1]))
    assert exc.value.code == "changed-while-read" and exc.value.line == 1


def test_a_lone_surrogate_or_deep_nesting_skips_its_line_alone(tmp_path):
    """Valid JSON that no record can hold: an escape of half a UTF-16 pair (not a character: it
    cannot be encoded, stored or written) and arrays nested past Python's recursion limit."""
    lines = [json.dumps({"title": "A", "webUrl": "https://a.com/1"}),
             '{"title": "B", "webUrl": "https://a.com/2", "excerpt": "half \\ud800 a pair"}',
             '{"title": "C", "webUrl": "https://a.com/3", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
             '{"title": "D \\ud83d\\ude00", "webUrl": "https://a.com/4"}',          # a whole pair: an emoji
             '{"title": "E", "webUrl": "https://a.com/5", "images": [{"url": "\\udfff"}]}']
    path = write(tmp_path / "c.jsonl", "\n".join(lines) + "\n")
    corpus = C.read_corpus(path)
    assert [a.title for a in corpus] == ["A", "D \U0001F600"]
    assert [(e.code, e.line, e.field) for e in corpus.skipped] == [
        ("bad-text", 2, "excerpt"), ("invalid-json", 3, None), ("bad-text", 5, "images[0].url")]
    assert "nested too deeply" in str(corpus.skipped[1])
    with pytest.raises(RecordError, match="lone UTF-16 surrogate") as err:
        C.as_article({"title": "x", "excerpt": "a\ud800b", "webUrl": "https://e.org/a"})
    assert err.value.field == "excerpt"
