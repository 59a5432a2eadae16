"""Issue 10, fourteenth round: where the rest of the gap lies, and two key-term levers dropped.

    PYTHONPATH=src python benchmarks/fourteenth_round.py --azure WS --powerapps WS

Sections: (1) headroom. For each judged set (with the pool additions): the shipped ranker's
nDCG@5; the same without collapsing copies of one story among the candidates (kept by design: a
reader does not want one event twice), without the quality part (kept: the release bar asks for
mean shown quality >= 70), without both; and the oracle, the best 5 of the very candidates the
shipped ranker chooses from (the 60 nearest, its filters, the article's own story removed)
ordered by their judged grades. Then what the shipped top 5 hold (grade 2, 1, 0, repeats) and how
many grade-2 items its candidates hold that it does not show. (2) levers dropped: the key-term
overlap smoothed (``sum idf(shared) / sqrt((sum idf(a) + s) (sum idf(b) + s))``, so that a text
whose only terms are the site's own names cannot overlap 1.0 with every other; docs/ranking.md
named it the first thing to try on powerapps), the overlap over squared IDFs (a true TF-IDF
cosine of the two term sets), and the key terms of the two titles alone, each beside or instead of
the shipped overlap. (3) the same bound as :func:`relate.evaluation.judged_order_lists` gives it from
the engine (its lists with copies collapsed), on each judgment file as read. ``WS`` are workspaces of the two corpora built with the defaults; nothing is
encoded.
"""
from __future__ import annotations

import functools
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

import judged_sets as js  # noqa: E402
import numpy as np  # noqa: E402
import ranker_lab as lab  # noqa: E402
from judged_encoders import SETS, print_deltas, site_sets_from_args  # noqa: E402
from ranker_lab import NEW  # noqa: E402
from story_rules import SHIPPED, rule_evidence  # noqa: E402

from relate.evaluation import Judgments, judged_metrics, judged_order_lists, relate_lists  # noqa: E402
from relate.evidence import term_overlap  # noqa: E402

SMOOTHING = (1, 2, 4, 8)


def copies_only(f):
    """The shipped rule's near-identical, re-post and re-issue clauses alone (no time window)."""
    return rule_evidence(f, **{**SHIPPED, "days": -1.0, "ev_days": -1.0, "retell_sim": None, "other_sim": None,
                               "late_sim": None})


def oracle(c: lab.Cands, j: lab.Judged, lever: lab.Lever = NEW) -> float:
    """nDCG@5 of the best 5 of ``lever``'s candidates (before collapsing) by their judged gains."""
    valid = lever._valid(c)
    out = []
    for qi, q in enumerate(c.queries):
        rows = [int(x) for x, ok in zip(c.rows[qi], valid[qi]) if ok]
        best = sorted(rows, key=lambda x: -j.gain(int(q), x))[:lever.k]
        out.append(lab.ndcg(j, int(q), best, lever.k))
    return float(np.mean(out))


def shown_grades(c: lab.Cands, j: lab.Judged, lever: lab.Lever = NEW) -> dict[str, int]:
    """What ``lever``'s lists show, by judged grade (a repeat apart); the grade-2 candidates they leave
    out, and how many of those were collapsed as another report of an item already taken."""
    skipped: list[tuple[int, int, int]] = []
    lists = lever.lists(c, skipped=skipped)
    valid = lever._valid(c)

    def grade_2(q: int, x: int) -> bool:
        return j.grade[q].get(x) == 2 and x not in j.dup.get(q, ())

    n = dict.fromkeys(("grade 2", "grade 1", "grade 0", "repeat", "unjudged", "grade 2 left"), 0)
    for qi, q in enumerate(c.queries):
        q = int(q)
        for x in lists[qi]:
            key = "repeat" if x in j.dup.get(q, ()) else f"grade {j.grade[q][x]}" if x in j.grade[q] else "unjudged"
            n[key] += 1
        n["grade 2 left"] += sum(1 for x, ok in zip(c.rows[qi], valid[qi])
                                 if ok and int(x) not in lists[qi] and grade_2(q, int(x)))
    n["of them collapsed"] = sum(1 for qi, ci, _taken in skipped if grade_2(int(c.queries[qi]), int(c.rows[qi, ci])))
    return n


def headroom(sets: dict) -> None:
    print("== (1) headroom: nDCG@5 with the pool additions (Δ against the shipped ranker [95 % CI]; repeats shown; "
          "mean shown quality)")
    variants = [NEW.with_("shipped ranker"), NEW.with_("without collapsing copies among candidates", collapse=False),
                NEW.with_("collapsing near-identical copies only", collapse_story=copies_only),
                NEW.with_("without the quality part", w_quality=0.0),
                NEW.with_("without either", collapse=False, w_quality=0.0)]
    print(f"{'ranker':44s}  " + "  ".join(f"{n:<40}" for n in SETS))
    print_deltas(sets, variants, 44, scores=True)
    print(f"{'oracle: the best 5 of the same candidates':44s}  "
          + "  ".join(f"{oracle(sets[n][3], sets[n][2]):<40.3f}" for n in SETS))
    print("\nthe shipped top 5, by judged grade; grade-2 candidates it leaves out")
    for name in SETS:
        _site, _j, j_plus, c, _n = sets[name]
        print(f"{name:12s} {len(c.queries):3d} queries: "
              + ", ".join(f"{k} {v}" for k, v in shown_grades(c, j_plus).items()))


def _overlaps(c: lab.Cands, terms: list[frozenset[str]], overlap) -> np.ndarray:
    """``overlap`` of each query's term set with each of its candidates', as a ``(Q, N)`` feature."""
    out = np.zeros_like(c.f["cos"])
    for qi, q in enumerate(c.queries):
        for ci, b in enumerate(c.rows[qi]):
            out[qi, ci] = overlap(terms[int(q)], terms[int(b)])
    return out


def _mass(terms: frozenset[str], idf: dict[str, float], power: int = 1) -> float:
    return math.fsum(idf.get(t, 0.0) ** power for t in terms)


def smoothed_overlap(a: frozenset[str], b: frozenset[str], idf: dict[str, float], s: float) -> float:
    """The key-term overlap with ``s`` added to each set's IDF mass."""
    return min(1.0, _mass(a & b, idf) / math.sqrt((_mass(a, idf) + s) * (_mass(b, idf) + s)))


def squared_overlap(a: frozenset[str], b: frozenset[str], idf: dict[str, float]) -> float:
    """The cosine of the two term sets weighted by IDF (each term's weight squared in the sums)."""
    return _mass(a & b, idf, 2) / math.sqrt(_mass(a, idf, 2) * _mass(b, idf, 2)) if a and b else 0.0


def add_term_features(sets: dict) -> None:
    """Section (2)'s features on each set's candidates: ``terms_s{S}`` (smoothed), ``terms_sq`` (squared
    IDFs), ``title_terms`` (the key terms of the two titles)."""
    for name in SETS:
        site, _j, _jp, c, _n = sets[name]
        idf = site.terms.idf
        terms = [frozenset(t) for t in site.terms.terms]
        titles = [frozenset(site.terms.extract(t)) for t in site.titles_clean]
        for s in SMOOTHING:
            c.f[f"terms_s{s}"] = _overlaps(c, terms, functools.partial(smoothed_overlap, idf=idf, s=s))
        c.f["terms_sq"] = _overlaps(c, terms, functools.partial(squared_overlap, idf=idf))
        c.f["title_terms"] = _overlaps(c, titles, functools.partial(term_overlap, idf=idf))


def dropped(sets: dict) -> None:
    add_term_features(sets)
    print("\n== (2) levers dropped: Δ nDCG@5 against the shipped ranker [95 % CI], mean shown quality")
    print(f"{'lever':44s}  " + "  ".join(f"{n:<32}" for n in SETS))
    shipped = NEW.w["ent"]
    levers = [("terms as shipped, w 0.3", {"ent": 0.3})]
    levers += [(f"terms smoothed +{s}, w {w}", {"ent": 0.0, f"terms_s{s}": w}) for s in SMOOTHING for w in (shipped, 0.3)]
    levers += [(f"terms over squared IDFs, w {w}", {"ent": 0.0, "terms_sq": w}) for w in (shipped, 0.3)]
    levers += [(f"title key terms beside, w {w}", {"title_terms": w}) for w in (0.05, 0.1, 0.2)]
    print_deltas(sets, [NEW.with_(label, w={**NEW.w, **w}) for label, w in levers], 44)


def engine_bound(sets: dict) -> None:
    """The bound as an analyst gets it from the engine: :func:`relate.evaluation.judged_order_lists`
    (relate's own 60-item lists, copies collapsed, in the judges' order), on each judgment file as read."""
    print("\n== (3) relate.evaluation.judged_order_lists: the engine's lists and its candidates in the judges' "
          "order, nDCG@5 as the judgments were read")
    site_of = {name: sets[name][0] for name in SETS}
    for name, site, path, _only in js.judged_sets(site_of["azure dev"], site_of["powerapps"])[:3]:
        judgments = Judgments.from_file(path)
        engine = site.engine
        by_url = {a.url: a for a in engine.articles.values()}
        queries = [by_url[q] for q in judgments.queries if q in by_url]
        ours = judged_metrics(relate_lists(engine, queries, k=5), judgments)["ndcg"]
        bound = judged_metrics(judged_order_lists(engine, judgments, k=5), judgments)["ndcg"]
        print(f"{name:40s} relate {np.mean(list(ours.values())):.3f}  its candidates in the judges' order "
              f"{np.mean(list(bound.values())):.3f}  ({len(queries)} queries)")


def main(argv=None) -> int:
    sets = site_sets_from_args(argv, __doc__.splitlines()[0])
    headroom(sets)
    dropped(sets)
    engine_bound(sets)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
