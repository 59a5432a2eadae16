"""Pair evidence: the key terms (names, numbers) two articles share, fitted on the corpus itself.

Dense vectors say two articles are about the same area; the names and figures they share say
whether they are about the same *thing*: "JEDI", "Pentagon", "$10 billion"; "Atlanta", "1,500
jobs". Which words are names is learnt from the corpus's own texts, not from a word list: a
word is a name when, in the middle of a sentence (where capitals are not forced), the corpus
writes it capitalised more often than not; all-caps, CamelCase and words with digits
("OCP", "SONiC", "GPT-3") are names anyway. Numbers of two digits or more count too (commas
dropped: "1,500" = "1500"). Each term weighs its inverse document frequency in the corpus, so
a name every article carries (the site's own subject) weighs almost nothing.

:func:`term_overlap` is the IDF-weighted cosine of two articles' key-term sets (0..1).
:func:`reciprocal` is the neighbourhood's evidence: whether the article is among the
candidate's own nearest (a mutual neighbour) or far down them (a hub close to everything).

Example:
    >>> terms = KeyTerms.fit(["Contoso buys Fabrikam. The deal with Fabrikam closes in May.",
    ...                       "Fabrikam shares rose 12 percent after Contoso said so.",
    ...                       "Bread is rising. Bake it at 220 degrees."])
    >>> sorted(terms.of(0))
    ['contoso', 'fabrikam', 'may']
    >>> round(terms.overlap(0, 1), 2), terms.overlap(0, 2)
    (0.45, 0.0)
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Sequence
from functools import lru_cache
from sys import intern

import numpy as np

_WORD = re.compile(r"[^\W_][\w\-]*[^\W_]|[^\W_]", re.UNICODE)
#: A word with the run of non-word characters before it (see :func:`_words`).
_GAP_WORD = re.compile(r"([\W_]*)(" + _WORD.pattern + ")", re.UNICODE)
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
#: Characters that end a sentence (or a headline's part) when they close the text before a word.
_ENDS = frozenset('.!?:;"“”')


@lru_cache(maxsize=1 << 16)
def _fold(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower() or word.lower()


@lru_cache(maxsize=1 << 16)
def _shape_is_name(word: str) -> bool:
    """All caps (2+ letters), CamelCase / inner capitals, or letters with digits."""
    letters = [c for c in word if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return True
    if any(c.isupper() for c in word[1:]):
        return True
    return bool(letters) and any(c.isdigit() for c in word)


def _words(text: str, skip: int = 0) -> list[tuple[str, bool]]:
    """``(word, mid_sentence)`` for each word of a text; words starting before ``skip`` count as
    not mid-sentence (a headline's capitals are forced).

    A word is mid-sentence when a word came before it and the text between the two does not
    end, spaces aside, with one of ``.!?:;"“”``. (Words never hold an apostrophe, so a
    possessive "'s" is never part of one.)

    One ``findall`` of (gap, word) pairs: what lies between two words is exactly a run of the
    characters no word starts with (``[\\W_]``), so the pairs tile the text up to its last word.
    """
    out = []
    append = out.append
    pos = 0
    first = True
    for gap, word in _GAP_WORD.findall(text):
        start = pos + len(gap)
        if first or start < skip:
            mid = first = False
        else:
            gap = gap.rstrip()
            mid = not gap or gap[-1] not in _ENDS
        append((word, mid))
        pos = start + len(word)
    return out


class KeyTerms:
    """The key terms of every corpus text and their IDF weights.

    Args:
        terms: one set of folded key terms per text; :attr:`terms` holds each as a sorted tuple
            (about a sixth of a set's memory: a million texts hold about ten terms each).
        idf: weight per term.
    """

    def __init__(self, terms: Sequence[frozenset[str] | tuple[str, ...]], idf: dict[str, float],
                 names: frozenset[str] = frozenset(), lower: frozenset[str] = frozenset()) -> None:
        self.terms: list[tuple[str, ...]] = [t if type(t) is tuple else tuple(sorted(t)) for t in terms]
        self.idf = idf
        self.names = names
        self.lower = lower
        self.refresh()

    def refresh(self, rows: Sequence[int] | None = None) -> None:
        """Recomputes the per-text weights after :attr:`terms` changed (``rows``: only those rows
        changed, or were appended; ``None``: every row).

        A weight is an exactly rounded sum (:func:`math.fsum`), so it does not depend on the order
        in which a set happens to hold its terms: an engine built afresh and one reopened from its
        workspace weigh every row the same.
        """
        if rows is None or getattr(self, "_mass", None) is None:
            self._mass = np.array([_mass(s, self.idf) for s in self.terms], dtype=np.float64)
            return
        if len(self._mass) < len(self.terms):
            self._mass = np.concatenate([self._mass, np.zeros(len(self.terms) - len(self._mass))])
        for r in rows:
            self._mass[r] = _mass(self.terms[r], self.idf)

    def extract(self, text: str) -> frozenset[str]:
        """The key terms of a text (names as learnt by :meth:`fit`, and numbers)."""
        return _extract(text, _WORD.findall(text), self.names, self.lower)

    @classmethod
    def fit(cls, texts: Sequence[str], titles: Sequence[str] | None = None) -> KeyTerms:
        """Learns which words are names from ``texts`` (their mid-sentence capitals) and weighs them.

        Args:
            texts: one text per article (title, then excerpt).
            titles: the titles alone, when the texts start with them: words in titles are not
                used to learn capitalisation (headlines capitalise every word).
        """
        seen: Counter[str] = Counter()    # first pass: how often each word is written mid-sentence
        for i, text in enumerate(texts):
            skip = len(titles[i]) if titles is not None and titles[i] and text.startswith(titles[i]) else 0
            seen.update([word for word, mid in _words(text, skip) if mid])
        caps: dict[str, list[int]] = {}    # then per folded word: capitalised or not
        for word, count in seen.items():
            if word[:1].isalpha():
                c = caps.setdefault(_fold(word), [0, 0])
                c[0 if word[:1].isupper() else 1] += count
        del seen
        names = frozenset(w for w, (up, low) in caps.items() if up > low)
        lower = frozenset(w for w, (up, low) in caps.items() if up <= low)
        del caps
        # second pass: each text's terms (its words read again rather than all kept from the first)
        memo: dict[str, str | None] = {}
        terms = [tuple(sorted(_extract(text, _WORD.findall(text), names, lower, memo))) for text in texts]
        del memo
        df: Counter[str] = Counter()
        for s in terms:
            df.update(s)
        n = max(len(terms), 1)
        idf = {t: math.log((n + 1) / (d + 1)) for t, d in df.items()}
        return cls(terms, idf, names, lower)

    def of(self, row: int) -> frozenset[str]:
        """The key terms of one text."""
        return frozenset(self.terms[row])

    def overlap(self, a: int, b: int) -> float:
        """IDF-weighted cosine of the key-term sets of texts ``a`` and ``b`` (0..1)."""
        return term_overlap(self.terms[a], self.terms[b], self.idf, self._mass[a], self._mass[b])

    def overlaps(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """:meth:`overlap` of each pair ``(a[i], b[i])``."""
        return np.array([self.overlap(int(x), int(y)) if x >= 0 and y >= 0 else 0.0
                         for x, y in zip(np.ravel(a), np.ravel(b))], dtype=np.float64).reshape(np.shape(a))


def _extract(text: str, words: list[str], names: frozenset[str], lower: frozenset[str],
             memo: dict[str, str | None] | None = None) -> frozenset[str]:
    """The key terms of ``text`` (``words``: its words); ``memo`` keeps each word's answer
    (its folded form, or ``None``: not a name) for the next texts, under the same names."""
    found = set()
    memo = {} if memo is None else memo
    for word in words:
        if word in memo:
            f = memo[word]
        else:
            f = memo[word] = _name_term(word, names, lower)
        if f is not None:
            found.add(f)
    for num in _NUMBER.findall(text):
        num = num.replace(",", "")
        if len(num.replace(".", "")) >= 2:
            found.add(intern("#" + num))
    return frozenset(found)


def _name_term(word: str, names: frozenset[str], lower: frozenset[str]) -> str | None:
    """``word`` folded when it is a name (learnt, or by its shape and not learnt lower-case), else ``None``."""
    if len(word) < 2:
        return None  # "I", initials
    f = _fold(word)
    return intern(f) if f in names or (_shape_is_name(word) and f not in lower) else None


def term_overlap(a: Collection[str], b: Collection[str], idf: dict[str, float],
                 mass_a: float | None = None, mass_b: float | None = None) -> float:
    """IDF-weighted cosine of two term sets: ``sum idf(shared) / sqrt(sum idf(a) * sum idf(b))``
    (each a set or a tuple of distinct terms).

    Example:
        >>> term_overlap(frozenset("xy"), frozenset("xz"), {"x": 2.0, "y": 2.0, "z": 2.0})
        0.5
    """
    shared = (a if isinstance(a, (set, frozenset)) else frozenset(a)).intersection(b)
    if not shared:
        return 0.0
    ma = mass_a if mass_a is not None else _mass(a, idf)
    mb = mass_b if mass_b is not None else _mass(b, idf)
    if ma <= 0 or mb <= 0:
        return 0.0
    return float(min(1.0, math.fsum(idf.get(t, 0.0) for t in shared) / (ma * mb)))


def _mass(terms: Collection[str], idf: dict[str, float]) -> float:
    """``sqrt(sum idf)`` of a term set, the sum exactly rounded (independent of the set's order)."""
    return math.sqrt(math.fsum(idf.get(t, 0.0) for t in terms))


def reciprocal(neighbour_sims: np.ndarray, sim: float) -> float:
    """``1 / (1 + r)``, ``r`` = how many of a candidate's neighbours are closer to it than ``sim``.

    Closer means by more than 1e-5, so the article itself, when it is among the candidate's
    neighbours, is not counted through float rounding.

    Example:
        >>> reciprocal(np.array([0.9, 0.8, 0.7]), 0.85), reciprocal(np.array([0.9, 0.8]), 0.95)
        (0.5, 1.0)
    """
    return 1.0 / (1.0 + int(np.count_nonzero(neighbour_sims > sim + 1e-5)))


def reciprocals(neighbour_sims: np.ndarray, rows: np.ndarray, sims: np.ndarray) -> np.ndarray:
    """:func:`reciprocal` of each candidate at once (rows of -1 get 0)."""
    rows = np.asarray(rows)
    safe = np.where(rows < 0, 0, rows)
    closer = (neighbour_sims[safe] > np.asarray(sims, dtype=np.float32)[:, None] + 1e-5).sum(1)
    return np.where(rows < 0, 0.0, 1.0 / (1.0 + closer))
