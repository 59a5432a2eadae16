"""The library call on odd records: ``Engine.suggest`` gives a list in the seed's shape or a RelateError.

A site calls ``relate.suggest(article)`` on what its CMS holds, new articles included, so the
records are whatever an editor typed: a field missing, a number where text goes, a date that is
no date, a huge excerpt. Each record here is a ``data/`` record (indexed or, with a new address,
not) with up to three fields replaced by such values.
"""
from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relate import Engine, read_corpus
from relate.errors import RelateError

_ODD = [None, True, 0, -1, 1e308, float("nan"), "", " ", "x", "0x_", "2020-13-45", "9999-12-31T23:59:59Z",
        "0001-01-01", [], {}, [1], {"name": None}, {"name": "Daily Mail", "domain": "dailymail.co.uk"},
        "é😀" * 300, "word " * 3000, [{"webUrl": "https://x.example/1"}], "article", "video"]
_KEYS = ["title", "webUrl", "originalUrl", "excerpt", "publishedDateTime", "type", "quality", "heat", "provider",
         "topics", "images", "related", "removed"]


@pytest.fixture(scope="module")
def engine(data_dir, hash_encoder, tmp_path_factory):
    return Engine.build(data_dir, workspace=tmp_path_factory.mktemp("odd-ws"), encoder=hash_encoder)


@pytest.fixture(scope="module")
def records(data_dir):
    return [a.to_dict() for a in read_corpus(data_dir, cache=False)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pick=st.integers(0, 10_000), new=st.booleans(),
       changes=st.lists(st.tuples(st.sampled_from(_KEYS), st.one_of(st.none(), st.integers(0, len(_ODD) - 1))),
                        min_size=1, max_size=3),
       k=st.sampled_from([0, 3, 5, 50]))
def test_an_odd_record_gets_a_list_in_the_seeds_shape_or_a_relate_error(engine, records, pick, new, changes, k):
    record = copy.deepcopy(records[pick % len(records)])
    if new:
        record["webUrl"] = f"https://new.example/{pick}"
    for key, value in changes:
        if value is None:
            record.pop(key, None)
        else:
            record[key] = copy.deepcopy(_ODD[value])
    try:
        got = engine.suggest(record, k=k)
    except RelateError:
        return
    assert isinstance(got, list) and len(got) <= k
    own = record.get("webUrl") if isinstance(record.get("webUrl"), str) else None
    for entry in got:
        address = entry.get("webUrl", entry.get("originalUrl"))   # a record without a webUrl: its originalUrl
        assert isinstance(entry["title"], str) and isinstance(address, str) and address
        assert address != own
