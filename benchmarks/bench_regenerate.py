"""Benchmark ``relate regenerate`` over a copy of a corpus: cold (empty workspace), then warm.

Each run is the real command in a fresh process (``relate regenerate COPY --json``), so the
wall time includes everything: interpreter start, imports, model load, reading, encoding,
indexing, ranking and writing. Stage seconds come from the command's own JSON summary.

    python benchmarks/bench_regenerate.py                       # ../shared/corpora/azure
    python benchmarks/bench_regenerate.py --corpus data --warm 2
    python benchmarks/bench_regenerate.py --limit 500           # a quick smoke run

The corpus is copied to a temporary folder first (regenerate rewrites files in place); the
workspace and the record cache start empty, so "cold" is really cold.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "azure"
STAGES = ("load", "encode", "index", "rank", "write")


def relate_command() -> list[str]:
    exe = Path(sys.executable).parent / "relate"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "relate.cli"]


def copy_corpus(src: Path, dst: Path, limit: int | None) -> int:
    files = sorted(p for p in src.rglob("*") if p.is_file() and not p.name.startswith("."))
    if limit:
        files = [p for p in files if p.suffix == ".md"][:limit]
    for p in files:
        target = dst / p.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, target)
    return len(files)


def run(cmd: list[str], env: dict[str, str]) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"relate exited with {proc.returncode}")
    summary = json.loads(proc.stdout)
    summary["wall"] = wall
    return summary


def table(rows: list[tuple[str, dict]]) -> str:
    head = ["run", "wall s", *[f"{s} s" for s in STAGES], "records", "skipped", "encoded", "written", "changed"]
    body = []
    for name, s in rows:
        secs = s["seconds"]
        body.append([name, f"{s['wall']:.1f}", *[f"{secs.get(k, 0.0):.2f}" for k in STAGES], str(s["records"]),
                     str(len(s["skipped"])), str(s["encoded"]), str(s["written"]), str(s["changed"])])
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) + " |"  # noqa: E731
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), sep, *(line(r) for r in body)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder (default: %(default)s)")
    parser.add_argument("--limit", type=int, help="only the first N record files")
    parser.add_argument("--warm", type=int, default=1, help="warm runs after the cold one (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("extra", nargs="*", help="more arguments for relate regenerate (after --)")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        raise SystemExit(f"{args.corpus}: not a folder")

    tmp = Path(tempfile.mkdtemp(prefix="relate-bench-"))
    try:
        corpus, ws, cache = tmp / "corpus", tmp / "workspace", tmp / "cache"
        n = copy_corpus(args.corpus, corpus, args.limit)
        env = dict(os.environ, RELATE_CACHE_DIR=str(cache), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        cmd = [*relate_command(), "regenerate", str(corpus), "--workspace", str(ws), "--quiet", "--json",
               *args.extra]
        rows = [("cold", run(cmd, env))]
        for i in range(args.warm):
            rows.append((f"warm{'' if args.warm == 1 else f' {i + 1}'}", run(cmd, env)))
        print(f"relate regenerate over a copy of {args.corpus} ({n} files)")
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"command: {' '.join(['relate', 'regenerate', 'COPY', '--workspace', 'WS', '--quiet', '--json', *args.extra])}")
        print()
        print(table(rows))
        print()
        print("wall s: the whole command in a fresh process (start, imports, model load included);")
        print("stage seconds from its --json summary.")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
