"""Benchmark ``relate regenerate`` over a copy of a corpus: cold (empty workspace), then warm, per encoder backend.

Each run is the real command in a fresh process (``relate regenerate COPY --json``), so the
wall time includes everything: interpreter start, imports, model load, reading, encoding,
indexing, ranking and writing. Stage seconds come from the command's own JSON summary.

    python benchmarks/bench_regenerate.py                       # ../shared/corpora/azure, torch and the default
    python benchmarks/bench_regenerate.py --backends onnx --warm 2
    python benchmarks/bench_regenerate.py --corpus data --warm 2
    python benchmarks/bench_regenerate.py --limit 500           # a quick smoke run

The corpus is copied to a temporary folder first (regenerate rewrites files in place); each
backend gets its own copy, workspace and record cache, all empty at first, so each "cold" is
really cold (the ONNX export into the workspace included). The cold runs go first, one per
backend in turn, then the warm ones, so load from other processes falls on all of them alike;
the cold wall time of each backend is then given as a ratio to PyTorch's.
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


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


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
    head = ["backend, run", "wall s", *[f"{s} s" for s in STAGES], "records", "skipped", "encoded", "written", "changed"]
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
    parser.add_argument("--backends", default=None,
                        help="comma-separated embed.backend values, each run cold then warm "
                             "(default: torch and the configured default, e.g. torch,onnx)")
    parser.add_argument("extra", nargs="*", help="more arguments for relate regenerate (after --)")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        raise SystemExit(f"{args.corpus}: not a folder")

    from relate.config import EmbedConfig
    from relate.embed.onnx import cpu_isa

    default = EmbedConfig().backend
    backends = [b for b in (args.backends or f"torch,{default}").split(",") if b]
    backends = list(dict.fromkeys(backends))
    tmp = Path(tempfile.mkdtemp(prefix="relate-bench-"))
    load0, started = os.getloadavg()[0], time.strftime("%Y-%m-%d %H:%M")
    try:
        cmds, n = {}, 0
        for b in backends:
            corpus, ws, cache = tmp / b / "corpus", tmp / b / "workspace", tmp / b / "cache"
            n = copy_corpus(args.corpus, corpus, args.limit)
            env = dict(os.environ, RELATE_CACHE_DIR=str(cache), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
            cmds[b] = ([*relate_command(), "regenerate", str(corpus), "--workspace", str(ws), "--quiet", "--json",
                        "--embed-backend", b, *args.extra], env)
        results: dict[str, list[tuple[str, dict]]] = {b: [] for b in backends}
        for b in backends:
            results[b].append((f"{b}, cold", run(*cmds[b])))
        for i in range(args.warm):
            for b in backends:
                results[b].append((f"{b}, warm{'' if args.warm == 1 else f' {i + 1}'}", run(*cmds[b])))
        print(f"relate regenerate over a copy of {args.corpus} ({n} files), {started}")
        print(f"machine: {platform.machine()}, {cpu_name()}, ISA {cpu_isa()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}; default embed.backend: {default}")
        shown = ["relate", "regenerate", "COPY", "--workspace", "WS", "--quiet", "--json", "--embed-backend", "B",
                 *args.extra]
        print(f"command: {' '.join(shown)}")
        print()
        print(table([row for b in backends for row in results[b]]))
        print()
        base = results[backends[0]][0][1]
        for b in backends[1:]:
            cold = results[b][0][1]
            print(f"cold {b} against {backends[0]}: speed-up {base['wall'] / cold['wall']:.2f}x in wall time "
                  f"({cold['wall']:.1f} s against {base['wall']:.1f} s), "
                  f"{base['seconds'].get('encode', 0.0) / max(cold['seconds'].get('encode', 0.0), 1e-9):.2f}x "
                  f"in the encode stage (the ONNX export into the workspace included)")
        print("wall s: the whole command in a fresh process (start, imports, model load included);")
        print("stage seconds from its --json summary.")
        print(f"load average at start {load0:.2f}, at end {os.getloadavg()[0]:.2f} (on {os.cpu_count()} cores)")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
