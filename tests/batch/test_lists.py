"""Related lists as the batch job compares them: scores stripped, dates normalised."""
from __future__ import annotations

from datetime import datetime, timezone

from relate.batch import same_list, same_urls, strip_scores
from relate.batch.lists import stored_urls

UTC = timezone.utc


def test_same_list_normalises_dates_and_scores():
    stored = [{"title": "A", "publishedDateTime": datetime(2020, 6, 26, 11, tzinfo=UTC), "webUrl": "u"}]
    new = [{"title": "A", "publishedDateTime": "2020-06-26T11:00:00Z", "webUrl": "u", "score": 0.9,
            "score_parts": {"similarity": 0.9}}]
    assert same_list(stored, new)
    assert not same_list(stored, [])
    assert same_list(None, [])
    assert not same_list(stored, [dict(new[0], title="B")])


def test_strip_scores_and_same_urls():
    entry = {"title": "A", "webUrl": "https://e.com/a", "score": 1.0, "score_parts": {}}
    assert strip_scores(entry) == {"title": "A", "webUrl": "https://e.com/a"} and "score" in entry
    assert same_urls(["https://e.com/a"], [entry])
    assert not same_urls([], [entry])


def test_a_list_target_tells_a_changed_list_as_the_record_does(azure_dir):
    """ListTarget keeps a digest of its stored list's addresses (not the addresses): whether a new
    list points elsewhere is answered as for the record, on every real azure list and changes of it."""
    import random
    import sys

    from relate.batch.lists import ListTarget, list_changed
    from relate.corpus import read_corpus

    articles = [a for a in read_corpus(azure_dir, full_related=True).articles if a.related]
    assert len(articles) > 4000
    rng = random.Random(2)
    for a in articles:
        target = ListTarget.of(a)
        entries = [dict(e) for e in a.related]
        variants = [entries, entries[::-1], entries[:-1], entries + [{"webUrl": "https://e.com/new"}], []]
        if len(entries) > 1:
            variants.append(rng.sample(entries, len(entries)))
        for new in variants:
            assert list_changed(target, new) == list_changed(a, new) == (not same_urls(stored_urls(a), new))
    assert not list_changed(ListTarget.of(articles[0]), [{**e, "webUrl": e["webUrl"].replace("https://", "http://")}
                                                        for e in articles[0].related])   # the same pages
    assert sys.getsizeof(target) < 80 and not hasattr(target, "__dict__")
