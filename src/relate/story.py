"""The same-story rule: whether two articles tell one story (a copy, a syndication, a re-telling).

A related list must not show the article's own story again, nor one story twice. Copies and
re-tellings of one announcement appear together in time and share its names and figures,
while a monthly "updates" post looks just like last month's and is another story. So two
articles are the same story when (first match wins):

1. they are near-identical (cosine >= ``dup_similarity``, or title-word overlap >= ``dup_title``;
   between records that are not news, the same title words) and published within ``dup_days``
   of each other, or a date is unknown;
2. their titles are one headline (:func:`same_headline`: the same words, or the same but for a
   typo fixed or made, "Open source API portal now generally availabile" 54 days after
   "... available") and their texts are closely similar (cosine >= ``repost_similarity``), at
   any date: a re-post, the same item or press release published again weeks or months later
   (the same headline is the strongest sign of one story; a monthly "updates" post changes its
   month, so it is not caught);
3. their titles are near-identical (overlap >= ``dup_title``) with the same figures (the
   numbers of one title are among the other's: "20.07" and "20.08" are two releases), their
   texts closely similar (cosine >= ``reissue_similarity``), published within
   ``reissue_days``: one release or offer announced again with an edited headline ("Pure
   Storage brings cloud block storage to Microsoft Azure", 15 days after "... Brings Block
   Storage ...");
4. they are closely similar (cosine >= ``story_similarity``) and published within
   ``story_days``;
5. they are similar (cosine >= ``story_evidence_similarity``; from one provider, >=
   ``story_same_provider_similarity``), share the story's key terms (names and numbers,
   :mod:`relate.evidence`, IDF-weighted overlap >= ``story_terms``) and were published
   within ``story_evidence_days``: outlets re-tell an event over several days in their own
   words, but with the same names and figures. One provider's own posts about one product
   family share all its names, so for them the texts must be closer;
6. they come from different providers, are very similar (cosine >= ``retell_similarity``) and
   were published within ``retell_days``: another outlet's re-telling of the event in its own
   words, with few of its names ("Microsoft offers a 99.99 % uptime SLA for Azure AD Premium",
   reported by one outlet and then by others over the next days);
7. they come from different providers (both known), are similar (cosine >=
   ``other_outlet_similarity``) and were published within ``other_outlet_days`` (a day): outlets
   reporting one event the day it happens, each in its own words and with its own angle
   ("Amazon blasts the White House for a 'blatant attempt' to derail a probe …" and "DoD:
   Pentagon okay in giving $10B 'war cloud' contract to Microsoft …", the same hour, cosine
   0.59). One provider's posts of one day are left to clauses 4 and 5: a vendor announces
   several things at once;
8. they come from different providers (both known), are very similar (cosine >=
   ``late_retell_similarity``), share the story's key terms (>= ``story_terms``) and were
   published within ``late_retell_days`` (two weeks): a trade outlet's write-up of an
   announcement a week or two after it (InfoQ's "Microsoft Releases Azure Firewall Premium in
   Public Preview", 10 days after Microsoft's "Azure Firewall Premium now in preview").

A reader of one part of a series wants the next (the rubric's direct follow-up), so the parts
are not the article's own story, whatever the clauses say: titles that name different parts
(:func:`other_parts`: "Minecraft Earth and Azure Cosmos DB part 1: …" and "… part 2: …", one
day, cosine 0.94; "Excel Data To Multiple PDFs - Part 1/2" and "… Part 2/2", one excerpt) are
two items (``other_part``). The ranker asks this between the article and a candidate, and
between two candidates that are both the article's other parts (the clauses join each to it:
under part 3 of a series posted on one day, parts 1 and 2 are both shown); between any other
two candidates the clauses alone decide: under another article, two parts with one excerpt
would read as one item shown twice, so such a list shows the series once.

Clauses 4 to 8 are about news: they apply only between records of ``story_types`` (articles;
a record without a type counts as one). A channel's videos, a course's modules or a set of
samples published on one day are the parts of a series, which a reader of one wants next:
only clauses 1 to 3 (near-identical, re-posted, re-issued) make them one story. And a
catalogue names its modules alike ("Explore Power Apps portals" and "Explore Power Apps
portals Studio", "Work with data in a Power Apps canvas app" and "Work with external data in
…", undated): between records that are not news a near-identical title is not enough for
clause 1, the same title words are (a course and a collection both called "Introduction to
Power Apps portals" read as one item shown twice); an edited title still counts in the re-post
and re-issue clauses.

Example:
    >>> from relate.config import RankConfig
    >>> cfg = RankConfig()
    >>> same_story(0.70, 0.2, 1.0, cfg), same_story(0.99, 0.6, 30.0, cfg)
    (True, False)
    >>> same_story(0.90, 0.5, 5.0, cfg), same_story(0.90, 0.5, 5.0, cfg, same_provider=True)
    (True, False)
    >>> same_story(0.68, 0.2, 3.5, cfg, terms=0.45), same_story(0.68, 0.2, 3.5, cfg, terms=0.1)
    (True, False)
    >>> same_story(0.68, 0.2, 3.5, cfg, terms=0.45, same_provider=True)
    False
    >>> same_story(0.99, 1.0, 120.0, cfg)         # the same item re-posted months later
    True
    >>> same_story(0.87, 0.71, 54.0, cfg), same_story(0.87, 0.71, 54.0, cfg, headline=True)  # a typo fixed
    (False, True)
    >>> same_story(0.70, 0.2, 0.0, cfg, news=False)   # two parts of a series, uploaded together
    False
    >>> same_story(0.71, 0.8, math.nan, cfg), same_story(0.71, 0.8, math.nan, cfg, news=False)  # two modules
    (True, False)
    >>> same_story(0.71, 1.0, math.nan, cfg, news=False)     # a course and a collection of one name
    True
    >>> same_story(1.0, 0.9, 0.0, cfg), same_story(1.0, 0.9, 0.0, cfg, other_part=True)   # "Part 1/2", "Part 2/2"
    (True, False)
    >>> same_story(0.9, 0.2, 10.0, cfg, terms=0.9), same_story(0.9, 0.2, 10.0, cfg, terms=0.9, same_provider=None)
    (True, False)
"""
from __future__ import annotations

import math
from functools import lru_cache

from .config import RankConfig
from .words import Words, series_parts

#: Month names, which date a title as its numbers do ("… features—June 2021" and "… July 2021").
MONTHS = frozenset("""january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec""".split())


def same_figures(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether the numbers and month names among two titles' words agree: those of one are all
    among the other's.

    Example:
        >>> same_figures(frozenset({"sphere", "20", "10"}), frozenset({"sphere", "20", "10", "1"}))
        True
        >>> same_figures(frozenset({"sphere", "20", "07"}), frozenset({"sphere", "20", "08"}))
        False
        >>> same_figures(frozenset({"features", "june", "2021"}), frozenset({"features", "july", "2021"}))
        False
    """
    x = {w for w in a if w.isdigit() or w in MONTHS}
    y = {w for w in b if w.isdigit() or w in MONTHS}
    return x <= y or y <= x


def one_typo_apart(a: str, b: str) -> bool:
    """Whether two different words differ by one typo: a letter added, dropped or changed, or two
    neighbouring letters swapped.

    Example:
        >>> [one_typo_apart("available", w) for w in ("availabile", "avialable", "availble", "availability")]
        [True, True, True, False]
    """
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1 or a == b:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1:]                                      # one letter added
    if a[i + 1:] == b[i + 1:]:
        return True                                                    # one letter changed
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]   # two swapped


def same_headline(a: frozenset[str] | tuple[str, ...], b: frozenset[str] | tuple[str, ...]) -> bool:
    """Whether two titles' words (:func:`relate.words.title_tokens`) are one headline: the same words,
    or as many words, each word that only one title has being one typo (:func:`one_typo_apart`)
    from a word that only the other has. A typo counts in words of five letters or more only,
    and never in a word with a digit: "update 20.07" and "update 20.08" are two releases.

    Example:
        >>> words = lambda t: frozenset(t.lower().split())
        >>> same_headline(words("open source api portal generally available"),
        ...               words("open source api portal generally availabile"))
        True
        >>> same_headline(words("sphere os update 20 07"), words("sphere os update 20 08"))
        False
        >>> same_headline(words("teams adds rooms"), words("teams adds room"))   # short words: exact
        False
    """
    if len(a) != len(b):
        return False
    only_a = frozenset(a).difference(b)
    if not only_a:
        return bool(a)
    only_b = frozenset(b).difference(a)
    if len(only_a) > 2 or any(len(w) < 5 or not w.isalpha() for w in only_a | only_b):
        return False
    return (all(any(one_typo_apart(x, y) for y in only_b) for x in only_a)
            and all(any(one_typo_apart(y, x) for x in only_a) for y in only_b))


def other_parts(a: Words, b: Words) -> bool:
    """Whether two titles' words (:func:`relate.words.title_tokens`) name different parts of a
    series: each names a part (:func:`relate.words.series_parts`), and not the same ones.

    Example:
        >>> from relate.words import title_tokens
        >>> other_parts(title_tokens("Repeating Tables Part 1"), title_tokens("Repeating Tables Part 2"))
        True
        >>> other_parts(title_tokens("Repeating Tables Part 1"), title_tokens("Repeating Tables"))
        False
    """
    x, y = series_parts(a), series_parts(b)
    return bool(x) and bool(y) and x != y


def same_story(sim: float, title_overlap: float, days_apart: float, cfg: RankConfig, terms: float = 0.0,
               same_provider: bool | None = False, figures: bool = False, news: bool = True,
               headline: bool = False, other_part: bool = False) -> bool:
    """Whether two articles tell the same story (see the module docstring for the rule).

    Args:
        sim: cosine similarity of their vectors.
        title_overlap: Jaccard overlap of their title words.
        days_apart: days between their publish times (NaN when one is unknown).
        cfg: the thresholds (``dup_*``, ``story_*``).
        terms: IDF-weighted overlap of their key terms (0 when unknown).
        same_provider: whether one provider published both (``None``: a provider is unknown; the
            clauses read it as "not one provider", but for clauses 7 and 8, which need two known ones).
        figures: whether their titles' numbers agree (:func:`same_figures`; not known: ``False``,
            so the re-issue clause does not apply).
        news: whether both are of ``cfg.story_types`` (:func:`is_news`): only then do the
            time-window clauses (4 to 8) apply, and does a near-identical title, not only the
            same title words, make them near-identical (clause 1).
        headline: whether their titles are one headline but for typos (:func:`same_headline`);
            titles with the same words (``title_overlap`` 1) are one headline anyway. Only the
            re-post clause reads it, so a caller need not work it out below ``repost_similarity``.
        other_part: whether their titles name different parts of a series (:func:`other_parts`):
            then they are two items, whatever the clauses say (the ranker passes it for the
            article and a candidate, and for two of the article's other parts).
    """
    if other_part:
        return False
    unknown = math.isnan(days_apart)
    near_identical = sim >= cfg.dup_similarity or title_overlap >= (cfg.dup_title if news else 1.0)
    if near_identical and (unknown or days_apart <= cfg.dup_days):
        return True
    if (headline or title_overlap >= 1.0) and sim >= cfg.repost_similarity:
        return True
    if unknown:
        return False
    if (title_overlap >= cfg.dup_title and sim >= cfg.reissue_similarity and figures
            and days_apart <= cfg.reissue_days):
        return True
    if not news:
        return False
    if days_apart <= cfg.story_days and sim >= cfg.story_similarity:
        return True
    need = cfg.story_same_provider_similarity if same_provider else cfg.story_evidence_similarity
    if days_apart <= cfg.story_evidence_days and sim >= need and terms >= cfg.story_terms:
        return True
    if same_provider:
        return False
    if days_apart <= cfg.retell_days and sim >= cfg.retell_similarity:
        return True
    return same_provider is False and (
        (days_apart <= cfg.other_outlet_days and sim >= cfg.other_outlet_similarity)
        or (days_apart <= cfg.late_retell_days and sim >= cfg.late_retell_similarity and terms >= cfg.story_terms))


def is_news(record_type: str, cfg: RankConfig) -> bool:
    """Whether a record of this type (lower-cased; ``""``: none) is news for the story rule.

    Example:
        >>> from relate.config import RankConfig
        >>> [is_news(t, RankConfig()) for t in ("article", "", "video")]
        [True, True, False]
    """
    return not record_type or record_type in _lowered(tuple(cfg.story_types))


@lru_cache(maxsize=64)
def _lowered(types: tuple[str, ...]) -> frozenset[str]:
    return frozenset(t.lower() for t in types)
