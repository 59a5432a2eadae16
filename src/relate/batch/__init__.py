"""The batch job: rebuild every article's ``related:`` list from a corpus, safely.

- :func:`index` and :func:`regenerate` (:mod:`.job`): the two runs, under the workspace lock.
- :class:`Summary` and :class:`BatchStopped` (:mod:`.summary`): what a run did, why it stopped.
- :mod:`.stages`: load, encode, index, rank, and which articles get new lists
  (:func:`parse_since`, :func:`select`).
- :mod:`.runners`: :class:`EncodeBatch` and :class:`RankBatch` mapped over batches by a
  :class:`LocalRunner`, by a :class:`ForkRunner` (the rank stage in ``batch.workers`` forked
  processes), or on Ray by :class:`relate.batch.ray_runner.RayRunner` (see docs/ray.md).
- :mod:`.outputs` (with :mod:`.writes`, :mod:`.lists`, :mod:`.ledger`): in place, mirror, JSONL,
  JSON corpus and dry-run outputs, every write atomic.

Example:
    >>> from relate.batch import regenerate
    >>> summary = regenerate("data/", workspace="/tmp/ws", dry_run=True)   # doctest: +SKIP
    >>> summary.exit_code                                                 # doctest: +SKIP
    0
"""
from .job import index, regenerate
from .ledger import WriteLedger
from .lists import json_default, same_list, same_urls, strip_scores
from .runners import (
    CHECKPOINT_TEXTS,
    EncodeBatch,
    ForkRunner,
    LocalRunner,
    RankBatch,
    batches,
    get_runner,
    rank_workers,
)
from .stages import encode, parse_since, select
from .summary import STAGES, BatchStopped, Summary

__all__ = [
    "CHECKPOINT_TEXTS", "STAGES", "BatchStopped", "EncodeBatch", "ForkRunner", "LocalRunner", "RankBatch",
    "Summary", "WriteLedger", "batches", "encode", "get_runner", "index", "json_default", "parse_since",
    "rank_workers", "regenerate", "same_list", "same_urls", "select", "strip_scores",
]
