"""frontmatter.render: the related block in the seed's style, located and replaced."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import yaml
from _helpers_articles import SEED

from relate import corpus as C
from relate import frontmatter as F
from relate.errors import RecordError

ENTRY = {"title": "T", "excerpt": "E", "publishedDateTime": "2020-06-26T11:00:00Z", "webUrl": "https://t.com/1",
         "ampWebUrl": "https://t.com/1/amp", "cdnAmpWebUrl": "https://t-com.cdn.ampproject.org/c/s/t.com/1/amp",
         "type": "article", "provider": {"name": "Daily Mail", "domain": "dailymail.co.uk"}, "quality": 74,
         "images": [{"url": "https://t.com/i.jpg", "width": 800, "height": 449, "isCached": True}]}


def test_render_seed_style_exactly():
    assert F.render_related([ENTRY]) == (
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
    assert F.render_related([]) == ""


def test_render_reproduces_the_seed_block():
    data = SEED.read_bytes()
    a = C.read_article(SEED)
    start = data.index(b"\nrelated:\n") + 1
    end = data.index(b"\n\nsecured:") + 1
    assert F.render_related(a.related).encode() == data[start:end]


def test_render_order_extra_keys_and_absent_fields():
    entry = {"score": 0.9, "quality": 3, "webUrl": "https://x.com", "title": "X", "excerpt": None,
             "score_parts": {"a": 1}, "provider": {"domain": "x.com", "name": None, "x": 1},
             "images": [{"title": "I", "isCached": False, "url": "https://x.com/i", "alt": "no"}]}
    assert F.render_related([entry]) == (
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
    block = F.render_related([{"title": text, "webUrl": "u"}])
    assert block.splitlines()[1] == f"  - title: {written}"
    assert yaml.safe_load(block)["related"][0]["title"] == text


@pytest.mark.parametrize("name, plain", [
    ("Daily Mail", True), ("Morningstar%2c Inc.", True), ("Le Lézard", True), ("9to5Mac", True),
    ("Yes", False), ("1105", False), ("null", False), ("a: b", False), ("#1", False), ("- x", False),
    (" pad", False), ("", False), ("2020-01-01", False), ("x #y", False), ("@home", False),
])
def test_plain_or_quoted_provider_names(name, plain):
    block = F.render_related([{"webUrl": "u", "provider": {"name": name}}])
    line = block.splitlines()[3]
    assert line == (f"      name: {name}" if plain else f"      name: {F.dq(name)}")
    assert yaml.safe_load(block)["related"][0]["provider"]["name"] == name


def test_render_rejects_bad_entries():
    with pytest.raises(RecordError) as info:
        F.render_related([{"title": "no url"}])
    assert info.value.field == "related[0].webUrl"
    with pytest.raises(RecordError):
        F.render_related([{"webUrl": "u", "images": "x.jpg"}])
    with pytest.raises(RecordError):
        F.render_related(["u"])
    with pytest.raises(RecordError, match="finite"):
        F.render_related([{"webUrl": "u", "quality": float("nan")}])


def test_render_times_in_z():
    cases = [datetime(2020, 6, 26, 13, 0, tzinfo=timezone(timedelta(hours=2))), "2020-06-26T13:00:00+02:00",
             "2020-06-26 11:00:00"]
    for value in cases:
        block = F.render_related([{"webUrl": "u", "publishedDateTime": value}])
        assert block.startswith("related:\n  - publishedDateTime: 2020-06-26T11:00:00Z\n")
    assert 'publishedDateTime: "soon"' in F.render_related([{"webUrl": "u", "publishedDateTime": "soon"}])


def _block(text: str) -> F.Block:
    return F.locate_block(text, F.compose_and_load(text)[0])


@pytest.mark.parametrize("text, span, present, at_end", [
    ('title: "T"\nrelated:\n  - webUrl: "a"\n\nsecured: "s"\n', (11, 36), True, False),
    ('title: "T"\nrelated: [{webUrl: "a"}]  # c\nz: 1\n', (11, 41), True, False),
    ('title: "T"\nrelated:\nz: 1\n', (11, 20), True, False),
    ('title: "T"\n\nsecured: "s"\n', (12, 12), False, False),
    ('title: "T"\n', (11, 11), False, True),
])
def test_locate_block(text, span, present, at_end):
    b = _block(text)
    assert ((b.start, b.end), b.present, b.at_end) == (span, present, at_end)


def test_locate_block_refuses_what_it_cannot_rewrite():
    with pytest.raises(RecordError, match="column 0"):
        _block("{title: T}\n")
    with pytest.raises(RecordError, match="related key is not at column 0") as info:
        _block('title: "T"\n? related\n: [a]\n')
    assert (info.value.field, info.value.line) == ("related", 3)


def test_replace_block_inserts_replaces_and_removes():
    new = 'related:\n  - webUrl: "n"\n'
    with_secured = 'title: "T"\n\nsecured: "s"\n'
    inserted = F.replace_block(with_secured, _block(with_secured), new)
    assert inserted == 'title: "T"\n\nrelated:\n  - webUrl: "n"\n\nsecured: "s"\n'
    assert F.replace_block(inserted, _block(inserted), "") == with_secured
    at_end = 'title: "T"\n'
    appended = F.replace_block(at_end, _block(at_end), new)
    assert appended == 'title: "T"\n\nrelated:\n  - webUrl: "n"\n'
    assert F.replace_block(appended, _block(appended), "") == at_end
    assert F.replace_block(at_end, _block(at_end), "") == at_end
    crlf = 'title: "T"\r\n'
    assert F.replace_block(crlf, _block(crlf), new.replace("\n", "\r\n"), "\r\n") == (
        'title: "T"\r\n\r\nrelated:\r\n  - webUrl: "n"\r\n')


def test_render_scalar_styles():
    assert [F.render_scalar(v, "quality") for v in (True, 3, 2.5, 1e20)] == ["true", "3", "2.5", "1.0e+20"]
    assert F.render_scalar("Daily Mail", "name") == "Daily Mail" and F.render_scalar("Daily Mail", "title") == '"Daily Mail"'
    assert F.render_scalar(datetime(2020, 1, 1), "publishedDateTime") == "2020-01-01T00:00:00Z"
    assert F.render_scalar(datetime(2020, 1, 1), "title") == '"2020-01-01T00:00:00Z"'
    with pytest.raises(TypeError):
        F.render_scalar({"a": 1}, "title")
