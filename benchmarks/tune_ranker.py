"""The table behind models/ranker.yaml: relevance, repeats and quality of the top 5 on the dev
judgments, for plain cosine, today's (previous) defaults and the new defaults, with paired
bootstrap intervals, leave-one-query-out figures and the same-story rule's precision/recall.

    PYTHONPATH=src python benchmarks/tune_ranker.py [--workspace DIR] [--corpus DIR] [--judgments FILE]

Without ``--workspace`` the azure corpus is indexed into a temporary workspace first (it encodes
~4,900 texts: minutes on 2 cores); with one, nothing is encoded. The rows are computed by
``benchmarks/ranker_lab.py`` over pair features taken once; the new defaults' lists are checked
against the engine's own (``relate.Engine.rank_many`` with the shipped config) query by query.

"Today's defaults" are the 2026-11-26 ones (before issue 10); "new defaults" are the shipped
ones (since issue 10's third round, whose story rule differs from the second round's: see
``judged_sets.py`` and docs/ranking.md), so rows built on them differ from the first round's
tables in docs/ranking.md by that rule.

Columns: nDCG@5 (gains 2^g-1, dups and unjudged count 0), share of shown items judged dup,
share judged, mean ``quality`` shown (pooled), the nDCG difference to today's defaults with a
paired bootstrap 95 % interval (10,000 resamples of the 20 queries), and for a family of
settings the leave-one-query-out nDCG of choosing the best setting on the other 19 queries.
"""
from __future__ import annotations

import argparse
import collections
import itertools
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

import judged_sets  # noqa: E402
import numpy as np  # noqa: E402
import ranker_lab as lab  # noqa: E402
import story_rules as rules  # noqa: E402
from ranker_lab import NEW, PLAIN, TODAY  # noqa: E402


def new_without(name: str, **kw) -> lab.Lever:
    return NEW.with_(name, **kw)


def story_grid_rule(es, et, ss):
    return lambda f: rules.rule_evidence(f, ev_sim=es, ev_terms=et, ev_sim_same=ss, ev_days=7.0)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workspace", default=None, help="a workspace built from the corpus (nothing is encoded)")
    p.add_argument("--corpus", default=str(lab.SHARED / "corpora" / "azure"))
    p.add_argument("--judgments", default=str(lab.DEV))
    p.add_argument("--powerapps-workspace", default=None,
                   help="a workspace built from ../shared/corpora/powerapps (else one is built: ~2,000 texts encoded)")
    p.add_argument("--only-sets", action="store_true", help="print only the tables over every judged set")
    p.add_argument("--levers", action="store_true", help="also the third round's levers on every judged set")
    args = p.parse_args(argv)

    folder = args.workspace
    if folder is None:
        import relate

        folder = tempfile.mkdtemp(prefix="relate-tune-")
        relate.Engine.build(args.corpus, workspace=folder)
    site = lab.Site(folder)
    j = lab.Judged(site, args.judgments)
    c = lab.Cands.make(site, j.queries)
    lab.add_reciprocal(c)
    print(f"{len(j.queries)} judged queries, {len(j.pairs)} judged pairs; workspace {folder}")

    pa_folder = args.powerapps_workspace
    if pa_folder is None:
        import relate

        pa_folder = tempfile.mkdtemp(prefix="relate-tune-pa-")
        relate.Engine.build(lab.SHARED / "corpora" / "powerapps", workspace=pa_folder)
    judged_sets.every_set(site, lab.Site(pa_folder), levers=args.levers)   # checks engine == lab lists
    if args.only_sets:
        return 0

    base = lab.evaluate(TODAY, c, j)

    def show(lever, loo_family=None):
        r = lab.evaluate(lever, c, j)
        loo_v = lab.loo(loo_family, c, j)[0] if loo_family else None
        print(lab.row(r, base, loo_v), flush=True)
        return r

    print("\n== headline")
    print(lab.HEADER)
    show(PLAIN)
    show(TODAY)
    show(lab.ROUND2.with_("issue 10 second round (2026-12-02 defaults)"))
    new_family = [NEW.with_(f"t{te} r{rw} q{wq} g{g}", w={"tfidf": 0.3, "ent": te, "recip_gated": rw},
                            w_quality=wq, quality_gate=g)
                  for te, rw, wq, g in itertools.product((0.15, 0.2, 0.25), (0.1, 0.2, 0.3), (0.15, 0.2), (0.2, 0.3))]
    show(NEW.with_("new defaults *"), new_family)

    print("\n== each lever on top of today's defaults (family LOO: best weight chosen on the other queries)")
    print(lab.HEADER)
    fams = {
        "key-term overlap (w_terms)": [TODAY.with_(f"+ key terms {w}", w={"tfidf": 0.3, "ent": w})
                                       for w in (0.1, 0.15, 0.2, 0.3)],
        "reciprocal neighbours (w_reciprocal)": [TODAY.with_(f"+ reciprocal {w}", w={"tfidf": 0.3, "recip_gated": w})
                                                 for w in (0.1, 0.2, 0.3)],
        "BM25 (bm25s) instead of TF-IDF": [TODAY.with_(f"BM25 {w} instead of TF-IDF", w={"bm25": w})
                                           for w in (0.3, 0.5)],
        "BM25 on top of TF-IDF": [TODAY.with_(f"+ BM25 {w}", w={"tfidf": 0.3, "bm25": w}) for w in (0.1, 0.2)],
        "shared neighbours": [TODAY.with_(f"+ shared neighbours {w}", w={"tfidf": 0.3, "shared_nn": w})
                              for w in (0.05, 0.1)],
        "title word Jaccard": [TODAY.with_(f"+ title Jaccard {w}", w={"tfidf": 0.3, "title": w}) for w in (0.05, 0.1)],
        "re-centred cosine / top PCs removed": [TODAY.with_("re-centred cosine", base="cen")]
        + [TODAY.with_(f"re-centred, top {d} PCs removed", base=f"abtt{d}") for d in (1, 2, 3)],
        "CSLS (hubness)": [TODAY.with_("CSLS cosine", base="csls"), TODAY.with_("CSLS, re-centred", base="csls_cen")],
        "candidates": [TODAY.with_("candidates 100", candidates=100), TODAY.with_("candidates 30", candidates=30)],
    }
    for d in (1, 2, 3):
        c.add_vectors(f"abtt{d}", site.abtt(d))
    for title, levers in fams.items():
        m, _ = lab.loo([TODAY] + levers, c, j)
        for lv in levers:
            show(lv)
        print(f"   {title}: LOO of choosing among today + these = {m:.3f}")

    print("\n== the new defaults, one part at a time")
    print(lab.HEADER)
    show(new_without("new, without key terms", w={"tfidf": 0.3, "recip_gated": 0.2}))
    show(new_without("new, without reciprocal", w={"tfidf": 0.3, "ent": 0.2}))
    show(new_without("new, today's story rule", story=rules.rule_today))
    show(new_without("new, quality 0.1 gate 0.3 (today's)", w_quality=0.1, quality_gate=0.3))
    show(new_without("new, quality 0.15", w_quality=0.15))
    show(new_without("new, no quality", w_quality=0.0))
    show(new_without("new, story evidence clause within 5 days",
                     story=lambda f: rules.rule_evidence(f, ev_sim=0.6, ev_terms=0.4, ev_sim_same=0.75, ev_days=5.0)))
    for te in (0.35, 0.45):
        show(new_without(f"new, story_terms {te}", story=lambda f, te=te: rules.rule_evidence(
            f, ev_sim=0.6, ev_terms=te, ev_sim_same=0.75)))

    print("\n== same-story rule on the dev dup flags (judged dup vs judged not dup)")
    a, _b, _g, d, f = lab.judged_pairs(site, j)
    print(f"{int(d.sum())} judged repeats among {len(d)} judged pairs")

    def pr_line(name, flags):
        prec, rec, n, tp = rules.pr(flags, d)
        print(f"{name:66s} precision {prec:.2f}  recall {rec:.2f}  ({tp} of {n} flagged are repeats)")

    pr_line("today's rule (fixed thresholds, tuned on these queries before)", rules.rule_today(f))
    pr_line("new rule, shipped thresholds (in-sample)", rules.rule_new(f))
    grid = list(itertools.product((0.55, 0.6, 0.65, 0.7), (0.3, 0.35, 0.4, 0.5), (None, 0.7, 0.75, 0.8)))
    flags = np.zeros(len(a), bool)
    picks = []
    for q in np.unique(a):
        tr = a != q

        def f1(cell, tr=tr):
            prec, rec, _, _ = rules.pr(story_grid_rule(*cell)(rules.sub(f, tr)), d[tr])
            prec = 0.0 if np.isnan(prec) else prec
            return 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        best = max(grid, key=f1)
        picks.append(best)
        flags[~tr] = story_grid_rule(*best)(rules.sub(f, ~tr))
    pr_line("new rule, thresholds re-chosen by F1 without the query (LOQO)", flags)
    print("   thresholds chosen most often:", collections.Counter(picks).most_common(2))
    for C in (1.0, 100.0):
        lr = np.zeros(len(a), bool)
        for q in np.unique(a):
            tr = a != q
            from sklearn.linear_model import LogisticRegression

            m = LogisticRegression(C=C, max_iter=5000).fit(rules.story_inputs(rules.sub(f, tr)), d[tr].astype(int))
            lr[~tr] = rules.rule_logistic(m.coef_[0], float(m.intercept_[0]), 0.5)(rules.sub(f, ~tr))
        pr_line(f"logistic regression (cos, terms, title, log days, provider), C={C:g}, LOQO", lr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
