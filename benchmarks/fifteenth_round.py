"""Issue 10, fifteenth round: another outlet's write-up of an announcement a week or two later.

    PYTHONPATH=src python benchmarks/fifteenth_round.py --azure WS --powerapps WS

The story rule's time clauses stopped at a week: a trade outlet's write-up of an announcement 8 to
14 days after it (InfoQ's "Microsoft Releases Azure Firewall Premium in Public Preview", 10 days
after Microsoft's "Azure Firewall Premium now in preview") was shown under it. The clause tried
here: two news records of different known providers, cosine >= ``s``, key-term overlap >=
``story_terms`` (0.4), published within ``W`` days. Sections: (1) on every judged set, with the pool
additions, the fourteenth round's rule and a grid of ``W`` x ``s`` (and the key-term bar) against the
shipped rule (``W`` 14, ``s`` 0.85): nDCG@5 with its paired bootstrap interval, repeats shown, mean
shown quality; (2) the rule's precision and recall on each set's judged repeats, as read; (3) dropped:
a chain, leaving out a candidate that is one story with a candidate left out as the article's own
(by the copy clauses alone, or by any clause); (4) dropped: the same clause for one provider's own
posts (cosine >= 0.9 or 0.93, key terms >= 0.6, within 10 or 14 days). What the
clause changes in the whole corpora's lists is read with ``story_pairs_changed.py`` (two
``relate regenerate --jsonl`` runs, the first with ``late_retell_similarity=2.0``). ``WS`` are
workspaces of the two corpora built with the defaults; nothing is encoded.
"""
from __future__ import annotations

import dataclasses
import itertools
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
from judged_encoders import SETS, print_deltas, site_sets_from_args  # noqa: E402
from ranker_lab import NEW  # noqa: E402

WINDOWS = (10.0, 14.0, 21.0)
SIMILARITIES = (0.8, 0.85, 0.9)


def late_rule(days: float, sim: float, terms: float | None = None):
    """The shipped rule with its late re-telling clause at ``days``, ``sim`` (and ``terms``)."""
    return lambda f: rules.rule_evidence(f, **{**rules.SHIPPED, "late_days": days, "late_sim": sim, "late_terms": terms})


def levers() -> list[lab.Lever]:
    def ranker(label, rule):
        return NEW.with_(label, story=rule, collapse_story=rule)
    out = [ranker("the fourteenth round's rule (no late clause)", rules.rule_fourteenth)]
    out += [ranker(f"within {w:g} d, cosine >= {s}", late_rule(w, s)) for w, s in itertools.product(WINDOWS, SIMILARITIES)]
    out += [ranker(f"within 14 d, cosine >= 0.85, key terms >= {t}", late_rule(14.0, 0.85, t)) for t in (0.2, 0.6)]
    return out


def precision_recall(sets: dict) -> None:
    print("\n== (2) the story rule on each set's judged repeats, as read: precision / recall (pairs flagged)")
    print(f"{'rule':48s}  " + "  ".join(f"{n:<22}" for n in SETS))
    for label, rule in (("the fourteenth round's rule", rules.rule_fourteenth), ("shipped (late clause 14 d, 0.85)", rules.rule_new)):
        cells = []
        for name in SETS:
            site, j, _jp, _c, _n = sets[name]
            _a, _b, _g, dup, f = lab.judged_pairs(site, j)
            prec, rec, flagged, _tp = rules.pr(rule(f), dup)
            cells.append(f"{prec:.2f} / {rec:.2f} ({flagged})")
        print(f"{label:48s}  " + "  ".join(f"{x:<22}" for x in cells))


def copies(f):
    """The shipped rule's near-identical, re-post and re-issue clauses alone (no time window)."""
    return rules.rule_evidence(f, **{**rules.SHIPPED, "days": -1.0, "ev_days": -1.0, "retell_sim": None,
                                     "other_sim": None, "late_sim": None})


@dataclasses.dataclass
class Chain(lab.Lever):
    """The shipped ranker that also leaves out a candidate ``chain(candidate, other)`` joins to another
    candidate left out as the article's own story (a copy of a repeat is a repeat)."""

    chain: object = None

    def _valid(self, c: lab.Cands) -> np.ndarray:
        valid = super()._valid(c)
        f = c.f
        own = (f["cos"] >= self.min_similarity) & (f["rank"] < self.candidates) & self.story(f)
        for qi in range(len(c.queries)):
            pair = c.pair[qi]
            m = pair["cos"].shape[0]
            rows = np.nonzero(own[qi, :m])[0]
            if len(rows):
                valid[qi, :m] &= ~self.chain(pair)[:, rows].any(1)
        return valid


def chains(sets: dict) -> None:
    print("\n== (3) dropped: a copy of the article's own story is its story too (Δ against the shipped ranker)")
    fields = dataclasses.asdict(NEW)
    print_deltas(sets, [Chain(**{**fields, "name": "chain by the copy clauses", "chain": copies}),
                        Chain(**{**fields, "name": "chain by any clause", "chain": rules.rule_new})], 48, scores=True)


def one_provider_rule(days: float, sim: float, terms: float):
    """The shipped rule, or two news records of one provider within ``days`` with cosine >= ``sim``
    and key-term overlap >= ``terms``."""
    def rule(f):
        late = ((f["news"] > 0) & (f["days"] <= days) & (f["cos"] >= sim) & (f["ent"] >= terms)
                & (f["same_prov"] > 0) & ~(f.get("other_part", 0) > 0))
        return rules.rule_new(f) | late
    return rule


def one_provider(sets: dict) -> None:
    print("\n== (4) dropped: one provider's own posts a week or two apart (Δ against the shipped ranker)")
    cells = [(d, s) for d in (10.0, 14.0) for s in (0.9, 0.93)]
    print_deltas(sets, [NEW.with_(f"one provider, within {d:g} d, cosine >= {s}", story=one_provider_rule(d, s, 0.6),
                                  collapse_story=one_provider_rule(d, s, 0.6)) for d, s in cells], 48, scores=True)


def main(argv=None) -> int:
    sets = site_sets_from_args(argv, __doc__.splitlines()[0])
    print("== (1) nDCG@5 with the pool additions (Δ against the shipped rule [95 % CI]; repeats shown; mean shown quality)")
    print(f"{'story rule':48s}  " + "  ".join(f"{n:<40}" for n in SETS))
    print_deltas(sets, [NEW.with_("shipped (late clause: 14 d, cosine >= 0.85)")] + levers(), 48, scores=True)
    precision_recall(sets)
    chains(sets)
    one_provider(sets)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
