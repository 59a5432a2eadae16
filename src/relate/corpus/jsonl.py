"""JSON records: the records of a ``.json`` file (one object or a list) or a ``.jsonl`` file (one a line).

Bad records never stop the reading: each becomes a :class:`~relate.errors.RecordError` in
its place, with the line (``.jsonl``) or the record number (``.json``) at fault.

A ``.jsonl`` file is read a line at a time (:func:`jsonl_items`), with a digest of each line
(:func:`line_digest`): a caller that knows the digests of lines it already holds (a workspace
knows those of its rows) gets an :class:`Unchanged` for each of them instead of parsing it
again, and reads those it needs later with :func:`reread`.

Example:
    >>> items = list(json_records(b'{"title": "A", "webUrl": "a"}\\n{"title": "B"}\\n', "c.jsonl"))
    >>> items[0].title, items[1].code, items[1].line
    ('A', 'missing-url', 2)
"""
from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import RecordError
from ..records import Article, article_from_dict, kind_of, record_error

__all__ = ["JSON_SUFFIXES", "Kept", "Unchanged", "json_records", "jsonl_items", "line_digest", "reread"]

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
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise ValueError("arrays or objects nested too deeply") from None


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
    if Path(path).suffix.lower() == ".jsonl":
        for item, _ in jsonl_items(data, path):
            yield item
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield record_error("not-utf8", f"bytes are not UTF-8 (byte 0x{data[exc.start]:02x} at "
                           f"offset {exc.start})", path, None, data.count(b"\n", 0, exc.start) + 1)
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


# ---------------------------------------------------------------------- .jsonl, a line at a time
@dataclass(frozen=True, slots=True)
class Unchanged:
    """A ``.jsonl`` record whose line is, byte for byte, one the caller already holds: not parsed.

    Attributes:
        id: the article id the caller gave for that line.
        row: the number the caller gave for it (a workspace: the row made from it).
        line: the line number (from 1).
        start, end: the line's bytes in the file (``end`` excludes the newline).
        digest: the line's :func:`line_digest`.
    """

    id: str
    row: int
    line: int
    start: int
    end: int
    digest: int


@dataclass(frozen=True, slots=True)
class Kept:
    """A ``.jsonl`` record read and let go at once (``read_corpus(keep=...)``): what the caller
    made of it, and the few fields the corpus's own rules read (the duplicate rule, the
    selections by date or path), so that a run never holds every record whole.

    Attributes:
        id, url, web_url, original_url, path, published_at: the record's (see :class:`~relate.records.Article`).
        fields: how many top-level fields it has (the duplicate rule's second key).
        made: what the caller's ``keep`` made of the record.
    """

    id: str
    url: str
    web_url: str | None
    original_url: str | None
    path: Any
    published_at: Any
    fields: int
    made: Any

    @classmethod
    def of(cls, article: Article, keep: Callable[[Article], Any]) -> Kept:
        """``article`` kept as ``keep`` makes it."""
        return cls(article.id, article.url, article.web_url, article.original_url, article.path,
                   article.published_at, len(article.key_order), keep(article))


#: What a caller knows: the ``(row, id)`` of a line's digest, or ``None``.
Known = Callable[[int], "tuple[int, str] | None"]


def line_digest(line: bytes | memoryview, salt: bytes) -> int:
    """A 64-bit digest of one line's bytes, keyed by ``salt`` (never 0).

    ``salt`` stands for everything else that shapes the record read from the line: the file
    and the code that parses it (:func:`relate.corpus.folder.line_salt`).
    """
    return int.from_bytes(hashlib.blake2b(line, digest_size=8, key=salt).digest(), "little") or 1


def jsonl_items(data: bytes, path: Any, known: Known | None = None,
                salt: bytes = b"") -> Iterator[tuple[Article | RecordError | Unchanged, int]]:
    """``(record, digest of its line)`` for each non-blank line of a ``.jsonl`` file.

    Lines end at ``\n`` (a ``\r`` before it is the line's own); a UTF-8 byte-order mark at
    the start is skipped. A line whose digest ``known`` knows is not parsed: an
    :class:`Unchanged` stands for it (the first such line only: a repeated line is parsed, so
    that the duplicate is found). A line that is not UTF-8 is a ``not-utf8`` error of its own;
    the others are read.
    """
    view = memoryview(data)
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    used: set[int] = set()
    n, size = 0, len(data)
    while start < size:
        end = data.find(b"\n", start)
        if end < 0:
            end = size
        n += 1
        digest = line_digest(view[start:end], salt)
        hit = known(digest) if known is not None and digest not in used else None
        if hit is not None:
            used.add(digest)
            yield Unchanged(hit[1], hit[0], n, start, end, digest), digest
        else:
            raw = data[start:end]
            if raw.strip():
                yield parse_line(raw, path, n, start), digest
        start = end + 1


def parse_line(raw: bytes, path: Any, n: int, offset: int) -> Article | RecordError:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return record_error("not-utf8", f"bytes are not UTF-8 (byte 0x{raw[exc.start]:02x} at offset "
                            f"{offset + exc.start})", path, None, n)
    try:
        return _from_json_value(_json_load(line), path, n)
    except RecordError as exc:
        return exc
    except ValueError as exc:
        return _json_error(exc, path, n)


def reread(path: Any, items: Sequence[Unchanged], salt: bytes) -> Iterator[Article | RecordError]:
    """The records of :class:`Unchanged` lines, parsed now from the file, one by one (in the order given).

    Raises:
        RecordError: a line is no longer the one that was read (the file changed since).
    """
    with open(path, "rb") as fh:
        for u in items:
            fh.seek(u.start)
            raw = fh.read(u.end - u.start)
            if line_digest(raw, salt) != u.digest:
                raise record_error("changed-while-read", "the file changed while relate read it; run again",
                                   path, None, u.line)
            yield parse_line(raw, path, u.line, u.start)
