"""Synthetic news corpora in relate's record format, for scale benchmarks (issue 13).

Builds N deterministic (seeded) records from the word statistics of a real corpus
(``../shared/corpora/azure`` by default): titles and excerpts are assembled from real title
prefixes, real excerpt sentences and a word-bigram model fitted on them, around synthetic
companies, products and figures, so that records cluster into stories:

* a **story** has 1 to ~40 records (a heavy-tailed size): an entity ("Norvex Helix 7"), a
  figure ("$4.2 billion", "37%"), 1-3 topics, a base title and a pool of excerpt sentences;
* its records are rewordings by different providers over a few days, **re-posts** (the same
  title and excerpt, another provider, within hours) and a few follow-ups weeks later;
* ~600 **providers** (the real ones of the source corpus plus synthetic ones, each with a
  name and a domain), Zipf-popular, each with its own ``quality`` mean (0-100); ~1% of the
  records have no ``quality``;
* ``publishedDateTime`` spread over ~3 years (``--start``, ``--days``), unique ``webUrl``
  per record, ``type: article``, ``topics``, an image on ~40% of the records, AMP addresses
  on some.

Records are written one story at a time (nothing holds all N), as one ``.jsonl`` corpus
(one record object per line, the keys of the seed's front matter) and, optionally
(``--md DIR``, for small N), as a folder of ``.md`` record files. Story ``i`` is drawn from
its own random stream (``seed``, ``i``), so ``--delta`` can add new members to existing
stories without reading them back.

``--delta`` makes a "nightly" change of an existing corpus file: ``K`` new records (new
stories and new members of existing stories, all dated after the corpus's last day), ``E``
edited records (same ``webUrl``, a new excerpt) and ``R`` removed records, written to a
copy of the corpus plus a JSON manifest of what changed.

Usage (from the repository root)::

    .venv/bin/python benchmarks/synth_corpus.py -n 1000000 -o /tmp/relate-synth/c1m.jsonl
    .venv/bin/python benchmarks/synth_corpus.py -n 2000 -o /tmp/relate-synth/c2k.jsonl --md /tmp/relate-synth/c2k
    .venv/bin/python benchmarks/synth_corpus.py --delta /tmp/relate-synth/c1m.jsonl -n 1000000 \\
        --add 5000 --edit 500 --remove 1000 -o /tmp/relate-synth/c1m-night1.jsonl

Speed: see ``--help`` and benchmarks/README.md (about 10 s per 100,000 records here).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from synth_stories import Generator
from synth_vocabulary import cached_vocabulary

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "corpora" / "azure"


def _dumps(rec: dict) -> str:
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"))


def _yaml_scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v):
        return v
    return json.dumps(v, ensure_ascii=False)  # a JSON string is a YAML double-quoted string


def to_markdown(rec: dict) -> str:
    """A record dict as a front-matter ``.md`` file, laid out like the seed."""
    lines = ["---"]
    for k, v in rec.items():
        if k in ("provider", "topics", "images"):
            lines.append("")
        if isinstance(v, dict):
            lines.append(f"{k}:")
            lines += [f"  {a}: {_yaml_scalar(b)}" for a, b in v.items()]
        elif isinstance(v, list):
            lines.append(f"{k}:")
            for item in v:
                if isinstance(item, dict):
                    for j, (a, b) in enumerate(item.items()):
                        lines.append(f"  {'- ' if j == 0 else '  '}{a}: {_yaml_scalar(b)}")
                else:
                    lines.append(f"  - {_yaml_scalar(item)}")
        else:
            lines.append(f"{k}: {_yaml_scalar(v)}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def md_name(rec: dict) -> str:
    """``YYYY/YYYY-MM-DD-slug-uid.md`` for a record (unique: the uid ends its webUrl)."""
    day = rec["publishedDateTime"][:10]
    tail = rec["webUrl"].rsplit("/", 1)[-1]
    return f"{day[:4]}/{day}-{tail[:90]}.md"


def write_corpus(gen: Generator, n: int, out: Path, md: Path | None = None, progress: bool = True) -> dict:
    """Writes ``n`` records of ``gen`` to ``out`` (JSONL) and, given ``md``, as ``.md`` files there."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    t0 = time.perf_counter()
    count = 0
    last = ""
    with open(tmp, "w", encoding="utf-8") as fh:
        for rec in gen.records(n):
            fh.write(_dumps(rec) + "\n")
            last = max(last, rec["publishedDateTime"])
            if md is not None:
                f = md / md_name(rec)
                f.parent.mkdir(parents=True, exist_ok=True)
                f.write_text(to_markdown(rec), encoding="utf-8")
            count += 1
            if progress and count % 100000 == 0:
                print(f"  {count:,} records, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    os.replace(tmp, out)
    return {"records": count, "seconds": round(time.perf_counter() - t0, 2), "last": last,
            "bytes": out.stat().st_size}


def write_delta(gen: Generator, corpus: Path, n: int, out: Path, add: int, edit: int, remove: int,
                new_story_share: float = 0.6, day: datetime | None = None) -> dict:
    """A nightly change of ``corpus`` (made by ``gen`` with ``n`` records), written to ``out``.

    ``add`` new records (a ``new_story_share`` of them in new stories, the rest new members of
    existing stories), all published on ``day`` (default: the day after the corpus's last
    record); ``edit`` records keep their ``webUrl`` but get a new excerpt; ``remove`` records
    are dropped. ``out`` is the changed corpus; ``out`` with ``.manifest.json`` lists the
    ``webUrl``s added, edited and removed.
    """
    rng = random.Random(f"{gen.seed}:delta:{add}:{edit}:{remove}:{day}")
    with open(corpus, "rb") as fh:
        lines = sum(buf.count(b"\n") for buf in iter(lambda: fh.read(1 << 24), b""))
    if remove + edit > lines:
        raise SystemExit(f"{corpus} has {lines} records: cannot edit {edit} and remove {remove}")
    picked = rng.sample(range(lines), remove + edit)
    removed_at, edited_at = set(picked[:remove]), set(picked[remove:])
    last = ""
    manifest: dict[str, list[str]] = {"added": [], "edited": [], "removed": []}
    tmp = out.with_name(out.name + ".part")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(corpus, encoding="utf-8") as src, open(tmp, "w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i in removed_at or i in edited_at:
                rec = json.loads(line)
                if i in removed_at:
                    manifest["removed"].append(rec["webUrl"])
                    continue
                sents = rng.sample(gen.vocab.sentences, 2)
                rec["excerpt"] = f"{rec['excerpt'].split('. ')[0]}. {' '.join(sents)}"[:400]
                manifest["edited"].append(rec["webUrl"])
                line = _dumps(rec) + "\n"
            else:
                j = line.find('"publishedDateTime":"')
                if j >= 0:
                    last = max(last, line[j + 21:j + 41])
            dst.write(line)
        if day is None:
            end = datetime.strptime(last, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) if last else gen.start
            day = (end + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        existing = gen.stories_for(n)
        sizes = gen.story_sizes()
        for _ in range(existing):
            next(sizes)
        made = 0
        new_target = round(add * new_story_share)
        next_story = existing + 1000003 * (1 + rng.randrange(1000))  # fresh story numbers for this night
        while made < new_target:
            size = min(next(sizes), new_target - made)
            story = gen.story(next_story, size)
            story.start = day + timedelta(seconds=rng.random() * 80000)
            for rec in gen.story_records(story):
                dst.write(_dumps(rec) + "\n")
                manifest["added"].append(rec["webUrl"])
            made += size
            next_story += 1
        while made < add:
            i = rng.randrange(max(1, existing))
            story = gen.story(i, 1)
            count = min(add - made, rng.randint(1, 3))
            for rec in gen.story_records(story, after=day, count=count):
                dst.write(_dumps(rec) + "\n")
                manifest["added"].append(rec["webUrl"])
            made += count
    os.replace(tmp, out)
    man = out.with_name(out.name + ".manifest.json")
    man.write_text(json.dumps({"corpus": str(corpus), "day": day.isoformat(), **manifest}, indent=1))
    return {"records_in": lines, "added": len(manifest["added"]), "edited": len(manifest["edited"]),
            "removed": len(manifest["removed"]), "manifest": str(man)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    ap.add_argument("-n", "--records", type=int, default=100000, help="records in the corpus (default 100000)")
    ap.add_argument("-o", "--out", type=Path, required=True, help="the .jsonl file to write")
    ap.add_argument("--md", type=Path, help="also write the records as .md files under this folder (small N)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                    help=f"real record folder to learn words from (default {DEFAULT_SOURCE})")
    ap.add_argument("--vocab-cache", type=Path, default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                    / "relate-synth", help="where the fitted vocabulary is kept (default ~/.cache/relate-synth)")
    ap.add_argument("--no-vocab-cache", action="store_true", help="fit the vocabulary again, keep nothing")
    ap.add_argument("--providers", type=int, default=600, help="providers (default 600)")
    ap.add_argument("--start", default="2021-01-01", help="first publish day (default 2021-01-01)")
    ap.add_argument("--days", type=int, default=1095, help="days the stories start over (default 1095)")
    ap.add_argument("--delta", type=Path, metavar="CORPUS",
                    help="make a nightly change of CORPUS (made with the same -n/--seed/...) into --out")
    ap.add_argument("--add", type=int, default=5000, help="delta: new records (default 5000)")
    ap.add_argument("--edit", type=int, default=0, help="delta: records with a new excerpt (default 0)")
    ap.add_argument("--remove", type=int, default=1000, help="delta: records removed (default 1000)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    args = ap.parse_args(argv)
    if args.out.suffix != ".jsonl":
        ap.error("--out must end in .jsonl")
    t = time.perf_counter()
    vocab = cached_vocabulary(args.source, None if args.no_vocab_cache else args.vocab_cache)
    start = datetime.fromisoformat(args.start).replace(tzinfo=timezone.utc)
    gen = Generator(vocab, args.seed, providers=args.providers, start=start, days=args.days)
    fit_s = time.perf_counter() - t
    if args.delta:
        stats = write_delta(gen, args.delta, args.records, args.out, args.add, args.edit, args.remove)
    else:
        stats = write_corpus(gen, args.records, args.out, args.md, progress=not args.quiet)
    stats.update(vocab_seconds=round(fit_s, 2), total_seconds=round(time.perf_counter() - t, 2),
                 out=str(args.out))
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
