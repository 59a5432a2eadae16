"""The record cache: parsed records of a corpus folder kept as plain JSON, re-parsed only when a file changed.

Example:
    >>> default_cache_file("/news").name.startswith("records-")
    True
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import RecordError
from ..records import Article, record_error
from ..user_cache import user_cache_dir
from .write import atomic_write

__all__ = ["RecordCache", "default_cache_file"]

logger = logging.getLogger(__name__)

_TAG = "\x00relate"
_CACHE_FORMAT = 1
_RACY_NS = 2_000_000_000  # files changed this recently are not cached (same-tick rewrites)


class _Uncacheable(Exception):
    pass


def _enc(o: Any) -> Any:
    t = type(o)
    if o is None or t is str or t is int or t is float or t is bool:
        return o
    if t is list:
        return [_enc(x) for x in o]
    if t is dict:
        out = {}
        for k, v in o.items():
            if type(k) is not str or k == _TAG:
                raise _Uncacheable
            out[k] = _enc(v)
        return out
    if t is datetime:
        return {_TAG: "datetime", "v": o.isoformat()}
    if t is date:
        return {_TAG: "date", "v": o.isoformat()}
    raise _Uncacheable


def _dec(d: dict) -> Any:
    kind = d.get(_TAG)
    if kind is None:
        return d
    if kind == "datetime":
        return datetime.fromisoformat(d["v"])
    return date.fromisoformat(d["v"])


@functools.cache
def code_version() -> str:
    """A hash of the code that reads records: a cache written by other code is not used."""
    h = hashlib.sha1(str(_CACHE_FORMAT).encode())
    relate_dir = Path(__file__).resolve().parents[1]
    for package in ("records", "frontmatter", "corpus"):
        for mod in sorted((relate_dir / package).glob("*.py")):
            try:
                h.update(mod.read_bytes())
            except OSError:
                pass
    return h.hexdigest()[:16]


def default_cache_file(root: str | os.PathLike) -> Path:
    """Where :func:`read_corpus` keeps its record cache for the folder ``root``.

    The folder is :func:`relate.user_cache.user_cache_dir` (``$RELATE_CACHE_DIR``, else
    ``~/.cache/relate``); the file is ``records-<sha1 of the folder's absolute path>.json``.
    """
    digest = hashlib.sha1(os.path.abspath(root).encode("utf-8", "surrogateescape")).hexdigest()
    return user_cache_dir() / f"records-{digest}.json"


class RecordCache:
    """Parsed records of one corpus folder, keyed by relative path, mtime, size, inode, ctime.

    Plain JSON (no pickle). The full related dicts are not kept, only their URLs, stored once
    in a table (``urls``) that rows point into. Rows are ``[mtime_ns, size, ino, ctime_ns,
    kind, ...]``: kind ``"a"`` an article (URL indexes), ``"e"`` an error; in memory, ``"A"``
    is an article parsed in this run (URL strings).
    """

    def __init__(self, root: Path, cache: Any) -> None:
        self.root = os.path.abspath(root)
        self.file = default_cache_file(root) if cache is True else Path(cache)
        self.version = code_version()
        self.files: dict[str, list] = {}
        self.urls: list[str] = []
        self.dirty = False
        try:
            with open(self.file, encoding="utf-8") as fh:
                data = json.load(fh, object_hook=_dec)
            if (isinstance(data, dict) and data.get("version") == self.version
                    and data.get("root") == self.root and isinstance(data.get("files"), dict)
                    and isinstance(data.get("urls"), list)):
                self.files = data["files"]
                self.urls = data["urls"]
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.debug("ignoring record cache %s: %s", self.file, exc)

    def get(self, rel: str, sig: tuple, full: str) -> Article | RecordError | None:
        row = self.files.get(rel)
        if row is None or tuple(row[:4]) != sig:
            return None
        try:
            if row[4] == "e":
                return record_error(row[5], row[6], full, row[7], row[8])
            v = row[5]
            urls = self.urls
            related_urls = [urls[i] for i in v[14]] if row[4] == "a" else list(v[14])
            return Article(
                title=v[0], web_url=v[1], excerpt=v[2],
                published_at=datetime.fromisoformat(v[3]) if v[3] else None,
                amp_web_url=v[4], cdn_amp_web_url=v[5], original_url=v[6], type=v[7],
                provider_name=v[8], provider_domain=v[9], quality=v[10], heat=v[11],
                topics=v[12], images=v[13], related=None, related_urls=related_urls, extra=v[15],
                path=full, provider_extra=v[16], key_order=tuple(v[17]))
        except (IndexError, TypeError, ValueError):
            return None

    def put(self, rel: str, sig: tuple, item: Article | RecordError) -> None:
        if sig[0] > time.time_ns() - _RACY_NS:
            self.files.pop(rel, None)
            return
        if isinstance(item, RecordError):
            row = [*sig, "e", getattr(item, "code", None) or "error", item.reason, item.field, item.line]
        else:
            a = item
            try:
                row = [*sig, "A", [
                    a.title, a.web_url, a.excerpt,
                    a.published_at.isoformat() if a.published_at else None,
                    a.amp_web_url, a.cdn_amp_web_url, a.original_url, a.type, a.provider_name,
                    a.provider_domain, a.quality, a.heat, _enc(a.topics), _enc(a.images),
                    list(a.related_urls), _enc(a.extra), _enc(a.provider_extra),
                    _enc(list(a.key_order))]]
            except _Uncacheable:
                self.files.pop(rel, None)
                return
        self.files[rel] = row
        self.dirty = True

    def save(self, present: set[str]) -> None:
        gone = [rel for rel in self.files if rel not in present]
        for rel in gone:
            del self.files[rel]
        if not (self.dirty or gone):
            return
        table: dict[str, int] = {}
        old = self.urls
        files = {}
        for rel, row in self.files.items():
            if row[4] in ("a", "A"):
                v = list(row[5])
                urls = [old[i] for i in v[14]] if row[4] == "a" else v[14]
                v[14] = [table.setdefault(u, len(table)) for u in urls]
                row = [*row[:4], "a", v]
            files[rel] = row
        data = {"format": _CACHE_FORMAT, "version": self.version, "root": self.root,
                "urls": list(table), "files": files}
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            atomic_write(str(self.file), payload, 0o644, fsync=False)
        except (OSError, ValueError) as exc:
            logger.warning("cannot write the record cache %s: %s", self.file, exc)
