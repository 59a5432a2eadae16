"""Digests in the lists: how many records of a corpus are digests, and what hiding them changes.

For each corpus: records, digests (records whose excerpt lists two or more other records'
titles, :mod:`relate.digests`), seconds to fit the titles and flag every record, and, with
``rank.suggest_digests`` on and off, the share of all list entries that are digests, the lists
holding one, the digests' own lists that hold one of the items they list, and the lists that
differ between the two settings.

    .venv/bin/python benchmarks/digest_lists.py                        # azure and powerapps
    .venv/bin/python benchmarks/digest_lists.py --corpus DIR --workspace WS

A workspace per corpus (``--work``, default /tmp/relate-digests/<name>) keeps the vectors, so
only the first run encodes (minutes on 2 cores).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from relate.config import load_config  # noqa: E402
from relate.corpus import read_corpus  # noqa: E402
from relate.digests import DigestTitles, segment_keys, title_key  # noqa: E402
from relate.engine import Engine  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpora"


def lists_with(corpus: Path, workspace: Path, show: bool) -> dict[str, list[dict]]:
    engine = Engine.build(corpus, workspace, load_config(overrides={"rank.suggest_digests": show}))
    return engine.suggest_many()


def measure(corpus: Path, workspace: Path) -> list[str]:
    articles = list(read_corpus(corpus))
    t = time.perf_counter()
    flags = DigestTitles.fit(a.title for a in articles).flags([(a.title, a.excerpt) for a in articles])
    fit = time.perf_counter() - t
    digest_ids = {a.id for a, f in zip(articles, flags) if f}
    id_of = {u: a.id for a in articles for u in [*a.urls, a.url, a.address] if u}

    def is_digest(entry: dict) -> bool:
        return id_of.get(entry.get("webUrl") or entry.get("originalUrl")) in digest_ids
    listed = {a.id: set(segment_keys(a.excerpt)) for a in articles if a.id in digest_ids}
    rows = []
    runs = {show: lists_with(corpus, workspace, show) for show in (True, False)}
    for show, lists in runs.items():
        entries = [e for items in lists.values() for e in items]
        in_lists = sum(1 for e in entries if is_digest(e))
        shown = sum(1 for items in lists.values() if any(is_digest(e) for e in items))
        own = sum(1 for aid in listed if {title_key(e["title"]) for e in lists.get(aid, [])} & listed[aid])
        rows.append(f"| {corpus.name} | {len(articles):,} | {len(digest_ids):,} | {fit:.2f} | "
                    f"{'on' if show else 'off'} | {in_lists:,} of {len(entries):,} ({in_lists / max(1, len(entries)):.1%})"
                    f" | {shown:,} of {len(lists):,} | {own:,} of {len(listed):,} |")
    differ = sum(1 for aid in runs[True] if [e["title"] for e in runs[True][aid]] !=
                 [e["title"] for e in runs[False].get(aid, [])])
    rows[-1] += f" {differ:,} |"
    rows[0] += " |"
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, action="append", help="corpus folder (default: azure and powerapps)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/relate-digests"), help="workspaces, one per corpus")
    args = ap.parse_args(argv)
    corpora = args.corpus or [SHARED / "azure", SHARED / "powerapps"]
    print("| corpus | records | digests | fit + flag s | suggest_digests | digest entries | lists with one "
          "| digests' lists holding a listed item | lists that differ |")
    print("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for corpus in corpora:
        for row in measure(corpus, args.work / corpus.name):
            print(row, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
