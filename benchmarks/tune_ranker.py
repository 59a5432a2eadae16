"""The grid behind models/ranker.yaml: relevance, repeats and quality of the top 5 as the
ranker's settings change, on the development judgments.

    .venv/bin/python benchmarks/tune_ranker.py [CORPUS] [--judgments FILE] [--workspace DIR]

Each row: nDCG@5 (dups count 0, unjudged 0), dup rate, share of shown items judged, mean
`quality` shown. The first rows are the reference points (plain cosine, TF-IDF); the row
marked `*` is the shipped default.
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
from relate.evaluation import Judgments, judged_metrics, relate_lists, tfidf_lists  # noqa: E402

PLAIN = dict(w_lexical=0.0, w_quality=0.0, w_provider=0.0, min_similarity=-1.0, dup_similarity=2.0,
             dup_title=2.0, story_similarity=2.0)
GRID = [
    ("no story rule, no blend", dict(w_lexical=0.0, w_quality=0.0, dup_similarity=2.0, dup_title=2.0,
                                     story_similarity=2.0)),
    ("story rule only", dict(w_lexical=0.0, w_quality=0.0)),
    ("story rule, similarity-only dups (0.9, any date)", dict(w_lexical=0.0, w_quality=0.0, dup_similarity=0.9,
                                                               dup_days=1e9, story_similarity=2.0)),
    ("+ lexical 0.2", dict(w_lexical=0.2, w_quality=0.0)),
    ("+ lexical 0.3", dict(w_lexical=0.3, w_quality=0.0)),
    ("+ lexical 0.5", dict(w_lexical=0.5, w_quality=0.0)),
    ("+ lexical 0.3, quality 0.05", dict(w_lexical=0.3, w_quality=0.05)),
    ("+ lexical 0.3, quality 0.1 (default) *", dict()),
    ("+ lexical 0.3, quality 0.1, no gate", dict(quality_gate=0.0)),
    ("+ lexical 0.3, quality 0.15", dict(w_quality=0.15)),
    ("+ lexical 0.3, quality 0.1, provider 0.05", dict(w_provider=0.05)),
    ("naive: cosine + 0.15 quality, nothing else", dict(PLAIN, w_quality=0.15, quality_gate=0.0)),
    ("default, min_similarity 0.4", dict(min_similarity=0.4)),
    ("default, story_days 1", dict(story_days=1.0)),
    ("default, story_days 3", dict(story_days=3.0)),
    ("default, story_similarity 0.6", dict(story_similarity=0.6)),
    ("default, story_similarity 0.7", dict(story_similarity=0.7)),
]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus", nargs="?", default=str(REPO.parent / "shared" / "corpora" / "azure"))
    p.add_argument("--judgments", default=str(REPO.parent / "shared" / "judgments" / "dev.jsonl"))
    p.add_argument("--workspace", default=None, help="reuse this workspace (default: a temporary one)")
    args = p.parse_args(argv)

    judgments = Judgments.from_file(args.judgments)
    engine = relate.Engine.build(args.corpus, workspace=args.workspace or tempfile.mkdtemp(prefix="relate-tune-"))
    by_url = {a.url: a for a in engine.articles.values()}
    queries = [by_url[q] for q in judgments.queries if q in by_url]

    def row(name, lists):
        m = judged_metrics(lists, judgments, k=5)
        mean = {key: sum(v.values()) / len(v) for key, v in m.items()}
        shown = [by_url[c].quality for q in judgments.queries for c in lists.get(q, [])[:5]
                 if c in by_url and by_url[c].quality is not None]
        quality = sum(shown) / len(shown) if shown else float("nan")
        print(f"{name:50s} {mean['ndcg']:7.3f} {mean['dup_rate']:6.3f} {mean['judged']:7.2f} {quality:8.1f}",
              flush=True)

    print(f"{len(queries)} judged queries, {len(judgments)} judged pairs; corpus {args.corpus}")
    print(f"{'ranker':50s} {'nDCG@5':>7s} {'dups':>6s} {'judged':>7s} {'quality':>8s}")
    row("TF-IDF cosine (baseline)", tfidf_lists(list(engine.articles.values()), k=5))
    row("plain MiniLM cosine", relate_lists(engine, queries, k=5, **PLAIN))
    for name, options in GRID:
        row(name, relate_lists(engine, queries, k=5, **options))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
