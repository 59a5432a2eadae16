"""The rankers on every judged set: azure's own dev judgments and the sets read for issue 10.

    PYTHONPATH=src python benchmarks/judged_sets.py --azure WS --powerapps WS [--levers] [--story-grid] [--quality]

(``tune_ranker.py --only-sets [--levers]`` prints the same.) Sets: the 20 azure dev queries
(``../shared/judgments/dev.jsonl``, the site's judgments), 40 other azure queries and 60
powerapps queries (``benchmarks/judgments``, read by the team; see its README). For each: the
headline rankers, the nDCG@5 difference against issue 10's second-round defaults with a paired
bootstrap interval, and the story rule's precision and recall on the judged repeats.
``--levers``: the third round's levers, kept and dropped, on every set. ``--story-grid``: the
grid the time clauses of the story rule were chosen on, with the leave-one-query-out choice over
the 60 azure queries. ``--quality``: nDCG@5 against mean shown quality as the quality weight
varies. Nothing is encoded: ``WS`` are workspaces of the two corpora.
"""
from __future__ import annotations

import argparse
import collections
import itertools
import os
import sys
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402
import ranker_lab as lab  # noqa: E402
import story_rules as rules  # noqa: E402
from ranker_lab import NEW, PLAIN, ROUND2, TODAY  # noqa: E402

JUDGMENTS = REPO / "benchmarks" / "judgments"


def judged_sets(azure: lab.Site, powerapps: lab.Site) -> list[tuple[str, lab.Site, Path, tuple[str, ...] | None]]:
    return [("azure dev (20 q, the site's judgments)", azure, lab.DEV, None),
            ("azure extra (40 q, read for issue 10)", azure, JUDGMENTS / "azure-extra.jsonl", None),
            ("powerapps (60 q, read for issue 10)", powerapps, JUDGMENTS / "powerapps.jsonl", None),
            ("  powerapps set A (30 q)", powerapps, JUDGMENTS / "powerapps.jsonl", ("A",)),
            ("  powerapps set B (30 q)", powerapps, JUDGMENTS / "powerapps.jsonl", ("B",))]


def prepared(site: lab.Site, path: Path, only) -> tuple[lab.Judged, lab.Cands]:
    j = lab.Judged(site, path, sets=only)
    c = lab.Cands.make(site, j.queries, bm25=False)
    lab.add_reciprocal(c)
    return j, c


def whole_sets(azure: lab.Site, powerapps: lab.Site | None) -> dict[str, tuple[lab.Judged, lab.Cands]]:
    """The three whole sets ("azure dev", "azure extra", "powerapps"), judgments and candidates
    (the two azure ones only, without ``powerapps``)."""
    return {name.split(" (")[0]: prepared(site, path, only)
            for name, site, path, only in judged_sets(azure, powerapps)[:3] if site is not None}


def every_set(azure: lab.Site, powerapps: lab.Site, levers: bool = False) -> None:
    """Prints the headline table of each judged set (and with ``levers`` the third round's)."""
    rows = [PLAIN, TODAY, ROUND2, NEW.with_("new defaults *"),
            NEW.with_("new, no quality", w_quality=0.0), NEW.with_("new, quality 0.15", w_quality=0.15),
            NEW.with_("new, quality 0.1 gate 0.3", w_quality=0.1, quality_gate=0.3),
            NEW.with_("new, copies of one story not collapsed", collapse=False),
            NEW.with_("new, quality not weighed by its share", quality_share=False)]
    print("\n== every judged set (diff: against the second round's defaults, time clauses between any types)")
    checked = set()
    prepared_sets = []
    for name, site, path, only in judged_sets(azure, powerapps):
        j, c = prepared(site, path, only)
        prepared_sets.append((name, site, j, c))
        if id(site) not in checked and only is None:
            checked.add(id(site))
            got = dict(site.engine.rank_many([site.rows[int(q)] for q in j.queries]))
            same = sum([p.row for p in got[site.rows[int(q)].id]] == lab_list
                       for q, lab_list in zip(j.queries, NEW.lists(c)))
            print(f"engine lists == lab lists for the new defaults on {name.split(' (')[0]}: {same}/{len(j.queries)}")
        print(f"\n{name}: {len(j.queries)} queries, {len(j.pairs)} judged pairs, "
              f"{sum(len(v) for v in j.dup.values())} repeats")
        print(lab.HEADER)
        base = lab.evaluate(ROUND2, c, j)
        for lv in rows:
            print(lab.row(lab.evaluate(lv, c, j), base), flush=True)
        if only is None:
            _a, _b, _g, d, f = lab.judged_pairs(site, j)
            for rule_name, rule in (("round 2", rules.rule_round2), ("new", rules.rule_new)):
                prec, rec, n, tp = rules.pr(rule(f), d)
                print(f"   story rule ({rule_name}) on the judged pairs: precision {prec:.2f}  recall {rec:.2f}"
                      f"  ({tp} of {n} flagged are repeats; {n - tp} flagged pairs are not)")
    if levers:
        third_round([(n, s, j, c) for n, s, j, c in prepared_sets if not n.startswith("  ")])


# ====================================================================== third-round levers
def add_topics(c: lab.Cands) -> None:
    """Feature ``topic``: IDF-weighted cosine of the records' ``topics`` (the site's own tags)."""
    s = c.site
    tops = [frozenset(t.lower() for t in a.topics) for a in s.rows]
    df = collections.Counter(t for ts in tops for t in ts)
    idf = {t: float(np.log(s.n / n)) for t, n in df.items()}

    def overlap(x: int, y: int) -> float:
        num = sum(idf[t] ** 2 for t in tops[x] & tops[y])
        den = np.sqrt(sum(idf[t] ** 2 for t in tops[x]) * sum(idf[t] ** 2 for t in tops[y]))
        return num / den if den > 0 else 0.0
    c.f["topic"] = np.array([[overlap(int(q), int(x)) for x in r] for q, r in zip(c.queries, c.rows)])


def add_smoothed_terms(c: lab.Cands, smooth: float = 2.0) -> None:
    """Feature ``ent_smooth`` (and pairwise): key-term overlap with ``smooth`` added to each IDF
    mass, so that a text with one key term does not overlap 1.0 with every text sharing it."""
    kt = c.site.terms

    def overlap(x: int, y: int) -> float:
        a, b = kt.of(x), kt.of(y)
        shared = a & b
        if not shared:
            return 0.0
        ma = sum(kt.idf.get(t, 0.0) for t in a) + smooth
        mb = sum(kt.idf.get(t, 0.0) for t in b) + smooth
        return min(1.0, sum(kt.idf.get(t, 0.0) for t in shared) / np.sqrt(ma * mb))
    c.f["ent_smooth"] = np.array([[overlap(int(q), int(x)) for x in r] for q, r in zip(c.queries, c.rows)])
    for p, r in zip(c.pair, c.rows):
        m = p["cos"].shape[0]
        p["ent_smooth"] = np.array([[overlap(int(x), int(y)) for y in r[:m]] for x in r[:m]])


def with_feature(c: lab.Cands, **features: np.ndarray | str) -> lab.Cands:
    """``c`` with features replaced (an array, or the name of another feature, in pair features too)."""
    f = dict(c.f)
    pair = [dict(p) for p in c.pair]
    for name, value in features.items():
        if isinstance(value, str):
            f[name] = c.f[value]
            for p in pair:
                p[name] = p[value]
        else:
            f[name] = value
    return lab.Cands(c.site, c.queries, c.rows, f, pair)


@dataclass
class RelevanceGate(lab.Lever):
    """Quality counts only for candidates within ``margin`` (fading over ``fade``) of the list's
    most relevant one (relevance: the score without quality)."""

    margin: float = 0.1
    fade: float = 0.05

    def scores(self, c: lab.Cands) -> np.ndarray:
        rel = c.f[self.base].copy()
        for k, w in self.w.items():
            if w:
                rel = rel + w * c.f[k]
        best = np.where(self._valid(c), rel, -np.inf).max(1, keepdims=True)
        near = np.clip(1 - ((best - rel) - self.margin) / self.fade, 0, 1)
        gate = np.clip((c.f["cos"] - self.min_similarity) / self.quality_gate, 0, 1)
        return rel + self._w_quality(c) * c.f["q"] * near * gate


def third_round(sets) -> None:
    """The third round's levers on each set (diff: against the new defaults)."""
    print("\n== third round: levers on every judged set (diff: against the new defaults)")
    for name, site, j, c in sets:
        add_topics(c)
        add_smoothed_terms(c)
        days = np.where(np.isnan(c.f["days"]), 365.0, c.f["days"])
        c.f["near30"] = np.exp(-days / 30.0)
        print(f"\n{name}")
        print(lab.HEADER)
        base = lab.evaluate(NEW, c, j)
        w = dict(NEW.w)
        any_type = NEW.with_("time clauses between any types (not articles only)", story=lambda f: rules.rule_evidence(
            f, sim=0.6, days=3.0, ev_sim=0.6, ev_terms=0.4, ev_sim_same=0.75, ev_days=7.0, retell_sim=0.8,
            news_only=False))
        show = [(NEW.with_("new defaults"), c), (any_type, c),
                (NEW.with_("quality not weighed by the share of records with one", quality_share=False), c),
                (NEW.with_("+ topic overlap 0.05", w={**w, "topic": 0.05}), c),
                (NEW.with_("+ topic overlap 0.1", w={**w, "topic": 0.1}), c),
                (NEW.with_("+ published within ~a month 0.05", w={**w, "near30": 0.05}), c),
                (NEW.with_("smoothed key-term overlap (+2)"), with_feature(c, ent="ent_smooth")),
                (NEW.with_("quality capped at the 75th percentile, w 0.3", w_quality=0.3),
                 with_feature(c, q=np.minimum(c.f["q"], 0.75))),
                (RelevanceGate(**{**NEW.__dict__, "name": "quality only near the best relevance (0.1)"}), c),
                (NEW.with_("provider prior instead of quality, 0.2"),
                 with_feature(c, q=site.table.provider[c.rows].astype(np.float64))),
                (NEW.with_("lexical 0.4, key terms 0.1", w={**w, "tfidf": 0.4, "ent": 0.1}), c)]
        for lv, cc in show:
            print(lab.row(lab.evaluate(lv, cc, j), base), flush=True)


def story_grid(azure: lab.Site, powerapps: lab.Site) -> None:
    """The grid the story rule's time clauses were chosen on (issue 10, third round)."""
    data = whole_sets(azure, powerapps)

    def rule(days, sim, retell):
        return lambda f: rules.rule_evidence(f, sim=sim, days=days, ev_sim=0.6, ev_terms=0.4, ev_sim_same=0.75,
                                           ev_days=7.0, retell_sim=retell)
    grid = list(itertools.product((2.0, 3.0), (0.6, 0.65), (None, 0.8, 0.85)))
    res = {g: {n: lab.evaluate(NEW.with_(story=rule(*g)), c, j) for n, (j, c) in data.items()} for g in grid}
    dev, extra = "azure dev", "azure extra"
    print("\n== story rule: story_days, story_similarity, retell_similarity (retell_days 7) on every set")
    print(f"{'cell':22s}" + "".join(f"{n:>22s}" for n in data) + "   azure 60 q: nDCG5  repeats")
    for g in grid:
        r = res[g]
        both = np.r_[r[dev].ndcg, r[extra].ndcg]
        reps = np.r_[r[dev].dups, r[extra].dups]
        leak = "" if r[dev].dups.max() == 0 else "   (a dev repeat shown)"
        print(f"{str(g):22s}" + "".join(f"   {r[n].mean:.3f} rep {r[n].dups.mean():.3f}" for n in data)
              + f"   {both.mean():.3f}  {reps.mean():.3f}{leak}")
    ok = [g for g in grid if res[g][dev].dups.max() == 0]
    M = np.stack([np.r_[res[g][dev].ndcg, res[g][extra].ndcg] for g in ok])
    R = np.stack([np.r_[res[g][dev].dups, res[g][extra].dups] for g in ok])
    picks, nd, rp = [], [], []
    for qi in range(M.shape[1]):                      # choose on the other 59 queries by nDCG@5
        b = int(np.argmax(M.sum(1) - M[:, qi]))
        picks.append(ok[b])
        nd.append(M[b, qi])
        rp.append(R[b, qi])
    print(f"leave-one-query-out over the 60 azure queries (cells that show no dev repeat), chosen by nDCG@5: "
          f"{np.mean(nd):.3f}, repeats {np.mean(rp):.3f}; cells chosen: {collections.Counter(picks).most_common(2)}")


def quality_frontier(azure: lab.Site, powerapps: lab.Site) -> None:
    """nDCG@5 and mean shown quality as ``w_quality`` and ``quality_gate`` vary (new defaults otherwise)."""
    data = [(name, j, c) for name, (j, c) in whole_sets(azure, powerapps).items()]
    print("\n== quality weight: nDCG@5 / mean quality shown on every set")
    print(f"{'w_quality gate':16s}" + "".join(f"{n:>22s}" for n, _, _ in data) + "   azure 60 q")
    for wq, gate in itertools.product((0.0, 0.1, 0.125, 0.15, 0.175, 0.2, 0.25), (0.2, 0.3)):
        res = [lab.evaluate(NEW.with_(w_quality=wq, quality_gate=gate), c, j) for _, j, c in data]
        both = np.r_[res[0].ndcg, res[1].ndcg].mean()
        print(f"{wq:<7} {gate:<8}" + "".join(f"   {r.mean:.3f} q {r.quality:5.1f}" for r in res) + f"   {both:.3f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--azure", required=True, help="a workspace of ../shared/corpora/azure")
    p.add_argument("--powerapps", required=True, help="a workspace of ../shared/corpora/powerapps")
    p.add_argument("--levers", action="store_true")
    p.add_argument("--story-grid", action="store_true")
    p.add_argument("--quality", action="store_true", help="the quality weight's trade-off on every set")
    args = p.parse_args(argv)
    azure, powerapps = lab.Site(args.azure), lab.Site(args.powerapps)
    every_set(azure, powerapps, levers=args.levers)
    if args.story_grid:
        story_grid(azure, powerapps)
    if args.quality:
        quality_frontier(azure, powerapps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
