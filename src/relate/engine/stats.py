"""Corpus statistics the ranker uses, fitted on the corpus and frozen until the next refit.

Some of a list's evidence is measured against the whole corpus: a record's quality
*percentile*, its provider's smoothed mean quality, which words are names and how rare each
key term is. If every new record moved those, every list in the corpus could change a little
after every nightly run, and no run could rebuild only the lists that changed. So they are
fitted once (:meth:`CorpusStats.fit`), saved in the workspace, and applied to records added
later as they are (:meth:`CorpusStats.facts`): a new record's quality percentile is its place
among the qualities of the fit, its provider's prior the fitted one (a new provider gets the
fit's neutral value), its key terms those :class:`relate.evidence.KeyTerms` finds with the
fitted names and weights.

The batch job refits when the records added, changed or removed since the fit reach
``batch.refit_after`` of the fit's size (or on ``--refit``), and then rebuilds every list; a
fit's own records get exactly the values a fresh fit gives them.

Example:
    >>> import numpy as np
    >>> from relate.records import Article
    >>> arts = [Article(title=f"t{i}", web_url=f"https://a.com/{i}", quality=q) for i, q in enumerate([10, 20, 30])]
    >>> stats, _ = CorpusStats.fit(arts, ["t0", "t1", "t2"])
    >>> stats.facts(arts)[0].tolist()                     # quality percentiles of the fit's own records
    [0.16666666666666666, 0.5, 0.8333333333333334]
    >>> stats.facts([Article(title="x", web_url="https://a.com/x", quality=25)])[0].tolist()   # a later record
    [0.6666666666666666]
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..digests import DigestTitles
from ..evidence import KeyTerms
from ..quality import provider_means
from ..records import Article
from ..text import clean_text

#: Version of the saved statistics (``stats.json``; format 1 has no digest titles).
STATS_FORMAT = 2


def as_number(x: Any) -> float:
    """``x`` as a finite float, else NaN (``"56"`` reads as 56)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def percentile_in(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mid-rank percentile (0..1) of each finite value among the sorted ``reference``; NaN stays NaN.

    For values drawn from the reference itself this is :func:`relate.quality.percentiles`.

    Example:
        >>> percentile_in(np.array([10.0, 20.0, 20.0]), np.array([20.0, 15.0, np.nan])).round(3).tolist()
        [0.667, 0.333, nan]
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.full(values.shape, np.nan)
    ok = np.isfinite(values)
    if not len(reference) or not ok.any():
        return out
    lo = np.searchsorted(reference, values[ok], side="left")
    hi = np.searchsorted(reference, values[ok], side="right")
    out[ok] = (lo + hi) / 2.0 / len(reference)
    return out


def provider_key(a: Article) -> str:
    """The key a provider is known by: its domain, else its name, lower-cased."""
    return (a.provider_domain or a.provider_name or "").lower()


@dataclass
class CorpusStats:
    """What the ranker measures against the corpus, as fitted on one set of records.

    Attributes:
        size: records in the fit.
        quality: the fit's finite ``quality`` values, sorted.
        heat: the fit's finite ``heat`` values (``-1`` means none), sorted.
        providers: smoothed mean quality per provider key.
        neutral: the fit's mean quality (the prior of a provider it has not seen).
        priors: the provider prior of each fitted record, finite ones, sorted.
        names: words the corpus writes capitalised mid-sentence (see :class:`relate.evidence.KeyTerms`).
        lower: words it writes in lower case.
        idf: weight of each key term.
        titles: the fit's title keys, which tell digests (:mod:`relate.digests`) from other
            records (``None``: statistics of format 1, fitted before digests were told apart).
    """

    size: int
    quality: np.ndarray
    heat: np.ndarray
    providers: dict[str, float]
    neutral: float
    priors: np.ndarray
    names: frozenset[str]
    lower: frozenset[str]
    idf: dict[str, float]
    titles: DigestTitles | None = None

    @classmethod
    def fit(cls, articles: Sequence[Article], texts: Sequence[str], strength: float = 10.0) -> tuple[CorpusStats,
                                                                                                     KeyTerms]:
        """Fits the statistics on ``articles`` (``texts``: what each one is encoded from).

        Returns:
            The statistics, and the fitted :class:`~relate.evidence.KeyTerms` of these texts.
        """
        return cls.fit_columns(RecordColumns.of(articles), texts, strength)

    @classmethod
    def fit_columns(cls, columns: RecordColumns, texts: Sequence[str],
                    strength: float = 10.0) -> tuple[CorpusStats, KeyTerms]:
        """:meth:`fit` on what it reads of the records, read already (:class:`RecordColumns`)."""
        key_terms = KeyTerms.fit(texts if isinstance(texts, Sequence) else list(texts),    # (read twice)
                                 titles=[clean_text(t) for t in columns.titles])
        quality, heat, pkeys = columns.quality, columns.heat, columns.providers
        means = provider_means(pkeys, quality, strength)
        finite = quality[np.isfinite(quality)]
        neutral = float(finite.mean()) if finite.size else math.nan
        prior = np.array([means.get(p, neutral) for p in pkeys], dtype=np.float64)
        stats = cls(size=len(pkeys), quality=np.sort(finite), heat=np.sort(heat[np.isfinite(heat)]),
                    providers=means, neutral=neutral, priors=np.sort(prior[np.isfinite(prior)]),
                    names=key_terms.names, lower=key_terms.lower, idf=key_terms.idf,
                    titles=DigestTitles.fit(columns.titles))
        return stats, key_terms

    def facts(self, articles: Sequence[Article]) -> tuple[np.ndarray, np.ndarray]:
        """The quality and provider percentiles (0..1) of ``articles`` under these statistics.

        Quality is the record's ``quality`` percentile; a record without one takes its ``heat``
        percentile, else its provider's prior percentile, else 0.5 (neutral).
        """
        return self.facts_of(RecordColumns.of(articles))

    def facts_of(self, columns: RecordColumns) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`facts` of records read already (:class:`RecordColumns`)."""
        prior = np.array([self.providers.get(p, self.neutral) for p in columns.providers], dtype=np.float64)
        provider_pct = np.nan_to_num(percentile_in(self.priors, prior), nan=0.5)
        quality_pct = percentile_in(self.quality, columns.quality)
        heat_pct = percentile_in(self.heat, columns.heat)
        quality_pct = np.where(np.isfinite(quality_pct), quality_pct,
                               np.where(np.isfinite(heat_pct), heat_pct, provider_pct))
        return quality_pct, provider_pct

    @property
    def quality_share(self) -> float:
        """The share of the fit's records that carry a ``quality`` of their own (0 when none does)."""
        return len(self.quality) / self.size if self.size else 0.0

    def digests(self, articles: Iterable[Article]) -> np.ndarray:
        """Whether each of ``articles`` is a digest: its excerpt lists titles of the fit's records
        (:mod:`relate.digests`; all ``False`` under statistics of format 1). One pass over ``articles``."""
        if self.titles is None:
            return np.zeros(sum(1 for _ in articles), dtype=bool)
        return self.titles.flags((a.title, a.excerpt) for a in articles)

    def key_terms(self, terms: list[frozenset[str]]) -> KeyTerms:
        """The :class:`~relate.evidence.KeyTerms` of rows holding ``terms``, with the fitted weights."""
        return KeyTerms(terms, self.idf, self.names, self.lower)

    # ------------------------------------------------------------------ plain data
    def to_json(self) -> dict[str, Any]:
        """The statistics as plain JSON data (:meth:`from_json` reads them back exactly)."""
        return {"format": STATS_FORMAT, "size": self.size, "quality": self.quality.tolist(),
                "heat": self.heat.tolist(), "providers": self.providers,
                "neutral": None if math.isnan(self.neutral) else self.neutral, "priors": self.priors.tolist(),
                "names": sorted(self.names), "lower": sorted(self.lower), "idf": self.idf,
                "titles": None if self.titles is None else self.titles.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CorpusStats:
        """Reads :meth:`to_json`'s data.

        Raises:
            ValueError: the data is of another format.
        """
        if data.get("format") not in (1, STATS_FORMAT):
            raise ValueError(f"corpus statistics of format {data.get('format')!r}, not {STATS_FORMAT}")
        return cls(size=int(data["size"]), quality=np.array(data["quality"], dtype=np.float64),
                   heat=np.array(data["heat"], dtype=np.float64), providers=dict(data["providers"]),
                   neutral=math.nan if data["neutral"] is None else float(data["neutral"]),
                   priors=np.array(data["priors"], dtype=np.float64), names=frozenset(data["names"]),
                   lower=frozenset(data["lower"]), idf=dict(data["idf"]),
                   titles=None if data.get("titles") is None else DigestTitles(data["titles"]))


@dataclass
class RecordColumns:
    """What the statistics read of each record, read in one pass over the records (a workspace's
    rows are parsed from their lines when asked: once, not once per fact).

    Attributes:
        titles: each record's title.
        quality: its ``quality`` as a number (NaN when absent or not a number).
        heat: its ``heat`` (NaN when absent; ``-1``, "no heat" in these feeds, too).
        providers: its :func:`provider_key`.
    """

    titles: list[str]
    quality: np.ndarray
    heat: np.ndarray
    providers: list[str]

    @classmethod
    def of(cls, articles: Iterable[Article]) -> RecordColumns:
        """The columns of ``articles``."""
        titles, quality, heat, providers = [], [], [], []
        for a in articles:
            titles.append(a.title)
            quality.append(as_number(a.quality))
            heat.append(as_number(a.heat))
            providers.append(provider_key(a))
        return cls.made(titles, quality, heat, providers)

    @classmethod
    def made(cls, titles: list[str], quality: list[float], heat: list[float], providers: list[str]) -> RecordColumns:
        """The columns of values read already (``quality`` and ``heat`` as :func:`_number` gives them)."""
        heat_a = np.array(heat, dtype=np.float64)
        heat_a[heat_a < 0] = np.nan                      # -1 marks "no heat" in these feeds
        return cls(titles, np.array(quality, dtype=np.float64), heat_a, providers)
