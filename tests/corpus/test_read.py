"""corpus.read: one record from a file, its text, a dict or a path, with located errors."""
from __future__ import annotations

import pytest
from _helpers_articles import TINY, write

from relate import corpus as C
from relate import frontmatter as F
from relate.errors import RecordError

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
        C.read_article(path)
    err = info.value
    assert (err.code, err.line, err.field) == (code, line, field), str(err)
    assert err.path == str(path)
    assert str(err).startswith(str(path))
    assert err.reason and len(err.reason) > 10


def test_as_article(tmp_path):
    a = C.parse_article(TINY)
    assert C.as_article(a) is a
    assert C.as_article({"title": "T", "webUrl": "u"}).title == "T"
    assert C.as_article(write(tmp_path / "t.md", TINY)).related_urls == a.related_urls
    with pytest.raises(TypeError):
        C.as_article(42)


def test_as_articles_takes_any_corpus(tmp_path):
    a = C.parse_article(TINY)
    root = tmp_path / "c"
    write(root / "t.md", TINY)
    write(root / "bad.md", "---\ntitle: [\n---\n")
    from_folder = C.as_articles(root)
    assert [x.url for x in from_folder] == [a.url]            # bad records skipped
    assert [x.url for x in C.as_articles(str(root))] == [a.url]
    corpus = C.read_corpus(root, cache=False)
    got = C.as_articles(corpus)
    assert got == corpus.articles and got is not corpus.articles and got[0] is corpus.articles[0]
    assert C.as_articles({a.id: a}) == [a]
    assert C.as_articles(x for x in [a])[0] is a
    mixed = C.as_articles([a, {"title": "T", "webUrl": "u"}, root / "t.md"])
    assert [x.title for x in mixed] == [a.title, "T", a.title]

    class Holder:
        def __init__(self) -> None:
            self.articles = {a.id: a}
    assert C.as_articles(Holder()) == [a]
    with pytest.raises(RecordError):
        C.as_articles([{"title": "no url"}])
    with pytest.raises(TypeError):
        C.as_articles([42])
    with pytest.raises(FileNotFoundError):
        C.as_articles(tmp_path / "nope")


def test_article_from_bytes_and_read_bytes(tmp_path):
    data = TINY.encode()
    assert C.article_from_bytes(data, "t.md") == C.parse_article(TINY, "t.md")
    assert C.article_from_bytes(data, "t.md", full_related=False).related is None
    with pytest.raises(RecordError) as info:
        C.read_article(tmp_path / "missing.md")
    assert info.value.code == "unreadable"
