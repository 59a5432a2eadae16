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

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from ..config import Config, EmbedConfig
from ..embed import Encoder
from ..errors import ConfigError
from .lists import ListTarget, cap_entry, strip_scores

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
        # a ListTarget stands for an indexed article: the engine's own row is ranked
        records = [self.engine.articles[a.id] if isinstance(a, ListTarget) else a for a in articles]
        lists = self.engine.suggest_many(records, k=self.k, batch_size=max(1, len(records)))
        cfg = self.engine.config.corpus
        strip = (lambda e: e) if self.keep_scores else strip_scores
        return {aid: [cap_entry(strip(e), cfg.entry_title_chars, cfg.entry_excerpt_chars) for e in entries]
                for aid, entries in lists.items()}


class RankBatchWithPicks(RankBatch):
    """:class:`RankBatch` in another process: ``(lists, picks)``, the second the lists as the
    engine records them (:meth:`relate.engine.Engine.picks_of`), for the parent to keep."""

    def __call__(self, articles: Sequence[Any]) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
        lists = super().__call__(articles)
        return lists, self.engine.picks_of(lists)


class ForkRunner:
    """Runs a stage function over batches in ``workers`` forked processes; results in order.

    The function, and the open engine it holds, reach the workers by the fork itself (nothing
    is pickled but the batches and the results), and the workers share the parent's memory
    until they write to it. Each worker runs FAISS and BLAS on one thread. At most two
    batches per worker are in flight, so results never pile up ahead of the consumer. A
    worker that dies (killed for memory, say) fails the run with ``BrokenProcessPool``
    rather than leaving it waiting. POSIX only (``fork``).
    """

    name = "fork"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, int(workers))

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """Yields ``fn(batch)`` for each batch, in order, computed in the worker processes."""
        global _FORKED
        _FORKED = fn
        try:
            with ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                     initializer=_one_thread) as pool:
                pending: deque = deque()
                for batch in items:
                    pending.append(pool.submit(_call_forked, batch))
                    if len(pending) >= 2 * self.workers:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
        finally:
            _FORKED = None


#: The function a :class:`ForkRunner` maps, inherited by its workers when they are forked.
_FORKED: Callable[[Any], Any] | None = None
#: A worker's BLAS thread limit (kept for the worker's life).
_LIMITS: Any = None


def _call_forked(batch: Any) -> Any:
    return _FORKED(batch)


def _one_thread() -> None:
    """A worker's start: FAISS (OpenMP) and BLAS on one thread each (the workers fill the cores)."""
    import faiss
    from threadpoolctl import threadpool_limits

    faiss.omp_set_num_threads(1)
    global _LIMITS
    _LIMITS = threadpool_limits(1)


class LocalRunner:
    """Runs a stage function over batches, one after another, in this process."""

    name = "local"

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """Yields ``fn(batch)`` for each batch, in order."""
        for batch in items:
            yield fn(batch)


def rank_workers(config: Config) -> int:
    """How many processes the rank stage runs in: ``batch.workers``, 0 meaning one per CPU core
    this process may use; always 1 with another ``batch.engine`` (it has workers of its own).

    Raises:
        ConfigError: ``batch.workers`` is negative, or above 1 where processes cannot be forked.
    """
    workers = config.batch.workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ConfigError(f"batch.workers must be 0 (one per CPU core) or a number of processes, not {workers!r}")
    if config.batch.engine != "local":
        return 1
    if workers == 0:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
        raise ConfigError("batch.workers above 1 forks the rank stage's processes, which this system cannot; "
                          "use batch.workers: 1")
    return workers


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
