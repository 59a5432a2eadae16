"""Which lines of a ``.jsonl`` corpus a workspace already holds, so that a run need not parse them.

Each row keeps the digest of the corpus line it was read from (``sources.npy``; 0 when it was
not read from a ``.jsonl`` line). :func:`known_lines` gives :func:`relate.corpus.read_corpus`
what it needs to leave those lines unparsed: the corpus then holds an
:class:`~relate.corpus.jsonl.Unchanged` for each, standing for the row's own article.
:func:`corpus_rows` gives an update the id, text key and line of every record either way,
:func:`parse_unchanged` the lines of the unchanged records (a refit needs them all), and
:func:`updated_sources` the digests after an update. A record the corpus let go as it was read
(:class:`~relate.corpus.jsonl.Kept`, with the :class:`RowSource` that :func:`row_source` made
of it) gives its line and text from there.

Example:
    >>> s = Stored(ids=["a", "b"], keys=["ka", "kb"], live=np.array([True, True]),
    ...            vectors=np.zeros((2, 1), np.float32), index=None, lines=["la", "lb"], lexicon=None,
    ...            sources=np.array([7, 0], np.uint64))
    >>> known_lines(s)(7), known_lines(s)(8)
    ((0, 'a'), None)
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import __version__
from ..config import EmbedConfig
from ..corpus.jsonl import Kept, Known, Unchanged
from ..embed import text_key
from ..text import article_text
from ..workspace import FORMAT_VERSION, Workspace, article_from_line, article_lines
from .store import Stored, save_sources


def known_lines(s: Stored, params: Mapping[str, Any] | None = None, embed: EmbedConfig | None = None) -> Known | None:
    """``(row, id)`` of each live row's line digest, as :func:`relate.corpus.read_corpus` takes it.

    ``None`` when no row has one, or when the rows were made otherwise than this run would make
    them (``params``, the workspace's ``params.json``: another relate version or workspace
    format, other ``embed`` settings than ``embed``): then every line is parsed again.
    """
    if params is not None and (params.get("relate_version") != __version__ or params.get("format") != FORMAT_VERSION
                               or (embed is not None and params.get("embed") != dataclasses.asdict(embed))):
        return None
    if s.sources is None or not len(s.sources):
        return None
    rows = np.flatnonzero(s.live[:len(s.sources)] & (s.sources != 0))
    if not len(rows):
        return None
    row_of = dict(zip(s.sources[rows].tolist(), rows.tolist()))
    ids = s.ids

    def known(digest: int) -> tuple[int, str] | None:
        row = row_of.get(digest)
        return None if row is None else (row, ids[row])

    return known


@dataclasses.dataclass(frozen=True, slots=True)
class RowSource:
    """What a row is made from, made as its record is read (``read_corpus(keep=...)``): the
    record's ``articles.jsonl`` line and the text it is encoded from; ``target``: the caller's own."""

    line: str
    text: str
    target: Any = None


def row_source(article: Any, embed: EmbedConfig, target: Any = None) -> RowSource:
    """The :class:`RowSource` of one record."""
    return RowSource(article_lines([article])[0], article_text(article.title, article.excerpt, embed), target)


def corpus_rows(s: Stored, articles: Sequence[Any], texts: Sequence[str | None] | None,
                embed: EmbedConfig) -> tuple[list[str], list[str], list[str], list[str | None]]:
    """Ids, text keys, ``articles.jsonl`` lines and texts of the records (``texts``: each
    record's text when the caller has them, ``None`` for an :class:`Unchanged` one).

    An :class:`Unchanged` record's key is its row's; its line and text are ``None`` (its row's
    line, not read: see :func:`parse_unchanged`). A :class:`Kept` one's are its :class:`RowSource`'s.
    """
    if texts is None or len(texts) != len(articles):
        texts = [None if type(a) is Unchanged else a.made.text if type(a) is Kept
                 else article_text(a.title, a.excerpt, embed) for a in articles]
    parsed = [i for i, a in enumerate(articles) if type(a) is not Unchanged and type(a) is not Kept]
    lines: list[Any] = [a.made.line if type(a) is Kept else None for a in articles]
    for i, line in zip(parsed, article_lines([articles[i] for i in parsed])):
        lines[i] = line
    keys = [s.keys[a.row] if type(a) is Unchanged else text_key(t) for a, t in zip(articles, texts)]
    return [a.id for a in articles], keys, lines, texts if isinstance(texts, list) else list(texts)


def parse_unchanged(s: Stored, articles: list[Any], texts: list[str | None], embed: EmbedConfig,
                    lines: list[str | None]) -> None:
    """Gives each :class:`Unchanged` record its row's line and text (``lines`` and ``texts``, as
    :func:`corpus_rows` gave them; the record stays as it is: a refit makes the rows' articles
    from their lines).

    The row's line holds every field relate uses, as it was read from the very same corpus line.
    """
    for i, a in enumerate(articles):
        if type(a) is Unchanged:
            lines[i] = line = s.lines[a.row]
            article = article_from_line(line)
            texts[i] = article_text(article.title, article.excerpt, embed)


def parse_kept(articles: list[Any], lines: Sequence[str | None], rows: Sequence[int]) -> None:
    """Replaces the :class:`Kept` records at ``rows`` (in place) by their articles, made from their
    lines (an update that adds or changes them builds their facts from the articles)."""
    for i in rows:
        if type(articles[i]) is Kept:
            articles[i] = article_from_line(lines[i])


def updated_sources(s: Stored, row_of: Mapping[str, int], sources: Mapping[str, int], refit: bool) -> np.ndarray:
    """Each row's line digest after an update: kept for rows not read again (none after a
    refit, whose rows are all new), else that of the line each record was read from now."""
    out = np.zeros(len(s.ids), dtype=np.uint64)
    if not refit and s.sources is not None:
        n = min(len(out), len(s.sources))
        out[:n] = s.sources[:n]
    for aid, digest in sources.items():
        row = row_of.get(aid)
        if row is not None:
            out[row] = digest
    return out


def keep_sources(ws: Workspace, s: Stored, row_of: Mapping[str, int], sources: Mapping[str, int], refit: bool,
                 save: bool = False) -> None:
    """Keeps the line digests of the records just read in ``s`` (:func:`updated_sources`);
    ``save``: writes them now if they changed (an update that changed nothing else)."""
    new = updated_sources(s, row_of, sources, refit)
    changed = s.sources is None or not np.array_equal(new, s.sources)
    s.sources = new
    if save and changed and ws.read_params() is not None:
        save_sources(ws, s)
