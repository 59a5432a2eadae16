"""records.validation: a mapping into an Article, or a RecordError naming the field and line."""
from __future__ import annotations

import json

import pytest
from _helpers_articles import record

from relate import corpus as C
from relate import records as R
from relate.errors import RecordError


@pytest.mark.parametrize("value, expected", [
    ("56", 56), ('"56"', 56), ("5.5", 5.5), ('" 7 "', 7), ("-3", -3), ("", None), ("~", None),
    ('"5.0"', 5.0), ("1_000", 1000),
])
def test_quality_numbers(value, expected):
    a = C.parse_article(record('title: "T"', 'webUrl: "u"', f"quality: {value}"))
    assert a.quality == expected
    if expected is not None:
        assert type(a.quality) is type(expected)


@pytest.mark.parametrize("value", ["0x_", "0b_", "-0b__", "+0x_"])
def test_a_number_with_no_digits_is_a_field_error_not_a_crash(value):
    # YAML 1.1 resolves these as ints, and PyYAML's constructor then fails with a bare ValueError
    # (yaml.safe_load too): a batch run stopped on one such record instead of skipping it
    with pytest.raises(RecordError, match="quality") as info:
        C.parse_article(record('title: "T"', 'webUrl: "u"', f"quality: {value}"))
    assert info.value.field == "quality" and value in str(info.value)
    other = C.parse_article(record('title: "T"', 'webUrl: "u"', f"code: {value}", 'quality: 5'))
    assert other.extra["code"] == value and other.quality == 5


def test_numeric_title_is_text_and_bool_title_is_an_error():
    assert C.parse_article(record("title: 1984", 'webUrl: "u"')).title == "1984"
    with pytest.raises(RecordError, match="quote the value"):
        C.parse_article(record("title: yes", 'webUrl: "u"'))


def test_article_from_dict_matches_file_and_does_not_mutate():
    d = {"title": "T", "webUrl": "u", "quality": "56", "publishedDateTime": "2020-06-27T01:21:00Z",
         "related": [{"title": "R", "webUrl": "r", "score": 0.5}], "secured": "s"}
    before = json.dumps(d, sort_keys=True)
    a = C.article_from_dict(d)
    assert json.dumps(d, sort_keys=True) == before
    assert a.quality == 56 and a.related_urls == ["r"] and a.extra == {"secured": "s"}
    a.related[0]["title"] = "changed"
    assert d["related"][0]["title"] == "R"
    b = C.parse_article(record('title: "T"', 'webUrl: "u"', 'quality: "56"',
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
        C.article_from_dict(d)
    assert info.value.code == code


def test_build_article_locates_errors_with_key_line():
    lines = {"title": 2, "webUrl": 3, "provider": 4, "related": 7}
    with pytest.raises(RecordError) as info:
        R.build_article({"title": "T", "webUrl": "u", "provider": "x"}, "x.md", key_line=lines.get)
    assert (info.value.code, info.value.line, info.value.field) == ("bad-field", 4, "provider")
    with pytest.raises(RecordError) as info:
        R.build_article({"title": "T", "webUrl": "u"}, "x.md", has_related=True, related=[{"webUrl": "a"}, {}],
                        key_line=lines.get)
    assert (info.value.line, info.value.field) == (7, "related[1].webUrl")     # no entry lines: the key's
    with pytest.raises(RecordError) as info:
        R.build_article({"title": "T", "webUrl": "u"}, "x.md", has_related=True, related=[{"webUrl": "a"}, 5],
                        key_line=lines.get, entry_line=lambda i: 8 + i)
    assert (info.value.line, info.value.field) == (9, "related[1]")


def test_build_article_related_forms():
    base = {"title": "T", "webUrl": "u"}
    assert R.build_article(dict(base)).related is None
    checked = R.build_article(dict(base), has_related=True, related=None, related_urls=["a", "b"])
    assert checked.related is None and checked.related_urls == ["a", "b"]
    raw = R.build_article(dict(base), has_related=True, related=[{"webUrl": "a", "publishedDateTime": "x"}])
    assert raw.related == [{"webUrl": "a", "publishedDateTime": "x"}] and raw.related_urls == ["a"]
    assert R.build_article(dict(base), has_related=True, related=None).related == []


def test_kind_of_and_record_error():
    assert [R.kind_of(v) for v in (None, [], {}, "s")] == ["empty", "a list", "a mapping", "a single value (str)"]
    err = R.record_error("bad-field", "why", None, "f", 3)
    assert (err.code, err.path, str(err)) == ("bad-field", None, "<record>:3: field 'f': why")
