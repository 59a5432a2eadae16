"""Issue 10, sixth round: do the blend's features have one scale on every site, and do two encoders
joined beat the better one?

    PYTHONPATH=src python benchmarks/sixth_round.py --azure WS --powerapps WS \\
        [--other-azure WS2 --other-powerapps WS2 --other-config FILE]

``WS``: workspaces of ``../shared/corpora/azure`` and ``../shared/corpora/powerapps`` built with the
defaults; ``WS2`` the same corpora built with ``FILE`` (e.g. ``models/quality.yaml``'s
all-mpnet-base-v2). Sections:

- **feature scales**: the blend adds the features to the cosine with fixed weights, tuned on azure.
  If a feature spread wider or narrower among a query's candidates on another site, its weight
  would mean something else there, and a corpus-fitted rescaling would be the fix. For 600 random
  queries of each site: the mean standard deviation, within a query's candidates (its 60 nearest
  above ``min_similarity``), of each feature, and its ratio to the cosine's.
- **two encoders joined** (with ``--other-*``): each record's two unit vectors concatenated and
  divided by sqrt 2, so the similarity is the mean of the two cosines; candidates, reciprocal
  neighbours and the story rule all run on it. Scored as ``judged_encoders.py`` does (the pool
  additions read, nDCG@5 with them, condensed, judged share), against each encoder alone, with a
  paired bootstrap 95 % interval. Its cost is both encoders' encode time.

- ``--distil-joined OUT [--distil-site powerapps]``: MiniLM trained (``relate.embed.distil``) on one
  site's texts (azure by default) with the two encoders joined as its teacher instead of mpnet
  alone, so that it keeps half of its own neighbourhoods; saved at ``OUT``, to index and score
  with ``judged_encoders.py``. Since the seventh round this is what ``relate adapt`` does by
  default (docs/ranking.md); kept here to reproduce the sixth round's figures.

Nothing is encoded here (``--distil-joined`` trains, about 12 minutes on 2 cores).
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

import judged_encoders as je  # noqa: E402
import judged_sets as js  # noqa: E402
import numpy as np  # noqa: E402
import ranker_lab as lab  # noqa: E402
from ranker_lab import NEW, PLAIN  # noqa: E402

from relate.config import Config, load_config  # noqa: E402
from relate.embed import resolve_model  # noqa: E402
from relate.embed.distil import distil, joined_teacher  # noqa: E402

FEATURES = (("cos", "cosine"), ("tfidf", "TF-IDF cosine (w_lexical)"), ("ent", "key-term overlap (w_terms)"),
            ("recip_gated", "reciprocal, gated (w_reciprocal)"), ("q", "quality percentile (w_quality)"))


def feature_scales(sites: dict[str, lab.Site], queries: int = 600, seed: int = 0) -> None:
    print("== feature scales: mean standard deviation within a query's candidates (ratio to the cosine's)")
    print(f"{'feature':36s} | " + " | ".join(f"{name:^22s}" for name in sites))
    spread = {}
    for name, site in sites.items():
        rows = np.random.default_rng(seed).choice(site.n, min(queries, site.n), replace=False)
        c = lab.Cands.make(site, rows, n=NEW.candidates, pairwise=1, bm25=False)
        lab.add_reciprocal(c)
        valid = c.f["cos"] >= NEW.min_similarity
        keep = valid.sum(1) > 5
        spread[name] = {k: float(np.mean([c.f[k][i][valid[i]].std() for i in np.nonzero(keep)[0]]))
                        for k, _ in FEATURES}
    for key, label in FEATURES:
        print(f"{label:36s} | " + " | ".join(f"{s[key]:.3f} ({s[key] / s['cos']:.2f}x)".center(22)
                                             for s in spread.values()))


def joined(a: lab.Site, b: lab.Site) -> np.ndarray:
    """``a``'s rows' vectors and ``b``'s (matched by address) side by side, over sqrt 2: unit vectors
    whose dot product is the mean of the two cosines."""
    where = {u: i for i, u in enumerate(b.urls)}
    order = np.array([where[u] for u in a.urls])
    return joined_teacher(a.V, b.V[order])


def with_additions(sets: dict) -> dict:
    out = {}
    for name, (j, c) in sets.items():
        j_plus = copy.deepcopy(j)
        je.add_judgments(c.site, j_plus, je.ADDITIONS)
        out[name] = (j_plus, c)
    return out


def two_encoders(azure: str, powerapps: str, other_azure: str, other_powerapps: str, other_config: str,
                 base: dict[str, lab.Site]) -> None:
    cfg = load_config(other_config)
    other = {"azure": lab.Site(other_azure, config=cfg), "powerapps": lab.Site(other_powerapps, config=cfg)}
    both = {k: lab.Site(ws, config=Config(), vectors=joined(base[k], other[k]))
            for k, ws in (("azure", azure), ("powerapps", powerapps))}
    models = {name: with_additions(js.whole_sets(sites["azure"], sites["powerapps"]))
              for name, sites in (("MiniLM", base), ("other", other), ("both joined", both))}
    print("\n== two encoders joined (mean of the two cosines): nDCG@5 with the pool additions, condensed, "
          "judged share, repeats, quality")
    for set_name in je.SETS:
        print(set_name)
        shipped = {}
        for model, sets in models.items():
            j, c = sets[set_name]
            for label, lever in (("plain cosine", PLAIN), ("shipped ranker", NEW)):
                r = lab.evaluate(lever, c, j)
                shipped[model] = r
                print(f"  {model:12s} {label:15s} {r.mean:.3f}  condensed {je.condensed(lever, c, j):.3f}  "
                      f"judged {np.nanmean(r.judged):.2f}  repeats {r.dups.mean():.3f}  quality {r.quality:5.1f}")
        for a, b in (("MiniLM", "both joined"), ("other", "both joined"), ("MiniLM", "other")):
            m, lo, hi = lab.paired(shipped[a], shipped[b])
            print(f"  shipped ranker, {b} - {a}: {m:+.3f} [{lo:+.3f}, {hi:+.3f}]")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--azure", required=True)
    p.add_argument("--powerapps", required=True)
    p.add_argument("--other-azure")
    p.add_argument("--other-powerapps")
    p.add_argument("--other-config", help="the config the --other-* workspaces were built with")
    p.add_argument("--distil-joined", metavar="OUT", help="train MiniLM with the joined teacher, save at OUT")
    p.add_argument("--distil-site", choices=("azure", "powerapps"), default="azure",
                   help="the site whose texts --distil-joined trains on")
    args = p.parse_args(argv)
    others = (args.other_azure, args.other_powerapps, args.other_config)
    if any(others) and not all(others):
        p.error("--other-azure, --other-powerapps and --other-config go together")
    base = {"azure": lab.Site(args.azure), "powerapps": lab.Site(args.powerapps)}
    feature_scales(base)
    if all(others):
        two_encoders(args.azure, args.powerapps, *others, base)
    if args.distil_joined and all(others):
        site = args.distil_site
        other = lab.Site(getattr(args, f"other_{site}"), config=load_config(args.other_config))
        done = distil(base[site].texts, joined(base[site], other), resolve_model("all-MiniLM-L6-v2"),
                      args.distil_joined)
        print(f"\n== MiniLM taught by both joined: {done.texts} texts, {done.steps} steps in {done.seconds:.0f} s "
              f"(loss {done.first_loss:.3f} -> {done.last_loss:.3f}) -> {done.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
