"""Issue 10, ninth round: "fresh enough" as evidence of the same subject, on every judged set.

    PYTHONPATH=src python benchmarks/time_proximity.py --azure WS --powerapps WS

A candidate published close to the article is more often about the same event; the lever adds
``w · exp(−days / tau) · gate`` to the shipped score, ``days`` being the two records' distance in
time, and ``gate`` the quality gate (a weak match is not lifted); no bonus where a date is unknown. Rows:
for each ``tau`` and ``w``, the nDCG@5 difference against the shipped ranker on each set, with the
pool additions and a paired bootstrap 95 % interval, the same condensed (unjudged items dropped
from the list first, so a list unlike the pooled ones is not marked down for it), the share judged
and the repeats shown. ``WS`` are workspaces of the azure and powerapps corpora built with the
defaults; nothing is encoded.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402
import ranker_lab as lab  # noqa: E402
from judged_encoders import SETS, condensed, site_sets_from_args  # noqa: E402
from ranker_lab import NEW  # noqa: E402

TAUS = (3, 7, 30, 90, 365)
WEIGHTS = (0.02, 0.05, 0.1, 0.2)


def add_proximity(c: lab.Cands, taus=TAUS) -> None:
    """Features ``near<tau>``: ``exp(−days / tau)`` times the quality gate (0 without a date)."""
    d = c.f["days"]
    gate = np.clip((c.f["cos"] - NEW.min_similarity) / NEW.quality_gate, 0, 1)
    for tau in taus:
        c.f[f"near{tau}"] = np.where(np.isfinite(d), np.exp(-np.nan_to_num(d, nan=0.0) / tau), 0.0) * gate


def main(argv=None) -> int:
    sets = site_sets_from_args(argv, __doc__.splitlines()[0])
    base = {}
    for name in SETS:
        _site, _j, j_plus, c, _n = sets[name]
        add_proximity(c)
        base[name] = (lab.evaluate(NEW, c, j_plus), condensed(NEW, c, j_plus))
    print("nDCG@5 of the shipped ranker (with the pool additions / condensed): "
          + "; ".join(f"{n} {base[n][0].mean:.3f} / {base[n][1]:.3f}" for n in SETS))
    print("each cell: Δ with additions [95 % CI]  Δ condensed  judged share  repeats")
    print(f"{'tau':>5} {'w':>5}  " + "  ".join(f"{n:<44}" for n in SETS))
    for tau in TAUS:
        for w in WEIGHTS:
            lever = NEW.with_(f"near {tau} d, {w}", w={**NEW.w, f"near{tau}": w})
            cells = []
            for name in SETS:
                _site, _j, j_plus, c, _n = sets[name]
                r = lab.evaluate(lever, c, j_plus)
                mean, lo, hi = lab.paired(base[name][0], r)
                cells.append(f"{mean:+.3f} [{lo:+.3f}, {hi:+.3f}] {condensed(lever, c, j_plus) - base[name][1]:+.3f} "
                             f"{np.nanmean(r.judged):.2f} {r.dups.mean():.3f}")
            print(f"{tau:>5} {w:>5}  " + "  ".join(f"{x:<44}" for x in cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
