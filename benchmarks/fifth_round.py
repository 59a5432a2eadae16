"""Issue 10, fifth round: the repeats the shipped ranker still shows, and a story clause for them.

    PYTHONPATH=src python benchmarks/fifth_round.py --azure WS --powerapps WS

Sets as ``judged_sets.py``: the 20 azure dev queries, the 40 other azure queries and the 60
powerapps queries read for issue 10. Sections: every judged repeat that the shipped ranker still
shows in a top 5, with the pair's features (cosine, key-term overlap, title-word Jaccard, days
apart, one provider); then a "follow-up window" clause added to the shipped story rule, which
calls two news records one story when they are within ``W`` days with cosine >= ``s`` and key-term
overlap >= ``e`` (the repeats left are re-tellings 20 to 54 days later). Each row of the grid:
nDCG@5, its difference to the shipped defaults with a paired bootstrap 95 % interval, repeats
shown, and the rule's precision / recall on the judged pairs. The encoder variants of this round
(the title written twice, all-mpnet-base-v2 quantised to int8, MiniLM adapted to azure by TSDAE
with ``adapt_encoder.py``) are measured with ``judged_encoders.py`` (docs/ranking.md, "Fifth
round"). Nothing is encoded here.
"""
from __future__ import annotations

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
from fourth_round import sets_from_args, story_table  # noqa: E402
from ranker_lab import NEW  # noqa: E402

SHOWN = ("cos", "ent", "title", "days", "same_prov")


def residual(data) -> None:
    """The judged repeats of each query that the shipped ranker shows in its top 5."""
    print("\n== judged repeats the shipped ranker still shows (query -> shown item: features of the pair)")
    for name, (j, c, site) in data.items():
        r = lab.evaluate(NEW, c, j)
        print(f"{name}: {r.dups.mean():.3f} of the top-5 items are judged repeats")
        for qi, (q, shown) in enumerate(zip(c.queries, r.lists)):
            for pos, x in enumerate(shown[:5]):
                if x not in j.dup.get(int(q), ()):
                    continue
                ci = int(np.nonzero(c.rows[qi] == x)[0][0])
                feats = " ".join(f"{k} {c.f[k][qi, ci]:.2f}" for k in SHOWN)
                print(f"  #{pos + 1} {site.rows[int(q)].title[:60]!r} -> {site.rows[x].title[:60]!r}\n"
                      f"      {site.provider[int(q)]} / {site.provider[x]}: {feats}")


def follow_up_rule(window: float, sim: float, terms: float):
    """The shipped rule, or two news records within ``window`` days with cosine >= ``sim`` and
    key-term overlap >= ``terms``."""
    def rule(f):
        d = f["days"]
        late = (f["news"] > 0) & ~np.isnan(d) & (d <= window) & (f["cos"] >= sim) & (f["ent"] >= terms)
        return rules.rule_new(f) | late
    return rule


def follow_up_window(data) -> None:
    cells = [("shipped", rules.rule_new)]
    cells += [(f"+ within {w} d, cos >= {s}, key terms >= {e}", follow_up_rule(w, s, e))
              for w, s, e in itertools.product((14, 30, 60), (0.83, 0.85, 0.88), (0.3, 0.6))]
    story_table("a follow-up window clause (re-tellings weeks apart)", cells, data)


def main(argv=None) -> int:
    data = sets_from_args(argv, __doc__.splitlines()[0])
    residual(data)
    follow_up_window(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
