"""Issue 10, thirteenth round: other outlets' reports of one event the same day are one story.

    PYTHONPATH=src python benchmarks/thirteenth_round.py --azure WS --powerapps WS

The story rule's time clause asks cosine >= 0.6 within 3 days of any two news records. Other
outlets' reports of one event the day it happens are told in their own words, and a few fall
under it: the azure extra set's judged repeats hold "Amazon blasts the White House …" and "DoD:
Pentagon okay in giving $10B 'war cloud' contract …", 14 minutes apart, cosine 0.59. The lever:
two records of *different* providers published within ``other_outlet_days`` at cosine >=
``other_outlet_similarity`` are one story (one provider's posts of one day stay with the time
clause: a vendor announces several things at once).

Sections: (1) a grid of the two thresholds on every judged set, the nDCG@5 difference against the
twelfth round's rule (with the pool additions; paired bootstrap 95 %), the repeats shown and the
lists changed; (2) the judged pairs the shipped clause joins that the twelfth round's rule did not,
with their grades, and the rule's precision and recall on each set's judged repeats; (3) levers
tried and dropped: a bonus for a candidate of the article's own record type or provider (gated
like quality), and word pairs (TF-IDF over bigrams, scikit-learn, fitted on the corpus's texts) or
titles alone beside the shipped TF-IDF, also at a quality weight that shows as much quality on
azure extra; (4) on powerapps, the quality part weighed by the share of records that carry a
quality to the power 1 (the twelfth round), 1.5, 2 (shipped), 3, or no quality part. ``WS`` are workspaces of the two corpora built with the defaults; nothing is encoded.
"""
from __future__ import annotations

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
from story_rules import SHIPPED, rule_evidence, rule_new, rule_twelfth  # noqa: E402

from relate.lexical import tfidf_vectorizer  # noqa: E402

DAYS = (0.5, 1.0, 2.0)
SIMILARITIES = (0.45, 0.5, 0.55, 0.58, 0.6)


def rule_with(other_sim: float, other_days: float):
    """The shipped rule with the other-outlet clause at these thresholds."""
    def rule(f):
        return rule_evidence(f, **{**SHIPPED, "other_sim": other_sim, "other_days": other_days})
    return rule


def grid(sets: dict) -> None:
    before = NEW.with_("twelfth round", story=rule_twelfth)
    base = {name: lab.evaluate(before, sets[name][3], sets[name][2]) for name in SETS}
    print("== (1) nDCG@5 with the pool additions: the twelfth round's rule, then each cell's Δ [95 % CI], "
          "repeats shown, judged lists changed")
    print("the twelfth round's story rule: "
          + "; ".join(f"{n} {base[n].mean:.3f} (repeats {base[n].dups.mean():.3f})" for n in SETS))
    print(f"{'days':>5} {'cos':>5}  " + "  ".join(f"{n:<38}" for n in SETS))
    for days in DAYS:
        for sim in SIMILARITIES:
            lever = NEW.with_(f"other outlets {sim} within {days} d", story=rule_with(sim, days))
            cells = []
            for name in SETS:
                _site, _j, j_plus, c, _n = sets[name]
                r = lab.evaluate(lever, c, j_plus)
                mean, lo, hi = lab.paired(base[name], r)
                changed = sum(a != b for a, b in zip(r.lists, base[name].lists))
                cells.append(f"{mean:+.3f} [{lo:+.3f}, {hi:+.3f}] {r.dups.mean():.3f} {changed:>2}")
            shipped = " *" if (sim, days) == (0.55, 1.0) else ""
            print(f"{days:>5} {sim:>5}  " + "  ".join(f"{x:<38}" for x in cells) + shipped, flush=True)


def judged_pairs(sets: dict) -> None:
    print("\n== (2) judged pairs the shipped rule joins and the twelfth round's did not; the rule on the judged repeats")
    for name in SETS:
        site, _j, j_plus, _c, _n = sets[name]
        a, b, grade, dup, f = lab.judged_pairs(site, j_plus)
        old, new = rule_twelfth(f), rule_new(f)
        added = new & ~old
        print(f"{name}: {int(added.sum())} pairs newly joined, {int((added & dup).sum())} of them judged repeats; "
              f"precision / recall {pr(old, dup)} -> {pr(new, dup)}")
        for x in np.nonzero(added)[0]:
            flag = "repeat" if dup[x] else f"grade {grade[x]}"
            print(f"  {flag:8s} cos {f['cos'][x]:.2f} {f['days'][x] * 24:4.1f} h  {site.rows[a[x]].title[:60]!r} / "
                  f"{site.rows[b[x]].title[:60]!r}")


def add_features(sets: dict) -> None:
    """Features of section (3) on each set's candidates: ``same_type`` and ``same_provider`` (times the
    quality gate), ``bigrams`` and ``titles`` (TF-IDF cosines of word pairs, of titles)."""
    fitted: dict[int, dict] = {}
    for name in SETS:
        site, _j, _jp, c, _n = sets[name]
        if id(site) not in fitted:
            fitted[id(site)] = {
                "bigrams": tfidf_vectorizer(min_df=2, max_df=0.5, ngram_range=(2, 2)).fit_transform(site.texts).tocsr(),
                "titles": tfidf_vectorizer(min_df=2, max_df=0.5).fit_transform(site.titles_clean).tocsr()}
        a, b = np.repeat(c.queries, c.rows.shape[1]), c.rows.ravel()
        for feature, X in fitted[id(site)].items():
            c.f[feature] = np.asarray(X[a].multiply(X[b]).sum(1)).ravel().reshape(c.rows.shape)
        types = np.array([(r.type or "article").lower() for r in site.rows])
        gate = np.clip((c.f["cos"] - NEW.min_similarity) / NEW.quality_gate, 0, 1)
        c.f["same_type"] = (types[c.queries][:, None] == types[c.rows]) * gate
        c.f["same_provider"] = c.f["same_prov"] * gate


def dropped(sets: dict) -> None:
    add_features(sets)
    print("\n== (3) levers dropped: Δ nDCG@5 against the shipped ranker [95 % CI], mean shown quality")
    print(f"{'lever':36s}  " + "  ".join(f"{n:<32}" for n in SETS))
    levers = [(f"{feature} {w}", {feature: w}, NEW.w_quality) for feature in ("same_type", "same_provider")
              for w in (0.02, 0.05, 0.1)]
    levers += [(f"bigrams {w}", {"bigrams": w}, NEW.w_quality) for w in (0.1, 0.2, 0.3)]
    levers += [(f"bigrams {w}, w_quality 0.225", {"bigrams": w}, 0.225) for w in (0.2, 0.3, 0.4)]
    levers += [("w_quality 0.225", {}, 0.225)]
    levers += [(f"titles {w}", {"titles": w}, NEW.w_quality) for w in (0.05, 0.1)]
    print_deltas(sets, [NEW.with_(label, w={**NEW.w, **w}, w_quality=w_quality) for label, w, w_quality in levers], 36)


def quality_share(sets: dict) -> None:
    """Powerapps' lists with the quality part weighed by the share of records with a quality to the
    power ``p`` (1: the twelfth round's; 2: shipped; none: no quality part), against ``p`` = 1."""
    site, j, j_plus, c, _n = sets["powerapps"]
    share = site.quality_share
    halves = {half: js.prepared(site, js.JUDGMENTS / "powerapps.jsonl", (half,)) for half in ("A", "B")}

    def lever(power):
        return NEW.with_(f"share ** {power}", quality_share=False,
                         w_quality=0.0 if power is None else NEW.w_quality * share ** power)
    base = lab.evaluate(lever(1), c, j_plus)
    print(f"\n== (4) powerapps (a share of {share:.3f} of its records carry a quality): the quality part weighed by "
          f"the share to a power; nDCG@5 with the pool additions, Δ against the power 1 [95 % CI], as read, "
          f"sets A / B as read, mean shown quality")
    for power in (1, 1.5, 2, 3, None):
        r = lab.evaluate(lever(power), c, j_plus)
        mean, lo, hi = lab.paired(base, r)
        read = lab.evaluate(lever(power), c, j).mean
        ab = " / ".join(f"{lab.evaluate(lever(power), hc, hj).mean:.3f}" for hj, hc in halves.values())
        label = "no quality part" if power is None else f"share ** {power}" + (" *" if power == 2 else "")
        print(f"{label:18s} {r.mean:.3f} {mean:+.3f} [{lo:+.3f}, {hi:+.3f}]  as read {read:.3f}  A / B {ab}  "
              f"quality {r.quality:.1f}")


def pr(flag: np.ndarray, dup: np.ndarray) -> str:
    hits = int((flag & dup).sum())
    return f"{hits / max(int(flag.sum()), 1):.2f} / {hits / max(int(dup.sum()), 1):.2f}"


def main(argv=None) -> int:
    sets = site_sets_from_args(argv, __doc__.splitlines()[0])
    grid(sets)
    judged_pairs(sets)
    dropped(sets)
    quality_share(sets)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
