"""Issue 10, tenth round: a headline re-posted with a typo, and what the collapse of copies takes out.

    PYTHONPATH=src python benchmarks/tenth_round.py --azure WS --powerapps WS [--pairs]

Sets as ``judged_sets.py``: the 20 azure dev queries, the 40 other azure queries and the 60
powerapps queries read for issue 10. Sections:

- the re-post clause with and without ``relate.story.same_headline`` (a typo forgiven in a
  headline): nDCG@5, its difference with a paired bootstrap 95 % interval, repeats, judged share,
  quality, the lists that change, and the rule's precision / recall on each set's judged repeats;
- the collapse of copies of one story among the candidates (a candidate that tells the story
  of one taken before it is skipped): how many it skips, and the shipped ranker with other rules
  between candidates (none; only the near-identical, re-post and re-issue clauses; those and
  other outlets' re-tellings; one provider's posts within three days only at cosine >= 0.75).
  The judgments grade each item against the query alone, so a list that shows one story twice
  loses nothing by them: read the pairs (``--pairs`` prints every one) before trusting a gain;
- items shown in many lists (filler): the grade of what the shipped lists of the judged queries
  show, by how many of the corpus's lists show it, and a penalty for hubs (``w · log(1 + N_k / k)``,
  ``N_k`` the rows whose ``k`` nearest neighbours hold the candidate) or a heavier reciprocal weight;
- a digest's list (a newsletter issue's) with and without the items the issue lists (a
  candidate whose whole title is one of its list items), on 15 powerapps issues whose lists
  differ, graded by the site's rubric (``judgments/powerapps-newsletters.jsonl``), and how many
  of the 650 issues' shipped lists show one of their own items.

Nothing is encoded here.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

import dataclasses  # noqa: E402

import numpy as np  # noqa: E402
import ranker_lab as lab  # noqa: E402
import story_rules as rules  # noqa: E402
from fourth_round import sets_from_args  # noqa: E402
from judged_sets import JUDGMENTS, prepared  # noqa: E402
from ranker_lab import NEW  # noqa: E402

from relate.digests import segment_keys, title_key  # noqa: E402


def without_headline(f):
    """The shipped rule as it was before this round: the re-post clause wants the same title words."""
    return rules.rule_new({**f, "headline": np.zeros_like(f["cos"])})


def only_copies(f):
    """Near-identical, re-posted, re-issued (and one address): no time-window clause."""
    return rules.rule_evidence(f, sim=2.0, days=0.0, ev_sim=2.0, ev_terms=2.0, ev_days=0.0)


def copies_and_retellings(f):
    """:func:`only_copies` and other outlets' re-tellings (cosine >= 0.8 within 7 days)."""
    return rules.rule_evidence(f, sim=2.0, days=0.0, ev_sim=2.0, ev_terms=2.0, ev_days=0.0, retell_sim=0.8)


def provider_closer(f):
    """The shipped rule, but one provider's two posts within three days need cosine >= 0.75 (as in
    the key-term clause) rather than 0.6."""
    d = f["days"]
    close = (f["news"] > 0) & ~np.isnan(d) & (d <= 3.0) & (f["cos"] >= np.where(f["same_prov"] > 0, 0.75, 0.6))
    return close | rules.rule_evidence(f, sim=2.0, days=3.0, ev_sim=0.6, ev_terms=0.4, ev_sim_same=0.75,
                                       ev_days=7.0, retell_sim=0.8)


def headline(data) -> None:
    print("\n== the re-post clause forgives a typo in a headline (relate.story.same_headline)")
    before = NEW.with_("re-post: the same title words (before)", story=without_headline)
    for name, (j, c, site) in data.items():
        a, b, _, dup, f = lab.judged_pairs(site, j)
        old, new = lab.evaluate(before, c, j), lab.evaluate(NEW.with_("re-post: one headline (shipped)"), c, j)
        changed = sum(x != y for x, y in zip(old.lists, new.lists))
        print(f"{name}: {changed} of {len(c.queries)} lists change")
        for rule, r in ((before.story, old), (NEW.story, new)):
            p, rec, _, _ = rules.pr(rule(f) | (f["url_same"] > 0), dup)
            print(f"  {lab.row(r, old)}  P/R {p:.2f}/{rec:.2f}")


def collapse(data, pairs: bool) -> None:
    print("\n== the collapse of copies among the candidates (Δ: against the shipped collapse)")
    variants = [NEW.with_("no collapse", collapse=False),
                NEW.with_("between candidates: copies only", collapse_story=only_copies),
                NEW.with_("  ... and other outlets' re-tellings", collapse_story=copies_and_retellings),
                NEW.with_("between candidates: one provider's, cos >= 0.75", collapse_story=provider_closer)]
    for name, (j, c, site) in data.items():
        skipped: list = []
        base = lab.evaluate(NEW, c, j)
        NEW.lists(c, skipped)
        print(f"{name}: the shipped lists skip {len(skipped)} candidates as copies of one taken before")
        print(f"  {lab.row(base)}")
        for lever in variants:
            r = lab.evaluate(lever, c, j)
            changed = [qi for qi, (x, y) in enumerate(zip(base.lists, r.lists)) if x != y]
            print(f"  {lab.row(r, base)}  {len(changed)} lists change")
            if pairs and lever is variants[-1]:
                print_changed(j, c, site, base.lists, r.lists, changed)
        if pairs:
            print_pairs(j, c, site, skipped)


def print_changed(j, c, site, before, after, changed) -> None:
    """What each changed list took out and what it shows instead."""
    for qi in changed:
        q = int(c.queries[qi])
        gone = [f"g{j.gain(q, x):.0f} {site.rows[x].title[:50]!r}" for x in before[qi] if x not in after[qi]]
        new = [f"g{j.gain(q, x):.0f} {site.rows[x].title[:50]!r}" for x in after[qi] if x not in before[qi]]
        print(f"      {site.rows[q].title[:60]!r}: out {gone}, in {new}")


def print_pairs(j, c, site, skipped) -> None:
    for qi, x, taken in skipped:
        q, kept, skip = int(c.queries[qi]), int(c.rows[qi, taken]), int(c.rows[qi, x])
        p = c.pair[qi]
        feats = " ".join(f"{k} {p[k][x, taken]:.2f}" for k in ("cos", "ent", "title", "days", "same_prov"))
        print(f"    {site.rows[q].title[:60]!r}\n"
              f"      taken   g{j.gain(q, kept):.0f} {site.rows[kept].title[:80]!r} ({site.provider[kept]})\n"
              f"      skipped g{j.gain(q, skip):.0f} {site.rows[skip].title[:80]!r} ({site.provider[skip]})\n"
              f"      {feats}")


def hubs(data) -> None:
    print("\n== filler: items shown in many lists (shipped lists of the judged queries; penalties: Δ against shipped)")
    counted: dict[int, np.ndarray] = {}
    for name, (j, c, site) in data.items():
        shown_in = counted.get(id(site))
        if shown_in is None:                          # how many of the corpus's lists show each row
            shown_in = counted[id(site)] = np.zeros(site.n)
            for _aid, picks in site.engine.rank_many():
                shown_in[[p.row for p in picks]] += 1
        top = np.argsort(-shown_in, kind="stable")
        print(f"{name}: the 50 items shown most take {shown_in[top[:50]].sum() / shown_in.sum():.1%} of the "
              f"corpus's entries; most: " + "; ".join(f"{site.rows[x].title[:50]!r} in {shown_in[x]:.0f}" for x in top[:2]))
        base = lab.evaluate(NEW, c, j)
        cells = []
        for lo, hi in ((0, 10), (10, 30), (30, 60), (60, None)):
            grades = [j.grade.get(int(q), {}).get(x) for q, shown in zip(c.queries, base.lists) for x in shown
                      if shown_in[x] >= lo and (hi is None or shown_in[x] < hi)]
            known = [g for g in grades if g is not None]
            cells.append(f"{lo}-{hi or ''} lists: {len(grades)} shown, mean grade {np.mean(known) if known else np.nan:.2f}")
        print("  shown in " + "; ".join(cells))
        for k in (10, 30):
            c.f[f"hub{k}"] = np.log1p(np.bincount(site.nn[:, :k].ravel(), minlength=site.n) / k)[c.rows]
            for w in (0.02, 0.05, 0.1):
                print(f"  {lab.row(lab.evaluate(NEW.with_(f'hub penalty, k {k}, w {w}', w={**NEW.w, f'hub{k}': -w}), c, j), base)}")
        for w in (0.3, 0.4):
            print(f"  {lab.row(lab.evaluate(NEW.with_(f'reciprocal weight {w}', w={**NEW.w, 'recip_gated': w}), c, j), base)}")


@dataclasses.dataclass
class ListedLeftOut(lab.Lever):
    """A ranker that never shows a digest's own list items under it (``listed`` candidates)."""

    def _valid(self, c: lab.Cands) -> np.ndarray:
        return super()._valid(c) & (c.f["listed"] == 0)


def listed(site: lab.Site, queries, rows: np.ndarray) -> np.ndarray:
    """1 where a candidate's whole title is one of the items its query's excerpt lists."""
    out = np.zeros(rows.shape)
    for i, q in enumerate(queries):
        items = set(segment_keys(site.rows[int(q)].excerpt))
        out[i] = [title_key(site.rows[int(r)].title) in items for r in rows[i]]
    return out


def digests(powerapps: lab.Site) -> None:
    print("\n== a newsletter issue's list, with and without the items the issue lists (powerapps)")
    issues = np.flatnonzero(powerapps.table.digest)
    shown = dict(powerapps.engine.rank_many([powerapps.rows[int(q)] for q in issues]))
    holding = sum(bool({title_key(powerapps.rows[p.row].title) for p in shown[powerapps.rows[int(q)].id]}
                       & set(segment_keys(powerapps.rows[int(q)].excerpt))) for q in issues)
    print(f"shipped lists of the {len(issues)} issues that show one of the issue's own items: {holding}")
    j, c = prepared(powerapps, JUDGMENTS / "powerapps-newsletters.jsonl", None)
    c.f["listed"] = listed(powerapps, c.queries, c.rows)
    base = lab.evaluate(NEW.with_("the issue's items shown (shipped)"), c, j)
    out = lab.evaluate(ListedLeftOut(**{**dataclasses.asdict(NEW), "name": "the issue's items left out"}), c, j)
    print(f"{len(c.queries)} issues, {sum(len(g) for g in j.grade.values())} judged pairs")
    print(f"  {lab.row(base)}\n  {lab.row(out, base)}")
    taken = [j.grade[int(q)].get(x, 0) for q, a, b in zip(c.queries, base.lists, out.lists) for x in a if x not in b]
    given = [j.grade[int(q)].get(x, 0) for q, a, b in zip(c.queries, base.lists, out.lists) for x in b if x not in a]
    print(f"  grades of the items left out: mean {np.mean(taken):.2f} ({len(taken)}); of those shown instead: "
          f"mean {np.mean(given):.2f} ({len(given)})")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pairs = "--pairs" in argv
    data = sets_from_args([a for a in argv if a != "--pairs"], __doc__.splitlines()[0])
    headline(data)
    collapse(data, pairs)
    hubs(data)
    digests(data["powerapps"][2])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
