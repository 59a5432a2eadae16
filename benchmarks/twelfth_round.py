"""Issue 10, twelfth round: a newsletter issue's own items in its list (``rank.digest_items``).

    PYTHONPATH=src python benchmarks/twelfth_round.py --powerapps WS [--azure WS]

``WS``: workspaces of ``../shared/corpora/powerapps`` (and azure) built with the defaults.
Every list is ranked under each value of ``rank.digest_items`` (``ranked``: the eleventh
round's lists; ``first``: the default; ``hidden``), nothing encoded. Sections:

- the digests (newsletter issues): how many records each lists (``relate.digests``), how
  many of them its list shows under each value, the issues showing all and none of them, and
  how many of the items shown were outside the issue's 60 nearest rows (the candidate window);
- the lists that differ from ``ranked``'s, over the whole corpus;
- the graded readings of issues' lists: ``judgments/powerapps-newsletters-items.jsonl``
  (twelfth round: 20 issues, every item of the ``ranked`` and ``first`` lists, the reader's
  ``dup`` flags set on the issue's own items) and ``judgments/powerapps-newsletters.jsonl``
  (tenth round: 15 issues, items of the lists with and without them): nDCG@5 with the
  ``dup`` flags (a repeat scores 0) and with them ignored (the rubric's "dup": the same story
  as the query, which an item an issue lists is not), paired bootstrap 95 % intervals against
  ``ranked``, and the judged share (an item no reading saw counts 0);
- costs: the rank stage over every digest under each value, and one nightly reach
  (:func:`relate.engine.listed.digests_listing`: every live digest's line read) for a change
  to every row.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import numpy as np  # noqa: E402

import relate  # noqa: E402
from relate.digests import listed_keys  # noqa: E402
from relate.engine.listed import digests_listing, title_rows  # noqa: E402
from relate.evaluation import Judgments  # noqa: E402
from relate.evaluation.compare import bootstrap_ci  # noqa: E402
from relate.evaluation.metrics import judged_metrics  # noqa: E402

VALUES = ("ranked", "first", "hidden")
JUDGED = REPO / "benchmarks" / "judgments"


def lists_of(engine, rows: list[int], value: str) -> dict[int, list[int]]:
    """Each row's list (rows picked) under ``digest_items: value``."""
    picks = dict(engine.rank_many([engine._s.rows[r] for r in rows], digest_items=value))
    return {r: [p.row for p in picks[engine._s.ids[r]]] for r in rows}


def items(engine) -> dict[int, list[int]]:
    """The live rows each live digest lists."""
    s, table = engine._s, engine._table
    found = {}
    for d in np.flatnonzero(table.digest & s.live).tolist():
        a = s.rows[d]
        found[d] = [r for r in title_rows(table).find(listed_keys(a.title, a.excerpt)) if s.live[r] and r != d]
    return found


def digests(engine, lists: dict[str, dict[int, list[int]]]) -> None:
    listed = items(engine)
    if not listed:
        print("  no digest")
        return
    key = engine._table.title_key
    titles = {d: {key[r] for r in v} for d, v in listed.items()}      # a title two records hold counts once
    print(f"  {len(listed)} digests list {np.mean([len(t) for t in titles.values()]):.2f} titles of the corpus "
          f"each ({np.mean([len(v) for v in listed.values()]):.2f} records)")
    for value in VALUES:
        shown = [len(titles[d] & {key[r] for r in lists[value][d]}) for d in listed]
        far = sum(len((set(v) & set(lists[value][d])) - set(engine._s.windows[d].tolist())) for d, v in listed.items())
        print(f"  {value:7s} their lists show {np.mean(shown):.2f}; all of them: "
              f"{sum(s == len(titles[d]) for s, d in zip(shown, listed))}, none: {sum(s == 0 for s in shown)}; "
              f"records shown from outside the window: {far}")


def changed(engine, lists: dict[str, dict[int, list[int]]]) -> None:
    base = lists["ranked"]
    for value in VALUES[1:]:
        diff = [r for r in base if base[r] != lists[value][r]]
        entries = sum(len(set(lists[value][r]) - set(base[r])) for r in diff)
        print(f"  {value:7s} lists that differ from ranked's: {len(diff)} of {len(base)} ({entries} entries)")


def graded(engine, lists: dict[str, dict[int, list[int]]]) -> None:
    url_of = [a.url for a in engine._s.rows]
    row_of = {u: i for i, u in enumerate(url_of) if engine._s.live[i]}
    for name in ("powerapps-newsletters-items.jsonl", "powerapps-newsletters.jsonl"):
        j = Judgments.from_file(JUDGED / name)
        queries = [q for q in j.queries if q in row_of]
        print(f"  {name}: {len(queries)} issues, {len(j)} graded pairs, {sum(x.dup for x in j)} flagged dup")
        for label, judgments in (("dup flags as read", j), ("dup flags ignored", _no_dups(j))):
            scores = {}
            for value in VALUES:
                run = {q: [url_of[r] for r in lists[value][row_of[q]]] for q in queries}
                scores[value] = judged_metrics(run, judgments, k=5, queries=queries)
            base = [scores["ranked"]["ndcg"][q] for q in queries]
            for value in VALUES:
                v = [scores[value]["ndcg"][q] for q in queries]
                d = np.subtract(v, base)
                lo, hi = bootstrap_ci(d, n_resamples=10_000)
                judged = np.mean([scores[value]["judged"][q] for q in queries])
                print(f"    {label:18s} {value:7s} nDCG@5 {np.mean(v):.3f}  vs ranked {d.mean():+.3f} "
                      f"[{lo:+.3f}, {hi:+.3f}]  judged {judged:.2f}")


def _no_dups(j: Judgments) -> Judgments:
    return Judgments([{"query": x.query, "candidate": x.candidate, "grade": x.grade, "dup": False} for x in j])


def costs(engine) -> None:
    rows = sorted(items(engine))
    for value in VALUES:
        best = min(_timed(lambda v=value: lists_of(engine, rows, v)) for _ in range(3))
        print(f"  rank {len(rows)} digests' lists, {value:7s}: {best:.3f} s (best of 3)")
    s, table = engine._s, engine._table
    every = np.flatnonzero(s.live).tolist()
    best = min(_timed(lambda: digests_listing(s, table, every)) for _ in range(3))
    reached = len(digests_listing(s, table, every))
    print(f"  a night's reach for a change to every row: {best:.3f} s, {reached} digests reached (best of 3)")


def _timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--powerapps", required=True, help="a workspace of ../shared/corpora/powerapps")
    p.add_argument("--azure", help="a workspace of ../shared/corpora/azure")
    args = p.parse_args(argv)
    for name, ws in (("powerapps", args.powerapps), ("azure", args.azure)):
        if ws is None:
            continue
        engine = relate.Engine(ws)
        every = np.flatnonzero(engine._s.live).tolist()
        lists = {value: lists_of(engine, every, value) for value in VALUES}
        print(f"== {name}: a digest's own items, by rank.digest_items")
        digests(engine, lists)
        changed(engine, lists)
        if name == "powerapps":
            print("== graded readings of newsletter issues' lists")
            graded(engine, lists)
            print("== costs")
            costs(engine)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
