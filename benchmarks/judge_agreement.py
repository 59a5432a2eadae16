"""How closely two sets of judgments of the same pairs agree: grades, repeats, and the order they put rankers in.

    PYTHONPATH=src python benchmarks/judge_agreement.py [--a ../shared/judgments/dev.jsonl]
        [--b benchmarks/judgments/azure-dev-reread.jsonl] [--workspace WS]

Prints the share of pairs graded alike, Cohen's kappa with quadratic weights, the confusion
matrix (rows: ``--a``, columns: ``--b``) and how many repeats each set flags. With
``--workspace`` (a workspace of the azure corpus) it also scores the headline rankers of
``ranker_lab.py`` under both sets and gives the rank correlation of their nDCG@5. This is how
the judgments read for issue 10 (``benchmarks/judgments``) were checked against the site's own.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402

from relate.evaluation import Judgments  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--a", default=str(REPO.parent / "shared" / "judgments" / "dev.jsonl"))
    p.add_argument("--b", default=str(REPO / "benchmarks" / "judgments" / "azure-dev-reread.jsonl"))
    p.add_argument("--workspace", default=None, help="an azure workspace: also compare the rankers' scores")
    args = p.parse_args(argv)
    from scipy.stats import spearmanr
    from sklearn.metrics import cohen_kappa_score, confusion_matrix

    a, b = Judgments.from_file(args.a), Judgments.from_file(args.b)
    pairs = sorted((j.query, j.candidate) for j in a)
    missing = [x for x in pairs if b.grade(*x) is None]
    if missing:
        print(f"{len(missing)} pairs of --a are not in --b, e.g. {missing[0]}")
        pairs = [x for x in pairs if b.grade(*x) is not None]
    ga = np.array([a.grade(*x) for x in pairs])
    gb = np.array([b.grade(*x) for x in pairs])
    da = np.array([a.is_dup(*x) for x in pairs])
    db = np.array([b.is_dup(*x) for x in pairs])
    print(f"{len(pairs)} pairs of {len(a.queries)} queries")
    print(f"graded alike: {np.mean(ga == gb):.3f}   Cohen's kappa (quadratic): "
          f"{cohen_kappa_score(ga, gb, weights='quadratic'):.3f}")
    print("confusion (rows: --a grade 0/1/2, columns: --b):")
    print(confusion_matrix(ga, gb, labels=[0, 1, 2]))
    print(f"repeats: --a {int(da.sum())}, --b {int(db.sum())}, both {int((da & db).sum())}")
    if args.workspace:
        import ranker_lab as lab

        site = lab.Site(args.workspace)
        ja, jb = lab.Judged(site, args.a), lab.Judged(site, args.b)
        c = lab.Cands.make(site, ja.queries, bm25=False)
        lab.add_reciprocal(c)
        levers = [lab.PLAIN, lab.TODAY, lab.ROUND2, lab.NEW, lab.NEW.with_("new, no quality", w_quality=0.0),
                  lab.NEW.with_("new, quality 0.1 gate 0.3", w_quality=0.1, quality_gate=0.3),
                  lab.NEW.with_("new, without key terms", w={"tfidf": 0.3, "recip_gated": 0.2}),
                  lab.Lever("TF-IDF cosine", base="tfidf", w={}, w_quality=0.0, min_similarity=-1.0, story=None)]
        sa, sb = [], []
        print(f"\n{'ranker':44s} {'--a':>7s} {'--b':>7s}   nDCG@5")
        for lv in levers:
            ra, rb = lab.evaluate(lv, c, ja), lab.evaluate(lv, c, jb)
            sa.append(ra.mean)
            sb.append(rb.mean)
            print(f"{lv.name:44s} {ra.mean:7.3f} {rb.mean:7.3f}")
        print(f"rank correlation of the rankers' nDCG@5 (Spearman): {spearmanr(sa, sb).correlation:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
