"""The batch job on a Ray cluster (``batch.engine: ray``): encode and rank spread over workers.

:func:`relate.batch.runners.get_runner` imports this module only when ``batch.engine`` is
``ray`` (the one relate import made inside a function, because this module imports Ray), so
the core install never needs Ray (``pip install 'relate[ray]'`` adds it).

What runs where:

- **load** and **write** stay on the driver (the machine running ``relate``): reading uses
  the per-user parse cache, and every write is atomic per file, as with the local engine.
- **encode**: a Ray Data pipeline, ``map_batches`` over a pool of actors, each loading the
  model once (one actor per CPU, or per GPU when the cluster has GPUs and ``embed.device``
  allows them). An actor takes ``batch.ray_batch_size`` texts per call (rounded up to a
  multiple of the local engine's 512-text chunk, which it encodes one at a time, so that
  every vector is the local engine's bit for bit); the driver adds the vectors to the
  workspace's vector cache as they stream back, saving it as it goes.
- **index**: built once, on the driver, exactly as the local engine builds it.
- **rank**: the driver's engine, as plain data (:class:`relate.engine.EngineState`: index,
  vectors, TF-IDF matrix, ranking table), is put once in Ray's object store; a pool of actors
  each takes it from there (the vectors zero-copy, from
  shared memory on each node) and ranks batches of ``batch.search_batch`` articles with the
  same :class:`relate.engine.Engine` code, so the lists are the local engine's, byte for byte.

Example:
    >>> from relate.config import Config
    >>> from relate.batch import regenerate
    >>> cfg = Config.from_dict({"batch": {"engine": "ray"}})      # a local cluster on this machine
    >>> regenerate("data/", cfg, workspace="/tmp/ws", out="/tmp/out").exit_code
    0
"""
from __future__ import annotations

import dataclasses
import logging
import os
import pickle
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import ray

from ..config import Config
from ..engine import Engine
from ..errors import ConfigError
from .runners import CHECKPOINT_TEXTS, EncodeBatch, RankBatch
from .summary import BatchStopped

logger = logging.getLogger(__name__)

class RayRunner:
    """Runs the batch job's stage functions over a Ray cluster's workers.

    Same contract as :class:`relate.batch.runners.LocalRunner`: :meth:`map` yields ``fn(batch)`` for
    each batch, in order; each batch is one call on one worker, so every result is computed
    from the same inputs as on the local engine.

    Args:
        config: settings; ``batch.ray_address`` (``None``: start a local cluster on this
            machine, or join ``$RAY_ADDRESS`` when set), ``batch.ray_batch_size`` (texts per
            encode call, rounded up to a multiple of 512), ``batch.ray_concurrency`` (actors
            per stage; ``None``: one per CPU, or per GPU when encoding on GPUs).

    Raises:
        ConfigError: ``ray_batch_size`` or ``ray_concurrency`` below 1, or a ``ray://`` address
            (Ray Client cannot run Ray Data pipelines).

    Example:
        >>> runner = RayRunner(Config.from_dict({"batch": {"engine": "ray"}}))
        >>> list(runner.map(len, [["a", "b"], ["c"]]))
        [2, 1]
    """

    name = "ray"

    def __init__(self, config: Config) -> None:
        self.config = config
        self.address = config.batch.ray_address
        self.concurrency = config.batch.ray_concurrency
        if config.batch.ray_batch_size < 1:
            raise ConfigError(f"batch.ray_batch_size is {config.batch.ray_batch_size}; use 1 or more")
        if self.concurrency is not None and self.concurrency < 1:
            raise ConfigError(f"batch.ray_concurrency is {self.concurrency}; use 1 or more, or none")
        target = self.address or os.environ.get("RAY_ADDRESS") or ""
        if target.startswith("ray://"):
            # Tried with Ray 2.60: Ray Data's streaming executor fails under Ray Client
            # ("'Worker' object has no attribute 'core_worker'").
            raise ConfigError(f"Ray address {target}: Ray Client (ray://) cannot run Ray Data pipelines; run "
                              "relate on a node of the cluster with --address auto (or HOST:6379), with the "
                              "corpus and workspace on that node or on shared storage")

    # ------------------------------------------------------------------ hooks read by relate.batch.stages
    @property
    def encode_batch(self) -> int:
        """Texts per encode call on a worker: ``batch.ray_batch_size``, rounded up to a multiple of 512.

        A transformer's output depends, in the last bit, on which texts share a padded batch;
        the local engine encodes the length-sorted texts 512 at a time, and so does each
        actor within its batch, so the vectors (and the lists) are the local engine's.
        """
        size = self.config.batch.ray_batch_size
        return -(-size // CHECKPOINT_TEXTS) * CHECKPOINT_TEXTS

    @property
    def save_every(self) -> int:
        """Encoded texts between two saves of the vector cache (what a killed run can lose at most).

        Larger than the local engine's: the cache file is rewritten whole on each save, and
        results stream back from many workers at once.
        """
        return max(CHECKPOINT_TEXTS, 16 * self.encode_batch)

    # ------------------------------------------------------------------ running
    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """Yields ``fn(batch)`` for each batch, in order, each computed by a Ray actor.

        :class:`~relate.batch.runners.EncodeBatch` runs on encoder actors (on GPUs when the cluster
        has them and ``embed.device`` is ``cuda`` or ``None``); :class:`~relate.batch.runners.RankBatch`
        on actors sharing its engine through the object store; any other picklable callable
        on plain CPU actors.

        Raises:
            BatchStopped: the Ray cluster cannot be reached or started.
        """
        items = list(items)
        if not items:
            return
        self.connect()
        num_gpus = 0.0
        if isinstance(fn, EncodeBatch):
            fn, num_gpus = self._encoder(fn)
        elif isinstance(fn, RankBatch):
            import faiss

            state = ray.put(fn.engine.state())  # once; every rank actor reads it from there
            fn = _RankFromStore(state, fn.k, fn.keep_scores, threads=faiss.omp_get_max_threads())
        yield from self._run(fn, items, num_gpus)

    def connect(self) -> None:
        """Joins the configured cluster (``batch.ray_address``, else ``$RAY_ADDRESS``), or starts a local one.

        Once per process: a runner finds Ray already initialised (by an earlier run, or by the
        caller) and uses that.

        A local cluster started here stays up until the process exits, so later runs in the
        same process reuse it (``ray.shutdown()`` stops it earlier).

        Raises:
            BatchStopped: the cluster cannot be reached or started.
        """
        if ray.is_initialized():
            return
        kwargs: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
        try:
            if self.address:
                ray.init(address=self.address, **kwargs)
            elif os.environ.get("RAY_ADDRESS"):
                ray.init(**kwargs)  # Ray's own variable: join that cluster
            else:  # a new local cluster, even if `ray start` left one running on this machine
                ray.init(address="local", include_dashboard=False, **kwargs)
        except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
            where = f"at {self.address}" if self.address else "on this machine"
            raise BatchStopped(f"cannot reach or start the Ray cluster {where}: {exc}. Check --address "
                               "(auto, or HOST:6379), or leave it out to start a local cluster; "
                               "--engine local runs without Ray") from exc
        res = ray.cluster_resources()
        logger.info("Ray cluster: %s CPUs, %s GPUs, %s node(s)", res.get("CPU", 0), res.get("GPU", 0),
                    len([n for n in ray.nodes() if n.get("Alive")]))

    def _encoder(self, fn: EncodeBatch) -> tuple[Callable[[Any], Any], float]:
        cfg = fn.cfg
        gpus = int(ray.cluster_resources().get("GPU", 0))
        if gpus and cfg.device in (None, "cuda"):
            return _InChunks(EncodeBatch(dataclasses.replace(cfg, device="cuda"))), 1.0
        if gpus:
            logger.info("the Ray cluster has %d GPU(s) but embed.device is %r: encoding on CPUs "
                        "(set embed.device to cuda to use them)", gpus, cfg.device)
        return _InChunks(EncodeBatch(cfg)), 0.0

    def _actors(self, num_gpus: float, items: int) -> int:
        if self.concurrency:
            n = self.concurrency
        else:
            res = ray.cluster_resources()
            n = int(res.get("GPU", 0)) if num_gpus else int(res.get("CPU", 1))
        return max(1, min(n, items))

    def _run(self, fn: Callable[[Any], Any], items: list[Any], num_gpus: float) -> Iterator[Any]:
        import ray.data

        rows = [{"i": i, "payload": pickle.dumps(item, protocol=5)} for i, item in enumerate(items)]
        ctx = ray.data.DataContext.get_current()
        saved = ctx.enable_progress_bars, ctx.print_on_execution_start
        # relate draws its own per-stage bars; Ray Data's would only clutter them
        ctx.enable_progress_bars = ctx.print_on_execution_start = False
        try:
            ds = ray.data.from_items(rows, override_num_blocks=len(rows))
            ds = ds.map_batches(_Apply, fn_constructor_args=((fn,),), batch_size=1, batch_format="numpy",
                                compute=ray.data.ActorPoolStrategy(size=self._actors(num_gpus, len(items))),
                                num_cpus=1, num_gpus=num_gpus)
            done: dict[int, bytes] = {}
            nxt = 0
            for row in ds.iter_rows():
                done[int(row["i"])] = row["out"]
                while nxt in done:  # results arrive as workers finish; hand them on in order
                    yield pickle.loads(done.pop(nxt))
                    nxt += 1
        finally:
            ctx.enable_progress_bars, ctx.print_on_execution_start = saved
        if nxt != len(items):  # pragma: no cover - Ray lost a batch without raising
            raise BatchStopped(f"the Ray cluster returned {nxt} of {len(items)} batches; run again to finish")


class _Apply:
    """A Ray Data actor: unpickles one batch, calls the stage function, pickles the result."""

    def __init__(self, box: tuple[Callable[[Any], Any]]) -> None:
        self.fn = box[0]

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = np.empty(len(batch["payload"]), dtype=object)
        for j, payload in enumerate(batch["payload"]):
            out[j] = pickle.dumps(self.fn(pickle.loads(payload)), protocol=5)
        return {"i": batch["i"], "out": out}


class _InChunks:
    """Encodes a batch as the local engine would: 512 texts (one of its chunks) at a time."""

    def __init__(self, encode: EncodeBatch, size: int = CHECKPOINT_TEXTS) -> None:
        self.encode = encode
        self.size = size

    def __call__(self, texts: list[str]) -> np.ndarray:
        if len(texts) <= self.size:
            return self.encode(texts)
        return np.concatenate([self.encode(texts[i:i + self.size]) for i in range(0, len(texts), self.size)])


class _RankFromStore:
    """The rank stage on an actor: the engine's state comes from the object store, once per actor.

    FAISS runs with the driver's number of threads: how BLAS splits a search between threads
    changes the last bit of some similarities, which can reorder exact ties (two records
    with the same text), so the same thread count is what makes the lists the local
    engine's, byte for byte.
    """

    def __init__(self, state_ref: Any, k: int | None, keep_scores: bool, threads: int) -> None:
        self.refs = [state_ref]  # in a list, so that Ray hands the reference, not the value
        self.k = k
        self.keep_scores = keep_scores
        self.threads = threads
        self._rank: RankBatch | None = None

    def __call__(self, articles: list[Any]) -> dict[str, list[dict[str, Any]]]:
        if self._rank is None:
            import faiss

            faiss.omp_set_num_threads(self.threads)
            self._rank = RankBatch(Engine.from_state(ray.get(self.refs[0])), self.k, self.keep_scores)
        return self._rank(articles)

    def __getstate__(self) -> dict[str, Any]:
        return {"refs": self.refs, "k": self.k, "keep_scores": self.keep_scores, "threads": self.threads,
                "_rank": None}
