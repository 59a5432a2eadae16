"""The nightly job at a million articles: a full regenerate, then a nightly run of the changes (issue 13).

Phases, each ``relate.batch.regenerate`` in a fresh process (its peak RSS is that process's
``ru_maxrss``), with the fast hash encoder of ``tests/fakes.py`` (384 dimensions, no model: a
real model would spend hours encoding a million texts on 2 cores; see bench_encode.py):

1. **full**: a synthetic corpus of ``--records`` records (``benchmarks/synth_corpus.py``, one
   ``.jsonl`` file in the real record format) regenerated to one JSONL file of lists;
2. **nightly**: the same corpus with ``--add`` new records and ``--remove`` removed
   (``synth_corpus.py --delta``), regenerated with ``changed=True``: only the lists the
   changes reach are ranked and written;
3. **warm**: the nightly run again, nothing changed;
4. **verify**: lists ranked again from scratch (``full=True``) after the nightly run, every
   one (``--verify-sample 0``) or a random sample of them (``--verify-sample N``, default
   20,000): the full run's lists with the nightly run's written over them must be
   byte-identical to them, line by line.

Run from the repository root::

    .venv/bin/python benchmarks/bench_million.py                      # 1,000,000 records (about an hour)
    .venv/bin/python benchmarks/bench_million.py --ef-search 64       # HNSW search breadth fixed, not tuned
    .venv/bin/python benchmarks/bench_million.py --records 100000     # a quicker look

Before each phase the files written so far are flushed to disk (``os.sync``): a full run
leaves gigabytes of written files (its JSONL, the workspace) that the kernel would otherwise
still be writing out during the next phase, as a nightly job started hours later never sees.

Prints a table (seconds per stage, peak RSS, lists ranked and written); ``--json FILE`` also
writes the figures. ``--workers N`` runs the rank stage in N forked processes (``batch.workers``);
their own peak RSS counts the pages they share with the run's process, so the table also gives
the peak proportional set size (PSS) of all the processes together, sampled every 2 seconds:
each shared page counted once.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench_regenerate import cpu_name

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
sys.path.insert(0, str(ROOT / "src"))

#: The code each phase runs in its own process: a regenerate, then its summary and peak RSS as JSON.
_PHASE = """
import json, resource, sys, time
sys.path[:0] = [{src!r}, {tests!r}]
from fakes import HashEncoder
from relate.batch import regenerate
from relate.config import Config
options = json.loads(sys.stdin.read())
options["config"] = Config.from_dict(options.get("config"))
t = time.perf_counter()
s = regenerate({corpus!r}, workspace={ws!r}, jsonl={out!r}, encoder=HashEncoder(384), **options)
wall = time.perf_counter() - t
print(json.dumps({{"summary": s.to_dict(), "wall": wall,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "workers_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}}))
"""


def phase(name: str, corpus: Path, ws: Path, out: Path, **options) -> dict:
    """Runs one regenerate in a fresh process; returns its summary, wall seconds and peak RSS."""
    code = _PHASE.format(src=str(ROOT / "src"), tests=str(ROOT / "tests"), corpus=str(corpus), ws=str(ws),
                         out=str(out))
    os.sync()       # the files the last phase wrote go to disk first, as a nightly job finds them
    print(f"[{time.strftime('%H:%M:%S')}] {name} ...", file=sys.stderr, flush=True)
    t = time.perf_counter()
    proc = subprocess.Popen([PY, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    peak = [0]
    watch = threading.Thread(target=_watch_pss, args=(proc, peak), daemon=True)
    watch.start()
    stdout, stderr = proc.communicate(json.dumps(options))
    watch.join()
    if proc.returncode != 0:
        sys.exit(f"{name} failed:\n{stderr[-4000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["process_wall"] = time.perf_counter() - t
    result["pss"] = peak[0]
    s = result["summary"]
    print(f"[{time.strftime('%H:%M:%S')}] {name}: {result['wall']:.1f} s, peak RSS {result['rss'] / 2**30:.2f} GiB, "
          f"{s['selected']} lists ranked, {s['written']} written", file=sys.stderr, flush=True)
    return result


def _pss(pid: int) -> int:
    """Proportional set size of a process and of every process under it, in bytes: pages shared
    between them (a forked worker's, until it writes to them) are counted once, split."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("Pss:")) * 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (OSError, StopIteration, ValueError):
            pass                                   # gone in the meantime
    return total


def _watch_pss(proc: subprocess.Popen, peak: list[int], every: float = 2.0) -> None:
    """Keeps the largest :func:`_pss` of ``proc``'s tree in ``peak[0]`` until it ends."""
    while proc.poll() is None:
        peak[0] = max(peak[0], _pss(proc.pid))
        time.sleep(every)


def current_urls(corpus: Path, _seen: dict = {}) -> set[str]:  # noqa: B006 (a cache)
    """The addresses of the records a corpus file holds now."""
    if corpus not in _seen:
        with open(corpus, encoding="utf-8") as fh:
            _seen[corpus] = {json.loads(line)["webUrl"] for line in fh if line.strip()}
    return _seen[corpus]


def lists_by_url(path: Path) -> dict[str, str]:
    """The lines of a lists JSONL file, keyed by the article's address."""
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            out[json.loads(line)["webUrl"]] = line
    return out


def cpu() -> str:
    """The CPU's model name, cores and instruction-set tag (see ``relate.embed.onnx.cpu_isa``)."""
    from relate.embed.onnx import cpu_isa

    return f"{cpu_name()}, {os.cpu_count()} cores, {cpu_isa()}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000, help="records in the corpus (default 1,000,000)")
    ap.add_argument("--add", type=int, default=1000, help="new records of the nightly change (default 1000)")
    ap.add_argument("--remove", type=int, default=100, help="records the nightly change removes (default 100)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/relate-million"), help="working folder")
    ap.add_argument("--verify-sample", type=int, default=20_000,
                    help="lists ranked again to check the nightly run (0: every list; default 20,000)")
    ap.add_argument("--no-verify", dest="verify", action="store_false", help="skip the check")
    ap.add_argument("--ef-search", type=int, help="index.ef_search (default: tuned to the recall target)")
    ap.add_argument("--workers", type=int, default=1,
                    help="batch.workers: processes of the rank stage (default 1; 0: one per core)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)

    work = args.work / str(args.records)
    work.mkdir(parents=True, exist_ok=True)
    original, corpus, night = work / "original.jsonl", work / "corpus.jsonl", work / "corpus-night.jsonl"
    ws, twin = work / "ws", work / "ws-twin"
    synth = [PY, str(ROOT / "benchmarks" / "synth_corpus.py"), "-q"]
    t = time.perf_counter()
    if not original.exists():
        subprocess.run([*synth, "-n", str(args.records), "-o", str(original)], check=True)
    generate = time.perf_counter() - t
    shutil.copyfile(original, corpus)
    for old in (ws, twin):
        if old.exists():
            shutil.rmtree(old)
    extra = {"config": {"batch": {"workers": args.workers}}}
    if args.ef_search:
        extra["config"]["index"] = {"ef_search": args.ef_search}
    rows = {"full": phase("full", corpus, ws, work / "full.jsonl", **extra)}
    subprocess.run([*synth, "--delta", str(original), "-n", str(args.records), "--add", str(args.add),
                    "--remove", str(args.remove), "--edit", "0", "-o", str(night)], check=True)
    os.replace(night, corpus)          # the corpus file as the site keeps it, changed overnight
    rows["nightly"] = phase("nightly", corpus, ws, work / "night.jsonl", changed=True, **extra)
    rows["warm"] = phase("warm", corpus, ws, work / "warm.jsonl", changed=True, **extra)
    identical = None
    if args.verify:
        merged = lists_by_url(work / "full.jsonl")
        merged.update(lists_by_url(work / "night.jsonl"))
        options = dict(full=True, refit=False, **extra)
        if args.verify_sample:
            urls = sorted(merged)
            pick = random.Random(0).sample(urls, min(args.verify_sample, len(urls)))
            options["paths"] = [u for u in pick if u in current_urls(corpus)]
        name = f"verify ({len(options.get('paths', merged)):,} lists ranked again)"
        rows[name] = phase("verify", corpus, ws, work / "again.jsonl", **options)
        again = lists_by_url(work / "again.jsonl")
        identical = all(merged.get(url) == line for url, line in again.items())
        differing = sum(merged.get(url) != line for url, line in again.items())
    print(f"\nbench_million: {args.records:,} records, nightly +{args.add} -{args.remove}; hash encoder (384 dims); "
          f"index.ef_search {args.ef_search or 'tuned'}; batch.workers {args.workers}; "
          f"{cpu()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; corpus generated in {generate:.0f} s")
    head = ("phase", "wall s", "load", "encode", "index", "rank", "write", "peak RSS GiB", "workers' peak RSS GiB",
            "peak PSS, all processes GiB", "ranked", "written", "refit")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(" --- " for _ in head) + "|")
    for name, r in rows.items():
        s, sec = r["summary"], r["summary"]["seconds"]
        cells = [name, f"{r['wall']:.1f}", *(f"{sec.get(k, 0):.1f}" for k in ("load", "encode", "index", "rank",
                                                                               "write")),
                 f"{r['rss'] / 2**30:.2f}", f"{r.get('workers_rss', 0) / 2**30:.2f}", f"{r['pss'] / 2**30:.2f}",
                 f"{s['selected']:,}", f"{s['written']:,}", str(s["refit"])]
        print("| " + " | ".join(cells) + " |")
    if identical is not None:
        print(f"\nnightly lists over the full run's = a full re-rank after the change: {identical} "
              f"({differing} of {len(again):,} lists differ)")
    if args.json:
        args.json.write_text(json.dumps({"records": args.records, "cpu": cpu(), "phases": rows,
                                         "identical": identical}, indent=1, default=str))
    return 0 if identical in (None, True) else 1


if __name__ == "__main__":
    sys.exit(main())
