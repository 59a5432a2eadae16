"""Test doubles: a deterministic encoder that needs no model, for the fast lane."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer


class HashEncoder:
    """Unit vectors from hashed word and word-pair counts: texts that share words are close.

    It has the three things relate asks of an encoder (``id``, ``dim``, ``encode``), loads in
    milliseconds and gives the same vectors on every machine, so ranking, batch and workspace
    tests run without a sentence-transformers model.

    Example:
        >>> enc = HashEncoder(dim=64)
        >>> v = enc.encode(["Azure outage in Europe", "Azure outage hits Europe", "bakery recall"])
        >>> v.shape, bool(v[0] @ v[1] > v[0] @ v[2])
        ((3, 64), True)
    """

    def __init__(self, dim: int = 64) -> None:
        self._vectorizer = HashingVectorizer(n_features=dim, alternate_sign=False, norm="l2",
                                             ngram_range=(1, 2), stop_words="english")
        self._dim = dim

    @property
    def id(self) -> str:
        return f"hash-{self._dim}|test|0"

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self._dim), dtype=np.float32)
        m = self._vectorizer.transform(list(texts)).toarray().astype(np.float32)
        empty = ~m.any(axis=1)
        m[empty, 0] = 1.0  # a text with no words still gets a unit vector
        return np.ascontiguousarray(m / np.linalg.norm(m, axis=1, keepdims=True), dtype=np.float32)
