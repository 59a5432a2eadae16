"""Profiles ``relate.batch.regenerate`` on a large (synthetic) JSONL corpus, stage by stage (issue 13).

Runs the whole batch job (load, encode, index, rank, write to one JSONL file) with the fast
hash encoder of ``tests/fakes.py`` (no model), and reports:

* the job's own stage seconds (``Summary.seconds``);
* seconds, calls and peak RSS inside each of the functions the stages are made of (wrapped
  with timers for the run: reading, Article building, vector cache saves, FAISS build and
  ef tuning, TF-IDF, key terms, the rank table, the neighbour table, each rank step, writing);
* the process's peak RSS (``ru_maxrss``) and an RSS sample every 0.2 s;
* optionally a cProfile dump (``--cprofile FILE``; slows Python-heavy stages down).

Usage (from the repository root; corpora from benchmarks/synth_corpus.py)::

    PYTHONPATH=src .venv/bin/python benchmarks/scale_profile.py /tmp/relate-synth/c100k.jsonl \\
        --workspace /tmp/relate-synth/ws100k --json /tmp/relate-synth/prof100k.json
"""
from __future__ import annotations

import argparse
import cProfile
import functools
import json
import os
import resource
import shutil
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * _PAGE


class Sampler(threading.Thread):
    """Samples RSS every ``interval`` seconds: (time, bytes)."""

    def __init__(self, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.perf_counter(), rss_bytes()))
            time.sleep(self.interval)

    def peak(self, t0: float, t1: float) -> int:
        return max((r for t, r in self.samples if t0 <= t <= t1), default=0)


T0 = time.perf_counter()
STATS: dict[str, dict] = defaultdict(lambda: {"calls": 0, "seconds": 0.0, "spans": []})


def timed(name: str, fn, keep_spans: bool = True):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            t1 = time.perf_counter()
            s = STATS[name]
            s["calls"] += 1
            s["seconds"] += t1 - t0
            if keep_spans and len(s["spans"]) < 50:
                s["spans"].append((t0, t1, rss_bytes()))
            if keep_spans and s["calls"] <= 2:  # as it goes, in case the run does not finish
                print(f"[{t1 - T0:8.1f} s] {name}: {t1 - t0:.2f} s, RSS {rss_bytes() / 2**30:.2f} GB, "
                      f"peak so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB",
                      file=sys.stderr, flush=True)
    return wrapper


def patch(obj, attr: str, name: str, keep_spans: bool = True, kind: str = "plain") -> None:
    raw = obj.__dict__[attr] if isinstance(obj, type) else getattr(obj, attr)
    if isinstance(raw, classmethod):
        setattr(obj, attr, classmethod(timed(name, raw.__func__, keep_spans)))
    else:
        setattr(obj, attr, timed(name, raw, keep_spans))


def instrument() -> None:
    """Wraps the functions each stage is made of (where the callers look them up)."""
    from fakes import HashEncoder

    import relate.batch.job as job
    import relate.batch.stages as stages
    import relate.corpus.jsonl as cjsonl
    import relate.embed.cache as ecache
    import relate.engine.engine as eng
    import relate.engine.updates as updates
    import relate.engine.updating as updating
    import relate.evidence as evidence
    import relate.index as rindex
    import relate.lexical as lexical
    import relate.workspace as wsmod

    patch(stages, "read_corpus", "load: read_corpus")
    patch(cjsonl, "_from_json_value", "load: json -> Article", keep_spans=False)
    patch(cjsonl, "_json_load", "load: json.loads", keep_spans=False)
    patch(stages, "encode", "encode: stages.encode")
    patch(HashEncoder, "encode", "encode: HashEncoder.encode", keep_spans=False)
    patch(ecache.VectorCache, "save", "encode: VectorCache.save")
    patch(ecache.VectorCache, "get", "VectorCache.get")
    patch(updating, "encode_cached", "index: encode_cached (cache lookup)")
    patch(updating, "build_index", "index: build_index (FAISS)")
    patch(rindex, "tune_ef_search", "index: tune_ef_search")
    patch(lexical.Lexicon, "fit", "index: Lexicon.fit (TF-IDF)")
    patch(updating, "corpus_rows", "index: corpus_rows (ids, keys, lines)")
    patch(eng, "build_table", "index: build_table")
    patch(evidence.KeyTerms, "fit", "index: KeyTerms.fit")
    patch(eng.Engine, "_save", "index: Engine._save")
    patch(wsmod.Workspace, "write_articles", "index: write_articles")
    patch(updates, "search_rows", "index: candidate windows (search)")
    patch(updates, "apply", "index: apply a night's changes")
    patch(eng.Engine, "_queries", "rank: _queries", keep_spans=False)
    patch(eng, "lexical_scores", "rank: lexical_scores", keep_spans=False)
    patch(eng, "rank_candidates", "rank: rank_candidates", keep_spans=False)
    patch(eng.Engine, "_entry", "rank: _entry", keep_spans=False)
    patch(job, "write_jsonl", "write: write_jsonl (ranking streamed into it)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path, help="a .jsonl corpus")
    ap.add_argument("--workspace", type=Path, required=True, help="workspace folder (emptied first)")
    ap.add_argument("--out", type=Path, help="the related-lists JSONL (default: WORKSPACE/../related.jsonl)")
    ap.add_argument("--dim", type=int, default=384, help="hash encoder dimension (default 384)")
    ap.add_argument("--keep", action="store_true", help="keep the workspace as it is (a warm run)")
    ap.add_argument("--no-instrument", action="store_true", help="no timers (only Summary.seconds)")
    ap.add_argument("--cprofile", type=Path, help="write a cProfile dump here")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)

    from fakes import HashEncoder

    import relate
    from relate.batch import regenerate

    if not args.no_instrument:
        instrument()
    if args.workspace.exists() and not args.keep:
        shutil.rmtree(args.workspace)
    out = args.out or args.workspace.parent / (args.workspace.name + "-related.jsonl")
    sampler = Sampler()
    sampler.start()
    prof = cProfile.Profile() if args.cprofile else None
    t0 = time.perf_counter()
    if prof:
        prof.enable()
    summary = regenerate(args.corpus, workspace=args.workspace, jsonl=out, encoder=HashEncoder(args.dim))
    if prof:
        prof.disable()
        prof.dump_stats(args.cprofile)
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rows = []
    for name, s in sorted(STATS.items(), key=lambda kv: kv[0]):
        spans = s["spans"]
        p = max((sampler.peak(a, b) for a, b, _ in spans), default=0) if spans else 0
        end_rss = spans[-1][2] if spans else 0
        rows.append({"name": name, "calls": s["calls"], "seconds": round(s["seconds"], 2),
                     "peak_rss_gb": round(p / 2**30, 2), "rss_after_gb": round(end_rss / 2**30, 2)})
    result = {"relate": relate.__version__, "corpus": str(args.corpus), "records": summary.records,
              "skipped": len(summary.skipped), "exit_code": summary.exit_code, "stopped": summary.stopped,
              "stage_seconds": {k: round(v, 2) for k, v in summary.seconds.items()}, "wall_seconds": round(wall, 2),
              "peak_rss_gb": round(peak / 2**30, 2), "functions": rows,
              "rss_samples": [(round(t - t0, 1), round(r / 2**30, 3)) for t, r in sampler.samples[::5]],
              "workspace_bytes": sum(f.stat().st_size for f in args.workspace.rglob("*") if f.is_file()),
              "loadavg": os.getloadavg()}
    print(json.dumps({k: v for k, v in result.items() if k not in ("rss_samples", "functions")}, indent=1))
    print(f"{'function':44} {'calls':>8} {'seconds':>9} {'peak RSS GB':>12} {'RSS after GB':>13}")
    for r in rows:
        print(f"{r['name']:44} {r['calls']:>8} {r['seconds']:>9.2f} {r['peak_rss_gb']:>12.2f} {r['rss_after_gb']:>13.2f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
