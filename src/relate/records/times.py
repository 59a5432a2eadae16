"""Times in records: the one parser and formatter of publish times (ISO 8601, RFC 2822).

Every time relate reads from a record, a related entry, the command line (``--since``) or a
JSON file goes through :func:`parse_time`; every time it writes goes through
:func:`format_time`, which gives the seed's form (UTC, ending in ``Z``).

Example:
    >>> format_time(parse_time("2020-06-27T03:21:00+02:00"))
    '2020-06-27T01:21:00Z'
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = ["entry_time_text", "format_time", "is_z_time", "norm_entry_time", "parse_time"]

_Z_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")


def is_z_time(text: str) -> bool:
    """Whether ``text`` is already a time in the seed's form (``2020-06-26T11:00:00Z``).

    Example:
        >>> is_z_time("2020-06-26T11:00:00Z"), is_z_time("2020-06-26 11:00:00")
        (True, False)
    """
    return _Z_TIME.match(text) is not None


def parse_time(value: Any, *, iso_only: bool = False) -> datetime | None:
    """A timezone-aware datetime from a YAML/JSON value, or ``None`` when it is not a time.

    Accepts datetimes and dates (naive ones count as UTC), ISO 8601 strings (``Z`` or an offset,
    ``T`` or a space) and, unless ``iso_only``, RFC 2822 strings
    (``Sat, 27 Jun 2020 01:21:00 GMT``).

    Args:
        value: the value to read.
        iso_only: refuse RFC 2822 strings (for command-line dates).

    Example:
        >>> parse_time("Sat, 27 Jun 2020 01:21:00 GMT").isoformat()
        '2020-06-27T01:21:00+00:00'
        >>> parse_time("2020-06-27").isoformat(), parse_time("soon")
        ('2020-06-27T00:00:00+00:00', None)
    """
    if isinstance(value, datetime):
        return _in_utc_range(value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc))
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if not isinstance(value, str) or not value.strip():
        return None
    s = value.strip()
    try:
        t = datetime.fromisoformat(s[:-1] + "+00:00" if s[-1:] in "Zz" else s)
    except ValueError:
        if iso_only:
            return None
        try:
            t = parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError):
            return None
        if t is None:
            return None
    return _in_utc_range(t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc))


def _in_utc_range(t: datetime) -> datetime | None:
    """``t``, or ``None`` when it has no UTC time (year 1 or 9999 pushed past the range by its offset).

    Example:
        >>> _in_utc_range(parse_time("9999-12-31T23:59:59Z")) is None, parse_time("9999-12-31T23:59:59-05:00")
        (False, None)
    """
    try:
        t.astimezone(timezone.utc)
    except OverflowError:
        return None
    return t


def format_time(t: datetime) -> str:
    """ISO 8601 in UTC ending in ``Z`` (``2020-06-26T11:00:00Z``); a naive time counts as UTC.

    Fractions of a second are written only when there are some.

    Example:
        >>> format_time(datetime(2020, 1, 2, 3, 4, 5, 600000))
        '2020-01-02T03:04:05.600000Z'
    """
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    t = t.astimezone(timezone.utc).replace(tzinfo=None)
    return t.isoformat(timespec="microseconds" if t.microsecond else "seconds") + "Z"


def norm_entry_time(value: Any) -> Any:
    """A related entry's ``publishedDateTime`` as the seed writes it: a ``...Z`` string.

    Datetimes and dates become ``...Z`` strings; anything else is returned as is.

    Example:
        >>> norm_entry_time(date(2020, 6, 26)), norm_entry_time("soon")
        ('2020-06-26T00:00:00Z', 'soon')
    """
    if isinstance(value, datetime):
        return format_time(value) if _in_utc_range(value) is not None else value.isoformat()
    if isinstance(value, date):
        return format_time(datetime(value.year, value.month, value.day, tzinfo=timezone.utc))
    return value


def entry_time_text(text: str) -> str | None:
    """The text a related entry's ``publishedDateTime`` string is written as; ``None``: no time.

    A time already in the seed's form is kept as is; another time is written in that form.

    Example:
        >>> entry_time_text("2020-06-26 13:00:00+02:00"), entry_time_text("soon")
        ('2020-06-26T11:00:00Z', None)
    """
    if _Z_TIME.match(text):
        return text
    parsed = parse_time(text)
    return None if parsed is None else format_time(parsed)
