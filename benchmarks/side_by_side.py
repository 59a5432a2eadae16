"""Two rankers' lists side by side, blind, for a reader to say which an editor would rather show.

    PYTHONPATH=src python benchmarks/side_by_side.py cards CORPUS A.jsonl B.jsonl --out DIR \\
        [--names A B] [-n 16] [--seed 11] [--exclude JUDGMENTS.jsonl ...]
    PYTHONPATH=src python benchmarks/side_by_side.py tally VERDICTS.jsonl [--key DIR/key.json]

``A.jsonl`` and ``B.jsonl`` are ``relate regenerate CORPUS --jsonl FILE --full`` outputs of two
setups (another model, another config). ``cards`` draws ``-n`` records whose top 5 differ
(leaving out the queries of ``--exclude`` judgment files and the articles of earlier verdict
files, so the reading is fresh) and writes
``DIR/cards.md``: each record's title, type, date, provider and excerpt, and its two top 5s as
"List X" and "List Y", which of the two is which drawn at random per record; ``DIR/key.json``
says which. A reader (an editor, or a helper agent told to read only the cards) writes one JSON
line per record, ``{"article": N, "better": "X" | "Y" | "tie", "reason": ...}``; ``tally``
prints, for each pair of setups read, the count for each and a two-sided sign test (``--key``:
the key, for verdict lines that do not carry their record's ``X`` and ``Y`` themselves, as the
kept readings in ``benchmarks/judgments/side-by-side-*.jsonl`` do; a kept file may hold several
readings, each numbered from 1). This is how powerapps, which has no judgments of its own beyond
issue 10's, is "read by eye" (docs/ranking.md, "Seventh round" and "Eighth round").
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from math import comb
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from relate import read_corpus  # noqa: E402
from relate.text import clean_text  # noqa: E402


def read_lists(path: str | Path) -> dict[str, list[dict]]:
    """``relate regenerate --jsonl`` output: ``{webUrl: related entries}``."""
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    return {d["webUrl"]: d["related"] for d in (json.loads(x) for x in lines if x.strip())}


def _top(entries: list[dict], k: int = 5) -> list[str]:
    return [e.get("webUrl") or e["title"] for e in entries[:k]]


def _entry(e: dict) -> str:
    when = (e.get("publishedDateTime") or "")[:10]
    who = (e.get("provider") or {}).get("name", "?")
    return f"  - {e['title']}  _({e.get('type', 'article')}, {when}, {who})_ — {clean_text(e.get('excerpt'))[:160]}"


def excluded_urls(files: list[str | Path]) -> set[str]:
    """The records to leave out: each line's ``query`` (a judgment file) or ``url`` (a verdict file)."""
    out = set()
    for f in files:
        for line in Path(f).read_text(encoding="utf-8").split("\n"):
            if line.strip():
                d = json.loads(line)
                out.add(d["query"] if "query" in d else d["url"])
    return out


def make_cards(corpus: str, a: dict, b: dict, names: tuple[str, str], n: int, seed: int,
               exclude: set[str]) -> tuple[str, dict]:
    """The cards (markdown) and the key ``{number: {"url", "X": name, "Y": name}}``; the first line
    of the cards says how many records the ``n`` were drawn from."""
    records = {r.url: r for r in read_corpus(corpus, cache=False)}
    differ = sorted(u for u in a if u in b and u in records and u not in exclude and _top(a[u]) != _top(b[u]))
    rng = random.Random(seed)
    chosen = rng.sample(differ, min(n, len(differ)))
    lines, key = ["# Which list would an editor rather show?", "",
                  f"({len(chosen)} records drawn from the {len(differ)} whose top 5 differ)", ""], {}
    for i, url in enumerate(chosen, 1):
        r = records[url]
        flip = rng.random() < 0.5
        x, y = (b, a) if flip else (a, b)
        key[str(i)] = {"url": url, "X": names[1] if flip else names[0], "Y": names[0] if flip else names[1]}
        when = r.published_at.date().isoformat() if r.published_at else "?"
        lines += [f"## Article {i}", "", f"**{r.title}**  _({r.type or 'article'}, {when}, {r.provider_name or '?'})_",
                  "", clean_text(r.excerpt)[:350], "", "List X:", *map(_entry, x[url][:5]), "",
                  "List Y:", *map(_entry, y[url][:5]), ""]
    return "\n".join(lines), key


def tally(verdicts: list[dict], key: dict | None = None) -> dict[tuple[str, str], dict[str, int]]:
    """Verdicts counted by setup (``tie`` kept apart), for each pair of setups read side by side.
    ``key``: the cards' key.json, for verdict lines that do not carry their own ``X`` and ``Y``."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for v in verdicts:
        sides = key[str(v["article"])] if key is not None else v
        pair = counts.setdefault(tuple(sorted((sides["X"], sides["Y"]))), {})
        name = "tie" if v["better"] == "tie" else sides[v["better"]]
        pair[name] = pair.get(name, 0) + 1
    return counts


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test (ties left out)."""
    n = wins + losses
    tail = sum(comb(n, k) for k in range(max(wins, losses), n + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cards")
    c.add_argument("corpus")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--out", required=True)
    c.add_argument("--names", nargs=2, default=("A", "B"))
    c.add_argument("-n", type=int, default=16)
    c.add_argument("--seed", type=int, default=11)
    c.add_argument("--exclude", nargs="*", default=[],
                   help="judgment files whose queries, or verdict files whose articles, are left out")
    t = sub.add_parser("tally")
    t.add_argument("verdicts")
    t.add_argument("--key", help="cards' key.json (default: each verdict line's own X and Y)")
    args = p.parse_args(argv)
    if args.cmd == "cards":
        cards, key = make_cards(args.corpus, read_lists(args.a), read_lists(args.b), tuple(args.names), args.n,
                                args.seed, excluded_urls(args.exclude))
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "cards.md").write_text(cards, encoding="utf-8")
        (out / "key.json").write_text(json.dumps(key, indent=1), encoding="utf-8")
        print(f"{cards.splitlines()[2][1:-1]} -> {out / 'cards.md'} (key: {out / 'key.json'})")
        return 0
    verdicts = [json.loads(x) for x in Path(args.verdicts).read_text(encoding="utf-8").split("\n") if x.strip()]
    key = json.loads(Path(args.key).read_text(encoding="utf-8")) if args.key else None
    readings: dict[object, list[dict]] = {}               # a kept file's readings, each counted alone
    for v in verdicts:
        readings.setdefault(v.get("reading"), []).append(v)
    for reading, lines in readings.items():
        for (a, b), counts in tally(lines, key).items():
            print(f"{'' if reading is None else f'reading {reading}: '}{a}: {counts.get(a, 0)} | {b}: "
                  f"{counts.get(b, 0)} | tie: {counts.get('tie', 0)} | "
                  f"sign test, two-sided: p = {sign_test(counts.get(a, 0), counts.get(b, 0)):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
