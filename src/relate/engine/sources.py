"""Which lines of a ``.jsonl`` corpus a workspace already holds, so that a run need not parse them.

Each row keeps the digest of the corpus line it was read from (``sources.npy``; 0 when it was
not read from a ``.jsonl`` line). :func:`known_lines` gives :func:`relate.corpus.read_corpus`
what it needs to leave those lines unparsed: the corpus then holds an
:class:`~relate.corpus.jsonl.Unchanged` for each, standing for the row's own article.
:func:`corpus_rows` gives an update the id, text key and line of every record either way,
:func:`parse_unchanged` the lines of the unchanged records (a refit needs them all), and
:func:`updated_sources` the digests after an update. A record the corpus let go as it was read
(:class:`~relate.corpus.jsonl.Kept`, with the :class:`RowSource` that :func:`row_source` made
of it) gives its line and text from the :class:`~relate.workspace.Spill` they were written to
as it was read: the lines and texts of such a corpus are then sequences read from that nameless
file when asked (:class:`~relate.workspace.FileLines`), so that no stage holds the records' text.

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
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..config import EmbedConfig
from ..corpus.jsonl import Kept, Known, Unchanged
from ..embed import text_key
from ..text import article_text
from ..workspace import FORMAT_VERSION, FileLines, Spill, Workspace, article_from_line, article_lines
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
    record's ``articles.jsonl`` line and the text it is encoded from, written to ``spill`` (record
    ``at``: :func:`row_source`), not held; ``target``: the caller's own."""

    at: int
    spill: Spill
    target: Any = None

    line = property(lambda self: self.spill.column([self.at], 0)[0], doc="The record's ``articles.jsonl`` line.")
    text = property(lambda self: self.spill.column([self.at], 1)[0], doc="The text the record is encoded from.")


def row_source(article: Any, embed: EmbedConfig, spill: Spill, target: Any = None) -> RowSource:
    """The :class:`RowSource` of one record: its line and text written to ``spill`` (a
    :class:`~relate.workspace.lines.Spill` of two parts: line, text)."""
    at = spill.add(article_lines([article])[0], article_text(article.title, article.excerpt, embed))
    return RowSource(at, spill, target)


def _spilled(articles: Sequence[Any], part: int) -> Sequence[str | None] | None:
    """Part ``part`` (0: line, 1: text) of each :class:`Kept` record, read from its spill
    (``None`` for the others, to be filled in); ``None`` when no record is :class:`Kept`."""
    spill = next((a.made.spill for a in articles if type(a) is Kept), None)
    if spill is None:
        return None
    at = np.fromiter((a.made.at if type(a) is Kept else -1 for a in articles), np.int64, len(articles))
    return spill.column(at, part)


def corpus_texts(articles: Sequence[Any], embed: EmbedConfig) -> Sequence[str | None]:
    """Each record's :func:`relate.text.article_text`: ``None`` for an :class:`Unchanged` one (its row
    has its vector), read from the spill for a :class:`Kept` one (then the whole sequence is read
    from there when asked: :class:`~relate.workspace.lines.FileLines`)."""
    texts = _spilled(articles, 1)
    if texts is None:
        return [None if type(a) is Unchanged else article_text(a.title, a.excerpt, embed) for a in articles]
    for i, a in enumerate(articles):
        if type(a) is not Unchanged and type(a) is not Kept:
            texts[i] = article_text(a.title, a.excerpt, embed)
    return texts


def corpus_rows(s: Stored, articles: Sequence[Any], texts: Sequence[str | None] | None,
                embed: EmbedConfig) -> tuple[list[str], list[str], Sequence[str | None], Sequence[str | None]]:
    """Ids, text keys, ``articles.jsonl`` lines and texts of the records (``texts``: as
    :func:`corpus_texts` gives them, when the caller has them).

    An :class:`Unchanged` record's key is its row's; its line and text are ``None`` (its row's
    line, not read: see :func:`parse_unchanged`). A :class:`Kept` one's are read from its spill:
    then lines and texts are sequences read from there when asked, not lists.
    """
    if texts is None or len(texts) != len(articles):
        texts = corpus_texts(articles, embed)
    lines = _spilled(articles, 0)
    if lines is None:
        lines = [None] * len(articles)
    parsed = [i for i, a in enumerate(articles) if type(a) is not Unchanged and type(a) is not Kept]
    for i, line in zip(parsed, article_lines([articles[i] for i in parsed])):
        lines[i] = line
    keys = [s.keys[a.row] if type(a) is Unchanged else text_key(t) for a, t in zip(articles, texts)]
    return [a.id for a in articles], keys, lines, texts if isinstance(texts, (list, FileLines)) else list(texts)


def parse_unchanged(s: Stored, articles: list[Any], texts: Sequence[str | None], embed: EmbedConfig,
                    lines: Sequence[str | None], folder: Path | None = None) -> tuple[Sequence[str], Sequence[str]]:
    """Every record's line and text, an :class:`Unchanged` one's its row's (``lines`` and ``texts``,
    as :func:`corpus_rows` gave them; the record stays as it is: a refit makes the rows' articles
    from their lines). Returns the lines and the texts.

    The row's line holds every field relate uses, as it was read from the very same corpus line.
    With ``folder``, the lines and texts of a corpus read with unchanged lines (a streamed run, whose
    records were let go as they were read) are written, with the rows' own, to a new
    :class:`~relate.workspace.Spill` there, so that they are not held in memory either; else the
    lists are filled in place.
    """
    spill = None
    if folder is not None and any(type(a) is Unchanged for a in articles):
        spill = Spill(folder, parts=2)
    for i, a in enumerate(articles):
        line, text = (lines[i], texts[i]) if type(a) is not Unchanged else (s.lines[a.row], None)
        if text is None:
            article = article_from_line(line)
            text = article_text(article.title, article.excerpt, embed)
        if spill is not None:
            spill.add(line, text)
        elif type(a) is Unchanged:
            lines[i], texts[i] = line, text
    if spill is None:
        return lines, texts
    rows = np.arange(len(articles))
    return spill.column(rows, 0), spill.column(rows, 1)


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
