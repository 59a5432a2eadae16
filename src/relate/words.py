"""Word sets: the content words of a title, and how much two sets of words share.

A title's words (:func:`title_tokens`) are what the same-story rule compares (:mod:`relate.story`)
and what the rank table keeps per row; a row keeps them, its topics and its URL keys as a sorted
tuple of distinct words (:data:`Words`), which :func:`jaccard` and :func:`meet` take as they take
a set.

Example:
    >>> jaccard(title_tokens("Azure outage hits East US"), title_tokens("East US Azure outage"))
    0.75
"""
from __future__ import annotations

import re
import unicodedata
from typing import Union

#: A row's words: a set, or a (sorted) tuple of distinct words.
Words = Union[frozenset[str], tuple[str, ...]]

_WORD = re.compile(r"\w+", re.UNICODE)
#: Dashes, bullets, arrows and other non-ASCII signs: they part a title's words (apostrophes do not).
_SIGNS = re.compile(r"[\u2010-\u2015\u2022\u2027\u2190-\u21ff\u2212\u00b7\u2043\u25a0-\u25ff\u2e3a\u2e3b]")
#: Words too common in headlines to tell two stories apart.
_STOP = frozenset("""a an and are as at be by for from has have how in is it its of on or the to
was were will with this that what why new now you your we our us""".split())  # noqa: SIM905
#: Where a title names a part of a series ("part 2", "Part Two", "Part 1/2", "part 1 of 2", "Episode 5",
#: "Chapter III", "Lesson 4"): its words then hold ``part:N`` (:data:`PART`) beside the words themselves.
_PART = re.compile(r"\b(?:part|episode|chapter|lesson)\s*[.#:]?\s*(\d{1,3}|[a-z]+)\b")
_NUMBERS = {w: str(i) for i, w in enumerate(
    "one two three four five six seven eight nine ten eleven twelve".split(), start=1)}  # noqa: SIM905
_NUMBERS.update({w: str(i) for i, w in enumerate("i ii iii iv v vi vii viii ix x".split(), start=1)})  # noqa: SIM905
#: The prefix of a title's part word: "Minecraft and Cosmos DB part 2" holds ``part:2``.
PART = "part:"


def title_tokens(title: str) -> frozenset[str]:
    """Lower-cased content words of a title, accents folded. A dash, bullet or other sign parts
    words ("software—part 2"); a curly apostrophe is dropped as before ("Starter’s" reads as
    "Starters"). A part of a series the title names adds ``part:N`` (:func:`series_parts`).

    Example:
        >>> sorted(title_tokens("The Café opens: NEW menu!"))
        ['cafe', 'menu', 'opens']
        >>> sorted(title_tokens("Reliability through software—part 2")), sorted(title_tokens("Starter’s guide"))
        (['2', 'part', 'part:2', 'reliability', 'software', 'through'], ['guide', 'starters'])
    """
    title = _SIGNS.sub(" ", title or "")
    text = (unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode() or title).lower()
    words = {w for w in _WORD.findall(text) if w not in _STOP}
    for n in _PART.findall(text):
        n = _NUMBERS.get(n, n)
        if n.isdigit():
            words.add(PART + str(int(n)))
    return frozenset(words)


def series_parts(words: Words) -> frozenset[str]:
    """The parts of a series that a title's words name (``part:N``; none: empty).

    Example:
        >>> [sorted(series_parts(title_tokens(t))) for t in ("Design Patterns (Part 2)", "Part Two – AI Builder",
        ...  "Excel to PDFs - Part 1/2", "Monthly Update: June 2021, Episode 5", "Part of the plan", "Lesson learned")]
        [['part:2'], ['part:2'], ['part:1'], ['part:5'], [], []]
    """
    return frozenset(w for w in words if w.startswith(PART))


def jaccard(a: Words, b: Words) -> float:
    """Share of words two sets have in common (0 when either is empty); each a set or a tuple
    of distinct words (what a :class:`RankTable` holds per row).

    Example:
        >>> jaccard(frozenset({"azure", "outage"}), ("azure", "east", "outage"))
        0.6666666666666666
    """
    if not a or not b:
        return 0.0
    shared = len((a if isinstance(a, (set, frozenset)) else frozenset(a)).intersection(b))
    return shared / (len(a) + len(b) - shared)


def meet(a: Words, b: Words) -> bool:
    """Whether two sets (or tuples) of words share one.

    Example:
        >>> meet(("e.com/a",), frozenset({"e.com/b", "e.com/a"})), meet((), ("x",))
        (True, False)
    """
    return not (a if isinstance(a, (set, frozenset)) else frozenset(a)).isdisjoint(b)
