"""Issue 10, eleventh round: the article's other parts of a series, and modules named alike.

    PYTHONPATH=src python benchmarks/eleventh_round.py --azure WS --powerapps WS

Sets as ``judged_sets.py``: the 20 azure dev queries, the 40 other azure queries and the 60
powerapps queries read for issue 10. Sections:

- the pairs of each corpus whose titles name different parts of a series
  (``relate.story.other_parts``: "… part 1: …" and "… part 2: …", "Part 1/2" and "Part 2/2")
  among each other's 100 nearest neighbours, and those of them the story rule called one story
  before this round (which clause, cosine, days apart);
- the judged sets with and without the series-part exception beside the query (and with it
  between two candidates too, which the engine does not do): nDCG@5, its difference with a
  paired bootstrap 95 % interval, repeats, judged share, quality, the lists that change, and the
  rule's precision / recall on each set's judged repeats, and what each changed list took out
  and shows instead (``g``: the judged gain, 2^grade - 1, 0 for a repeat or an unjudged item);
- the pairs of records that are not news (videos, courses, samples) among each other's 50
  nearest that the near-identical clause called one item by a near-identical title alone (no
  near-identical text), which it no longer does unless their titles have the same words, and
  the judged sets with the clause as before and as now;
- the story rule's headroom: the shipped ranker with, on the query side, the judged repeats
  in place of the rule wherever a pair is judged (the rule elsewhere), on each judged set;
- a newsletter issue's listed items (records whose title the issue's excerpt lists,
  ``relate.digests``): how many an issue lists, how many of them its shipped list shows, and
  where they stand among the issue's nearest neighbours (the ranker reads the first
  ``rank.candidates``, 60).

Nothing is encoded here.
"""
from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402
import ranker_lab as lab  # noqa: E402
import story_rules as rules  # noqa: E402
from fourth_round import sets_from_args  # noqa: E402
from ranker_lab import NEW  # noqa: E402
from tenth_round import print_changed  # noqa: E402

from relate.story import other_parts  # noqa: E402
from relate.words import series_parts  # noqa: E402


def without_parts(f):
    """The shipped rule as it was before this round: a series' parts are judged as any two records."""
    return rules.rule_new({**f, "other_part": np.zeros_like(f["cos"])})


def clause(f, k: int) -> str:
    """Which clause of the rule (before this round) calls pair ``k`` one story, first match first."""
    one = {name: v[k:k + 1] for name, v in f.items()}
    for name, kw in (("near-identical", dict(days=0.0, sim=2.0, ev_sim=2.0, reissue_days=0.0, repost=False)),
                     ("re-post", dict(days=0.0, sim=2.0, ev_sim=2.0, reissue_days=0.0, dup_sim=2.0, dup_title=2.0)),
                     ("re-issue", dict(days=0.0, sim=2.0, ev_sim=2.0, dup_sim=2.0, dup_title=2.0, repost=False))):
        if rules.rule_evidence({**one, "other_part": np.zeros(1)}, **kw)[0]:
            return name
    return "time window"


def series_pairs(site) -> None:
    named = [i for i in range(site.n) if series_parts(site.title_sets[i])]
    pairs = [(i, j) for i in named for j in site.nn[i] if j in set(named) and i < j]
    pairs = sorted({(i, int(j)) for i, j in pairs})
    if not pairs:
        print("  no pair")
        return
    a, b = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    f = site.pair_features(a, b, bm25=False)
    other = f["other_part"] > 0
    before = without_parts(f)
    print(f"  {len(named)} records name a part; {len(pairs)} pairs of them among each other's "
          f"{site.n_cand} nearest, {int(other.sum())} of other parts, of which the rule called "
          f"{int((before & other).sum())} one story before this round:")
    for k in np.nonzero(before & other)[0]:
        print(f"    {clause(f, int(k)):14s} cos {f['cos'][k]:.2f}  days {f['days'][k]:6.1f}  "
              f"{site.rows[a[k]].title[:55]!r} / {site.rows[b[k]].title[:55]!r}")


def parts_between_candidates(c):
    """``c`` with the pairs of candidates reading their series parts too (the lab, as the engine,
    leaves them out: a list collapses two parts of another article's series as the clauses say)."""
    pair = []
    for p, r in zip(c.pair, c.rows):
        m = p["cos"].shape[0]
        sets = [c.site.title_sets[x] for x in r[:m]]
        other = np.array([[1.0 if other_parts(x, y) else 0.0 for y in sets] for x in sets])
        pair.append({**p, "other_part": other})
    return dataclasses.replace(c, pair=pair)


def judged(data) -> None:
    print("\n== the judged sets: a series' parts judged as any two records (before), or the query's other parts shown")
    before = NEW.with_("parts as any records (before)", story=without_parts)
    after = NEW.with_("the query's other parts shown (shipped)")
    for name, (j, c, site) in data.items():
        a, b, _, dup, f = lab.judged_pairs(site, j)
        old, new = lab.evaluate(before, c, j), lab.evaluate(after, c, j)
        changed = [qi for qi, (x, y) in enumerate(zip(old.lists, new.lists)) if x != y]
        print(f"{name}: {len(changed)} of {len(c.queries)} lists change; "
              f"{int((f['other_part'] > 0).sum())} judged pairs name other parts")
        for rule, r in ((before.story, old), (after.story, new)):
            p, rec, _, _ = rules.pr(rule(f) | (f["url_same"] > 0), dup)
            print(f"  {lab.row(r, old)}  P/R {p:.2f}/{rec:.2f}")
        print_changed(j, c, site, old.lists, new.lists, changed)
        both = lab.evaluate(after.with_("  ... and between two candidates (dropped)"), parts_between_candidates(c), j)
        changed = [qi for qi, (x, y) in enumerate(zip(new.lists, both.lists)) if x != y]
        print(f"  {lab.row(both, old)}  {len(changed)} more lists change")
        print_changed(j, c, site, new.lists, both.lists, changed)


def titles_as_before(f):
    """The rule as it was before: a near-identical title alone made any two records near-identical."""
    d = f["days"]
    near = (f["title"] >= 0.8) & (np.isnan(d) | (d <= 14.0)) & ~(f.get("other_part", 0) > 0)
    return rules.rule_new(f) | near


def module_pairs(site) -> None:
    a = np.repeat(np.arange(site.n), 50)
    b = site.nn[:, :50].ravel()
    a, b = a[a < b], b[a < b]
    f = site.pair_features(a, b, bm25=False)
    gone = titles_as_before(f) & ~rules.rule_new(f)
    print(f"  {int(gone.sum())} pairs no longer one item:")
    for k in np.nonzero(gone)[0]:
        x, y = site.rows[a[k]], site.rows[b[k]]
        print(f"    cos {f['cos'][k]:.2f}  title {f['title'][k]:.2f}  days {f['days'][k]:5.1f}  {x.type}/{y.type}  "
              f"{x.title[:50]!r} / {y.title[:50]!r}")


def modules(data) -> None:
    print("\n== a near-identical title alone: one item between any records (before), or between news only "
          "(else the same title words)")
    before = NEW.with_("any records (before)", story=titles_as_before, collapse_story=titles_as_before)
    for name, (j, c, site) in data.items():
        a, b, _, dup, f = lab.judged_pairs(site, j)
        old, new = lab.evaluate(before, c, j), lab.evaluate(NEW.with_("news only (shipped)"), c, j)
        changed = [qi for qi, (x, y) in enumerate(zip(old.lists, new.lists)) if x != y]
        print(f"{name}: {len(changed)} of {len(c.queries)} lists change")
        for rule, r in ((titles_as_before, old), (rules.rule_new, new)):
            p, rec, _, _ = rules.pr(rule(f) | (f["url_same"] > 0), dup)
            print(f"  {lab.row(r, old)}  P/R {p:.2f}/{rec:.2f}")
        print_changed(j, c, site, old.lists, new.lists, changed)


def headroom(data) -> None:
    print("\n== the story rule's headroom: judged repeats in place of the rule where a pair is judged (query side)")
    for name, (j, c, _site) in data.items():
        judged, dup = np.zeros_like(c.f["cos"]), np.zeros_like(c.f["cos"])
        for qi, q in enumerate(c.queries):
            for ci, x in enumerate(c.rows[qi]):
                judged[qi, ci] = x in j.grade.get(int(q), {})
                dup[qi, ci] = x in j.dup.get(int(q), ())
        f = {**c.f, "judged": judged, "judged_dup": dup}

        def oracle(g):
            return np.where(g["judged"] > 0, g["judged_dup"] > 0, rules.rule_new(g)) if "judged" in g else rules.rule_new(g)
        base = lab.evaluate(NEW, c, j)
        best = lab.evaluate(NEW.with_("judged repeats, else the rule", story=oracle, collapse_story=rules.rule_new),
                            dataclasses.replace(c, f=f), j)
        print(f"{name}\n  {lab.row(base)}\n  {lab.row(best, base)}")


def listed_items(site) -> None:
    """How many of its listed items a digest's list shows (the engine's lists), and their ranks."""
    from relate.digests import segment_keys, title_key

    rows_of: dict[int, list[int]] = {}
    for i, a in enumerate(site.rows):
        k = title_key(a.title)
        if k is not None:
            rows_of.setdefault(k, []).append(i)
    digests = np.nonzero(site.table.digest)[0] if site.table.digest is not None else np.zeros(0, int)
    if not len(digests):
        print("  no digest")
        return
    picks = dict(site.engine.rank_many([site.rows[q] for q in digests], k=5))
    lists = [[p.row for p in picks[site.rows[q].id]] for q in digests]
    listed, shown, ranks = [], [], []
    for q, shown_rows in zip(digests, lists):
        items = {r for k in segment_keys(site.rows[q].excerpt) for r in rows_of.get(k, []) if r != q}
        listed.append(len(items))
        shown.append(len(items & set(shown_rows)))
        for r in items:
            hit = np.nonzero(site.nn[q] == r)[0]
            ranks.append(hit[0] if hit.size else site.n_cand)
    ranks = np.array(ranks)
    within = ", ".join(f"{(ranks < t).mean():.0%} within {t}" for t in (10, 20, 60, 100))
    print(f"  {len(digests)} digests list {np.mean(listed):.1f} records each; their lists show "
          f"{np.mean(shown):.1f}; all of them: {sum(s >= min(n, 5) for s, n in zip(shown, listed))}, "
          f"none: {sum(s == 0 for s in shown)}; listed items among the issue's nearest: {within}")


def main(argv=None) -> int:
    data = sets_from_args(list(sys.argv[1:] if argv is None else argv), __doc__.splitlines()[0])
    print("== pairs of records whose titles name different parts of a series")
    for name, site in (("azure", data["azure dev"][2]), ("powerapps", data["powerapps"][2])):
        print(name)
        series_pairs(site)
    judged(data)
    print("\n== pairs of records that are not news, near-identical by title alone")
    for name, site in (("azure", data["azure dev"][2]), ("powerapps", data["powerapps"][2])):
        print(name)
        module_pairs(site)
    modules(data)
    headroom(data)
    print("\n== a newsletter issue's listed items")
    for name, site in (("azure", data["azure dev"][2]), ("powerapps", data["powerapps"][2])):
        print(name)
        listed_items(site)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
