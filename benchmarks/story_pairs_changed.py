"""Which pairs a change of the story rule joins, read from two runs' lists.

    PYTHONPATH=src python benchmarks/story_pairs_changed.py WS BEFORE.jsonl AFTER.jsonl \\
        --before other_outlet_similarity=2.0 [--sample 45 --seed 1]

``BEFORE`` and ``AFTER`` are ``relate regenerate CORPUS --workspace WS --jsonl F --full`` outputs of
the code before and after; ``--before`` names the rank settings (``KEY=VALUE``, repeated) under which
today's rule is the rule of ``BEFORE`` (``other_outlet_similarity=2.0``: the thirteenth round's clause
off). Prints the lists that differ and the entries that leave and come in, each entry that left
attributed to why: the story rule now calls it the article's own story; it tells the story of an item
the new list shows (the collapse of copies); or it was pushed down. Then a sample of the distinct
pairs the rule now joins, with their cosine and hours apart, for reading by eye.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import relate  # noqa: E402
from relate.rank import _same_story  # noqa: E402


def lists(path: str) -> dict[str, list[str]]:
    """``{article webUrl: [entry webUrl or title, ...]}`` of a ``--jsonl`` run."""
    with open(path, encoding="utf-8") as f:
        return {d["webUrl"]: [e.get("webUrl") or e["title"] for e in d["related"]] for d in map(json.loads, f)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workspace")
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--before-setting", dest="settings", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--sample", type=int, default=45)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    engine = relate.Engine(args.workspace)
    table, rows = engine._table, engine._rows
    row_of = {r.url: i for i, r in enumerate(rows)}
    new_cfg = engine.config.rank
    old_cfg = dataclasses.replace(new_cfg, **{k: float(v) for k, v in (s.split("=", 1) for s in args.settings)})

    def joined(a: int, b: int) -> bool:
        return _same_story(a, b, table, new_cfg) and not _same_story(a, b, table, old_cfg)

    old, new = lists(args.before), lists(args.after)
    changed = [u for u in new if old.get(u) != new[u]]
    why = {"the article's own story": 0, "an item shown tells its story": 0, "pushed down": 0}
    pairs: dict[tuple[int, int], None] = {}
    for u in changed:
        q = row_of.get(u)
        shown = [row_of.get(x) for x in new[u]]
        for x in old[u]:
            if x in new[u]:
                continue
            g = row_of.get(x)
            if q is not None and g is not None and joined(q, g):
                why["the article's own story"] += 1
                pairs[(q, g)] = None
            elif g is not None and (t := next((t for t in shown if t is not None and joined(t, g)), None)) is not None:
                why["an item shown tells its story"] += 1
                pairs[tuple(sorted((t, g)))] = None
            else:
                why["pushed down"] += 1
    entries_in = sum(len(set(new[u]) - set(old[u])) for u in changed)
    shorter = sum(len(new[u]) < len(old[u]) for u in changed)
    print(f"{len(changed)} of {len(new)} lists differ; entries out {sum(why.values())} ("
          + ", ".join(f"{k} {v}" for k, v in why.items()) + f"), in {entries_in}; {shorter} lists shorter; "
          f"{len(pairs)} distinct pairs joined")
    sample = list(pairs)
    random.Random(args.seed).shuffle(sample)
    for a, b in sample[:args.sample]:
        hours = abs(float(table.published[a]) - float(table.published[b])) / 3600
        print(f"  cos {float(table.vectors[a] @ table.vectors[b]):.2f} {hours:5.1f} h  "
              f"{rows[a].provider_name}: {rows[a].title[:70]!r} / {rows[b].provider_name}: {rows[b].title[:70]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
