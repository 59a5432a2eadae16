"""records.article: the Article dataclass, its fields, to_dict and related_entry."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from _helpers_articles import SEED, TINY, record

from relate import corpus as C
from relate import records as R

UTC = timezone.utc


def test_seed_record_fields():
    a = C.read_article(SEED)
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
    assert a.id == R.article_id(a.web_url) and len(a.id) == 16
    assert a.path == str(SEED)
    assert a.key_order[:2] == ("category", "title") and a.key_order[-2:] == ("related", "secured")


def test_tiny_record_fields_and_provider_extra():
    a = C.parse_article(TINY, "tiny.md")
    assert a.title == 'Azure outage: what "really" happened'
    assert a.excerpt == "Line one\r\nLine two"
    assert a.web_url == "https://e.com/a b&c’d%2ce"
    assert a.provider_extra == {"images": [{"url": "https://e.com/logo.png", "width": 50, "height": 50}]}
    assert a.related_urls == ["https://f.com/1", "https://g.com/2"]
    assert a.related[1] == {"title": "Second", "excerpt": "Two", "publishedDateTime": "2020-06-25T10:00:00Z",
                            "webUrl": "https://g.com/2", "type": "article",
                            "provider": {"name": "G", "domain": "g.com"}, "quality": 3}


def test_unmodelled_fields_are_kept_in_order():
    a = C.parse_article(record('zeta: 1', 'title: "T"', 'webUrl: "u"', 'custom: {a: [1, 2]}',
                               'updated: 2021-01-01T00:00:00Z'))
    assert a.extra == {"zeta": 1, "custom": {"a": [1, 2]},
                       "updated": datetime(2021, 1, 1, tzinfo=UTC)}
    assert list(a.to_dict()) == ["zeta", "title", "webUrl", "custom", "updated"]


def test_to_dict_round_trip():
    a = C.parse_article(TINY, "tiny.md")
    d = a.to_dict()
    assert list(d) == ["category", "title", "excerpt", "publishedDateTime", "webUrl", "type", "quality",
                       "heat", "published", "provider", "topics", "related", "secured"]
    assert d["provider"] == {"name": "Example News", "domain": "e.com",
                             "images": [{"url": "https://e.com/logo.png", "width": 50, "height": 50}]}
    assert C.article_from_dict(d, "tiny.md") == a


def test_related_is_none_without_block_and_empty_list_for_null():
    a = C.parse_article(record('title: "T"', 'webUrl: "u"'))
    assert a.related is None and a.related_urls == []
    b = C.parse_article(record('title: "T"', 'webUrl: "u"', "related:"))
    assert b.related == [] and b.related_urls == []


def test_related_entry_is_the_seed_shape():
    a = R.Article(title="T", web_url="https://t.com/1", excerpt="E", quality=74.0, type="article",
                  published_at=datetime(2020, 6, 26, 13, tzinfo=timezone(timedelta(hours=2))),
                  provider_domain="t.com", amp_web_url="https://t.com/1/amp",
                  images=[{"url": "https://t.com/i.jpg", "width": 1, "alt": "x"}, {"width": 2}, "x"])
    assert a.related_entry() == {
        "title": "T", "excerpt": "E", "publishedDateTime": "2020-06-26T11:00:00Z", "webUrl": "https://t.com/1",
        "ampWebUrl": "https://t.com/1/amp", "type": "article", "provider": {"domain": "t.com"}, "quality": 74,
        "images": [{"url": "https://t.com/i.jpg", "width": 1}]}
    assert list(a.related_entry()) == [k for k in R.RELATED_FIELDS if k in a.related_entry()]
    # a record with only originalUrl is named by that key (no webUrl is made up; issue 11)
    assert R.Article("T", original_url="https://o.com").related_entry() == {"title": "T", "originalUrl": "https://o.com"}


def test_id_follows_the_url_and_urls_lists_every_address():
    a = R.Article("T", "https://t.com/1", amp_web_url="https://t.com/1/amp")
    first = a.id
    assert first == R.article_id("https://t.com/1") and a.urls == ["https://t.com/1", "https://t.com/1/amp"]
    a.web_url = "https://t.com/2"
    assert a.id == R.article_id("https://t.com/2") != first


def test_to_dict_keeps_offsets_and_seed_order():
    t = datetime(2020, 6, 27, 3, 21, tzinfo=timezone(timedelta(hours=2)))
    a = R.Article("T", "u", published_at=t, extra={"secured": "s", "category": "news"}, topics=["x"])
    assert a.to_dict() == {"category": "news", "title": "T", "publishedDateTime": "2020-06-27T03:21:00+02:00",
                           "webUrl": "u", "topics": ["x"], "secured": "s"}
    assert list(a.to_dict()) == ["category", "title", "publishedDateTime", "webUrl", "topics", "secured"]
    assert R.Article("T", "u", published_at=t.astimezone(UTC)).to_dict()["publishedDateTime"] == "2020-06-27T01:21:00Z"


def test_entry_of_an_original_url_record_invents_no_web_url():
    from relate.records import Article, article_from_dict, entry_url

    a = Article(title="V", original_url="https://youtube.com/watch?v=1", type="video")
    e = a.related_entry()
    assert "webUrl" not in e and e["originalUrl"] == "https://youtube.com/watch?v=1" and e["type"] == "video"
    assert entry_url(e) == a.url
    both = Article(title="N", web_url="https://e.com/n", original_url="https://o.com/n").related_entry()
    assert both["webUrl"] == "https://e.com/n" and "originalUrl" not in both
    # a list holding such entries reads back
    r = article_from_dict({"title": "T", "webUrl": "https://e.com/t", "related": [e]})
    assert r.related_urls == ["https://youtube.com/watch?v=1"]
