"""records.urls: URL keys, AMP variants and article ids."""
from __future__ import annotations

from _helpers_articles import TINY, record

from relate import corpus as C
from relate import records as R


def test_id_survives_spaces_ampersands_quotes_and_percent_commas():
    url = "https://e.com/a b&c’d%2ce"
    a = C.parse_article(TINY)
    assert a.id == R.article_id(url)
    # the same page written with %20, a literal comma, www. and a trailing slash
    assert R.article_id("http://www.e.com/a%20b&c%E2%80%99d,e/") == a.id
    assert R.article_id("https://e.com/other") != a.id
    assert R.url_key(url) == "e.com/a b&c’d,e"


def test_id_falls_back_to_original_url():
    a = C.parse_article(record('title: "T"', 'originalUrl: "https://o.com/x"'))
    assert a.web_url is None and a.url == "https://o.com/x" and a.id == R.article_id("https://o.com/x")


def test_url_variants_cover_amp_forms():
    assert R.url_variants("https://www.x.com/a/amp/") == {"x.com/a/amp", "x.com/a"}
    assert R.url_variants("https://x.com/a?amp") == {"x.com/a?amp", "x.com/a"}
    cdn = R.url_variants("https://x-com.cdn.ampproject.org/c/s/www.x.com/a/amp")
    assert {"x.com/a/amp", "x.com/a"} <= cdn
    assert R.url_key("x.com/a#frag") == R.url_key("https://X.com//a/") == "x.com/a"
