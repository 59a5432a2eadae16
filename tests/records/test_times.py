"""records.times: the one time parser and formatter."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from _helpers_articles import record

from relate import corpus as C
from relate import records as R
from relate.errors import RecordError

UTC = timezone.utc


@pytest.mark.parametrize("value, expected", [
    ("2020-06-27T01:21:00Z", datetime(2020, 6, 27, 1, 21, tzinfo=UTC)),
    ('"2020-06-27T01:21:00Z"', datetime(2020, 6, 27, 1, 21, tzinfo=UTC)),
    ("2020-06-27T03:21:00+02:00", datetime(2020, 6, 27, 1, 21, tzinfo=UTC)),
    ("2020-06-27 01:21:00", datetime(2020, 6, 27, 1, 21, tzinfo=UTC)),      # naive: UTC
    ("2020-06-27", datetime(2020, 6, 27, tzinfo=UTC)),
    ('"Sat, 27 Jun 2020 01:21:00 GMT"', datetime(2020, 6, 27, 1, 21, tzinfo=UTC)),
    ("2020-06-27T01:21:00.250Z", datetime(2020, 6, 27, 1, 21, 0, 250000, tzinfo=UTC)),
])
def test_publish_times(value, expected):
    a = C.parse_article(record('title: "T"', 'webUrl: "u"', f"publishedDateTime: {value}"))
    assert a.published_at == expected and a.published_at.tzinfo is not None


def test_offset_is_kept_and_format_time_is_utc_z():
    a = C.parse_article(record('title: "T"', 'webUrl: "u"', "publishedDateTime: 2020-06-27T03:21:00+02:00"))
    assert a.published_at.utcoffset() == timedelta(hours=2)
    assert R.format_time(a.published_at) == "2020-06-27T01:21:00Z"
    assert R.format_time(datetime(2020, 1, 2, 3, 4, 5, 600000)) == "2020-01-02T03:04:05.600000Z"


def test_parse_time_values():
    assert R.parse_time(datetime(2020, 1, 1)) == datetime(2020, 1, 1, tzinfo=UTC)
    assert R.parse_time(datetime(2020, 1, 1).date()) == datetime(2020, 1, 1, tzinfo=UTC)
    aware = datetime(2020, 1, 1, tzinfo=timezone(timedelta(hours=2)))
    assert R.parse_time(aware) is aware
    for not_a_time in (None, "", "  ", "soon", 5, ["2020-01-01"]):
        assert R.parse_time(not_a_time) is None
    assert R.parse_time(" 2020-01-01T00:00:00z ") == datetime(2020, 1, 1, tzinfo=UTC)


def test_iso_only_refuses_rfc_2822():
    rfc = "Sat, 27 Jun 2020 01:21:00 GMT"
    assert R.parse_time(rfc) == datetime(2020, 6, 27, 1, 21, tzinfo=UTC)
    assert R.parse_time(rfc, iso_only=True) is None
    assert R.parse_time("2020-06-27", iso_only=True) == datetime(2020, 6, 27, tzinfo=UTC)


@pytest.mark.parametrize("value, written", [
    ("2020-06-26T11:00:00Z", "2020-06-26T11:00:00Z"),
    ("2020-06-26T13:00:00+02:00", "2020-06-26T11:00:00Z"),
    ("2020-06-26 11:00:00", "2020-06-26T11:00:00Z"),
    ("Fri, 26 Jun 2020 11:00:00 GMT", "2020-06-26T11:00:00Z"),
    ("2020-06-26T11:00:00.5Z", "2020-06-26T11:00:00.500000Z"),
    ("soon", None),
])
def test_entry_time_text(value, written):
    assert R.entry_time_text(value) == written
    assert R.is_z_time(value) == (value == written and "." not in value)


def test_norm_entry_time():
    assert R.norm_entry_time(datetime(2020, 6, 26, 13, tzinfo=timezone(timedelta(hours=2)))) == "2020-06-26T11:00:00Z"
    assert R.norm_entry_time(datetime(2020, 6, 26).date()) == "2020-06-26T00:00:00Z"
    assert R.norm_entry_time("whenever") == "whenever" and R.norm_entry_time(None) is None


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"])
def test_a_time_that_has_no_utc_equivalent_is_a_bad_time(value):
    """Year 9999 or 1, pushed past the range by the offset: not a time relate can write or compare."""
    assert R.parse_time(value) is None
    aware = datetime.fromisoformat(value)
    assert R.parse_time(aware) is None and R.norm_entry_time(aware) == aware.isoformat()
    for quoted in (value, f'"{value}"'):                     # YAML reads the bare one as a datetime
        with pytest.raises(RecordError) as err:
            C.parse_article(record('title: "T"', 'webUrl: "u"', f"publishedDateTime: {quoted}"))
        assert err.value.code == "bad-time" and err.value.field == "publishedDateTime"
        assert "in UTC" in str(err.value)
    assert R.format_time(R.parse_time("9999-12-31T23:59:59Z")) == "9999-12-31T23:59:59Z"
