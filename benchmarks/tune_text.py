"""How the encoded text is built: title against excerpt, measured on the development judgments.

    .venv/bin/python benchmarks/tune_text.py [CORPUS] [--judgments FILE]

Each variant re-encodes the corpus (about two minutes each on 2 cores), then reports nDCG@5
of plain cosine and of the default ranker.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import relate  # noqa: E402
from relate.config import Config  # noqa: E402
from relate.evaluation import Judgments, judged_metrics, relate_lists  # noqa: E402

sys.path.insert(0, str(REPO / "benchmarks"))
from tune_ranker import PLAIN  # noqa: E402

VARIANTS = [
    ("title only", dict(excerpt_chars=0)),
    ("title + excerpt[:200]", dict(excerpt_chars=200)),
    ("title + excerpt[:400] (default)", dict()),
    ("title + excerpt[:1000], 256 tokens", dict(excerpt_chars=1000, max_seq_length=256)),
    ("title x2 + excerpt[:400]", dict(title_repeat=2)),
]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus", nargs="?", default=str(REPO.parent / "shared" / "corpora" / "azure"))
    p.add_argument("--judgments", default=str(REPO.parent / "shared" / "judgments" / "dev.jsonl"))
    args = p.parse_args(argv)
    judgments = Judgments.from_file(args.judgments)
    corpus = relate.read_corpus(args.corpus)
    print(f"{'text encoded':38s} {'cosine nDCG@5':>14s} {'relate nDCG@5':>14s}")
    for name, embed in VARIANTS:
        cfg = Config.from_dict({"embed": embed})
        engine = relate.Engine.build(corpus, workspace=tempfile.mkdtemp(prefix="relate-text-"), config=cfg)
        by_url = {a.url: a for a in engine.articles.values()}
        queries = [by_url[q] for q in judgments.queries if q in by_url]
        scores = []
        for options in (PLAIN, {}):
            m = judged_metrics(relate_lists(engine, queries, k=5, **options), judgments, k=5)["ndcg"]
            scores.append(sum(m.values()) / len(m))
        print(f"{name:38s} {scores[0]:14.3f} {scores[1]:14.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
