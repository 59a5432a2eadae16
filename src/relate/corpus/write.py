"""Writing ``related:`` lists back: the new bytes of a record, and the atomic write that refuses a changed file.

Only the block changes: every other byte of the file stays as it was.

Example:
    >>> old = b'---\\ntitle: "A"\\nwebUrl: "https://e.com/a"\\n---\\n'
    >>> print(replace_related(old, [{"title": "B", "webUrl": "https://e.com/b"}]).decode(), end="")
    ---
    title: "A"
    webUrl: "https://e.com/a"
    <BLANKLINE>
    related:
      - title: "B"
        webUrl: "https://e.com/b"
    ---
"""
from __future__ import annotations

import errno
import os
import stat as stat_mod
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from ..errors import RecordError
from ..fileio import atomic_open
from ..frontmatter import parse, parse_text, render_related, replace_block
from ..records import IMAGE_FIELDS, PROVIDER_FIELDS, RELATED_FIELDS, entry_time_text, norm_entry_time, record_error

__all__ = ["atomic_write", "replace_related", "write_related"]


def _named(exc: OSError, path: Any) -> OSError:
    """The same kind of OSError, naming the record file rather than a temporary file."""
    return OSError(exc.errno, f"cannot write {path}: {exc.strerror or exc}", str(path))


def atomic_write(target: str, data: bytes, mode: int, before: os.stat_result | None = None,
                 path: Any = None, fsync: bool = True) -> None:
    """Writes ``data`` over ``target`` atomically (:func:`relate.fileio.atomic_open`).

    When ``before`` is given, the write is refused if ``target`` changed since that stat, and
    the new file keeps that stat's owner.
    """
    path = target if path is None else path

    def unchanged_since_read() -> None:
        if before is None:
            return
        try:
            now = os.stat(target)
        except FileNotFoundError:
            raise record_error("vanished", "the file was deleted by someone else (another run, an "
                               "editor) while relate was writing it; nothing was written", path) from None
        if (now.st_ino, now.st_size, now.st_mtime_ns) != (before.st_ino, before.st_size, before.st_mtime_ns):
            raise record_error("changed", "the file was changed by someone else (another run, an "
                               "editor) while relate was writing it; their version was kept, run again", path)

    owner = None if before is None else (before.st_uid, before.st_gid)
    try:
        with atomic_open(target, "wb", file_mode=mode, fsync=fsync, before_replace=unchanged_since_read,
                         owner=owner) as fh:
            fh.write(data)
    except OSError as exc:
        raise _named(exc, path) from None


def _norm_value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return norm_entry_time(value)
    return value


def _expected_entries(entries: list[dict]) -> list[dict]:
    """What reading back the block that :func:`render_related` writes for ``entries`` gives."""
    out = []
    for e in entries:
        item: dict[str, Any] = {}
        for key in RELATED_FIELDS:
            v = e.get(key)
            if v is None:
                continue
            if key == "provider":
                sub = {k: _norm_value(v[k]) for k in PROVIDER_FIELDS if v.get(k) is not None}
                if sub:
                    item[key] = sub
            elif key == "images":
                imgs = [{k: _norm_value(img[k]) for k in IMAGE_FIELDS if img.get(k) is not None}
                        for img in v]
                imgs = [img for img in imgs if img]
                if imgs:
                    item[key] = imgs
            elif key == "publishedDateTime" and isinstance(v, str):
                written = entry_time_text(v)
                item[key] = v if written is None else written
            else:
                item[key] = _norm_value(v)
        out.append(item)
    return out


def replace_related(data: bytes, entries: Iterable[dict] | None,
                    path: str | os.PathLike | None = None) -> bytes:
    """The bytes of a record file with its ``related:`` block replaced by ``entries``.

    Only the block changes: every other byte stays as it was. A file without a block gets
    one before ``secured:`` (or at the end of the front matter); an empty list removes the
    block. The result is read back and checked before it is returned.

    Raises:
        RecordError: the file is not a valid front-matter file, or an entry cannot be written
            (no ``webUrl``, wrong shape).

    Example:
        >>> old = b'---\\ntitle: "A"\\nwebUrl: "https://e.com/a"\\n\\nsecured: "x"\\n---\\n'
        >>> print(replace_related(old, [{"title": "B", "webUrl": "https://e.com/b"}]).decode())
        ---
        title: "A"
        webUrl: "https://e.com/a"
        <BLANKLINE>
        related:
          - title: "B"
            webUrl: "https://e.com/b"
        <BLANKLINE>
        secured: "x"
        ---
        <BLANKLINE>
    """
    fm = parse(data, path, False)
    block = fm.block
    entries = list(entries or [])
    try:
        rendered = render_related(entries)
    except RecordError as exc:
        raise record_error(getattr(exc, "code", None) or "bad-related", exc.reason, path,
                           exc.field) from None
    if fm.newline != "\n":
        rendered = rendered.replace("\n", fm.newline)
    text = replace_block(fm.text, block, rendered, fm.newline)
    if text == fm.text:
        return data
    new = data[:fm.start] + text.encode("utf-8") + data[fm.end:]
    check = parse_text(text, path, fm.line0, True)
    got = check.related if check.has_related else []
    if got != _expected_entries(entries):
        raise record_error("write-check", "the new related list does not read back as written; "
                           "the file was left unchanged (please report this)", path, "related")
    return new


def write_related(path: str | os.PathLike, entries: Iterable[dict] | None) -> bool:
    """Writes a related list into a record file, changing nothing else in it.

    The block is rendered exactly in the seed's style (see :func:`render_related`). The write
    is atomic: a temporary file in the same folder, flushed to disk, then renamed over the
    file, keeping its mode; a crash leaves the old file or the new one. A symbolic link is
    followed (the link stays).

    Args:
        path: a front-matter record file.
        entries: related entries (dicts in the seed's shape, extra keys ignored); an empty
            list removes the block.

    Returns:
        ``True`` when the file changed, ``False`` when it already held exactly this block
        (the file is then not touched).

    Raises:
        RecordError: the file is not a valid record file, an entry cannot be written, or the
            file changed or vanished while writing.
        OSError: the file cannot be read or written (read-only, disk full...); the message
            names the file.

    Example:
        >>> write_related("news/2020-06-27-boston.md", engine.suggest(article))  # doctest: +SKIP
        True
    """
    if str(path).lower().endswith((".json", ".jsonl")):
        raise record_error("not-front-matter", "write_related writes front-matter record files; "
                           ".json and .jsonl corpora are rewritten whole (see docs/batch.md)", path)
    target = os.path.realpath(path)
    try:
        with open(target, "rb") as fh:
            before = os.fstat(fh.fileno())
            data = fh.read()
    except OSError as exc:
        raise OSError(exc.errno, f"cannot read {path}: {exc.strerror or exc}", str(path)) from None
    new = replace_related(data, entries, path)
    if new == data:
        return False
    if not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, f"cannot write {path}: the file is read-only", str(path))
    atomic_write(target, new, stat_mod.S_IMODE(before.st_mode), before, path)
    return True
