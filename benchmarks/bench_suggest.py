"""Latency of `Engine.suggest` against the azure corpus index, with the engine already loaded.

    .venv/bin/python benchmarks/bench_suggest.py [CORPUS] [--calls 300] [--workspace DIR]

Prints p50/p99 for an indexed article (its stored vector is reused), for a new article
(encoded on the fly), and for the model's own encode of one text, so the overhead of a
new-article call over encoding is visible.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import relate  # noqa: E402
from relate.text import article_text  # noqa: E402


def pct(ts: list[float]) -> tuple[float, float]:
    return float(np.percentile(ts, 50) * 1e3), float(np.percentile(ts, 99) * 1e3)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus", nargs="?", default=str(REPO.parent / "shared" / "corpora" / "azure"))
    p.add_argument("--calls", type=int, default=300)
    p.add_argument("--workspace", default=None, help="reuse this workspace (default: a temporary one)")
    args = p.parse_args(argv)

    ws = args.workspace or tempfile.mkdtemp(prefix="relate-bench-")
    t = time.perf_counter()
    engine = relate.Engine.build(args.corpus, workspace=ws)
    build_s = time.perf_counter() - t
    arts = list(engine.articles.values())
    rng = random.Random(0)
    sample = rng.sample(arts, min(args.calls, len(arts)))
    engine.suggest(sample[0])

    indexed = []
    for a in sample:
        t = time.perf_counter()
        engine.suggest(a)
        indexed.append(time.perf_counter() - t)

    # new articles: the same texts under a URL the index does not know
    fresh = [{"title": a.title, "excerpt": a.excerpt, "webUrl": f"https://example.org/new/{i}",
              "publishedDateTime": a.published_at.isoformat() if a.published_at else None}
             for i, a in enumerate(sample)]
    new, encode = [], []
    for item, a in zip(fresh, sample):
        text = article_text(a.title, a.excerpt, engine.config.embed)
        t = time.perf_counter()
        engine.encoder.encode([text])
        encode.append(time.perf_counter() - t)
        t = time.perf_counter()
        engine.suggest(item)
        new.append(time.perf_counter() - t)

    rows = [("suggest, indexed article", *pct(indexed)),
            ("suggest, new article (encode included)", *pct(new)),
            ("model encode of one text", *pct(encode))]
    print(f"corpus: {args.corpus} ({len(arts)} articles), calls: {len(sample)}, "
          f"workspace build {build_s:.1f} s, backend {engine.config.embed.backend}")
    print(f"{'what':42s} {'p50 ms':>8s} {'p99 ms':>8s}")
    for name, p50, p99 in rows:
        print(f"{name:42s} {p50:8.2f} {p99:8.2f}")
    print(f"{'new-article overhead over encode (p50)':42s} {rows[1][1] - rows[2][1]:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
