"""The costly stages as plain functions over batches, and the runners that map them.

:class:`EncodeBatch` (texts in, unit vectors out) and :class:`RankBatch` (articles in,
related lists out) are run by a :class:`LocalRunner`, one batch after another, or with
``batch.engine: ray`` by :class:`relate.batch.ray_runner.RayRunner`, which maps the same
functions over a Ray cluster's workers (see docs/ray.md).

Example:
    >>> list(LocalRunner().map(sum, batches([1, 2, 3], 2)))
    [3, 3]
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..config import Config, EmbedConfig
from ..embed import Encoder
from ..errors import ConfigError
from .lists import cap_entry, strip_scores

#: Texts encoded between two saves of the vector cache (what a killed run can lose at most).
CHECKPOINT_TEXTS = 512


def batches(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """Splits ``items`` into consecutive slices of at most ``size``."""
    size = max(1, int(size))
    return [items[i:i + size] for i in range(0, len(items), size)]


class EncodeBatch:
    """The encode stage for one batch: texts in, ``(n, dim)`` unit vectors out.

    Picklable when built without ``encoder`` (a remote worker loads the model once, on its
    first batch).

    Args:
        cfg: the ``embed`` config section.
        encoder: an already loaded encoder to reuse (local runs).
    """

    def __init__(self, cfg: EmbedConfig, encoder: Any = None) -> None:
        self.cfg = cfg
        self._encoder = encoder

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if self._encoder is None:
            self._encoder = Encoder(self.cfg)
        return self._encoder.encode(list(texts))

    def __getstate__(self) -> dict[str, Any]:
        return {"cfg": self.cfg, "_encoder": None}


class RankBatch:
    """The rank stage for one batch: articles in, ``{article_id: [entry, ...]}`` out.

    Entries are in the seed's related-entry shape (scores removed), titles and excerpts cut
    to ``corpus.entry_title_chars`` and ``corpus.entry_excerpt_chars``.

    Args:
        engine: an open :class:`relate.engine.Engine` whose workspace is up to date.
        k: suggestions per article (``None``: ``rank.k``).
        keep_scores: keep ``score``/``score_parts`` in the entries.
    """

    def __init__(self, engine: Any, k: int | None = None, keep_scores: bool = False) -> None:
        self.engine = engine
        self.k = k
        self.keep_scores = keep_scores

    def __call__(self, articles: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
        lists = self.engine.suggest_many(list(articles), k=self.k, batch_size=max(1, len(articles)))
        cfg = self.engine.config.corpus
        strip = (lambda e: e) if self.keep_scores else strip_scores
        return {aid: [cap_entry(strip(e), cfg.entry_title_chars, cfg.entry_excerpt_chars) for e in entries]
                for aid, entries in lists.items()}


class LocalRunner:
    """Runs a stage function over batches, one after another, in this process."""

    name = "local"

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """Yields ``fn(batch)`` for each batch, in order."""
        for batch in items:
            yield fn(batch)


def get_runner(config: Config) -> Any:
    """The runner ``batch.engine`` asks for: :class:`LocalRunner`, or a Ray runner for ``ray``.

    The Ray runner (:class:`relate.batch.ray_runner.RayRunner`) is imported only here, since
    it imports Ray: the core install never needs Ray; it connects to the cluster on first use.

    Raises:
        ConfigError: for an engine this version cannot run, or ``ray`` without Ray installed.
    """
    if config.batch.engine == "local":
        return LocalRunner()
    if config.batch.engine == "ray":
        try:
            from .ray_runner import RayRunner
        except ImportError as exc:
            if (exc.name or "").split(".")[0] not in ("ray", "pyarrow"):
                raise
            raise ConfigError("batch.engine 'ray' needs Ray, which is not installed here: "
                              "pip install 'relate[ray]' (or use --engine local)") from exc
        return RayRunner(config)
    raise ConfigError(f"batch.engine {config.batch.engine!r} is not available in this version of relate; "
                      "use --batch-engine local")
