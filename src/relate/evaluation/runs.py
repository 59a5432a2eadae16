"""A system's related lists (:class:`Run`) and the corpus as the metrics see it (:class:`Catalogue`).

A run is ``{query_webUrl: [candidate_webUrl, ...]}``; the catalogue maps any address of an
article (or its id) to the one ``webUrl`` the metrics key it by.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..corpus import as_articles
from ..records import entry_url, url_key

__all__ = ["Catalogue", "Run", "as_run"]


class Run:
    """One system's related lists: ``{query_webUrl: [candidate_webUrl, ...]}``.

    Entries may also be dicts in the seed's related-entry shape (their ``webUrl`` is used), so
    the output of ``Engine.suggest_many`` or a record's ``related:`` block can be passed as is.
    Repeats within a list are dropped, first one kept. The caller's data is not changed.

    Example:
        >>> run = Run.from_dict({"q": ["a", {"webUrl": "b"}, "a"]}, name="mine")
        >>> run["q"], run.top("q", 1), run.get("other")
        (['a', 'b'], ['a'], [])
    """

    def __init__(self, lists: Mapping[str, Sequence[Any]] | None = None, name: str | None = None) -> None:
        self.name = name
        self.lists: dict[str, list[str]] = {}
        for q, items in (lists or {}).items():
            if not isinstance(q, str):
                raise ValueError(f"run {name or ''}: query ids must be strings (webUrls), not {q!r}")  # noqa: TRY004 (bad data)
            if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
                raise ValueError(f"run {name or ''}: the list of {q!r} must be a list of webUrls")  # noqa: TRY004 (bad data)
            seen: dict[str, None] = {}
            for item in items:
                url = (entry_url(item) or item.get("url")) if isinstance(item, Mapping) else item
                if not isinstance(url, str) or not url:
                    raise ValueError(f"run {name or ''}: entry {item!r} of {q!r} has no webUrl")
                seen.setdefault(url, None)
            self.lists[q] = list(seen)

    @classmethod
    def from_dict(cls, lists: Mapping[str, Sequence[Any]], name: str | None = None) -> Run:
        """From ``{query: [candidate, ...]}`` (candidates as webUrls or related-entry dicts)."""
        return cls(lists, name)

    @classmethod
    def from_file(cls, path: str | os.PathLike, name: str | None = None) -> Run:
        """Reads a JSON object ``{webUrl: [webUrl, ...]}``; the name defaults to the file's stem.

        Raises:
            ValueError: the file is missing or is not such an object.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"{path}: cannot read related lists: {exc.strerror or exc}") from exc
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not JSON ({exc.msg} at line {exc.lineno}); expected "
                             '{"webUrl": ["webUrl", ...], ...}') from exc
        if not isinstance(data, Mapping):
            raise ValueError(  # noqa: TRY004 (bad data)
                f'{path}: expected a JSON object {{"webUrl": ["webUrl", ...]}}, not {type(data).__name__}')
        try:
            return cls(data, name or path.stem)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from exc

    def save(self, path: str | os.PathLike) -> Path:
        """Writes the lists as one JSON object (readable by :meth:`from_file`)."""
        path = Path(path)
        path.write_text(json.dumps(self.lists, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    def to_dict(self) -> dict[str, list[str]]:
        return {q: list(v) for q, v in self.lists.items()}

    def get(self, query: str) -> list[str]:
        """The list of ``query``; empty when the system has none."""
        return self.lists.get(query, [])

    def top(self, query: str, k: int) -> list[str]:
        return self.lists.get(query, [])[:k]

    def mapped(self, fn: Callable[[str], str]) -> Run:
        """A copy with every id passed through ``fn``."""
        out: dict[str, list[str]] = {}
        for q, items in self.lists.items():
            out.setdefault(fn(q), []).extend(fn(c) for c in items)
        return Run(out, self.name)

    def __getitem__(self, query: str) -> list[str]:
        return self.lists[query]

    def __contains__(self, query: str) -> bool:
        return query in self.lists

    def __iter__(self) -> Iterator[str]:
        return iter(self.lists)

    def __len__(self) -> int:
        return len(self.lists)

    def __repr__(self) -> str:
        return f"Run({self.name!r}, {len(self.lists)} lists)"


def as_run(x: Any, name: str) -> Run:
    """``x`` as a :class:`Run` named ``name`` (unless it has a name): a Run, a dict or a JSON file of lists."""
    if isinstance(x, Run):
        return x if x.name else Run(x.lists, name)
    if isinstance(x, (str, os.PathLike)):
        return Run.from_file(x, name)
    if isinstance(x, Mapping):
        return Run(x, name)
    raise ValueError(f"system {name!r}: expected a Run, a dict {{webUrl: [webUrl, ...]}} or a JSON file, "
                     f"not {type(x).__name__}")


class Catalogue:
    """The corpus as seen by the metrics: articles by canonical URL and an id resolver.

    Any of an article's addresses (``webUrl``, ``originalUrl``, AMP forms), their normal form
    (:func:`relate.records.url_key`) or its 16-hex id resolves to the article's :attr:`url`;
    other strings are kept as they are.
    """

    def __init__(self, articles: Sequence[Any]) -> None:
        self.by_url: dict[str, Any] = {}
        self._exact: dict[str, str] = {}
        self._keys: dict[str, str] = {}
        for a in articles:
            url = a.url
            if not url or url in self.by_url:
                continue
            self.by_url[url] = a
        for url, a in self.by_url.items():
            for u in [url, *getattr(a, "urls", [])]:
                self._exact.setdefault(u, url)
                self._keys.setdefault(url_key(u), url)
            self._exact.setdefault(a.id, url)

    @classmethod
    def of(cls, corpus: Any) -> Catalogue:
        """The catalogue of a corpus given as a path, a ``Corpus``, articles, or a catalogue (kept)."""
        return corpus if isinstance(corpus, Catalogue) else cls(as_articles(corpus))

    def __call__(self, s: str) -> str:
        hit = self._exact.get(s)
        if hit is not None:
            return hit
        return self._keys.get(url_key(s), s) if s else s

    def __len__(self) -> int:
        return len(self.by_url)

    def get(self, url: str):
        return self.by_url.get(url)
