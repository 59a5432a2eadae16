"""Lexical evidence: TF-IDF cosine between article texts (scikit-learn), fused with the dense score.

Dense vectors find articles about the same subject; shared rare words (a product name, a
company, a place) tell which of them are about the same *specific* subject. The ranker adds
``w_lexical`` times this cosine to the dense similarity.

Saved without pickle: the vocabulary as JSON, the IDF weights and the (n, vocabulary) matrix
as ``.npy``/``.npz`` arrays.

Every TF-IDF model in relate comes from :func:`tfidf_vectorizer` (this lexicon, the TF-IDF
baseline and the diversity vectors of the evaluation), each with its own options.

Example:
    >>> lex = Lexicon.fit(["azure arc ships", "azure arc preview", "bread recipe"])
    >>> [round(float(s), 2) for s in lex.scores(lex.transform(["azure arc"]), np.array([[0, 2]]))[0]]
    [0.73, 0.0]
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .fileio import atomic_open, atomic_save_npy, atomic_write_bytes

VOCAB = "lexicon-vocab.json"
IDF = "lexicon-idf.npy"
MATRIX = "lexicon-matrix.npz"

#: What every TF-IDF model in relate shares unless a caller says otherwise.
TFIDF_DEFAULTS = {"sublinear_tf": True, "stop_words": "english"}


def tfidf_vectorizer(**options):
    """A scikit-learn ``TfidfVectorizer`` with :data:`TFIDF_DEFAULTS` and then ``options``.

    Args:
        **options: any ``TfidfVectorizer`` argument; they override the defaults
            (``stop_words=None`` keeps every word).

    Example:
        >>> vec = tfidf_vectorizer(ngram_range=(1, 2))
        >>> vec.sublinear_tf, vec.stop_words, vec.ngram_range
        (True, 'english', (1, 2))
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(**{**TFIDF_DEFAULTS, **options})


def _vectorizer(vocabulary=None):
    """The lexicon's own TF-IDF set-up (a fixed ``vocabulary`` when rebuilt from disk)."""
    return tfidf_vectorizer(min_df=1 if vocabulary is not None else 2, max_df=0.5, dtype=np.float32,
                            vocabulary=vocabulary)


class Lexicon:
    """A fitted TF-IDF model and the matrix of the indexed texts (rows = index rows)."""

    def __init__(self, vectorizer, matrix, vocabulary: dict[str, int] | None = None,
                 idf: np.ndarray | None = None) -> None:
        self._vectorizer = vectorizer
        self._vocabulary = vocabulary
        self._idf = idf
        self.matrix = matrix.tocsr()

    @property
    def vectorizer(self):
        """The fitted TfidfVectorizer (rebuilt from the saved vocabulary on first use)."""
        if self._vectorizer is None and self._vocabulary:
            vec = _vectorizer(vocabulary=self._vocabulary)
            vec.idf_ = self._idf
            self._vectorizer = vec
        return self._vectorizer

    @classmethod
    def fit(cls, texts: Sequence[str]) -> Lexicon:
        """Fits on the corpus texts (words in fewer than 2 texts or over half of them are dropped)."""
        vec = _vectorizer()
        try:
            matrix = vec.fit_transform(texts)
        except ValueError:  # too few texts for min_df/max_df: keep every word
            vec = tfidf_vectorizer(stop_words=None, dtype=np.float32)
            matrix = vec.fit_transform(texts) if any(t.strip() for t in texts) else None
            if matrix is None:
                vec = None
                import scipy.sparse as sp

                matrix = sp.csr_matrix((len(texts), 1), dtype=np.float32)
        return cls(vec, matrix)

    def transform(self, texts: Sequence[str]):
        """TF-IDF rows (L2-normalised) of new texts, in the fitted vocabulary."""
        if self.vectorizer is None:
            import scipy.sparse as sp

            return sp.csr_matrix((len(texts), self.matrix.shape[1]), dtype=np.float32)
        return self.vectorizer.transform(texts)

    def append(self, rows) -> None:
        """Appends TF-IDF rows (from :meth:`transform`) for texts added to the index."""
        import scipy.sparse as sp

        self.matrix = sp.vstack([self.matrix, rows.astype(self.matrix.dtype)], format="csr")

    def rows(self, rows: Sequence[int]):
        """The stored TF-IDF rows of indexed texts."""
        return self.matrix[np.asarray(rows)]

    def scores(self, queries, candidates: np.ndarray) -> np.ndarray:
        """Cosine of each query row with its candidate rows: ``(len(queries), n_candidates)``.

        Args:
            queries: sparse TF-IDF rows, one per query.
            candidates: ``(len(queries), c)`` index rows; -1 entries score 0.
        """
        candidates = np.asarray(candidates)
        b, c = candidates.shape
        safe = np.where(candidates < 0, 0, candidates)
        left = self.matrix[safe.ravel()]
        right = queries[np.repeat(np.arange(b), c)]
        out = np.asarray(left.multiply(right).sum(axis=1), dtype=np.float32).reshape(b, c)
        out[candidates < 0] = 0.0
        return out

    def save(self, folder: str | os.PathLike) -> None:
        """Writes the vocabulary, IDF weights and matrix into ``folder`` (atomically each)."""
        import scipy.sparse as sp

        folder = Path(folder)
        vocab = {} if self.vectorizer is None else {k: int(v) for k, v in self.vectorizer.vocabulary_.items()}
        atomic_write_bytes(folder / VOCAB, json.dumps(vocab, ensure_ascii=False).encode("utf-8"))
        idf = np.zeros(0, np.float32) if self.vectorizer is None else self.vectorizer.idf_.astype(np.float32)
        atomic_save_npy(folder / IDF, idf)
        with atomic_open(folder / MATRIX, "wb") as fh:       # straight to the file, no copy in memory
            sp.save_npz(fh, self.matrix.astype(np.float32, copy=False), compressed=False)

    @classmethod
    def load(cls, folder: str | os.PathLike) -> Lexicon:
        """Reads what :meth:`save` wrote."""
        import scipy.sparse as sp

        folder = Path(folder)
        vocab = json.loads((folder / VOCAB).read_text(encoding="utf-8"))
        idf = np.load(folder / IDF, allow_pickle=False)
        matrix = sp.load_npz(folder / MATRIX)
        return cls(None, matrix, vocabulary=vocab, idf=idf)

    @staticmethod
    def exists(folder: str | os.PathLike) -> bool:
        """Whether ``folder`` holds a saved lexicon."""
        return all((Path(folder) / f).exists() for f in (VOCAB, IDF, MATRIX))
