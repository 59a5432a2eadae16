"""The text relate reads of an article: cleaning, and the one article_text for the encoder and the TF-IDF baseline."""
from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relate.config import EmbedConfig
from relate.text import article_text, clean_text


def test_clean_text_by_hand():
    assert clean_text("Fast&nbsp;&amp; cheap <b>VMs</b> [&hellip;]") == "Fast & cheap VMs"
    assert clean_text("double &amp;amp; escaped") == "double & escaped"
    assert clean_text("ends with…") == "ends with"
    assert clean_text("ends with...  ") == "ends with"
    assert clean_text("a [ ... ] b") == "a b"
    assert clean_text("  many \n\t spaces  ") == "many spaces"
    assert clean_text(None) == "" and clean_text("") == ""


def test_article_text_for_the_encoder():
    cfg = EmbedConfig(title_repeat=2, excerpt_chars=10)
    assert article_text("Azure &amp; AI", "<b>New</b> VMs for everyone", cfg) == "Azure & AI. Azure & AI. New VMs fo"
    assert article_text("Same", "same", EmbedConfig()) == "Same"        # an excerpt repeating the title
    assert article_text("", "only text", EmbedConfig()) == "only text"
    assert article_text("Title", "", EmbedConfig(title_repeat=0)) == "Title"  # no excerpt: the title at least once
    assert article_text("Title", "excerpt", EmbedConfig(title_repeat=0)) == "excerpt"
    assert article_text(None, None, EmbedConfig()) == ""


def test_article_text_for_the_tfidf_baseline():
    assert article_text("Azure &amp; AI", "<b>New</b> VMs [&hellip;]") == "Azure & AI. New VMs"
    assert article_text("Same", "same") == "Same"
    assert article_text("", "only text") == "only text"
    long = "word " * 200
    assert article_text("T", long) == "T. " + long.strip()  # the whole excerpt, the title once


# ----------------------------------------------------------------------------- the two old functions
def _old_clean(text):
    if not text:
        return ""
    text = html.unescape(html.unescape(text))
    text = re.sub(r"<[^>]{0,200}>", " ", text)
    text = re.sub(r"\[\s*(?:…|\.\.\.|&hellip;)\s*\]|(?:…|\.\.\.)\s*$", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _old_embed_text(title, excerpt, cfg):
    title = _old_clean(title)
    excerpt = _old_clean(excerpt)[: cfg.excerpt_chars]
    parts = [title] * max(cfg.title_repeat, 1 if not excerpt else 0)
    if excerpt and excerpt.lower() != title.lower():
        parts.append(excerpt)
    return ". ".join(p for p in parts if p)


def _old_baseline_text(title, excerpt):
    title, excerpt = _old_clean(title), _old_clean(excerpt)
    if excerpt and excerpt.lower() != title.lower():
        return f"{title}. {excerpt}" if title else excerpt
    return title


PIECES = st.sampled_from(["Azure", "azure", " ", "&amp;", "&amp;amp;", "<b>", "</b>", "[…]", "...", "…", "&hellip;",
                          "\n", "é", "VMs", ".", "<a href='x'>", "[ ... ]", "&nbsp;"])
TEXT = st.one_of(st.none(), st.lists(PIECES, max_size=12).map("".join), st.text(max_size=40))


@settings(max_examples=300, deadline=None)
@given(TEXT, TEXT, st.integers(0, 3), st.integers(0, 30))
def test_article_text_is_both_old_functions(title, excerpt, repeat, chars):
    cfg = EmbedConfig(title_repeat=repeat, excerpt_chars=chars)
    assert article_text(title, excerpt, cfg) == _old_embed_text(title, excerpt, cfg)
    assert article_text(title, excerpt) == _old_baseline_text(title, excerpt)
    assert clean_text(title) == _old_clean(title)


@pytest.mark.parametrize("title, excerpt", [("A", "a"), ("", ""), ("x", None)])
def test_none_config_is_title_once_and_the_whole_excerpt(title, excerpt):
    assert article_text(title, excerpt) == article_text(title, excerpt, EmbedConfig(title_repeat=1, excerpt_chars=10**9))
