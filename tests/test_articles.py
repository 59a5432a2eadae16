"""Record layer: reading, validating and writing article records (tiny hand-made records)."""
from __future__ import annotations

import json
import os
import re
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

import relate.fileio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _helpers_articles import SEED, TINY, record, write
from relate import articles as A
from relate import frontmatter as F
from relate.errors import RecordError

UTC = timezone.utc


# --------------------------------------------------------------------------- reading


def test_seed_record_fields():
    a = A.read_article(SEED)
    assert a.title.startswith("Boston becomes the second largest city")
    assert a.web_url == ("https://www.dailymail.co.uk/sciencetech/article-8464719/"
                         "Boston-second-largest-city-ban-facial-recognition-software.html")
    assert a.published_at == datetime(2020, 6, 27, 1, 21, tzinfo=UTC)
    assert a.published_at.tzinfo is not None
    assert (a.quality, a.heat, a.type) == (0, -1, "article")
    assert (a.provider_name, a.provider_domain) == ("Daily Mail", "dailymail.co.uk")
    assert a.topics == ["Natural Language Processing", "AI"]
    assert a.images[0]["width"] == 636 and a.images[0]["isCached"] is True
    assert a.amp_web_url.endswith("/amp/Boston-second-largest-city-ban-facial-recognition-software.html")
    assert a.original_url is None
    # published is a bool and stays in extra, with every other unmodelled key
    assert list(a.extra) == ["category", "published", "secured"]
    assert a.extra["published"] is False and a.extra["category"] == "news"
    assert a.extra["secured"].endswith(";qHsW0FiX/QZzZaaX6E6S5A==")
    assert [e["quality"] for e in a.related] == [74, 56, 24]
    assert a.related_urls == [e["webUrl"] for e in a.related]
    assert a.related[0]["publishedDateTime"] == "2020-06-26T11:00:00Z"
    assert a.related[0]["provider"] == {"name": "paleofuture.gizmodo", "domain": "gizmodo.com"}
    assert a.related[2]["images"] == [{
        "url": "https://cdn.nextgov.com/media/img/upload/2020/06/26/NGface20200626_OPoDmHB/open-graph.jpg",
        "width": 400, "height": 400, "isCached": True}]
    assert a.id == A.article_id(a.web_url) and len(a.id) == 16
    assert a.path == str(SEED)
    assert a.key_order[:2] == ("category", "title") and a.key_order[-2:] == ("related", "secured")


def test_tiny_record_fields_and_provider_extra():
    a = A.parse_article(TINY, "tiny.md")
    assert a.title == 'Azure outage: what "really" happened'
    assert a.excerpt == "Line one\r\nLine two"
    assert a.web_url == "https://e.com/a b&c’d%2ce"
    assert a.provider_extra == {"images": [{"url": "https://e.com/logo.png", "width": 50, "height": 50}]}
    assert a.related_urls == ["https://f.com/1", "https://g.com/2"]
    assert a.related[1] == {"title": "Second", "excerpt": "Two", "publishedDateTime": "2020-06-25T10:00:00Z",
                            "webUrl": "https://g.com/2", "type": "article",
                            "provider": {"name": "G", "domain": "g.com"}, "quality": 3}


def test_id_survives_spaces_ampersands_quotes_and_percent_commas():
    url = "https://e.com/a b&c’d%2ce"
    a = A.parse_article(TINY)
    assert a.id == A.article_id(url)
    # the same page written with %20, a literal comma, www. and a trailing slash
    assert A.article_id("http://www.e.com/a%20b&c%E2%80%99d,e/") == a.id
    assert A.article_id("https://e.com/other") != a.id
    assert A.url_key(url) == "e.com/a b&c’d,e"


def test_id_falls_back_to_original_url():
    a = A.parse_article(record('title: "T"', 'originalUrl: "https://o.com/x"'))
    assert a.web_url is None and a.url == "https://o.com/x" and a.id == A.article_id("https://o.com/x")


@pytest.mark.parametrize("value, expected", [
    ("56", 56), ('"56"', 56), ("5.5", 5.5), ('" 7 "', 7), ("-3", -3), ("", None), ("~", None),
    ('"5.0"', 5.0), ("1_000", 1000),
])
def test_quality_numbers(value, expected):
    a = A.parse_article(record('title: "T"', 'webUrl: "u"', f"quality: {value}"))
    assert a.quality == expected
    if expected is not None:
        assert type(a.quality) is type(expected)


@pytest.mark.parametrize("value, expected", [
    ("2020-06-27T01:21:00Z", datetime(2020, 6, 27, 1, 21, tzinfo=UTC)),
    ('"2020-06-27T01:21:00Z"', datetime(2020, 6, 27, 1, 21, tzinfo=UTC)),
    ("2020-06-27T03:21:00+02:00", datetime(2020, 6, 27, 1, 21, tzinfo=UTC)),
    ("2020-06-27 01:21:00", datetime(2020, 6, 27, 1, 21, tzinfo=UTC)),      # naive: UTC
    ("2020-06-27", datetime(2020, 6, 27, tzinfo=UTC)),
    ('"Sat, 27 Jun 2020 01:21:00 GMT"', datetime(2020, 6, 27, 1, 21, tzinfo=UTC)),
    ("2020-06-27T01:21:00.250Z", datetime(2020, 6, 27, 1, 21, 0, 250000, tzinfo=UTC)),
])
def test_publish_times(value, expected):
    a = A.parse_article(record('title: "T"', 'webUrl: "u"', f"publishedDateTime: {value}"))
    assert a.published_at == expected and a.published_at.tzinfo is not None


def test_offset_is_kept_and_format_time_is_utc_z():
    a = A.parse_article(record('title: "T"', 'webUrl: "u"', "publishedDateTime: 2020-06-27T03:21:00+02:00"))
    assert a.published_at.utcoffset() == timedelta(hours=2)
    assert A.format_time(a.published_at) == "2020-06-27T01:21:00Z"
    assert A.format_time(datetime(2020, 1, 2, 3, 4, 5, 600000)) == "2020-01-02T03:04:05.600000Z"


def test_body_bom_and_crlf_are_read():
    text = "\ufeff" + record('title: "T"', 'webUrl: "u"').replace("\n", "\r\n") + "# Body\r\n---\r\nmore"
    a = A.parse_article(text)
    assert (a.title, a.web_url) == ("T", "u")


def test_unmodelled_fields_are_kept_in_order():
    a = A.parse_article(record('zeta: 1', 'title: "T"', 'webUrl: "u"', 'custom: {a: [1, 2]}',
                               'updated: 2021-01-01T00:00:00Z'))
    assert a.extra == {"zeta": 1, "custom": {"a": [1, 2]},
                       "updated": datetime(2021, 1, 1, tzinfo=UTC)}
    assert list(a.to_dict()) == ["zeta", "title", "webUrl", "custom", "updated"]


def test_to_dict_round_trip():
    a = A.parse_article(TINY, "tiny.md")
    d = a.to_dict()
    assert list(d) == ["category", "title", "excerpt", "publishedDateTime", "webUrl", "type", "quality",
                       "heat", "published", "provider", "topics", "related", "secured"]
    assert d["provider"] == {"name": "Example News", "domain": "e.com",
                             "images": [{"url": "https://e.com/logo.png", "width": 50, "height": 50}]}
    assert A.article_from_dict(d, "tiny.md") == a


def test_related_is_none_without_block_and_empty_list_for_null():
    a = A.parse_article(record('title: "T"', 'webUrl: "u"'))
    assert a.related is None and a.related_urls == []
    b = A.parse_article(record('title: "T"', 'webUrl: "u"', "related:"))
    assert b.related == [] and b.related_urls == []


# --------------------------------------------------------------------------- bad input

HUGE = b"---\ntitle: \"" + b"x" * (F.MAX_FRONT_MATTER + 10) + b"\"\n---\n"


@pytest.mark.parametrize("data, code, line, field", [
    (b"", "empty-file", None, None),
    (b"  \n\n", "empty-file", None, None),
    (b'title: "T"\nwebUrl: "u"\n', "no-front-matter", 1, None),
    (b'---\ntitle: "T"\nwebUrl: "u"\n', "unclosed-front-matter", 1, None),
    (b"---", "unclosed-front-matter", 1, None),
    (b'---\ntitle: "T\nwebUrl: [u\n---\n', "invalid-yaml", 4, None),
    (b'---\ntitle: "T"\n  bad: indent\n---\n', "invalid-yaml", 3, None),
    (b'---\ntitle: "T"\nx: "\x01"\n---\n', "invalid-yaml", 3, None),
    (b"---\n- a\n- b\n---\n", "not-a-mapping", 2, None),
    (b"---\njust words\n---\n", "not-a-mapping", 2, None),
    (b"---\n---\n", "not-a-mapping", 2, None),
    (b"---\n# only a comment\n---\n", "not-a-mapping", 2, None),
    (b'---\ntitle: !!python/object/apply:os.system ["echo hi"]\n---\n', "yaml-tag", 2, None),
    (b'---\ntitle: "T"\nwebUrl: "u"\nx: !!binary aGk=\n---\n', "yaml-tag", 4, None),
    (b'---\ntitle: "T"\nwebUrl: "u"\nx: !Thing {a: 1}\n---\n', "yaml-tag", 4, None),
    (b'---\ntitle: &t "T"\nwebUrl: "u"\nx: *t\n---\n', "yaml-alias", 4, None),
    (b'---\ntitle: "T"\nwebUrl: "u"\n<<: {a: 1}\n---\n', "yaml-tag", 4, None),
    (b'---\ntitle: "T"\nwebUrl: "u"\ntitle: "U"\n---\n', "duplicate-key", 4, "title"),
    (b'---\ntitle: "T"\nwebUrl: "u"\nprovider:\n  name: a\n  name: b\n---\n', "duplicate-key", 6, "name"),
    (b'---\nwebUrl: "u"\n---\n', "missing-title", None, "title"),
    (b'---\ntitle: ""\nwebUrl: "u"\n---\n', "missing-title", 2, "title"),
    (b'---\ntitle: "T"\ntype: article\n---\n', "missing-url", None, "webUrl"),
    (b'---\ntitle: "T"\nwebUrl: ""\n---\n', "missing-url", 3, "webUrl"),
    (b'---\ntitle: "T"\nwebUrl: "u"\nquality: high\n---\n', "bad-number", 4, "quality"),
    (b'---\ntitle: "T"\nwebUrl: "u"\nquality: true\n---\n', "bad-number", 4, "quality"),
    (b'---\ntitle: "T"\nwebUrl: "u"\nquality: .nan\n---\n', "bad-number", 4, "quality"),
    (b'---\ntitle: "T"\nwebUrl: "u"\nquality: "1_000"\n---\n', "bad-number", 4, "quality"),
    (b'---\ntitle: "T"\nwebUrl: "u"\nquality: "inf"\n---\n', "bad-number", 4, "quality"),
    (b'---\ntitle: "T"\nwebUrl: "u"\nheat: [1]\n---\n', "bad-number", 4, "heat"),
    (b'---\ntitle: "T"\nwebUrl: "u"\npublishedDateTime: yesterday\n---\n', "bad-time", 4, "publishedDateTime"),
    (b'---\ntitle: "T"\nwebUrl: "u"\npublishedDateTime: 2020-13-45T00:00:00Z\n---\n', "bad-time", 4,
     "publishedDateTime"),
    (b'---\ntitle: "caf\xe9"\nwebUrl: "u"\n---\n', "not-utf8", 2, None),
    (b'---\ntitle: "T"\nwebUrl: "u"\n---\nbody \xff\n', "not-utf8", 5, None),
    (b"\xff\xfe-\x00-\x00-\x00", "not-utf8", 1, None),
    (b'---\ntitle: "T"\nwebUrl: "u"\nrelated:\n  - title: "A"\n    webUrl: "a"\n  - title: "B"\n---\n',
     "bad-related", 7, "related[1].webUrl"),
    (b'---\ntitle: "T"\nwebUrl: "u"\nrelated:\n  - "just a url"\n---\n', "bad-related", 5, "related[0]"),
    (b'---\ntitle: "T"\nwebUrl: "u"\nrelated: "none"\n---\n', "bad-related", 4, "related"),
    (b'---\ntitle: "T"\nwebUrl: "u"\nrelated:\n  - title: "A"\n    webUrl: "a"\n    webUrl: "b"\n---\n',
     "duplicate-key", 7, "webUrl"),
    (b'---\ntitle: "T"\nwebUrl: "u"\nrelated:\n  - title: "A"\n    webUrl: "a\\q"\n---\n',
     "invalid-yaml", 6, None),
    (b'---\ntitle: "T"\nwebUrl: "u"\ntopics: {a: 1}\n---\n', "bad-field", 4, "topics"),
    (b'---\ntitle: "T"\nwebUrl: 5\n---\n', "bad-field", 3, "webUrl"),
    (b'---\ntitle: [a]\nwebUrl: "u"\n---\n', "bad-field", 2, "title"),
    (HUGE, "too-large", 1, None),
])
def test_bad_input_is_reported_with_file_line_and_field(tmp_path, data, code, line, field):
    path = write(tmp_path / "bad.md", data)
    with pytest.raises(RecordError) as info:
        A.read_article(path)
    err = info.value
    assert (err.code, err.line, err.field) == (code, line, field), str(err)
    assert err.path == str(path)
    assert str(err).startswith(str(path))
    assert err.reason and len(err.reason) > 10


def test_duplicate_key_message_names_both_lines():
    with pytest.raises(RecordError) as info:
        A.parse_article('---\ntitle: "T"\nwebUrl: "u"\ntitle: "U"\n---\n', "x.md")
    assert str(info.value) == ("x.md:4: field 'title': duplicate key 'title' (first on line 2); "
                               "keep one of them")


def test_yaml_tags_never_build_objects(tmp_path):
    marker = tmp_path / "pwned"
    text = f'---\ntitle: !!python/object/apply:os.system ["touch {marker}"]\nwebUrl: "u"\n---\n'
    with pytest.raises(RecordError):
        A.parse_article(text)
    assert not marker.exists()


def test_numeric_title_is_text_and_bool_title_is_an_error():
    assert A.parse_article(record("title: 1984", 'webUrl: "u"')).title == "1984"
    with pytest.raises(RecordError, match="quote the value"):
        A.parse_article(record("title: yes", 'webUrl: "u"'))


# --------------------------------------------------------------------------- dicts, JSON


def test_article_from_dict_matches_file_and_does_not_mutate():
    d = {"title": "T", "webUrl": "u", "quality": "56", "publishedDateTime": "2020-06-27T01:21:00Z",
         "related": [{"title": "R", "webUrl": "r", "score": 0.5}], "secured": "s"}
    before = json.dumps(d, sort_keys=True)
    a = A.article_from_dict(d)
    assert json.dumps(d, sort_keys=True) == before
    assert a.quality == 56 and a.related_urls == ["r"] and a.extra == {"secured": "s"}
    a.related[0]["title"] = "changed"
    assert d["related"][0]["title"] == "R"
    b = A.parse_article(record('title: "T"', 'webUrl: "u"', 'quality: "56"',
                               "publishedDateTime: 2020-06-27T01:21:00Z",
                               'related: [{title: "R", webUrl: "r", score: 0.5}]', 'secured: "s"'))
    assert b.published_at == a.published_at and b.related[0]["webUrl"] == "r"


@pytest.mark.parametrize("d, code", [
    ({"webUrl": "u"}, "missing-title"),
    ({"title": "T"}, "missing-url"),
    ({"title": "T", "webUrl": "u", "quality": "x"}, "bad-number"),
    ({"title": "T", "webUrl": "u", "related": [{"title": "R"}]}, "bad-related"),
    (["not", "a", "dict"], "not-a-mapping"),
])
def test_article_from_dict_errors(d, code):
    with pytest.raises(RecordError) as info:
        A.article_from_dict(d)
    assert info.value.code == code


def test_as_article(tmp_path):
    a = A.parse_article(TINY)
    assert A.as_article(a) is a
    assert A.as_article({"title": "T", "webUrl": "u"}).title == "T"
    assert A.as_article(write(tmp_path / "t.md", TINY)).related_urls == a.related_urls
    with pytest.raises(TypeError):
        A.as_article(42)


def test_jsonl_corpus_reports_bad_lines(tmp_path):
    lines = [json.dumps({"title": "A", "webUrl": "https://a.com/1"}), "",
             "{not json", json.dumps({"title": "B"}), '{"title": "C", "title": "D", "webUrl": "x"}',
             json.dumps([1]), json.dumps({"title": "E", "webUrl": "https://a.com/1"}),
             json.dumps({"title": "F", "webUrl": "https://a.com/2", "related": [{"webUrl": "https://a.com/1"}]})]
    path = write(tmp_path / "c.jsonl", "\n".join(lines) + "\n")
    corpus = A.read_corpus(path)
    assert [a.title for a in corpus] == ["A", "F"]
    assert all(a.path == str(path) for a in corpus)
    got = [(e.code, e.line) for e in corpus.skipped]
    assert got == [("invalid-json", 3), ("missing-url", 4), ("duplicate-key", 5), ("not-a-mapping", 6),
                   ("duplicate-id", None)]
    assert corpus.articles[1].related == [{"webUrl": "https://a.com/1"}]


def test_json_corpus_and_single_json_record(tmp_path):
    many = write(tmp_path / "m.json", json.dumps([{"title": "A", "webUrl": "a"}, {"title": "B"}]))
    corpus = A.read_corpus(many)
    assert [a.title for a in corpus] == ["A"] and corpus.skipped[0].reason.startswith("record 2: ")
    one = write(tmp_path / "one.json", json.dumps({"title": "A", "webUrl": "a"}))
    assert A.read_article(one).title == "A"
    with pytest.raises(RecordError, match="holds 2 records"):
        A.read_article(many)
    assert A.read_corpus(write(tmp_path / "e.json", "")).skipped[0].code == "empty-file"


def test_read_corpus_of_records_in_memory():
    corpus = A.read_corpus([{"title": "A", "webUrl": "a"}, {"title": "B"}, A.Article("C", "c")])
    assert [a.title for a in corpus] == ["A", "C"] and corpus.summary()["reasons"] == {"missing-url": 1}


def test_read_corpus_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError):
        A.read_corpus(tmp_path / "nope")


# --------------------------------------------------------------------------- corpus folders


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    write(root / "b.md", record('title: "B"', 'webUrl: "https://x.com/b"'), 60)
    write(root / "a.md", record('title: "A"', 'webUrl: "https://x.com/a"'), 60)
    write(root / "sub" / "c.md", record('title: "C"', 'webUrl: "https://www.x.com/a/"'), 60)  # same id as a
    write(root / "sub" / "d.markdown", record('title: "D"', 'webUrl: "https://x.com/d"'), 60)
    write(root / "e.md", b"---\ntitle: [\n---\n", 60)
    write(root / "f.md", b"", 60)
    write(root / ".hidden.md", record('title: "H"', 'webUrl: "h"'), 60)
    write(root / ".git" / "x.md", record('title: "G"', 'webUrl: "g"'), 60)
    write(root / "notes.txt", "not a record", 60)
    return root


def test_corpus_skips_bad_records_and_duplicates(tmp_path):
    root = _folder(tmp_path)
    corpus = A.read_corpus(root, cache=False)
    assert [a.title for a in corpus] == ["A", "B", "D"]          # sorted by path; c.md dropped
    assert [Path(e.path).name for e in corpus.skipped] == ["e.md", "f.md", "c.md"]
    assert corpus.summary() == {"articles": 3, "skipped": 3,
                                "reasons": {"invalid-yaml": 1, "empty-file": 1, "duplicate-id": 1}}
    dup = corpus.skipped[2]
    assert "same id" in dup.reason and "a.md" in dup.reason and dup.field == "webUrl"
    assert set(corpus.by_id) == {a.id for a in corpus} and len(corpus) == 3
    assert corpus.stats["files"] == 6 and corpus.stats["parsed"] == 6


def test_corpus_related_urls_without_full_related(tmp_path):
    write(tmp_path / "c" / "t.md", TINY)
    fast = A.read_corpus(tmp_path / "c", cache=False).articles[0]
    full = A.read_corpus(tmp_path / "c", cache=False, full_related=True).articles[0]
    assert fast.related is None and fast.related_urls == ["https://f.com/1", "https://g.com/2"]
    assert full.related == A.parse_article(TINY).related and full.related_urls == fast.related_urls


def test_corpus_checks_related_block_even_without_full_related(tmp_path):
    bad = TINY.replace('    webUrl: "https://g.com/2"\n', "")
    write(tmp_path / "c" / "t.md", bad)
    corpus = A.read_corpus(tmp_path / "c", cache=False)
    assert len(corpus) == 0 and corpus.skipped[0].code == "bad-related"
    assert corpus.skipped[0].field == "related[1].webUrl" and corpus.skipped[0].line == 38


# --------------------------------------------------------------------------- record cache


def test_cache_warm_load_equals_cold_and_reparses_changes(tmp_path):
    root = _folder(tmp_path)
    cache = tmp_path / "cache.json"
    cold = A.read_corpus(root, cache=cache)
    assert cache.exists() and cold.stats["parsed"] == 6
    warm = A.read_corpus(root, cache=cache)
    assert warm.stats == {**warm.stats, "parsed": 0, "cached": 6}
    assert warm.articles == cold.articles
    assert [str(e) for e in warm.skipped] == [str(e) for e in cold.skipped]
    assert [e.code for e in warm.skipped] == [e.code for e in cold.skipped]
    # change one file (same size), delete one, add one
    write(root / "b.md", record('title: "Z"', 'webUrl: "https://x.com/b"'), 30)
    (root / "f.md").unlink()
    write(root / "g.md", record('title: "G"', 'webUrl: "https://x.com/g"'), 30)
    again = A.read_corpus(root, cache=cache)
    assert again.stats["parsed"] == 2 and again.stats["cached"] == 4
    assert [a.title for a in again] == ["A", "Z", "G", "D"]
    assert A.read_corpus(root, cache=cache).stats["parsed"] == 0
    data = json.loads(cache.read_text())
    assert "f.md" not in data["files"] and data["root"] == str(root.resolve())


def test_cache_keeps_uncommon_values_and_skips_fresh_files(tmp_path):
    root = tmp_path / "c"
    write(root / "a.md", record('title: "A"', 'webUrl: "a"', "when: 2020-01-01", "at: 2020-01-01T10:00:00Z",
                                "n: .inf"), 60)
    write(root / "b.md", record('title: "B"', 'webUrl: "b"', "1: int key"), 60)   # not JSON-able: re-read
    write(root / "fresh.md", record('title: "F"', 'webUrl: "f"'))                 # just written: re-read
    cache = tmp_path / "cache.json"
    cold = A.read_corpus(root, cache=cache)
    warm = A.read_corpus(root, cache=cache)
    assert warm.articles == cold.articles
    assert warm.stats["cached"] == 1 and warm.stats["parsed"] == 2
    assert warm.articles[0].extra["at"] == datetime(2020, 1, 1, 10, tzinfo=UTC)


def test_cache_location_env_off_and_corrupt(tmp_path, monkeypatch):
    root = _folder(tmp_path)
    monkeypatch.setenv("RELATE_CACHE_DIR", str(tmp_path / "cdir"))
    A.read_corpus(root)
    files = list((tmp_path / "cdir").glob("records-*.json"))
    assert [f.name for f in files] == [A.default_cache_file(root).name]
    files[0].write_text("{broken")
    assert A.read_corpus(root).stats["parsed"] == 6     # ignored and rebuilt
    assert A.read_corpus(root).stats["parsed"] == 0
    off = tmp_path / "off"
    monkeypatch.setenv("RELATE_CACHE_DIR", str(off))
    assert A.read_corpus(root, cache=False).stats["cache"] is None and not off.exists()
    assert A.read_corpus(root, full_related=True).stats["cache"] is None and not off.exists()


# --------------------------------------------------------------------------- rendering

ENTRY = {"title": "T", "excerpt": "E", "publishedDateTime": "2020-06-26T11:00:00Z", "webUrl": "https://t.com/1",
         "ampWebUrl": "https://t.com/1/amp", "cdnAmpWebUrl": "https://t-com.cdn.ampproject.org/c/s/t.com/1/amp",
         "type": "article", "provider": {"name": "Daily Mail", "domain": "dailymail.co.uk"}, "quality": 74,
         "images": [{"url": "https://t.com/i.jpg", "width": 800, "height": 449, "isCached": True}]}


def test_render_seed_style_exactly():
    assert A.render_related([ENTRY]) == (
        "related:\n"
        '  - title: "T"\n'
        '    excerpt: "E"\n'
        "    publishedDateTime: 2020-06-26T11:00:00Z\n"
        '    webUrl: "https://t.com/1"\n'
        '    ampWebUrl: "https://t.com/1/amp"\n'
        '    cdnAmpWebUrl: "https://t-com.cdn.ampproject.org/c/s/t.com/1/amp"\n'
        "    type: article\n"
        "    provider:\n"
        "      name: Daily Mail\n"
        "      domain: dailymail.co.uk\n"
        "    quality: 74\n"
        "    images:\n"
        '      - url: "https://t.com/i.jpg"\n'
        "        width: 800\n"
        "        height: 449\n"
        "        isCached: true\n")
    assert A.render_related([]) == ""


def test_render_reproduces_the_seed_block():
    data = SEED.read_bytes()
    a = A.read_article(SEED)
    start = data.index(b"\nrelated:\n") + 1
    end = data.index(b"\n\nsecured:") + 1
    assert A.render_related(a.related).encode() == data[start:end]


def test_render_order_extra_keys_and_absent_fields():
    entry = {"score": 0.9, "quality": 3, "webUrl": "https://x.com", "title": "X", "excerpt": None,
             "score_parts": {"a": 1}, "provider": {"domain": "x.com", "name": None, "x": 1},
             "images": [{"title": "I", "isCached": False, "url": "https://x.com/i", "alt": "no"}]}
    assert A.render_related([entry]) == (
        'related:\n  - title: "X"\n    webUrl: "https://x.com"\n    provider:\n      domain: x.com\n'
        '    quality: 3\n    images:\n      - url: "https://x.com/i"\n        isCached: false\n'
        '        title: "I"\n')


@pytest.mark.parametrize("text, written", [
    ('say "hi"', r'"say \"hi\""'),
    ("a\\b", r'"a\\b"'),
    ("one\r\ntwo", r'"one\r\ntwo"'),
    ("tab\there", r'"tab\there"'),
    ("line\u2028sep", r'"line\u2028sep"'),
    ("bell\x07", r'"bell\u0007"'),
    ("’ “quotes” — ✓ 😀 שלום", '"’ “quotes” — ✓ 😀 שלום"'),
])
def test_render_escapes_like_the_seed(text, written):
    block = A.render_related([{"title": text, "webUrl": "u"}])
    assert block.splitlines()[1] == f"  - title: {written}"
    assert yaml.safe_load(block)["related"][0]["title"] == text


@pytest.mark.parametrize("name, plain", [
    ("Daily Mail", True), ("Morningstar%2c Inc.", True), ("Le Lézard", True), ("9to5Mac", True),
    ("Yes", False), ("1105", False), ("null", False), ("a: b", False), ("#1", False), ("- x", False),
    (" pad", False), ("", False), ("2020-01-01", False), ("x #y", False), ("@home", False),
])
def test_plain_or_quoted_provider_names(name, plain):
    block = A.render_related([{"webUrl": "u", "provider": {"name": name}}])
    line = block.splitlines()[3]
    assert line == (f"      name: {name}" if plain else f"      name: {F.dq(name)}")
    assert yaml.safe_load(block)["related"][0]["provider"]["name"] == name


def test_render_rejects_bad_entries():
    with pytest.raises(RecordError) as info:
        A.render_related([{"title": "no url"}])
    assert info.value.field == "related[0].webUrl"
    with pytest.raises(RecordError):
        A.render_related([{"webUrl": "u", "images": "x.jpg"}])
    with pytest.raises(RecordError):
        A.render_related(["u"])
    with pytest.raises(RecordError, match="finite"):
        A.render_related([{"webUrl": "u", "quality": float("nan")}])


def test_render_times_in_z():
    cases = [datetime(2020, 6, 26, 13, 0, tzinfo=timezone(timedelta(hours=2))), "2020-06-26T13:00:00+02:00",
             "2020-06-26 11:00:00"]
    for value in cases:
        block = A.render_related([{"webUrl": "u", "publishedDateTime": value}])
        assert block.startswith("related:\n  - publishedDateTime: 2020-06-26T11:00:00Z\n")
    assert 'publishedDateTime: "soon"' in A.render_related([{"webUrl": "u", "publishedDateTime": "soon"}])


# --------------------------------------------------------------------------- writing

NEW = [{"title": "New", "webUrl": "https://n.com/1", "quality": 9, "score": 0.3}]
NEW_BLOCK = 'related:\n  - title: "New"\n    webUrl: "https://n.com/1"\n    quality: 9\n'


def test_write_replaces_only_the_block(tmp_path):
    path = write(tmp_path / "t.md", TINY + "\nBody text.\n")
    assert A.write_related(path, NEW) is True
    text = path.read_text()
    start = TINY.index("related:\n")
    end = TINY.index("\nsecured:") + 0
    assert text == TINY[:start] + NEW_BLOCK + TINY[end:] + "\nBody text.\n"
    a = A.read_article(path)
    assert a.related == [{"title": "New", "webUrl": "https://n.com/1", "quality": 9}]


def test_write_same_list_does_not_touch_the_file(tmp_path):
    path = write(tmp_path / "t.md", TINY, 100)
    before = path.stat()
    assert A.write_related(path, A.read_article(path).related) is False
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


def test_write_inserts_before_secured_and_removes_again(tmp_path):
    text = record('title: "T"', 'webUrl: "u"', "", "topics:", "  - Azure", "", 'secured: "s"')
    path = write(tmp_path / "t.md", text)
    assert A.write_related(path, NEW)
    assert path.read_text() == record('title: "T"', 'webUrl: "u"', "", "topics:", "  - Azure", "",
                                      NEW_BLOCK + '\nsecured: "s"')
    assert A.write_related(path, []) is True
    assert path.read_text() == text
    assert A.write_related(path, []) is False


def test_write_without_secured_appends_at_the_end(tmp_path):
    text = record('title: "T"', 'webUrl: "u"') + "body\n"
    path = write(tmp_path / "t.md", text)
    A.write_related(path, NEW)
    assert path.read_text() == record('title: "T"', 'webUrl: "u"', "", related=NEW_BLOCK) + "body\n"
    A.write_related(path, None)
    assert path.read_text() == text


def test_write_keeps_crlf_bom_and_flow_style_elsewhere(tmp_path):
    text = "\ufeff" + TINY.replace("\n", "\r\n")
    path = write(tmp_path / "t.md", text)
    A.write_related(path, NEW)
    out = path.read_bytes().decode("utf-8")
    assert out.startswith("\ufeff---\r\n") and "\n" not in out.replace("\r\n", "")
    assert NEW_BLOCK.replace("\n", "\r\n") in out
    assert A.read_article(path).related_urls == ["https://n.com/1"]
    flow = record('title: "T"', 'webUrl: "u"', 'related: [{webUrl: "x"}]  # old', 'secured: "s"')
    path2 = write(tmp_path / "f.md", flow)
    A.write_related(path2, NEW)
    assert path2.read_text() == record('title: "T"', 'webUrl: "u"', related=NEW_BLOCK + 'secured: "s"\n')


def test_write_keeps_mode_and_symlink(tmp_path):
    path = write(tmp_path / "t.md", TINY)
    os.chmod(path, 0o640)
    link = tmp_path / "link.md"
    link.symlink_to(path)
    assert A.write_related(link, NEW)
    assert link.is_symlink() and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert A.read_article(path).related_urls == ["https://n.com/1"]


def test_write_refuses_bad_files_and_entries(tmp_path):
    bad = write(tmp_path / "bad.md", b"---\ntitle: [\n---\n")
    with pytest.raises(RecordError) as info:
        A.write_related(bad, NEW)
    assert info.value.code == "invalid-yaml" and bad.read_bytes() == b"---\ntitle: [\n---\n"
    good = write(tmp_path / "good.md", TINY)
    with pytest.raises(RecordError) as info:
        A.write_related(good, [{"title": "no url"}])
    assert info.value.path == str(good) and good.read_text() == TINY
    js = write(tmp_path / "r.jsonl", '{"title": "T", "webUrl": "u"}\n')
    with pytest.raises(RecordError) as info:
        A.write_related(js, NEW)
    assert info.value.code == "not-front-matter"
    indented = write(tmp_path / "i.md", "---\n  title: T\n  webUrl: u\n---\n")
    with pytest.raises(RecordError, match="column 0"):
        A.write_related(indented, NEW)


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_failed_rename_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = write(tmp_path / "t.md", TINY)

    def boom(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(A.os, "replace", boom)
    with pytest.raises(OSError) as info:
        A.write_related(path, NEW)
    assert info.value.errno == 28 and str(path) in str(info.value)
    assert path.read_text() == TINY and _no_temp_files(tmp_path)


def test_disk_full_while_writing(tmp_path, monkeypatch):
    path = write(tmp_path / "t.md", TINY)

    def full(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(A.os, "fsync", full)
    with pytest.raises(OSError) as info:
        A.write_related(path, NEW)
    assert info.value.errno == 28 and str(path) in str(info.value)
    assert path.read_text() == TINY and _no_temp_files(tmp_path)


def test_read_only_folder_vanished_file_and_concurrent_change(tmp_path, monkeypatch):
    path = write(tmp_path / "t.md", TINY)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".t.md.x.tmp"))
    with monkeypatch.context() as m:
        m.setattr(relate.fileio.tempfile, "mkstemp", denied)
        with pytest.raises(PermissionError) as info:
            A.write_related(path, NEW)
        assert str(path) in str(info.value) and info.value.filename == str(path)
    with pytest.raises(FileNotFoundError) as info:
        A.write_related(tmp_path / "gone.md", NEW)
    assert "gone.md" in str(info.value)
    real_fsync = os.fsync

    def meddle(fd):
        real_fsync(fd)
        if path.read_text() == TINY:
            path.write_text(TINY.replace("abc==", "xyz=="))
    monkeypatch.setattr(A.os, "fsync", meddle)
    with pytest.raises(RecordError) as info:
        A.write_related(path, NEW)
    assert info.value.code == "changed"
    assert path.read_text() == TINY.replace("abc==", "xyz==") and _no_temp_files(tmp_path)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("where", ["before-fsync", "before-rename", "after-rename"])
def test_crash_leaves_old_or_new_file(tmp_path, where):
    path = write(tmp_path / "t.md", TINY)
    pid = os.fork()
    if pid == 0:  # child: die at the chosen moment
        try:
            if where == "before-fsync":
                A.os.fsync = lambda fd: os._exit(3)
            elif where == "before-rename":
                A.os.replace = lambda a, b: os._exit(3)
            else:
                import relate.fileio

                relate.fileio.fsync_dir = lambda folder: os._exit(3)
            A.write_related(path, NEW)
        finally:
            os._exit(4)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 3
    text = path.read_text()
    assert text == (TINY if where != "after-rename" else A.replace_related(TINY.encode(), NEW).decode())
    # a stray hidden temporary file may remain after a crash; corpus loading ignores it
    assert [a.title for a in A.read_corpus(tmp_path, cache=False)] == [A.parse_article(TINY).title]


def test_replace_related_is_pure_and_checks_itself(monkeypatch):
    data = TINY.encode()
    assert A.replace_related(data, A.parse_article(TINY).related) is data
    monkeypatch.setattr(A, "_expected_entries", lambda entries: [{"webUrl": "other"}])
    with pytest.raises(RecordError) as info:
        A.replace_related(data, NEW, "t.md")
    assert info.value.code == "write-check"


# --------------------------------------------------------------------------- fast reader


@pytest.mark.parametrize("text", [
    # related: inside a multi-line quoted scalar is not the block
    'title: "T\nrelated:\n  - title: \\"x\\""\nwebUrl: "u"\n',
    "title: 'T\nrelated:\n  - title: \"x\"\n    webUrl: \"y\"\n'\nwebUrl: \"u\"\n",
    # block scalar with kept trailing lines right before the block
    'title: "T"\nwebUrl: "u"\nnote: |+\n  a\n\nrelated:\n  - title: "x"\n    webUrl: "y"\n\nsecured: "s"\n',
    # plain values, comments and odd spacing in the block
    'title: "T"\nwebUrl: "u"\nrelated:\n  - title: x\n    webUrl: "y"\n    quality: 0x1A\n  # c\n\n# d\nz: 1\n',
    'title: "T"\nwebUrl: "u"\nrelated:\n  - title: "x"\n    webUrl: "a\\x41\\u00e9\\N\\_\\/"\n    type: 1:30\n',
    'title: "T"\nwebUrl: "u"\nrelated:\n  - title: "x\u0085y"\n    webUrl: "y"\n',
    'title: "T"\nwebUrl: "u"\nrelated:\n  - title: "x"\n    webUrl: "y"\n    provider:\n    quality: ~\n',
    'title: "T"\nwebUrl: "u"\nrelated:\n  - title: "x"\n    webUrl: "y"\n    images:\n      - url: "i"\n'
    '        title: "t"\n      - url: "j"\n        isCached: no\n',
    'related:\n  - title: "x"\n    webUrl: "y"\ntitle: "T"\nwebUrl: "u"\n',
    '"related":\n  - title: "x"\n    webUrl: "y"\ntitle: "T"\nwebUrl: "u"\n',
])
def test_fast_reader_agrees_with_yaml(text):
    a = A.parse_article("---\n" + text + "---\n")
    ref = yaml.safe_load(text)
    related = ref.pop("related", None)
    assert a.title == ref["title"]
    assert a.related == [dict(e, **({"publishedDateTime": F.norm_entry_time(e["publishedDateTime"])}
                                    if "publishedDateTime" in e else {})) for e in related or []] or (
        related is None and a.related is None)
    assert {k: v for k, v in a.extra.items()} == {k: v for k, v in ref.items() if k not in (
        "title", "webUrl", "quality")}


def test_corpus_fingerprint():
    a, b = A.Article("A", "https://a.com"), A.Article("B", "https://b.com")
    assert A.corpus_fingerprint([a, b]) == A.corpus_fingerprint([b, a])
    assert A.corpus_fingerprint([a, b]) != A.corpus_fingerprint([a, A.Article("B2", "https://b.com")])


def test_quoted_lookalike_blocks_take_the_yaml_path():
    inside_scalar = "title: 'T\nrelated:\n  - title: \"x\"\n    webUrl: \"y\"\n'\nwebUrl: \"u\"\n"
    assert F.parse_fast(inside_scalar, True) is None
    seed_layout = A.read_article(SEED)
    text = SEED.read_text().split("---\n")[1]
    fast = F.parse_fast(text, True)
    assert fast is not None and fast.related == seed_layout.related


# --------------------------------------------------------------------------- round trips (hypothesis)


_SPECIAL = ['"', "'", ":", ": ", " #", "#", "\n", "\r\n", "---", "...", "\\", "\t", "😀", "👍🏽",
            "שלום", "مرحبا", "\u200f", "\u2028", "\x85", "\ufeff", "\x00", "- ", "? ", "&a", "*a",
            "!!python/object", "{", "[", "%2c", "’", " ", "yes", "null", "1:30", "0x1F", "~"]
_text = st.lists(st.one_of(st.sampled_from(_SPECIAL),
                           st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)),
                 max_size=6).map("".join)
_word = st.one_of(_text, st.sampled_from(["article", "Daily Mail", "Morningstar%2c Inc.", "Yes", "1105"]))
_time = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda t: A.format_time(t.replace(microsecond=0)))
_image = st.fixed_dictionaries({"url": _text.map(lambda s: "https://i.com/" + s)},
                               optional={"width": st.integers(0, 5000), "height": st.integers(0, 5000),
                                         "isCached": st.booleans(), "title": _text})
_entry = st.fixed_dictionaries(
    {"title": _text, "webUrl": _text.map(lambda s: "https://x.com/" + s)},
    optional={"excerpt": _text, "publishedDateTime": _time, "ampWebUrl": _text, "cdnAmpWebUrl": _text,
              "type": _word, "provider": st.fixed_dictionaries({"name": _word, "domain": _word}),
              "quality": st.one_of(st.integers(-5, 200), st.floats(-1e6, 1e6, allow_nan=False)),
              "images": st.lists(_image, min_size=1, max_size=2)})


def _seed_order(entry: dict) -> dict:
    return {k: entry[k] for k in A.RELATED_FIELDS if k in entry}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_entry, max_size=4))
def test_related_entries_survive_write_then_read(entries):
    new = A.replace_related(TINY.encode(), [dict(e, score=0.5) for e in entries])
    text = new.decode("utf-8")
    a = A.parse_article(text)
    expected = [_seed_order(e) for e in entries]
    assert (a.related or []) == expected
    # an independent reader (pure-Python PyYAML) agrees
    ref = yaml.safe_load(text.split("---\n")[1]).get("related") or []
    assert [dict(e, publishedDateTime=A.format_time(e["publishedDateTime"]))
            if "publishedDateTime" in e else e for e in ref] == expected
    # every byte outside the block is unchanged
    start = TINY.index("related:\n")
    end = TINY.index("\nsecured:")
    if entries:
        assert text.startswith(TINY[:start]) and text.endswith(TINY[end:])
    else:
        assert text == TINY[:start] + TINY[end + 1:]


@settings(max_examples=100, deadline=None)
@given(_text.filter(lambda s: s.strip()), _text)
def test_own_title_and_excerpt_survive_and_stay_byte_identical(title, excerpt):
    text = record(f"title: {F.dq(title)}", f"excerpt: {F.dq(excerpt)}", 'webUrl: "u"', "",
                  'secured: "s"')
    a = A.parse_article(text)
    assert (a.title, a.excerpt) == (title, excerpt)
    new = A.replace_related(text.encode(), NEW)
    b = A.parse_article(new.decode())
    assert (b.title, b.excerpt, b.related_urls) == (title, excerpt, ["https://n.com/1"])
    assert A.replace_related(new, []) == text.encode()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_entry, min_size=1, max_size=3))
def test_write_related_file_round_trip(tmp_path, entries):
    path = write(tmp_path / "t.md", TINY)
    A.write_related(path, entries)
    assert A.read_article(path).related == [_seed_order(e) for e in entries]
    assert A.write_related(path, entries) is False


# The fast reader's pieces against libyaml, on odd plain and double-quoted scalars.

_PLAIN_ALPHABET = st.sampled_from(list("ab :#-?,.[]{}&*!|>'\"%@`\t\\/=<~0123456789eE+xXoO_TtZz")
                                  + ["\u00a0", "é", "😀", "\x85", "\u2028"])
_DQ_PARTS = st.sampled_from(["a", '"', "\\", "\\\\", '\\"', "\\n", "\\t", "\\\t", "\\x41", "\\x4", "\\u00e9",
                             "\\ud800", "\\U0001F600", "\\U00110000", "\\N", "\\_", "\\L", "\\P", "\\/",
                             "\\ ", "\\q", "\\0", "\t", " ", "é", "😀", "\x85", "\u2028", "#", ": "])


def _libyaml(value_text: str):
    try:
        return yaml.load("a: " + value_text + "\n", Loader=yaml.CSafeLoader)["a"]
    except (yaml.YAMLError, ValueError) as exc:
        return exc


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(_PLAIN_ALPHABET, min_size=1, max_size=10).map("".join),
                 st.sampled_from(["1:30", "0o17", "0x1F", "+1", "1_000", "yes", "No", "~", ".5", "1e5",
                                  "1.0e+5", "-.INF", "2002-12-14", "2020-1-1t1:2:3z", "190:20:30.15"])))
def test_plain_scalars_read_like_libyaml(s):
    if re.fullmatch(F._PL, s):
        ref = _libyaml(s)
        try:
            got = F.plain_value(s)
        except F._NotFast:
            assert isinstance(ref, Exception)
            return
        if not isinstance(ref, Exception):
            assert type(got) is type(ref) and (got == ref or got != got)
    if F.plain_safe(s):
        assert _libyaml(s) == s and yaml.safe_load("a: " + s) == {"a": s}


@settings(max_examples=400, deadline=None)
@given(st.lists(_DQ_PARTS, max_size=8).map(lambda parts: '"' + "".join(parts) + '"'))
def test_double_quoted_scalars_read_like_libyaml(s):
    if not re.fullmatch(F._DQ, s):
        return
    ref = _libyaml(s)
    try:
        got = F.dq_value(s)
    except F._NotFast:
        assert isinstance(ref, Exception)
        return
    assert got == ref
