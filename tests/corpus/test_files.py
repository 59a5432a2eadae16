"""Which files of a folder are records (patterns, include/exclude, links) and the address of a record without a URL."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from relate.config import Config, CorpusConfig
from relate.corpus import read_corpus
from relate.corpus.files import FileRules, address_from_path
from relate.errors import ConfigError

NEWSLETTER = ('---\ntitle: "Letter"\nwebUrl: "https://e.org/n/1/"\ntype: article\n---\n'
              '<html>\n<body>\n---\n<p>caf\u00e9</p>\r\n</body>\n</html>\n')


def _rec(folder: Path, rel: str, text: str) -> Path:
    p = folder / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8", newline="")
    return p


def test_default_kinds_are_md_markdown_html():
    rules = FileRules.from_config(CorpusConfig())
    assert [rules.wanted(n) for n in ("a.md", "b.markdown", "c.html", "d.HTML", "e.txt", "f.css")] == [
        True, True, True, True, False, False]
    assert not rules.wanted("_site/a.html") and not rules.wanted_folder("node_modules")


def test_include_and_exclude_globs():
    rules = FileRules(["*.md"], include=["_news/", "*.keep.md"], exclude=["_drafts", "assets/*"])
    assert rules.wanted("_news/a.md") and rules.wanted("x/y.keep.md")
    assert not rules.wanted("_learning/a.md")
    assert not rules.wanted_folder("_drafts") and not rules.wanted("_news/_drafts/a.md")


def test_include_exclude_come_from_config_and_flags():
    cfg = Config().with_overrides({"corpus.exclude": "_drafts/,assets/", "corpus.files": "*.md"})
    assert cfg.corpus.exclude == ["_drafts/", "assets/"] and cfg.corpus.files == ["*.md"]


def test_html_record_read_and_body_untouched(tmp_path):
    _rec(tmp_path, "_newsletters/a.html", NEWSLETTER)
    corpus = read_corpus(tmp_path, cache=False)
    assert [a.title for a in corpus] == ["Letter"]
    only_md = read_corpus(tmp_path, cache=False, config=CorpusConfig(files=["*.md"]))
    assert len(only_md) == 0


def test_records_without_url_get_an_address_from_their_path(tmp_path):
    _rec(tmp_path, "_learning/collections/beginner.md", '---\ntitle: "Beginner"\ntype: collection\n---\n')
    _rec(tmp_path, "top.md", '---\ntitle: "Top"\n---\n')
    corpus = read_corpus(tmp_path, cache=False)
    by_title = {a.title: a for a in corpus}
    a = by_title["Beginner"]
    assert a.address == "/learning/collections/beginner/" and a.web_url is None and a.original_url is None
    assert a.related_entry() == {"title": "Beginner", "webUrl": "/learning/collections/beginner/",
                                 "type": "collection"}
    assert by_title["Top"].address == "/top/"
    assert len({x.id for x in corpus}) == 2
    site = read_corpus(tmp_path, cache=False,
                       config=CorpusConfig(url_template="https://example.org/{collection}/{slug}/"))
    assert {x.url for x in site} == {"https://example.org/learning/beginner/", "https://example.org/top/"}


def test_template_none_skips_them_as_missing_url(tmp_path):
    _rec(tmp_path, "_learning/c.md", '---\ntitle: "C"\n---\n')
    corpus = read_corpus(tmp_path, cache=False, config=CorpusConfig(url_template=None))
    assert len(corpus) == 0 and corpus.summary()["reasons"] == {"missing-url": 1}
    assert "url_template" in corpus.skipped[0].reason


def test_bad_template_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown placeholder"):
        address_from_path("/{nope}/", "a.md")


def test_duplicate_rule_newest_then_most_fields_then_path(tmp_path):
    _rec(tmp_path, "a.md", '---\ntitle: "Old"\noriginalUrl: "https://y.com/v"\npublishedDateTime: 2020-01-01T00:00:00Z\n---\n')
    _rec(tmp_path, "b.md", '---\ntitle: "New"\noriginalUrl: "https://y.com/v"\npublishedDateTime: 2021-01-01T00:00:00Z\n---\n')
    _rec(tmp_path, "c.md", '---\ntitle: "Few"\noriginalUrl: "https://y.com/w"\n---\n')
    _rec(tmp_path, "d.md", '---\ntitle: "Many"\noriginalUrl: "https://y.com/w"\ntype: video\n---\n')
    _rec(tmp_path, "e.md", '---\ntitle: "First"\noriginalUrl: "https://y.com/x"\n---\n')
    _rec(tmp_path, "f.md", '---\ntitle: "Second"\noriginalUrl: "https://y.com/x"\n---\n')
    corpus = read_corpus(tmp_path, cache=False)
    assert sorted(a.title for a in corpus) == ["First", "Many", "New"]
    reasons = {Path(e.path).name: e.reason for e in corpus.skipped}
    assert set(reasons) == {"a.md", "c.md", "f.md"}
    assert "newer" in reasons["a.md"] and "more fields" in reasons["c.md"] and "path order" in reasons["f.md"]


def test_links_dangling_reported_inside_and_outside_noted(tmp_path):
    corpus_dir, outside = tmp_path / "corpus", tmp_path / "elsewhere"
    real = _rec(corpus_dir, "a.md", '---\ntitle: "A"\nwebUrl: "https://e.com/a"\n---\n')
    far = _rec(outside, "b.md", '---\ntitle: "B"\nwebUrl: "https://e.com/b"\n---\n')
    os.symlink(real, corpus_dir / "a-link.md")
    os.symlink(far, corpus_dir / "b.md")
    os.symlink(tmp_path / "missing.md", corpus_dir / "gone.md")
    corpus = read_corpus(corpus_dir, cache=False)
    assert sorted(a.title for a in corpus) == ["A", "B"]
    assert Path([a for a in corpus if a.title == "A"][0].path).name == "a.md"  # the file, not the link
    codes = {Path(e.path).name: e.code for e in corpus.skipped}
    assert codes == {"a-link.md": "duplicate-id", "gone.md": "dangling-link"}
    assert str(corpus_dir / "b.md") in corpus.links.outside
