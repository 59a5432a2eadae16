"""FAISS index at scale: build time, memory, queries per second and recall@10, by index kind and size.

Run from the repository root::

    .venv/bin/python benchmarks/bench_index.py                 # 10k, 100k and 1M vectors (long)
    .venv/bin/python benchmarks/bench_index.py --quick         # 10k and 100k, fewer kinds
    .venv/bin/python benchmarks/bench_index.py --sizes 1000000 --kinds ivf-sq8 hnsw-sq8

Vectors: synthetic 384-dimensional unit vectors shaped like MiniLM news embeddings (see
:func:`synthetic`), written once to ``--data-dir`` and read back as a memory map, so the
corpus itself is never held twice. ``--real`` adds a row set on the real azure vectors saved
by ``bench_encode.py`` (4,944 texts) with every kind forced, to check recall on real data.

For every size and kind the table gives: build seconds (training, adding, tuning nprobe),
index memory (bytes written, per vector), queries per second one at a time and in batches of
1,024, recall@10 against exact search on 1,000 corpus vectors used as queries (each query's
own row left out, as the batch job leaves the article itself out), and the time to find the
neighbours of every vector (``k`` = ``rank.candidates`` + 1, in batches of
``batch.search_batch``), which is the batch job's workload. Rows marked ``est.`` are
extrapolated from the batched rate instead of run (exact search over 1M vectors takes hours).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

KINDS = {  # name: IndexConfig overrides
    "flat": {"kind": "flat"},
    "flat-sq8": {"kind": "flat", "scalar_8bit": True},
    "hnsw": {"kind": "hnsw", "ef_search": None},  # None: tuned to the recall target
    "hnsw-sq8": {"kind": "hnsw", "scalar_8bit": True, "ef_search": None},
    "ivf": {"kind": "ivf"},
    "ivf-sq8": {"kind": "ivf", "scalar_8bit": True},
}
DIM = 384
CHUNK = 65_536
SEED = 0


# ----------------------------------------------------------------------------- data
def synthetic(n: int, d: int = DIM, seed: int = SEED) -> Iterator[np.ndarray]:
    """Yields ``n`` synthetic unit vectors in chunks of 65,536, the same for a given ``(n, d, seed)``.

    A mixture shaped like news embeddings: a shared direction (every text is news about cloud
    computing), ``n // 10`` topics, and ``n // 4`` stories, each story a random blend of 4
    topics (an article is about several things at once) plus its own direction, and noise per
    text. Every component is drawn with a power-law spectrum (``i ** -0.3``) in a random basis.

    Fitted at 5,000 vectors to the azure corpus's 4,944 MiniLM vectors: cosine to the 1st
    neighbour 0.76 (azure 0.79), to the 10th 0.54 (0.63), to a random other vector 0.33 (0.33);
    IVF with 128 lists needs ``nprobe`` 30 for recall@10 0.96 (azure: 23 of 126). Topic blends
    matter: with one topic per story the cosines fit as well but ``nprobe`` 3 sufficed, which
    would flatter IVF. So this set is somewhat harder for approximate search than the real one;
    ``--real`` prints the real figures beside it.
    """
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(d, d)))
    shape = (basis * (np.arange(1, d + 1) ** -ALPHA)).T.astype(np.float32)  # spectrum-weighted rotation
    common = rng.normal(size=d).astype(np.float32) @ shape
    common *= W_COMMON / np.linalg.norm(common)
    topics = _unit(rng.normal(size=(max(2, int(TOPICS_PER_SQRT * math.sqrt(n))), d)).astype(np.float32) @ shape)
    n_stories = max(1, n // STORY_SIZE)
    stories = np.empty((n_stories, d), dtype=np.float32)
    for s0 in range(0, n_stories, CHUNK):
        m = min(CHUNK, n_stories - s0)
        srng = np.random.default_rng([seed, 1, s0])
        blend = srng.dirichlet(np.ones(TOPIC_MIX), size=m).astype(np.float32)
        which = srng.integers(0, len(topics), size=(m, TOPIC_MIX))
        own = _unit(srng.normal(size=(m, d)).astype(np.float32) @ shape)
        stories[s0:s0 + m] = W_STORY * own + W_TOPIC * np.einsum("sm,smd->sd", blend, topics[which])
    del topics
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        crng = np.random.default_rng([seed, 2, start])
        which = crng.integers(0, n_stories, size=m)
        noise = _unit(crng.normal(size=(m, d)).astype(np.float32) @ shape)
        yield _unit(common + stories[which] + W_NOISE * noise)


#: The mixture's weights, spectrum exponent and group sizes, fitted to the azure vectors (see synthetic()).
W_COMMON, W_TOPIC, W_STORY, W_NOISE = 0.5, 0.8, 0.3, 0.45
ALPHA = 0.3
TOPICS_PER_SQRT = 7
STORY_SIZE = 4
TOPIC_MIX = 4


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def synthetic_file(n: int, folder: Path) -> np.ndarray:
    """The synthetic vectors for ``n``, written once to ``folder`` and opened as a read-only memory map."""
    from numpy.lib.format import open_memmap

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (f"synthetic-{n}-{DIM}-seed{SEED}-w{W_COMMON}_{W_TOPIC}_{W_STORY}_{W_NOISE}"
                     f"-a{ALPHA}-s{STORY_SIZE}-t{TOPICS_PER_SQRT}sqrt-m{TOPIC_MIX}.npy")
    if not path.is_file():
        tmp = path.with_suffix(".tmp.npy")
        out = open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n, DIM))
        start = 0
        for block in synthetic(n):
            out[start:start + len(block)] = block
            start += len(block)
        out.flush()
        del out
        os.replace(tmp, path)
    return np.load(path, mmap_mode="r")


def neighbour_cosines(vectors: np.ndarray, queries: int = 500, seed: int = 1) -> tuple[float, float, float]:
    """Mean cosine of a vector to its 1st and 10th neighbours (itself left out) and to random others."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(vectors), size=min(queries, len(vectors)), replace=False))
    q = np.ascontiguousarray(vectors[rows], dtype=np.float32)
    scores, found = exact_neighbours(vectors, q, 11)
    top = np.array([s[f != r][:10] for s, f, r in zip(scores, found, rows)])
    other = np.asarray(vectors[np.sort(rng.choice(len(vectors), size=len(rows), replace=False))])
    return float(top[:, 0].mean()), float(top[:, 9].mean()), float(np.mean(np.sum(q * other, axis=1)))


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, rows)`` of the ``k`` highest inner products, by brute force over ``vectors`` read in blocks."""
    import faiss
    from faiss.contrib.exhaustive_search import knn_ground_truth

    from relate.index import blocks

    return knn_ground_truth(queries, blocks(vectors), k, metric_type=faiss.METRIC_INNER_PRODUCT, ngpu=0)


# ----------------------------------------------------------------------------- measuring
def rss_mib() -> float:
    """This process's resident memory now, MiB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(vectors: np.ndarray, kind: str, truth_rows: np.ndarray, truth: np.ndarray, k_all: int, batch: int,
            all_neighbours: str) -> dict:
    """Builds one index over ``vectors`` and measures it."""
    from faiss.contrib.evaluation import knn_intersection_measure

    from relate.config import IndexConfig
    from relate.index import build_index, drop_self, index_description, search

    cfg = IndexConfig(**KINDS[kind])
    n = len(vectors)
    rss0 = rss_mib()
    t0 = time.perf_counter()
    index = build_index(vectors, cfg)
    build = time.perf_counter() - t0
    rss_index = rss_mib() - rss0
    nbytes = index_bytes(index)
    q = np.ascontiguousarray(vectors[truth_rows], dtype=np.float32)
    # recall@10, own row left out
    _, got = search(index, q, 11)
    recall = knn_intersection_measure(drop_self(got, truth_rows, 10), truth)
    # one query at a time
    single = q[:200]
    t0 = time.perf_counter()
    for i in range(len(single)):
        search(index, single[i:i + 1], 10)
    qps1 = len(single) / (time.perf_counter() - t0)
    # batched
    nb = min(n, max(4 * batch, 4096))
    t0 = time.perf_counter()
    for _ in search_batched(index, vectors[:nb], k_all, batch):
        pass
    qpsb = nb / (time.perf_counter() - t0)
    # all neighbours
    if all_neighbours == "run" or (all_neighbours == "auto" and n / qpsb <= 900):
        t0 = time.perf_counter()
        for _ in search_batched(index, vectors, k_all, batch):
            pass
        all_s, all_note = time.perf_counter() - t0, ""
    else:
        all_s, all_note = n / qpsb, "est."
    row = {"n": n, "kind": kind, "index": index_description(index), "build_s": build, "bytes": nbytes,
           "bytes_per_vector": nbytes / max(n, 1), "rss_index_mib": rss_index, "qps_single": qps1,
           "qps_batched": qpsb, "recall10": recall, "all_neighbours_s": all_s, "all_note": all_note}
    del index
    return row


def search_batched(index, queries: np.ndarray, k: int, batch: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Searches ``queries`` (a ``np.memmap`` works) a batch at a time: yields ``(start, scores, rows)``."""
    from relate.index import search

    for start in range(0, len(queries), batch):
        scores, rows = search(index, queries[start:start + batch], k)
        yield start, scores, rows


def index_bytes(index) -> int:
    """Bytes the index takes when written (a close measure of its memory), counted without a copy."""
    import faiss

    total = [0]

    def count(data) -> int:
        total[0] += len(data)
        return len(data)

    faiss.write_index(index, faiss.PyCallbackIOWriter(count))
    return total[0]


def machine() -> str:
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem = float("nan")
    return f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, no GPU"


def print_row(r: dict) -> None:
    mem = r["bytes"] / 2**20
    all_s = f"{r['all_neighbours_s']:.0f}" + (" est." if r["all_note"] else "")
    print(f"| {r['n']:>9,} | {r['kind']:<8} | {r['build_s']:8.1f} | {mem:9.1f} | {r['bytes_per_vector']:7.0f} | "
          f"{r['qps_single']:8.0f} | {r['qps_batched']:8.0f} | {r['recall10']:6.3f} | {all_s:>10} | {r['index']}",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="10k and 100k vectors, flat, hnsw-sq8 and ivf-sq8")
    p.add_argument("--sizes", type=int, nargs="+", default=None, help="corpus sizes (default 10000 100000 1000000)")
    p.add_argument("--kinds", nargs="+", choices=sorted(KINDS), default=None, help="index kinds (default: all)")
    p.add_argument("--all-neighbours", choices=("auto", "run", "estimate"), default="auto",
                   help="run the all-neighbours pass (auto: when it should take under 15 minutes)")
    p.add_argument("--real", type=Path, nargs="?", const=Path("/tmp/relate_bench_vectors"), default=None,
                   help="also measure on real azure vectors (a .npy, or the folder bench_encode.py saves to)")
    p.add_argument("--data-dir", type=Path, default=Path("/tmp/relate_bench_index"),
                   help="where the synthetic vectors are written (1M vectors: 1.5 GB)")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args(argv)

    import faiss

    from relate.config import BatchConfig, RankConfig
    from relate.index import drop_self

    sizes = args.sizes or ([10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])
    kinds = args.kinds or (["flat", "hnsw-sq8", "ivf-sq8"] if args.quick else list(KINDS))
    k_all = RankConfig().candidates + 1
    batch = BatchConfig().search_batch
    started = time.strftime("%Y-%m-%d %H:%M")
    print(f"# bench_index  {started}  {machine()}  faiss {faiss.__version__}  threads {faiss.omp_get_max_threads()}"
          f"  load avg {os.getloadavg()[0]:.2f}")
    print(f"all-neighbours: k={k_all} for every vector, batches of {batch}; recall@10 on 1,000 corpus queries")
    header = (f"| {'vectors':>9} | {'kind':<8} | {'build s':>8} | {'index MiB':>9} | {'B/vec':>7} | "
              f"{'q/s 1':>8} | {'q/s 1024':>8} | {'rec@10':>6} | {'all-nbrs s':>10} | index")
    rows: list[dict] = []
    sets: list[tuple[str, object]] = []  # (label, vectors or a size to make)
    if args.real is not None:
        real = args.real
        if real.is_dir():
            found = sorted(real.glob("torch_fp32-*.npy"))
            if not found:
                sys.exit(f"no torch_fp32-*.npy in {real}: run benchmarks/bench_encode.py first")
            real = found[0]
        sets.append((f"real azure vectors ({real.name})", np.load(real, mmap_mode="r")))
    sets += [(f"synthetic, {n:,} vectors", n) for n in sizes]
    for label, vecs in sets:
        if isinstance(vecs, int):
            t0 = time.perf_counter()
            vecs = synthetic_file(vecs, args.data_dir)
            label += f" (made or read in {time.perf_counter() - t0:.0f}s)"
        print(f"\n## {label}")
        if len(vecs) <= 100_000:
            c1, c10, cr = neighbour_cosines(vecs)
            print(f"mean cosine to 1st neighbour {c1:.3f}, to 10th {c10:.3f}, to a random vector {cr:.3f}")
        rng = np.random.default_rng(SEED + 7)
        truth_rows = np.sort(rng.choice(len(vecs), size=min(1000, len(vecs)), replace=False))
        t0 = time.perf_counter()
        truth = drop_self(exact_neighbours(vecs, np.ascontiguousarray(vecs[truth_rows]), 11)[1], truth_rows, 10)
        print(f"exact neighbours of 1,000 queries: {time.perf_counter() - t0:.1f}s")
        print(header)
        print("|" + "|".join("-" * w for w in (11, 10, 10, 11, 9, 10, 10, 8, 12, 7)))
        for kind in kinds:
            row = measure(vecs, kind, truth_rows, truth, k_all, batch, args.all_neighbours)
            row["set"] = label
            rows.append(row)
            print_row(row)
        del vecs
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"\npeak resident memory of this run: {peak:.2f} GiB; load avg at end {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"date": started, "machine": machine(), "rows": rows, "peak_gib": peak},
                                        indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
