"""JSON records: the records of a ``.json`` file (one object or a list) or a ``.jsonl`` file (one a line).

Bad records never stop the reading: each becomes a :class:`~relate.errors.RecordError` in
its place, with the line (``.jsonl``) or the record number (``.json``) at fault.

Example:
    >>> items = list(json_records(b'{"title": "A", "webUrl": "a"}\\n{"title": "B"}\\n', "c.jsonl"))
    >>> items[0].title, items[1].code, items[1].line
    ('A', 'missing-url', 2)
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import RecordError
from ..records import Article, article_from_dict, kind_of, record_error

__all__ = ["JSON_SUFFIXES", "json_records"]

#: File name endings read as JSON records.
JSON_SUFFIXES = (".json", ".jsonl")


class _JsonDuplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise _JsonDuplicate(k)
        out[k] = v
    return out


def _json_load(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_no_duplicates)


def _json_error(exc: ValueError, path: Any, line: int | None) -> RecordError:
    if isinstance(exc, _JsonDuplicate):
        return record_error("duplicate-key", f"duplicate key '{exc.key}'", path, exc.key, line)
    if isinstance(exc, json.JSONDecodeError):
        return record_error("invalid-json", f"invalid JSON: {exc.msg} (column {exc.colno})", path,
                            None, (line or 1) + exc.lineno - 1)
    return record_error("invalid-json", f"invalid JSON: {exc}", path, None, line)


def _from_json_value(value: Any, path: Any, line: int | None, where: str = "") -> Article:
    if not isinstance(value, dict):
        raise record_error("not-a-mapping", f"{where}a record must be a JSON object, not "
                           f"{kind_of(value)}", path, None, line)
    try:
        return article_from_dict(value, path)
    except RecordError as exc:
        if line is None and not where:
            raise
        e = record_error(getattr(exc, "code", None) or "bad-field", where + exc.reason, path, exc.field, line)
        raise e from None


def json_records(data: bytes, path: Any) -> Iterator[Article | RecordError]:
    """Records of the bytes of a ``.json`` or ``.jsonl`` file, errors in their place.

    Args:
        data: the whole file.
        path: the file: its ending chooses the format; named in errors and
            :attr:`Article.path`.

    Yields:
        An :class:`~relate.records.Article` or a :class:`~relate.errors.RecordError` per record.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield record_error("not-utf8", f"bytes are not UTF-8 (byte 0x{data[exc.start]:02x} at "
                           f"offset {exc.start})", path, None, data.count(b"\n", 0, exc.start) + 1)
        return
    if Path(path).suffix.lower() == ".jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                value = _json_load(line)
                yield _from_json_value(value, path, n)
            except RecordError as exc:
                yield exc
            except ValueError as exc:
                yield _json_error(exc, path, n)
        return
    if not text.strip():
        yield record_error("empty-file", "the file is empty; a .json corpus holds one record "
                           "object or a list of them", path)
        return
    try:
        value = _json_load(text)
    except ValueError as exc:
        yield _json_error(exc, path, None)
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            try:
                yield _from_json_value(item, path, None, f"record {i + 1}: ")
            except RecordError as exc:
                yield exc
    else:
        try:
            yield _from_json_value(value, path, None)
        except RecordError as exc:
            yield exc
