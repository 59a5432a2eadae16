"""Related lists as the batch job compares them: scores stripped, dates normalised."""
from __future__ import annotations

from datetime import datetime, timezone

from relate.batch import same_list, same_urls, strip_scores

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
