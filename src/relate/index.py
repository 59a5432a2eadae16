"""FAISS index over unit vectors (inner product = cosine), chosen by corpus size.

``index.kind: auto`` searches exactly (``Flat``) up to ``index.exact_max`` vectors and uses an
approximate index above that; ``flat``, ``hnsw`` and ``ivf`` force one kind. With
``index.scalar_8bit`` every kind stores its vectors as 8-bit scalars (a quarter of the memory).

Parameters come from the data, not from one corpus size:

- IVF: ``4 * sqrt(N)`` lists (FAISS's guideline is 4 to 16 times ``sqrt(N)`` below a million
  vectors; the low end keeps the coarse search cheap for the all-neighbours batch job),
  trained by spherical k-means on a uniform sample of ``64`` vectors per list, and, when
  ``index.nprobe`` is ``None``, the smallest ``nprobe`` whose recall@10 on a sample of the
  corpus's own vectors reaches the target (0.95 plus a margin for the sample's error).
- HNSW: ``index.hnsw_m`` links per node, ``index.ef_construction``; ``index.ef_search`` as
  set, or, when it is ``None``, the smallest one that reaches the recall target, found the
  same way as ``nprobe``.
- 8-bit scalar quantisation: per-dimension ranges trained on the same sample.

Rows of the index are positions in the workspace's id list; the workspace maps them to
article ids.

Example:
    >>> import numpy as np
    >>> from relate.config import IndexConfig
    >>> vecs = np.eye(4, dtype="float32")
    >>> idx = build_index(vecs, IndexConfig())
    >>> scores, rows = search(idx, vecs[:1], 2)
    >>> int(rows[0, 0])
    0
    >>> index_description(idx)
    'Flat (exact), 4 vectors of 4 dims'
"""
from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .config import IndexConfig
from .fileio import atomic_open
from .mapped import let_go

logger = logging.getLogger(__name__)

#: IVF lists per square root of the corpus size.
IVF_LISTS_PER_SQRT = 4
#: Training vectors per IVF list (FAISS asks for at least 39).
IVF_TRAIN_PER_LIST = 64
#: k-means iterations when training IVF lists.
IVF_TRAIN_ITERATIONS = 10
#: Recall@10 that automatic ``nprobe`` aims for, and the margin added for the sample's error.
TARGET_RECALL = 0.95
RECALL_MARGIN = 0.01
#: Queries drawn from the corpus to tune ``nprobe`` and ``efSearch``.
TUNE_QUERIES = 1000
#: Largest ``efSearch`` automatic tuning tries.
MAX_EF_SEARCH = 512
#: Vectors added per FAISS call while building (bounds the temporary memory).
ADD_CHUNK = 65_536
#: Vectors per block of the brute-force pass that finds the true neighbours when tuning.
EXACT_CHUNK = 262_144


def choose_kind(n: int, cfg: IndexConfig) -> str:
    """The index kind for ``n`` vectors: ``flat``, ``hnsw`` or ``ivf``.

    Example:
        >>> choose_kind(1000, IndexConfig()), choose_kind(10**6, IndexConfig(exact_max=1000, kind="auto"))
        ('flat', 'hnsw')
    """
    if cfg.kind == "auto":
        return "flat" if n <= cfg.exact_max else "hnsw"
    if cfg.kind not in ("flat", "hnsw", "ivf"):
        raise ValueError(f"index.kind is {cfg.kind!r}; use one of auto, flat, hnsw, ivf")
    return cfg.kind


def ivf_lists(n: int) -> int:
    """IVF lists for ``n`` vectors: about ``4 * sqrt(n)``, at least 1, at most ``n // 39``.

    Example:
        >>> ivf_lists(1_000_000), ivf_lists(100_000), ivf_lists(100)
        (4000, 1264, 2)
    """
    return int(max(1, min(IVF_LISTS_PER_SQRT * math.sqrt(max(n, 1)), n // 39)))


def build_index(vectors: np.ndarray, cfg: IndexConfig, seed: int = 0):
    """Builds an inner-product FAISS index holding ``vectors`` (rows 0..n-1).

    Args:
        vectors: ``(n, d)`` float32 unit vectors; a ``np.memmap`` works and is read in chunks.
        cfg: the ``index`` config.
        seed: for the training sample and the tuning queries.

    Returns:
        The FAISS index, with its search parameters (``efSearch``, ``nprobe``) set.

    Example:
        >>> v = np.random.default_rng(0).normal(size=(2000, 16)).astype("float32")
        >>> v /= np.linalg.norm(v, axis=1, keepdims=True)
        >>> idx = build_index(v, IndexConfig(kind="ivf"))
        >>> index_description(idx).startswith("IVF")
        True
    """
    import faiss

    if vectors.ndim != 2:
        raise ValueError(f"vectors must be a 2-d array (n, dim), not shape {vectors.shape}")
    n, d = vectors.shape
    kind = choose_kind(n, cfg)
    sq = faiss.ScalarQuantizer.QT_8bit
    ip = faiss.METRIC_INNER_PRODUCT
    rng = np.random.default_rng(seed)
    if kind == "flat":
        index = faiss.IndexScalarQuantizer(d, sq, ip) if cfg.scalar_8bit and n else faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        if cfg.hnsw_m < 2:
            raise ValueError(f"index.hnsw_m must be at least 2, not {cfg.hnsw_m}")
        index = faiss.IndexHNSWSQ(d, sq, cfg.hnsw_m, ip) if cfg.scalar_8bit else faiss.IndexHNSWFlat(d, cfg.hnsw_m, ip)
        index.hnsw.efConstruction = int(cfg.ef_construction)
    else:
        if n == 0:
            raise ValueError("an IVF index needs vectors to train on; use index.kind flat or auto for an empty corpus")
        nlist = ivf_lists(n)
        quantizer = faiss.IndexFlatIP(d)
        if cfg.scalar_8bit:
            index = faiss.IndexIVFScalarQuantizer(quantizer, d, nlist, sq, ip, True)
        else:
            index = faiss.IndexIVFFlat(quantizer, d, nlist, ip)
        index.cp.niter = IVF_TRAIN_ITERATIONS
        index.cp.spherical = True
        index.cp.seed = seed
        index.cp.max_points_per_centroid = IVF_TRAIN_PER_LIST
    if not index.is_trained and n:
        # IVF: 64 vectors per list for k-means; scalar quantiser ranges: 100k vectors are plenty
        size = min(n, IVF_TRAIN_PER_LIST * index.nlist if kind == "ivf" else 100_000)
        sample = _rows(vectors, np.sort(rng.choice(n, size=size, replace=False)) if size < n else None)
        index.train(sample)
        del sample
    for start in range(0, n, ADD_CHUNK):
        index.add(np.ascontiguousarray(vectors[start:start + ADD_CHUNK], dtype=np.float32))
        let_go(vectors, start, start + ADD_CHUNK)   # a mapped file's rows, once added: the index holds them
    if kind == "hnsw":
        if cfg.ef_search is not None:
            index.hnsw.efSearch = int(cfg.ef_search)
        else:
            tune_ef_search(index, vectors, TARGET_RECALL + RECALL_MARGIN, rng=rng)
    elif kind == "ivf":
        if cfg.nprobe is not None:
            index.nprobe = max(1, min(int(cfg.nprobe), index.nlist))
        else:
            index.nprobe = tune_nprobe(index, vectors, TARGET_RECALL + RECALL_MARGIN, rng=rng)
    logger.info("built %s", index_description(index))
    return index


def configure(index, cfg: IndexConfig) -> None:
    """Applies the config's search settings (``ef_search``, an explicit ``nprobe``) to a loaded index."""
    import faiss

    inner = faiss.downcast_index(index)
    if hasattr(inner, "hnsw") and cfg.ef_search is not None:
        inner.hnsw.efSearch = int(cfg.ef_search)
    if hasattr(inner, "nprobe") and cfg.nprobe is not None:
        inner.nprobe = max(1, min(int(cfg.nprobe), inner.nlist))


def tune_nprobe(index, vectors: np.ndarray, target: float = TARGET_RECALL + RECALL_MARGIN, k: int = 10,
                queries: int = TUNE_QUERIES, rng: np.random.Generator | None = None) -> int:
    """Smallest IVF ``nprobe`` whose recall@k (a query's own row left out) on corpus vectors reaches ``target``.

    Queries are a random sample of the corpus itself, the batch job's workload; the exact
    answers come from a brute-force pass over ``vectors`` read in blocks
    (``faiss.contrib.exhaustive_search.knn_ground_truth``), and recall is
    ``faiss.contrib.evaluation.knn_intersection_measure``. The index is left set to the result.
    """
    import faiss

    inner = faiss.downcast_index(index)

    def use(p: int) -> None:
        inner.nprobe = p

    return _tune(index, vectors, use, 1, int(inner.nlist), target, k, queries, rng, "nprobe")


def tune_ef_search(index, vectors: np.ndarray, target: float = TARGET_RECALL + RECALL_MARGIN, k: int = 10,
                   queries: int = TUNE_QUERIES, rng: np.random.Generator | None = None,
                   limit: int = MAX_EF_SEARCH) -> int:
    """Smallest HNSW ``efSearch`` (at least ``k``) whose recall@k on corpus vectors reaches ``target``.

    Like :func:`tune_nprobe`; stops at ``limit`` when the graph cannot reach ``target``.
    """
    import faiss

    inner = faiss.downcast_index(index)

    def use(ef: int) -> None:
        inner.hnsw.efSearch = ef

    return _tune(index, vectors, use, k, limit, target, k, queries, rng, "efSearch")


def _tune(index, vectors, use, low: int, high: int, target: float, k: int, queries: int,
          rng: np.random.Generator | None, name: str) -> int:
    """Smallest value in ``[low, high]`` for which ``use(value)`` gives recall@k >= target (else ``high``)."""
    n = vectors.shape[0]
    rng = rng or np.random.default_rng(0)
    if n <= k + 1:
        use(high)
        return high
    import faiss
    from faiss.contrib.evaluation import knn_intersection_measure
    from faiss.contrib.exhaustive_search import knn_ground_truth

    rows = np.sort(rng.choice(n, size=min(queries, n), replace=False))
    q = _rows(vectors, rows)
    _, exact = knn_ground_truth(q, blocks(vectors), k + 1, metric_type=faiss.METRIC_INNER_PRODUCT, ngpu=0)
    truth = drop_self(exact, rows, k)

    def recall(value: int) -> float:
        use(value)
        _, got = index.search(q, k + 1)
        return knn_intersection_measure(drop_self(got, rows, k), truth)

    lo, hi = low - 1, low  # recall(lo) is taken to miss; hi is the value tried next
    reached = recall(hi)
    while hi < high and reached < target:
        lo, hi = hi, min(hi * 2, high)
        reached = recall(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        r = recall(mid)
        if r >= target:
            hi, reached = mid, r
        else:
            lo = mid
    use(hi)
    if reached < target:
        logger.warning("%s %d reaches recall@%d %.3f only (target %.2f)", name, hi, k, reached, target)
    logger.info("%s %d: recall@%d %.3f on %d corpus queries", name, hi, k, reached, len(rows))
    return hi


def search(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Nearest rows for each query: ``(scores, rows)``, both ``(len(queries), k)``; missing rows are -1."""
    queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    k = max(1, min(int(k), max(int(index.ntotal), 1)))
    return index.search(queries, k)


def search_params(index, exclude: np.ndarray):
    """FAISS search parameters that leave out the rows ``exclude`` (``None`` when there are none).

    The index's own ``efSearch`` / ``nprobe`` are kept: parameters passed to a search
    replace the index's settings.
    """
    import faiss

    if not len(exclude):
        return None
    sel = faiss.IDSelectorNot(faiss.IDSelectorBatch(np.ascontiguousarray(exclude, dtype=np.int64)))
    inner = faiss.downcast_index(index)
    if isinstance(inner, faiss.IndexHNSW):
        params = faiss.SearchParametersHNSW(sel=sel, efSearch=int(inner.hnsw.efSearch))
    elif isinstance(inner, faiss.IndexIVF):
        params = faiss.SearchParametersIVF(sel=sel, nprobe=int(inner.nprobe))
    else:
        params = faiss.SearchParameters(sel=sel)
    params._keep = sel  # the selector must live as long as the parameters
    return params


def index_description(index) -> str:
    """What an index is, in words: kind, storage, search settings and size."""
    import faiss

    inner = faiss.downcast_index(index)
    n, d = int(inner.ntotal), int(inner.d)
    size = f"{n:,} vectors of {d} dims"
    if isinstance(inner, faiss.IndexFlat):
        return f"Flat (exact), {size}"
    if isinstance(inner, faiss.IndexScalarQuantizer):
        return f"Flat SQ8 (exhaustive, 8-bit), {size}"
    if isinstance(inner, faiss.IndexHNSW):
        store = "SQ8" if isinstance(inner, faiss.IndexHNSWSQ) else "Flat"
        m = inner.hnsw.nb_neighbors(1)
        return (f"HNSW{m},{store} (efConstruction {inner.hnsw.efConstruction}, efSearch {inner.hnsw.efSearch}), "
                f"{size}")
    if isinstance(inner, faiss.IndexIVF):
        store = "SQ8" if isinstance(inner, faiss.IndexIVFScalarQuantizer) else "Flat"
        return f"IVF{inner.nlist},{store} (nprobe {inner.nprobe}), {size}"
    return f"{type(inner).__name__}, {size}"


def save_index(index, path: str | os.PathLike) -> None:
    """Writes the index atomically (:func:`relate.fileio.atomic_open`), streamed: no copy in memory."""
    import faiss

    with atomic_open(path, "wb", file_mode=0o644) as fh:
        faiss.write_index(index, faiss.PyCallbackIOWriter(fh.write))


def load_index(path: str | os.PathLike, cfg: IndexConfig | None = None):
    """Reads an index written by :func:`save_index`; with ``cfg``, applies its search settings."""
    import faiss

    index = faiss.read_index(str(Path(path)))
    if cfg is not None:
        configure(index, cfg)
    return index


def index_vectors(index) -> np.ndarray | None:
    """The vectors a flat or HNSW-flat index holds, as a read-only ``(n, d)`` float32 array over
    the index's own memory (no copy), or ``None`` for an index that does not hold them as they
    are (IVF, scalar-quantised). The array keeps the index alive; adding to the index may move
    its memory, so take the array again after every ``add``.

    Example:
        >>> import faiss
        >>> index = faiss.IndexFlatIP(2)
        >>> index.add(np.array([[1, 0], [0, 1]], dtype="float32"))
        >>> index_vectors(index).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    import faiss

    flat = faiss.downcast_index(index.storage) if isinstance(index, faiss.IndexHNSWFlat) else index
    if type(flat) not in (faiss.IndexFlatIP, faiss.IndexFlatL2, faiss.IndexFlat):
        return None
    n, d = int(flat.ntotal), int(flat.d)
    if n == 0:
        return np.zeros((0, d), dtype=np.float32)
    address = faiss.rev_swig_ptr(flat.get_xb(), n * d).__array_interface__["data"][0]
    return np.asarray(_IndexMemory(index, address, (n, d)))


class _IndexMemory:
    """What :func:`index_vectors` makes its array from: the index's memory, and the index itself,
    so the array keeps it alive."""

    def __init__(self, index, address: int, shape: tuple[int, int]) -> None:
        self.index = index
        self.__array_interface__ = {"data": (address, True), "shape": shape, "typestr": "<f4", "version": 3}


def blocks(vectors: np.ndarray, size: int = EXACT_CHUNK) -> Iterator[np.ndarray]:
    """``vectors`` as contiguous float32 blocks of ``size`` rows, for a pass that reads them in chunks.

    The block iterator ``faiss.contrib.exhaustive_search.knn_ground_truth`` takes: with a
    ``np.memmap`` only one block is in memory at once (each block's pages are let go once read).

    Example:
        >>> [b.shape for b in blocks(np.zeros((5, 2), dtype="float32"), 2)]
        [(2, 2), (2, 2), (1, 2)]
    """
    for start in range(0, vectors.shape[0], size):
        yield np.ascontiguousarray(vectors[start:start + size], dtype=np.float32)
        let_go(vectors, start, start + size)       # (the block is read: asked for the next one)


# ----------------------------------------------------------------------------- internals
def _rows(vectors: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    if rows is None:
        return np.ascontiguousarray(vectors, dtype=np.float32)
    return np.ascontiguousarray(vectors[rows], dtype=np.float32)


def drop_self(found: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` results of each query other than the query's own row (``rows[i]`` for query ``i``)."""
    out = np.full((len(found), k), -1, dtype=np.int64)
    for j, (f, r) in enumerate(zip(found, rows)):
        f = f[f != r][:k]
        out[j, :len(f)] = f
    return out
