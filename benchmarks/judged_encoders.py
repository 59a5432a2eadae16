"""Two encoders under one ranker on every judged set: the default MiniLM against another model.

    PYTHONPATH=src python benchmarks/judged_encoders.py --azure WS --powerapps WS \\
        --other-azure WS2 --other-powerapps WS2 --other-config FILE

``WS`` are workspaces of ``../shared/corpora/azure`` and ``../shared/corpora/powerapps`` built
with the defaults; ``WS2`` the same corpora built with ``FILE`` (a relate config naming the other
model, e.g. ``embed: {model: all-mpnet-base-v2}``, found by name in its packages;
``--other-powerapps-config`` where the powerapps workspace was built with another, e.g. a model
adapted to each corpus). Everything of the ranker runs on each
model's own vectors: candidates, the similarity, the reciprocal neighbours and the story rule's
thresholds (MiniLM's). The judged pools were made from MiniLM-based rankers, so another model's
lists hold pairs nobody judged; ``benchmarks/judgments/pool-additions.jsonl`` holds those that the
rankers below show in their top 5, read by the same readers and rubric (its README). Rows: nDCG@5
with the original judgments only (unjudged = 0, a lower bound for the other model), with the
additions, and condensed (unjudged items dropped from the list before scoring); the share judged;
repeats; mean shown quality.
"""
from __future__ import annotations

import argparse
import copy
import json
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
from ranker_lab import NEW, PLAIN  # noqa: E402

from relate.config import Config, load_config  # noqa: E402

ADDITIONS = REPO / "benchmarks" / "judgments" / "pool-additions.jsonl"
SETS = ("azure dev", "azure extra", "powerapps")
RANKERS = [("plain cosine", PLAIN), ("shipped ranker", NEW), ("shipped, w_quality 0.15", NEW.with_(w_quality=0.15))]


def add_judgments(site: lab.Site, j: lab.Judged, path: Path) -> int:
    """Adds the lines of ``path`` whose query is one of ``j``'s queries (keys as :class:`lab.Judged`)."""
    queries = {int(q) for q in j.queries}
    other = lab.Judged(site, path)
    added = 0
    for q, c, grade, dup in other.pairs:
        if q in queries and c not in j.grade[q]:
            j.grade[q][c] = grade
            if dup:
                j.dup.setdefault(q, set()).add(c)
            j.pairs.append((q, c, grade, dup))
            added += 1
    return added


def condensed(lever: lab.Lever, c: lab.Cands, j: lab.Judged, k: int = 5) -> float:
    """nDCG@k of the list with unjudged items removed first (Sakai's condensed lists)."""
    out = []
    for q, shown in zip(c.queries, lever.with_(k=30).lists(c)):
        out.append(lab.ndcg(j, int(q), [x for x in shown if x in j.grade[int(q)]][:k], k))
    return float(np.mean(out))


def site_sets(azure: str, powerapps: str | None, config: str | None, powerapps_config: str | None = None) -> dict:
    """Each whole set of the two workspaces (built with ``config``, or the defaults; the powerapps one
    with ``powerapps_config`` where given; the azure sets only without ``powerapps``): the site, its
    judgments, the same with the pool additions, its candidates, and how many were added."""
    cfg = load_config(config) if config else Config()
    pa_cfg = load_config(powerapps_config) if powerapps_config else cfg
    pa_site = lab.Site(powerapps, config=pa_cfg) if powerapps else None
    out = {}
    for name, (j, c) in js.whole_sets(lab.Site(azure, config=cfg), pa_site).items():
        j_plus = copy.deepcopy(j)
        n = add_judgments(c.site, j_plus, ADDITIONS) if ADDITIONS.exists() else 0
        out[name] = (c.site, j, j_plus, c, n)
    return out


def site_sets_from_args(argv, description: str) -> dict:
    """:func:`site_sets` of the ``--azure`` and ``--powerapps`` workspaces named in ``argv`` (built
    with the defaults)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--azure", required=True, help="a workspace of ../shared/corpora/azure")
    p.add_argument("--powerapps", required=True, help="a workspace of ../shared/corpora/powerapps")
    args = p.parse_args(argv)
    return site_sets(args.azure, args.powerapps, None)


def print_deltas(sets: dict, levers: list[lab.Lever], label_width: int, scores: bool = False,
                 against: lab.Lever = NEW) -> None:
    """One row per lever: its nDCG@5 difference from ``against`` (the shipped ranker) on each of
    :data:`SETS` (with the pool additions), the paired bootstrap 95 % interval and the mean shown
    quality; with ``scores``, the nDCG@5 itself before the difference and the share of judged
    repeats shown before the quality."""
    base = {name: lab.evaluate(against, sets[name][3], sets[name][2]) for name in SETS}
    for lever in levers:
        cells = []
        for name in SETS:
            r = lab.evaluate(lever, sets[name][3], sets[name][2])
            mean, lo, hi = lab.paired(base[name], r)
            delta = f"{mean:+.3f} [{lo:+.3f}, {hi:+.3f}]"
            cells.append(f"{r.mean:.3f} {delta} {r.dups.mean():.3f} {r.quality:4.1f}" if scores
                         else f"{delta} {r.quality:5.1f}")
        width = 40 if scores else 32
        print(f"{lever.name:{label_width}s}  " + "  ".join(f"{x:<{width}}" for x in cells), flush=True)


def encode_speed(azure_ws: str, other_ws: str, other_config: str, n: int, rounds: int = 2) -> dict[str, float]:
    """Texts a second of the default model and the other one (each workspace's ONNX export) on
    the first ``n`` azure texts, best of ``rounds`` alternating rounds in this process."""
    import time

    from relate.embed import Encoder

    texts = lab.Site(azure_ws).texts[:n]
    encoders = {"MiniLM (default)": Encoder(Config().embed, cache_folder=Path(azure_ws) / "models"),
                "other": Encoder(load_config(other_config).embed, cache_folder=Path(other_ws) / "models")}
    best = dict.fromkeys(encoders, float("inf"))
    for e in encoders.values():
        e.encode(texts[:16])                                   # load (and export once) outside the timing
    for _ in range(rounds):
        for name, e in encoders.items():
            t = time.perf_counter()
            e.encode(texts)
            best[name] = min(best[name], time.perf_counter() - t)
    return {name: len(texts) / sec for name, sec in best.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--azure", required=True)
    p.add_argument("--powerapps", required=True)
    p.add_argument("--other-azure", required=True)
    p.add_argument("--other-powerapps", help="the powerapps workspace built with the other config (left out: "
                   "the azure sets only)")
    p.add_argument("--other-config", required=True, help="the relate config the other workspaces were built with")
    p.add_argument("--other-powerapps-config", help="the config of --other-powerapps where it differs from "
                   "--other-config (a model adapted to each corpus)")
    p.add_argument("--other-name", default="other model")
    p.add_argument("--list-unjudged", metavar="FILE", help="write the top-5 pairs still unjudged (JSON) to FILE")
    p.add_argument("--speed", type=int, metavar="N", help="also time encoding N azure texts with each model")
    args = p.parse_args(argv)
    if args.speed:
        speed = encode_speed(args.azure, args.other_azure, args.other_config, args.speed)
        mini, other = speed["MiniLM (default)"], speed["other"]
        print(f"encode speed, {args.speed} azure texts, ONNX, best of 2 (load average {os.getloadavg()[0]:.1f}): "
              f"MiniLM {mini:.1f} texts/s, {args.other_name} {other:.1f} texts/s: {mini / other:.1f}x the time\n")
    models = {"MiniLM (default)": site_sets(args.azure, args.powerapps if args.other_powerapps else None, None),
              args.other_name: site_sets(args.other_azure, args.other_powerapps, args.other_config,
                                                 args.other_powerapps_config)}
    print("nDCG@5: original judgments / with pool additions / condensed; judged share (with additions); "
          "repeats; mean shown quality")
    unjudged = []
    for set_name in (n for n in SETS if n in models["MiniLM (default)"]):
        print(f"\n{set_name}")
        for model, data in models.items():
            site, j, j_plus, c, added = data[set_name]
            for label, lever in RANKERS:
                a, b = lab.evaluate(lever, c, j), lab.evaluate(lever, c, j_plus)
                print(f"  {model:18s} {label:26s} {a.mean:.3f} / {b.mean:.3f} / {condensed(lever, c, j_plus):.3f}"
                      f"   judged {np.nanmean(b.judged):.2f}   repeats {b.dups.mean():.3f}   quality {b.quality:5.1f}")
                for q, shown in zip(c.queries, b.lists):
                    unjudged += [[set_name, site.paths[int(q)], site.paths[x]] for x in shown[:5]
                                 if x not in j_plus.grade[int(q)]]
            print(f"  ({model}: {added} pairs added from {ADDITIONS.name})")
        (_s1, _j1, base_j, base_c, _n1), (_s2, _j2, other_j, other_c, _n2) = (m[set_name] for m in models.values())
        for label, lever in RANKERS:
            m, lo, hi = lab.paired(lab.evaluate(lever, base_c, base_j), lab.evaluate(lever, other_c, other_j))
            print(f"  {args.other_name} - MiniLM, {label}, with additions: {m:+.3f} [{lo:+.3f}, {hi:+.3f}]")
    if args.list_unjudged:
        Path(args.list_unjudged).write_text(json.dumps(sorted({tuple(u) for u in unjudged})), encoding="utf-8")
        print(f"\n{len(set(map(tuple, unjudged)))} top-5 pairs still unjudged: {args.list_unjudged}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
