"""Whether two encoder backends agree: their vectors on every text of a corpus, and the lists ``relate regenerate`` writes.

The check behind the default ``embed.backend: onnx`` (issue 13; docs/scale.md): ONNX fp32 must
give PyTorch's vectors within fp32 rounding and byte-identical lists on azure, ties aside.

    .venv/bin/python benchmarks/check_backends.py                   # azure, torch against onnx
    .venv/bin/python benchmarks/check_backends.py --limit 300       # a quick run on 300 files
    .venv/bin/python benchmarks/check_backends.py --only vectors

Vectors: every distinct text (title + excerpt as relate encodes them) through relate's own
``Encoder`` with each backend; the largest difference of any component, and the smallest
cosine computed in float64. Lists: ``relate regenerate COPY --jsonl`` in a fresh process per
backend, each with its own empty workspace and record cache; the lists that differ are printed
with the entries that differ. Nothing needs a network or a GPU.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_regenerate import DEFAULT_CORPUS, copy_corpus, cpu_name, relate_command, run  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def vectors(corpus: Path, backends: list[str], models: Path) -> None:
    from relate.config import EmbedConfig
    from relate.corpus import read_corpus
    from relate.embed import Encoder
    from relate.text import article_text

    cfg = EmbedConfig()
    texts = sorted({article_text(a.title, a.excerpt, cfg) for a in read_corpus(corpus, cache=False).articles})
    out = {}
    for b in backends:
        enc = Encoder(EmbedConfig(backend=b), cache_folder=models)
        enc.encode(texts[:8])
        t0 = time.perf_counter()
        out[b] = enc.encode(texts)
        print(f"{b}: {len(texts)} distinct texts, {len(texts) / (time.perf_counter() - t0):.1f} texts/s")
    a = out[backends[0]].astype(np.float64)
    for b in backends[1:]:
        v = out[b].astype(np.float64)
        diff = np.abs(a - v)
        cos = (a * v).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(v, axis=1)
        print(f"{b} against {backends[0]}: max abs difference {diff.max():.3g} "
              f"({diff.max() / np.finfo(np.float32).eps:.2f} x float32 eps), mean {diff.mean():.3g}; "
              f"min cosine 1 - {1 - cos.min():.3g}; rows bit-for-bit equal {int((diff.max(1) == 0).sum())}")


def lists(corpus: Path, backends: list[str], limit: int | None, keep: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="relate-check-"))
    try:
        outs = {}
        for b in backends:
            src = tmp / b / "corpus"
            copy_corpus(corpus, src, limit)
            env = dict(os.environ, RELATE_CACHE_DIR=str(tmp / b / "cache"))
            outs[b] = tmp / b / "lists.jsonl"
            s = run([*relate_command(), "regenerate", str(src), "--workspace", str(tmp / b / "ws"), "--quiet",
                     "--json", "--jsonl", str(outs[b]), "--embed-backend", b], env)
            print(f"{b}: regenerate --jsonl, {s['written']} lists, {s['wall']:.1f} s")
        base = outs[backends[0]].read_bytes().splitlines()
        for b in backends[1:]:
            other = outs[b].read_bytes().splitlines()
            differ = [i for i, (x, y) in enumerate(zip(base, other)) if x != y]
            same = "byte-identical" if not differ and len(base) == len(other) else f"{len(differ)} differ"
            print(f"{b} against {backends[0]}: {len(base)} lists, {same}")
            for i in differ:
                x, y = json.loads(base[i]), json.loads(other[i])
                print(f"  {x['webUrl']}")
                for n, (ex, ey) in enumerate(zip(x["related"], y["related"])):
                    if ex != ey:
                        print(f"    #{n + 1}: {backends[0]} {ex.get('webUrl')}  |  {b} {ey.get('webUrl')}")
    finally:
        if keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder (default: %(default)s)")
    p.add_argument("--backends", default="torch,onnx", help="the reference first (default: %(default)s)")
    p.add_argument("--only", choices=("vectors", "lists"), default=None, help="run one part only")
    p.add_argument("--limit", type=int, default=None, help="only the first N record files")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder of the lists part")
    args = p.parse_args(argv)
    from relate.embed.onnx import cpu_isa

    backends = [b for b in args.backends.split(",") if b]
    print(f"# check_backends  {time.strftime('%Y-%m-%d %H:%M')}  {cpu_name()}, ISA {cpu_isa()}, "
          f"{os.cpu_count()} cores  corpus {args.corpus}{f' (first {args.limit} files)' if args.limit else ''}")
    if args.only in (None, "vectors"):
        corpus = args.corpus
        if args.limit:
            corpus = Path(tempfile.mkdtemp(prefix="relate-check-corpus-"))
            copy_corpus(args.corpus, corpus, args.limit)
        with tempfile.TemporaryDirectory(prefix="relate-check-models-") as models:
            vectors(corpus, backends, Path(models))
        if args.limit:
            shutil.rmtree(corpus, ignore_errors=True)
    if args.only in (None, "lists"):
        lists(args.corpus, backends, args.limit, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
