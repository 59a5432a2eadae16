"""Digests: records whose excerpt lists other records of the corpus (newsletters, roundups).

A newsletter issue such as "Power Apps Every Day (2021-06-03)", excerpt "Power Platform
Extension for VS Code / How to build a model-driven app / Use custom connectors in a Power
Apps canvas app", is about three subjects at once, and the corpus holds each of them as its
own record. Its vector sits between all three, so it comes close to many articles and, left
alone, fills their lists (on the powerapps corpus 650 such issues took 39 % of all entries);
yet for any reader the item itself is the better link, and an issue that lists the article
being read is that article again.

What makes a record a digest is measured on the corpus itself, not on a site's template: its
excerpt, split at list separators (`` / ``, `` | ``, `` • ``, ``; ``, line breaks), holds at
least :data:`MIN_LISTED` whole titles of *other* records of the corpus (titles of at least
:data:`MIN_WORDS` words, compared case- and accent-folded, punctuation ignored). The titles
are those of the fit (:class:`relate.engine.stats.CorpusStats` keeps their keys), so a record
added later is judged against the same titles as every other.

Example:
    >>> titles = DigestTitles.fit(["How to build a model-driven app", "Use custom connectors in canvas apps",
    ...                            "Power Apps Every Day (2021-06-03)"])
    >>> titles.listed("Power Apps Every Day (2021-06-03)",
    ...               "How to build a model-driven app / Use custom connectors in canvas apps")
    2
    >>> titles.flags([("Weekly", "How to build a model-driven app"),
    ...               ("Issue 4", "How to build a model-driven app | Use custom connectors in canvas apps")]).tolist()
    [False, True]

A digest's list leads with the records it lists (``rank.digest_items``): each record's
:func:`row_key` is one of the rank table's numbers, and :class:`TitleRows` finds the rows of
the keys a digest's excerpt lists (:func:`listed_keys`).

    >>> rows = TitleRows(np.array([row_key("How to build a model-driven app"), row_key("Too short"),
    ...                            row_key("Use custom connectors in canvas apps")]))
    >>> rows.find(listed_keys("Issue 4", "How to build a model-driven app / Use custom connectors in canvas apps"))
    [0, 2]
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

import numpy as np

#: Words a title needs to be recognised in another record's excerpt (shorter ones are too generic).
MIN_WORDS = 3
#: Other records' titles an excerpt must list for its record to be a digest.
MIN_LISTED = 2

_SEPARATORS = re.compile(r"\s+[/|•·]\s+|\s*;\s+|\s*[\r\n]+\s*")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def title_key(text: str | None) -> int | None:
    """A stable 63-bit key of a title, case, accents and punctuation folded (``None``: under
    :data:`MIN_WORDS` words).

    Example:
        >>> title_key("How to build a Model-Driven app!") == title_key("how to build a model driven app")
        True
        >>> title_key("Power Apps") is None
        True
    """
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    words = _NON_WORD.sub(" ", folded).split()
    if len(words) < MIN_WORDS:
        return None
    digest = hashlib.blake2b(" ".join(words).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def segment_keys(excerpt: str | None) -> list[int]:
    """Keys of the list items of an excerpt (split at list separators; short items dropped)."""
    if not excerpt:
        return []
    keys = (title_key(part) for part in _SEPARATORS.split(excerpt))
    return list(dict.fromkeys(k for k in keys if k is not None))


#: A record's :func:`row_key` when its title has under :data:`MIN_WORDS` words.
NO_KEY = -1.0


def row_key(title: str | None) -> float:
    """A title's key as one of the rank table's numbers: :func:`title_key` cut to 52 bits, which
    a float64 holds exactly (:data:`NO_KEY`: no key)."""
    k = title_key(title)
    return NO_KEY if k is None else _as_number(k)


def listed_keys(title: str | None, excerpt: str | None) -> list[float]:
    """The :func:`row_key` of each item an excerpt lists, in order, but the record's own title."""
    if not excerpt or not _SEPARATORS.search(excerpt):
        return []
    own = title_key(title)
    return [_as_number(k) for k in segment_keys(excerpt) if k != own]


def _as_number(key: int) -> float:
    return float(key >> 11)        # 63 bits cut to 52: exact in a float64


class TitleRows:
    """The rows of each title key (the rank table's ``title_key`` numbers, :func:`row_key`).

    Args:
        keys: each row's :func:`row_key`.
    """

    def __init__(self, keys: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.float64)
        self.order = np.argsort(keys, kind="stable")
        self.sorted = keys[self.order]

    def find(self, keys: Iterable[float]) -> list[int]:
        """The rows whose title has one of ``keys``, in the order of ``keys`` (each row once)."""
        out: list[int] = []
        for k in keys:
            if k == NO_KEY:
                continue
            lo, hi = np.searchsorted(self.sorted, k, "left"), np.searchsorted(self.sorted, k, "right")
            out.extend(int(r) for r in self.order[lo:hi] if int(r) not in out)
        return out


class DigestTitles:
    """The title keys of a corpus, and which records list them.

    Args:
        keys: sorted unique title keys (``int64``), as :meth:`fit` makes them.
    """

    def __init__(self, keys: Iterable[int] = ()) -> None:
        keys = np.asarray(list(keys) if not isinstance(keys, np.ndarray) else keys, dtype=np.int64)
        self.keys = keys if (keys[1:] > keys[:-1]).all() else np.unique(keys)   # (saved keys: sorted already)

    @classmethod
    def fit(cls, titles: Iterable[str | None]) -> DigestTitles:
        """The keys of ``titles`` (those of :data:`MIN_WORDS` words or more)."""
        return cls([k for k in map(title_key, titles) if k is not None])

    def __len__(self) -> int:
        return len(self.keys)

    def listed(self, title: str | None, excerpt: str | None) -> int:
        """How many titles of the corpus, other than its own, a record's excerpt lists."""
        return int(self.flags([(title, excerpt)], counts=True)[0])

    def flags(self, records: Iterable[tuple[str | None, str | None]], counts: bool = False) -> np.ndarray:
        """Whether each ``(title, excerpt)`` is a digest (lists :data:`MIN_LISTED` or more titles;
        ``counts``: how many it lists instead). ``records`` is read once, in order."""
        rows: list[int] = []
        items: list[int] = []
        n = 0
        for i, (title, excerpt) in enumerate(records):
            n = i + 1
            if not excerpt or not _SEPARATORS.search(excerpt):
                continue                       # one item at most: not a list
            own = title_key(title)
            for k in segment_keys(excerpt):
                if k != own:
                    rows.append(i)
                    items.append(k)
        found = np.zeros(n, dtype=np.int64)
        if items and len(self.keys):
            items_a = np.array(items, dtype=np.int64)
            at = np.minimum(np.searchsorted(self.keys, items_a), len(self.keys) - 1)
            hit = self.keys[at] == items_a                 # (the keys are sorted: no sort of them again)
            np.add.at(found, np.array(rows)[hit], 1)
        return found if counts else found >= MIN_LISTED

    def to_json(self) -> list[int]:
        """The keys as a JSON list (``DigestTitles(list)`` reads them back)."""
        return self.keys.tolist()
