"""Ranking: from nearest neighbours to a short related list.

The steps, for one article:

1. drop the article itself (under any of its URLs), excluded providers or topics,
   candidates outside the publish-time window, records marked ``removed: true``, and digests
   (records whose excerpt lists other records: :mod:`relate.digests`) unless ``suggest_digests``;
2. drop candidates below ``min_similarity`` (a short list beats a padded one) and copies of
   the article's own story (:func:`relate.story.same_story`; not the article's other parts of
   a series, :func:`relate.story.other_parts`);
3. score the rest: ``w_similarity * cos + w_lexical * tfidf + w_terms * terms +
   gate * (w_reciprocal * recip + w * q + w_provider * p)``, where ``w`` is ``w_quality`` weighed
   by the share of the corpus's records with a quality (:func:`quality_weight`), ``tfidf`` is the
   TF-IDF cosine of the two texts, ``terms`` the overlap of their key terms (names, numbers;
   :mod:`relate.evidence`), ``recip`` is ``1 / (1 + r)`` with ``r`` the number of the
   candidate's own neighbours closer to it than the article, ``q`` is the candidate's quality
   percentile in the corpus, ``p`` its provider's smoothed mean-quality percentile, and
   ``gate`` grows from 0 at ``min_similarity`` to 1 at ``min_similarity + quality_gate``:
   quality and neighbourhood reorder relevant candidates, they never lift an unrelated one;
4. take the best, collapsing each group of copies of one story to its best-scored member (but
   the article's other parts of a series, each shown) and holding each provider to
   ``max_per_provider``. A digest's own items (``Query.listed``) lead its list, before any other
   candidate: never dropped as weak or as the article's own story, nor capped per provider
   (``digest_items: hidden``: never shown).

Everything here is plain arrays in, plain tuples out; :mod:`relate.engine` feeds it.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .config import RankConfig
from .evidence import KeyTerms, reciprocals, term_overlap
from .story import is_news, other_parts, same_figures, same_headline, same_story
from .words import Words, jaccard, meet

#: Which ranker made a list: raised when a change of code, not of settings, changes lists (2: the
#: re-post clause forgives typos; 3: title words parted at dashes, month names count as figures;
#: 4: the article's other parts of a series are shown, and between records that are not news
#: only the same title words make two near-identical; 5: a digest's items lead its list;
#: 6: other outlets' reports of one day are one story, and quality weighed by the share squared),
#: so that a nightly run ranks every list again (``list_settings``).
REVISION = 6


@dataclass
class RankTable:
    """Per-article facts the ranker needs, aligned with the index rows.

    Attributes:
        vectors: ``(n, d)`` unit vectors.
        quality: quality percentile per row (0..1; the provider's when the record has none,
            0.5 when neither is known).
        provider: provider percentile per row (0..1, 0.5 when unknown).
        published: publish time as POSIX seconds (NaN when unknown).
        provider_key: provider domain (else name) per row, lower-cased.
        provider_name: provider name per row, lower-cased.
        topics: lower-cased topics per row.
        titles: content words of each title.
        url_keys: every URL key (see :func:`relate.records.url_variants`) per row.
        types: the record's ``type`` per row, lower-cased (``""``: none).
        quality_share: the share of the corpus's records that carry a ``quality`` of their own;
            the quality part of a score is weighed by its square (:func:`quality_weight`; 1: the
            weight as configured).

    Each row's words are a sorted tuple of distinct words (about a sixth of a set's memory; a million
    rows hold several of them), or a set; :func:`jaccard` and :func:`meet` take either.
        key_terms: the corpus's key terms per row (``None``: no key-term evidence).
        neighbour_sims: ``(n, depth)`` cosines of each row's nearest other rows, best first
            (``None``: no reciprocal evidence).
        stats: the corpus statistics the percentiles and key-term weights come from
            (:class:`relate.engine.stats.CorpusStats`; ``None`` when not kept).
        digest: whether each row is a digest, a record whose excerpt lists other records
            (:mod:`relate.digests`; ``None``: none is).
        removed: whether each row's record says ``removed: true`` (taken down by the site; never
            suggested; ``None``: none does).
        title_key: each row's title key (:func:`relate.digests.row_key`), which finds the records
            a digest lists (``None``: not known); ``title_rows``: the rows by key, made when first asked.
    """

    vectors: np.ndarray
    quality: np.ndarray
    provider: np.ndarray
    published: np.ndarray
    provider_key: list[str]
    provider_name: list[str]
    topics: Sequence[Words]
    titles: Sequence[Words]
    url_keys: Sequence[Words]
    types: Sequence[str] = ()
    quality_share: float = 1.0
    key_terms: KeyTerms | None = None
    neighbour_sims: np.ndarray | None = None
    stats: Any = None
    digest: np.ndarray | None = None
    removed: np.ndarray | None = None
    title_key: np.ndarray | None = None
    title_rows: Any = None


@dataclass
class Query:
    """The article a list is made for (it need not be in the index); ``listed``: the rows of the
    records it lists, when it is a digest (they lead its list; ``rank.digest_items``)."""

    vector: np.ndarray
    titles: frozenset[str]
    url_keys: frozenset[str]
    published: float = float("nan")
    row: int | None = None
    terms: frozenset[str] | None = None
    provider: str = ""
    type: str = ""
    listed: frozenset[int] = frozenset()


@dataclass
class Pick:
    """One chosen candidate: its row, final score and the parts the score was made of; ``sibling``:
    another part of the article's series that the story rule's clauses alone call its story;
    ``listed``: one of the records the article (a digest) lists."""

    row: int
    score: float
    parts: dict[str, float] = field(default_factory=dict)
    sibling: bool = False
    listed: bool = False


def _window_ok(cfg: RankConfig, q_time: float, c_time: float) -> bool:
    if cfg.only_older and not (math.isfinite(q_time) and math.isfinite(c_time) and c_time < q_time):
        return False
    if cfg.window_days is not None:
        if not (math.isfinite(q_time) and math.isfinite(c_time)):
            return False
        if abs(c_time - q_time) > cfg.window_days * 86400.0:
            return False
    return True


#: Candidates scored exactly at a time before checking whether the rest can still matter.
SCORE_CHUNK = 12
#: Slack added to a candidate's upper bound (scores are sums of parts rounded to 6 decimals).
BOUND_SLACK = 1e-5


def rank_candidates(query: Query, rows: np.ndarray, sims: np.ndarray, table: RankTable,
                    cfg: RankConfig, lexical: np.ndarray | None = None) -> list[Pick]:
    """Turns nearest neighbours into the final related list (best first, at most ``cfg.k``).

    Candidates are scored exactly in the order of an upper bound on their score (the exact
    score with key-term overlap taken as 1), and scoring stops once the list is full and no
    candidate left could reach its last pick: the result is the one scoring every candidate
    would give.

    Args:
        query: the article the list is for.
        rows: candidate rows (index positions; -1 entries are ignored).
        sims: their cosine similarity to the query.
        table: per-row facts.
        cfg: ranking settings.
        lexical: TF-IDF cosine of each candidate to the query (``None``: no lexical part).
    """
    rows = np.asarray(rows)
    sims_arr = np.asarray(sims, dtype=np.float64)
    lex_arr = np.zeros(len(rows)) if lexical is None else np.asarray(lexical, dtype=np.float64)
    recip = None
    if cfg.w_reciprocal and table.neighbour_sims is not None:
        recip = reciprocals(table.neighbour_sims, rows, sims)
    listed = np.isin(rows, list(query.listed)) if query.listed else np.zeros(len(rows), dtype=bool)
    ok = (rows >= 0) & ((sims_arr >= cfg.min_similarity) | listed) & ~(listed & (cfg.digest_items == "hidden"))
    if query.row is not None:
        ok &= rows != query.row
    if not cfg.suggest_digests and table.digest is not None:
        ok &= ~table.digest[np.where(rows < 0, 0, rows)]
    if table.removed is not None:
        ok &= ~table.removed[np.where(rows < 0, 0, rows)]
    order = np.flatnonzero(ok)
    if not len(order):
        return []
    safe = rows[order]
    gate = (np.clip((sims_arr[order] - cfg.min_similarity) / cfg.quality_gate, 0.0, 1.0) if cfg.quality_gate > 0
            else np.ones(len(order)))
    bound = (cfg.w_similarity * sims_arr[order] + cfg.w_lexical * lex_arr[order] + max(cfg.w_terms, 0.0)
             + gate * (quality_weight(cfg, table) * table.quality[safe]
                       + cfg.w_provider * table.provider[safe]
                       + (cfg.w_reciprocal * recip[order] if recip is not None else 0.0)) + BOUND_SLACK)
    by_bound = np.lexsort((-bound, ~listed[order]))               # (stable) the listed items first
    order, bound, first = order[by_bound], bound[by_bound], int(listed[order].sum())
    excluded_providers = {p.lower() for p in cfg.exclude_providers}
    excluded_topics = {t.lower() for t in cfg.exclude_topics}
    pool: list[tuple[bool, float, int, Pick]] = []
    chosen: list[Pick] = []
    same: dict[tuple[int, int], bool] = {}
    for start in range(0, len(order), SCORE_CHUNK):
        for i in order[start:start + SCORE_CHUNK].tolist():
            pick = score_candidate(query, int(rows[i]), float(sims[i]), float(lex_arr[i]),
                                   None if recip is None else float(recip[i]), table, cfg, excluded_providers,
                                   excluded_topics, bool(listed[i]))
            if pick is not None:
                pool.append((not pick.listed, -pick.score, i, pick))
        pool.sort(key=lambda t: t[:3])
        chosen = _choose([t[3] for t in pool], table, cfg, same)
        rest = start + SCORE_CHUNK
        if rest >= len(order) or (rest >= first and len(chosen) >= cfg.k and chosen and bound[rest] < chosen[-1].score):
            break
    for c in chosen:
        c.parts["cosine"] = round(c.parts["similarity"] / cfg.w_similarity, 6) if cfg.w_similarity else 0.0
        c.score = round(c.score, 6)
    return chosen


def score_candidate(query: Query, row: int, sim: float, lex_sim: float, recip: float | None, table: RankTable,
           cfg: RankConfig, excluded_providers: set[str], excluded_topics: set[str], listed: bool = False) -> Pick | None:
    """One candidate's exact score and parts, or ``None`` when a rule drops it (``recip``: its
    reciprocal evidence, ``None`` when not used; ``listed``: an item the article lists, never its story)."""
    if meet(query.url_keys, table.url_keys[row]):
        return None
    if excluded_providers and (table.provider_key[row] in excluded_providers
                               or table.provider_name[row] in excluded_providers):
        return None
    if excluded_topics and not excluded_topics.isdisjoint(table.topics[row]):
        return None
    if (cfg.only_older or cfg.window_days is not None) and not _window_ok(cfg, query.published,
                                                                           float(table.published[row])):
        return None
    terms = _query_terms(query, row, table)
    story = "" if listed else _story_to_query(query, row, sim, table, cfg, terms)
    if story == "own":
        return None  # the article's own story again
    gate = min(1.0, max(0.0, (sim - cfg.min_similarity) / cfg.quality_gate)) if cfg.quality_gate > 0 else 1.0
    parts = {
        "similarity": round(cfg.w_similarity * sim, 6),
        "lexical": round(cfg.w_lexical * lex_sim, 6),
        "quality": round(gate * quality_weight(cfg, table) * float(table.quality[row]), 6),
        "provider": round(gate * cfg.w_provider * float(table.provider[row]), 6),
    }
    if cfg.w_terms and table.key_terms is not None and query.terms is not None:
        parts["terms"] = round(cfg.w_terms * terms, 6)
    if recip is not None:
        parts["reciprocal"] = round(gate * cfg.w_reciprocal * recip, 6)
    return Pick(row, sum(parts.values()), parts, sibling=story == "part", listed=listed)


def _choose(pool: list[Pick], table: RankTable, cfg: RankConfig, same: dict[tuple[int, int], bool]) -> list[Pick]:
    """The greedy pick from a pool sorted best first: each story once (but two of the article's
    other parts of a series, :func:`_two_parts`), providers capped but for the items a digest lists
    (``same`` keeps the same-story answers of earlier calls)."""
    chosen: list[Pick] = []
    per_provider: dict[str, int] = {}
    for pick in pool:
        if len(chosen) >= cfg.k:
            break
        key = table.provider_key[pick.row]
        if (cfg.max_per_provider is not None and key and per_provider.get(key, 0) >= cfg.max_per_provider
                and not pick.listed):
            continue
        if any(_same_pair(pick.row, c.row, table, cfg, same) and not _two_parts(pick, c, table) for c in chosen):
            continue
        chosen.append(pick)
        if key:
            per_provider[key] = per_provider.get(key, 0) + 1
    return chosen


def _two_parts(a: Pick, b: Pick, table: RankTable) -> bool:
    """Whether two picks are both other parts of the article's series (``sibling``: the clauses
    join each to the article), and not one part: both are shown, though the clauses alone would
    call them one story (the parts of one series are alike: one excerpt, one day's posts)."""
    return a.sibling and b.sibling and other_parts(table.titles[a.row], table.titles[b.row])


def _same_pair(a: int, b: int, table: RankTable, cfg: RankConfig, same: dict[tuple[int, int], bool]) -> bool:
    found = same.get((a, b))
    if found is None:
        found = same[a, b] = _same_story(a, b, table, cfg)
    return found


def is_same_story(sim: float, title_overlap: float, days_apart: float, cfg: RankConfig, terms: float = 0.0,
                  same_provider: bool | None = False, figures: bool = False, news: bool = True, headline: bool = False,
                  other_part: bool = False) -> bool:
    """Whether two articles tell the same story: :func:`relate.story.same_story`.

    Example:
        >>> cfg = RankConfig(dup_similarity=0.95, dup_days=14, story_similarity=0.65, story_days=2)
        >>> is_same_story(0.70, 0.2, 1.0, cfg), is_same_story(0.99, 0.6, 30.0, cfg)
        (True, False)
    """
    return same_story(sim, title_overlap, days_apart, cfg, terms, same_provider, figures, news, headline, other_part)


def _days(a: float, b: float) -> float:
    return abs(a - b) / 86400.0 if math.isfinite(a) and math.isfinite(b) else math.nan


def _query_terms(query: Query, row: int, table: RankTable) -> float:
    kt = table.key_terms
    if kt is None or query.terms is None:
        return 0.0
    if query.row is not None:
        return kt.overlap(query.row, row)
    return term_overlap(query.terms, kt.terms[row], kt.idf)


def _story_to_query(query: Query, row: int, sim: float, table: RankTable, cfg: RankConfig,
                    terms: float = 0.0) -> str:
    """What a candidate is to the article: ``"own"``, its own story; ``"part"``, another part of
    its series that the clauses alone would call its own story (shown; relate.story.other_parts
    is looked up only here); ``""``, another story."""
    same_provider = _one_provider(query.provider, table.provider_key[row])
    days = _days(query.published, float(table.published[row]))
    if not _titled_story(sim, query.titles, table.titles[row], days, cfg, terms, same_provider,
                         lambda: is_news(query.type, cfg) and is_news(_type(table, row), cfg)):
        return ""
    return "part" if other_parts(query.titles, table.titles[row]) else "own"


def _same_story(a: int, b: int, table: RankTable, cfg: RankConfig) -> bool:
    if meet(table.url_keys[a], table.url_keys[b]):
        return True  # one item under two addresses
    sim = float(table.vectors[a] @ table.vectors[b])
    terms = table.key_terms.overlap(a, b) if table.key_terms is not None else 0.0
    same_provider = _one_provider(table.provider_key[a], table.provider_key[b])
    days = _days(float(table.published[a]), float(table.published[b]))
    return _titled_story(sim, table.titles[a], table.titles[b], days, cfg, terms, same_provider,
                         lambda: is_news(_type(table, a), cfg) and is_news(_type(table, b), cfg))


def _one_provider(a: str, b: str) -> bool | None:
    """Whether one provider published both (``None`` when either is unknown)."""
    return a == b if a and b else None


def _titled_story(sim: float, titles_a: Words, titles_b: Words, days: float, cfg: RankConfig, terms: float,
                  same_provider: bool | None, news: Callable[[], bool]) -> bool:
    """The story rule for two articles, with what it reads from their title words worked out here
    (the overlap, whether their figures agree, and, only where the re-post clause can apply,
    whether they are one headline). ``news`` tells whether both are news; it is asked only where
    that matters: within the time clauses' window, or for a near-identical title without
    near-identical texts."""
    overlap = jaccard(titles_a, titles_b)
    asked = days <= _time_window(cfg) or (overlap >= cfg.dup_title and sim < cfg.dup_similarity)
    return same_story(sim, overlap, days, cfg, terms, same_provider,
                      overlap < cfg.dup_title or same_figures(titles_a, titles_b), not asked or news(),
                      sim >= cfg.repost_similarity and same_headline(titles_a, titles_b))


def quality_weight(cfg: RankConfig, table: RankTable) -> float:
    """The weight of the quality part: ``w_quality`` times the square of the share of the corpus's
    records that carry a ``quality`` of their own, the share of candidate pairs whose two qualities
    can be compared (stand-ins, a view count's percentile or a provider's mean, are not a quality).

    Example:
        >>> from relate.config import RankConfig
        >>> table = RankTable(*[None] * 4, [], [], [], [], [], quality_share=0.5)
        >>> quality_weight(RankConfig(w_quality=0.2), table)
        0.05
    """
    return cfg.w_quality * table.quality_share ** 2


def _type(table: RankTable, row: int) -> str:
    """A row's record type (``""`` when the table does not hold types)."""
    return table.types[row] if len(table.types) else ""


def _time_window(cfg: RankConfig) -> float:
    """Days within which the story rule's time clauses (news only) can apply: past it, or with a
    date unknown, whether the two are news matters only to a near-identical title without
    near-identical texts."""
    return max(cfg.story_days, cfg.story_evidence_days, cfg.retell_days, cfg.other_outlet_days,
               cfg.late_retell_days)
