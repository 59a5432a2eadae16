"""Encoding speed and quality: PyTorch fp32 against ONNX Runtime fp32 and int8, on the azure texts.

Run from the repository root::

    .venv/bin/python benchmarks/bench_encode.py            # full run (several minutes)
    .venv/bin/python benchmarks/bench_encode.py --quick    # small sample, one round, no nDCG
    .venv/bin/python benchmarks/bench_encode.py --only backends   # torch/onnx/onnx-int8, azure + powerapps

Three parts, each printed as a table (the header names the CPU's instruction set, e.g.
``avx512-vnni`` or ``avx2``: encode speed, and int8 above all, depends on it):

0. Backends (``--only backends``): texts/s of relate's own :class:`relate.embed.Encoder` with
   ``embed.backend`` ``torch``, ``onnx`` and ``onnx-int8``, on azure and on powerapps texts
   (``relate.corpus.read_corpus``, title + excerpt as relate encodes them), in one run;
   ``--texts`` texts drawn from each corpus, ``--rounds`` interleaved rounds.

1. Throughput steps (texts/s on a fixed random sample of the corpus texts): each variant is
   timed ``--rounds`` times, round-robin so that load from other processes hits all alike;
   the table shows the best and the median round and the speed-up of the best over PyTorch's.
2. Quality (every one of the 4,944 distinct azure texts, once per backend): mean cosine to the
   PyTorch fp32 vectors, and nDCG@5 on ``../shared/judgments/dev.jsonl`` ranking the whole
   corpus by plain cosine. Vectors are saved under ``--vectors-dir`` (``/tmp`` by default) and
   reused by later runs unless ``--fresh``.

Nothing here needs a network or a GPU.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from bench_regenerate import cpu_name
from encode_variants import OnnxVariant, TorchVariant, export_timing, prepare_exports

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
if not SHARED.is_dir():  # a checkout elsewhere: the standard place
    SHARED = Path("/work/shared")
CORPUS = SHARED / "corpora" / "azure"
CORPORA = {"azure": CORPUS, "powerapps": SHARED / "corpora" / "powerapps"}
BACKENDS = ("torch", "onnx", "onnx-int8")
JUDGMENTS = SHARED / "judgments" / "dev.jsonl"

_FRONT = re.compile(r"\A---\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


# ----------------------------------------------------------------------------- data
def load_corpus(folder: Path = CORPUS, cache_dir: Path | None = None) -> tuple[list[str], list[str]]:
    """``(webUrls, texts)`` of the distinct records in ``folder`` (first file wins), in file order.

    Texts are ``relate.text.article_text(title, excerpt, EmbedConfig())``. The parsed pairs are
    cached in ``cache_dir`` keyed by the folder's file names and sizes.
    """
    from relate.config import EmbedConfig
    from relate.text import article_text

    files = sorted(folder.glob("*.md"))
    if not files:
        sys.exit(f"no records in {folder}")
    key = hashlib.sha1("".join(f"{f.name}:{f.stat().st_size};" for f in files).encode()).hexdigest()[:12]
    cached = cache_dir / f"azure-{key}.json" if cache_dir else None
    if cached and cached.is_file():
        data = json.loads(cached.read_text(encoding="utf-8"))
        records = data["records"]
    else:
        import yaml

        records, seen = [], set()
        for f in files:
            m = _FRONT.match(f.read_text(encoding="utf-8"))
            if not m:
                continue
            d = yaml.load(m.group(1), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
            url = d.get("webUrl") or d.get("originalUrl")
            if not url or url in seen:
                continue
            seen.add(url)
            records.append([url, d.get("title") or "", d.get("excerpt") or ""])
        if cached:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps({"records": records}), encoding="utf-8")
    cfg = EmbedConfig()
    return [r[0] for r in records], [article_text(r[1], r[2], cfg) for r in records]


def load_judgments(path: Path = JUDGMENTS) -> dict[str, dict[str, int]]:
    """``{query: {candidate: grade}}`` with duplicates graded 0."""
    out: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                j = json.loads(line)
                out.setdefault(j["query"], {})[j["candidate"]] = 0 if j.get("dup") else int(j["grade"])
    return out


def ndcg_at(vectors: np.ndarray, urls: list[str], judged: dict[str, dict[str, int]], k: int = 5) -> tuple[float, int]:
    """Mean nDCG@k over the judged queries found in ``urls``, ranking every record by cosine."""
    row = {u: i for i, u in enumerate(urls)}
    scores = []
    for query, grades in judged.items():
        if query not in row:
            continue
        q = row[query]
        sims = vectors @ vectors[q]
        sims[q] = -np.inf
        top = np.argsort(-sims, kind="stable")[:k]
        dcg = sum((2 ** grades.get(urls[i], 0) - 1) / math.log2(r + 2) for r, i in enumerate(top))
        ideal = sorted(grades.values(), reverse=True)[:k]
        idcg = sum((2 ** g - 1) / math.log2(r + 2) for r, g in enumerate(ideal))
        scores.append(dcg / idcg if idcg > 0 else 0.0)
    return (float(np.mean(scores)) if scores else float("nan")), len(scores)


# ----------------------------------------------------------------------------- parts
def throughput(texts: list[str], model_path: str, files: dict[str, Path], rounds: int, quick: bool,
               threads: int) -> list[dict]:
    """Times each variant on ``texts``; returns rows for the table."""
    def torch_model(n_threads: int):
        return f"torch-{n_threads}", lambda: TorchVariant(model_path, n_threads)

    def onnx_model(name: str, level: str = "all", n_threads: int = threads, max_len: int = 128):
        return (f"onnx-{name}-{level}-{n_threads}-{max_len}",
                lambda: OnnxVariant(files[name], model_path, n_threads, level, max_len))

    steps = [  # (label, what the step changes, (model key, factory), encode kwargs)
        ("torch fp32 (baseline)", "PyTorch, sorted batches of 64, 128 tokens", torch_model(threads), {}),
        ("torch fp32 unsorted", "batches in input order", torch_model(threads), {"sort_by_length": False}),
        ("torch fp32 1 thread", "thread count", torch_model(1), {}),
        ("onnx fp32 raw, ORT disable", "ONNX export, no graph optimisation", onnx_model("raw", "disable"), {}),
        ("onnx fp32 raw, ORT basic", "ORT basic level", onnx_model("raw", "basic"), {}),
        ("onnx fp32 raw, ORT all", "ORT all levels", onnx_model("raw", "all"), {}),
        ("onnx fp32 fused, ORT all", "+ transformer fusions (attention, skip-LN, bias-GELU)",
         onnx_model("fused"), {}),
        ("onnx int8 raw, ORT all", "int8 of the unfused export (FFN outputs fp32)", onnx_model("raw-int8"), {}),
        ("onnx int8 fused, all int8", "int8 of the fused export, every MatMul int8", onnx_model("int8-all"), {}),
        ("onnx int8 fused per-tensor", "one scale per tensor instead of per channel",
         onnx_model("int8-tensor"), {}),
        ("onnx int8 fused (default)", "per-channel, FFN output projections kept fp32", onnx_model("int8"), {}),
        ("onnx int8 unsorted", "batches in input order", onnx_model("int8"), {"sort_by_length": False}),
        ("onnx int8 1 thread", "thread count", onnx_model("int8", n_threads=1), {}),
        ("onnx int8 max_seq_length 64", "cut texts at 64 tokens", onnx_model("int8", max_len=64), {}),
    ]
    for bs in (8, 16, 32, 128, 256):
        steps.append((f"onnx int8 batch {bs}", "batch size", onnx_model("int8"), {"batch_size": bs}))
    if quick:
        keep = {"torch fp32 (baseline)", "onnx fp32 raw, ORT all", "onnx fp32 fused, ORT all",
                "onnx int8 fused, all int8", "onnx int8 fused (default)", "onnx int8 unsorted", "onnx int8 1 thread"}
        steps = [s for s in steps if s[0] in keep]
    models = {}
    times: dict[str, list[float]] = {s[0]: [] for s in steps}
    for r in range(rounds):
        for label, _, (key, factory), kw in steps:
            if key not in models:
                models[key] = factory()
                models[key].encode(texts[:64])  # warm-up: first-call allocations
            t0 = time.perf_counter()
            models[key].encode(texts, **kw)
            times[label].append(time.perf_counter() - t0)
            print(f"  round {r + 1}/{rounds} {label}: {len(texts) / times[label][-1]:.1f} texts/s",
                  file=sys.stderr, flush=True)
    base = len(texts) / min(times[steps[0][0]])
    rows = []
    for label, step, _, _ in steps:
        best = len(texts) / min(times[label])
        med = len(texts) / statistics.median(times[label])
        rows.append({"variant": label, "step": step, "best": best, "median": med, "speedup": best / base})
    return rows


def corpus_texts(folder: Path) -> list[str]:
    """The distinct texts relate encodes for a corpus folder (any record layout), in corpus order."""
    from relate.config import EmbedConfig
    from relate.corpus import read_corpus
    from relate.text import article_text

    cfg = EmbedConfig()
    return list(dict.fromkeys(article_text(a.title, a.excerpt, cfg) for a in read_corpus(folder, cache=False).articles))


def backends(n: int, rounds: int, threads: int, models: Path, backend_names=BACKENDS) -> list[dict]:
    """texts/s of relate's Encoder per backend on ``n`` texts of each corpus in :data:`CORPORA`."""
    from relate.config import EmbedConfig
    from relate.embed import Encoder

    rng = np.random.default_rng(0)
    samples = {}
    for name, folder in CORPORA.items():
        texts = corpus_texts(folder)
        samples[name] = (len(texts), [texts[i] for i in rng.choice(len(texts), size=min(n, len(texts)), replace=False)])
    encoders = {}
    for b in backend_names:
        t0 = time.perf_counter()
        encoders[b] = Encoder(EmbedConfig(backend=b, threads=threads), cache_folder=models)
        encoders[b].encode(["warm-up text"] * 64)  # loads (exports on first use) and allocates
        print(f"  {b}: loaded in {time.perf_counter() - t0:.1f}s", file=sys.stderr, flush=True)
    times: dict[tuple[str, str], list[float]] = {}
    for r in range(rounds):
        for corpus, (_, texts) in samples.items():
            for b, enc in encoders.items():
                t0 = time.perf_counter()
                enc.encode(texts)
                times.setdefault((corpus, b), []).append(time.perf_counter() - t0)
                print(f"  round {r + 1}/{rounds} {corpus} {b}: {len(texts) / times[corpus, b][-1]:.1f} texts/s",
                      file=sys.stderr, flush=True)
    rows = []
    for corpus, (total, texts) in samples.items():
        chars = float(np.mean([len(t) for t in texts]))
        base = len(texts) / min(times[corpus, backend_names[0]])
        for b in backend_names:
            best = len(texts) / min(times[corpus, b])
            rows.append({"corpus": corpus, "distinct": total, "sample": len(texts), "chars": chars, "backend": b,
                         "best": best, "median": len(texts) / statistics.median(times[corpus, b]),
                         "speedup": best / base})
    return rows


def quality(urls: list[str], texts: list[str], model_path: str, files: dict[str, Path], vec_dir: Path,
            fresh: bool, threads: int) -> list[dict]:
    """Encodes every text once per backend and scores the vectors."""
    judged = load_judgments()
    tag = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:10]
    def onnx(name: str, max_len: int = 128):
        return f"{files[name].stem}-{max_len}", lambda: OnnxVariant(files[name], model_path, threads, max_len=max_len)

    variants = [  # (label, (what the saved vectors are named after, factory))
        ("torch fp32", ("torch_fp32", lambda: TorchVariant(model_path, threads))),
        ("onnx fp32 (fused)", onnx("fused")),
        ("onnx int8 (default: FFN out fp32)", onnx("int8")),
        ("onnx int8, every MatMul int8", onnx("int8-all")),
        ("onnx int8, per-tensor scales", onnx("int8-tensor")),
        ("onnx int8, max_seq_length 64", onnx("int8", 64)),
    ]
    rows, ref = [], None
    for label, (name, factory) in variants:
        path = vec_dir / f"{name}-{tag}.npy"
        rate = None
        if path.is_file() and not fresh:
            vecs = np.load(path, allow_pickle=False)
        else:
            model = factory()
            t0 = time.perf_counter()
            vecs = model.encode(texts).astype(np.float32)
            rate = len(texts) / (time.perf_counter() - t0)
            vec_dir.mkdir(parents=True, exist_ok=True)
            np.save(path, vecs, allow_pickle=False)
            print(f"  encoded {len(texts)} texts with {label}: {rate:.1f} texts/s", file=sys.stderr, flush=True)
        if ref is None:
            ref = vecs
        cos = np.sum(vecs * ref, axis=1)
        ndcg, n = ndcg_at(vecs, urls, judged)
        rows.append({"variant": label, "texts_per_s": rate, "cos_mean": float(cos.mean()), "cos_min": float(cos.min()),
                     "ndcg5": ndcg, "queries": n, "file": str(path)})
    return rows


# ----------------------------------------------------------------------------- main
def machine() -> str:
    """Cores, memory, CPU model and its instruction-set tag (``avx512-vnni``, ``avx2``, ...)."""
    from relate.embed.onnx import cpu_isa

    cores = os.cpu_count()
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem = float("nan")
    return f"{platform.machine()}, {cpu_name()}, ISA {cpu_isa()}, {cores} cores, {mem:.0f} GiB, no GPU"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="256 texts, 1 round, fewer steps, no quality part")
    p.add_argument("--texts", type=int, default=None,
                   help="texts in the throughput sample, and per corpus in the backends part (default 600)")
    p.add_argument("--rounds", type=int, default=None, help="timed rounds per variant (default 3)")
    p.add_argument("--threads", type=int, default=None, help="threads (default: every CPU this process may use)")
    p.add_argument("--only", choices=("backends", "throughput", "quality"), default=None, help="run one part only")
    p.add_argument("--vectors-dir", type=Path, default=Path("/tmp/relate_bench_vectors"),
                   help="where vectors, parsed texts and ONNX files are kept between runs")
    p.add_argument("--fresh", action="store_true", help="re-encode even when saved vectors exist")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args(argv)

    from relate.embed import resolve_model
    from relate.embed.onnx import available_cpus, cpu_isa

    threads = args.threads or available_cpus()
    n = args.texts or (256 if args.quick else 600)
    rounds = args.rounds or (1 if args.quick else 3)
    model_path = resolve_model("all-MiniLM-L6-v2")
    started = time.strftime("%Y-%m-%d %H:%M")
    load0 = os.getloadavg()[0]

    out: dict = {"date": started, "machine": machine(), "threads": threads, "sample": n, "rounds": rounds}
    print(f"# bench_encode  {started}  {out['machine']}  threads={threads}  load avg {load0:.2f}")

    if args.only in (None, "backends"):
        rows = backends(n, rounds, threads, args.vectors_dir / "models")
        out["backends"] = rows
        print(f"\n## Backends (relate's Encoder, embed.backend), ISA {cpu_isa()}: {n} texts drawn from each "
              f"corpus, best and median of {rounds} round(s), texts/s")
        print(f"| {'corpus':<10} | {'texts':>5} | {'chars':>5} | {'backend':<9} | {'best':>7} | {'median':>7} | x torch")
        print(f"|{'-' * 12}|{'-' * 7}|{'-' * 7}|{'-' * 11}|{'-' * 9}|{'-' * 9}|--------")
        for r in rows:
            print(f"| {r['corpus']:<10} | {r['sample']:5d} | {r['chars']:5.0f} | {r['backend']:<9} | {r['best']:7.1f} | "
                  f"{r['median']:7.1f} | {r['speedup']:6.2f}")
        if args.only == "backends":
            return _finish(out, load0, args.json)

    urls, texts = load_corpus(cache_dir=args.vectors_dir)
    files = prepare_exports(model_path, args.vectors_dir / "onnx")
    first, cached = export_timing(model_path, args.vectors_dir / "onnx", "onnx-int8")
    out.update(texts=len(texts), export_first_s=first, export_cached_s=cached)
    print(f"\ncorpus: {len(texts)} distinct azure texts; ONNX export+int8 on first use {first:.1f}s, "
          f"load from workspace cache {cached:.1f}s")

    if args.only in (None, "throughput"):
        rng = np.random.default_rng(0)
        sample = [texts[i] for i in rng.choice(len(texts), size=min(n, len(texts)), replace=False)]
        rows = throughput(sample, model_path, files, rounds, args.quick, threads)
        out["throughput"] = rows
        print(f"\n## Throughput: {len(sample)} texts, best and median of {rounds} round(s), texts/s")
        print(f"| {'variant':<30} | {'best':>7} | {'median':>7} | {'x torch':>7} | step")
        print(f"|{'-' * 32}|{'-' * 9}|{'-' * 9}|{'-' * 9}|------")
        for r in rows:
            print(f"| {r['variant']:<30} | {r['best']:7.1f} | {r['median']:7.1f} | {r['speedup']:7.2f} | {r['step']}")

    if args.only in (None, "quality") and not args.quick:
        rows = quality(urls, texts, model_path, files, args.vectors_dir, args.fresh, threads)
        out["quality"] = rows
        base = rows[0]["ndcg5"]
        print(f"\n## Quality: all {len(texts)} texts; cosine to torch fp32; nDCG@5 on dev judgments "
              f"({rows[0]['queries']} queries)")
        print(f"| {'backend':<32} | {'texts/s':>7} | {'cos mean':>8} | {'cos min':>7} | {'nDCG@5':>6} | {'delta':>6}")
        print(f"|{'-' * 34}|{'-' * 9}|{'-' * 10}|{'-' * 9}|{'-' * 8}|{'-' * 8}")
        for r in rows:
            rate = f"{r['texts_per_s']:7.1f}" if r["texts_per_s"] else "  saved"
            print(f"| {r['variant']:<32} | {rate} | {r['cos_mean']:8.4f} | {r['cos_min']:7.4f} | "
                  f"{r['ndcg5']:6.4f} | {r['ndcg5'] - base:+6.4f}")
    return _finish(out, load0, args.json)


def _finish(out: dict, load0: float, json_path: Path | None) -> int:
    out["load_avg"] = [load0, os.getloadavg()[0]]
    print(f"\nload average at start {load0:.2f}, at end {os.getloadavg()[0]:.2f} (on {os.cpu_count()} cores; "
          f"the end figure counts this benchmark's own threads, so above {os.cpu_count()} means other jobs too)")
    if json_path:
        json_path.write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
