"""Runs the main benchmarks one after another and prints each table (`make bench`).

    .venv/bin/python benchmarks/run_all.py [--quick]

Order: record loading, suggest latency, the regenerate job (cold and warm), the ranker grid,
encoding backends, the index at scale. Each is also runnable alone; see benchmarks/README.md.
Run it on a quiet machine: the figures are wall-clock times.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="the small variants of the long benchmarks")
    args = p.parse_args(argv)
    quick = ["--quick"] if args.quick else []
    runs = [
        ["bench_load.py"],
        ["bench_suggest.py"],
        ["bench_regenerate.py"],
        ["tune_ranker.py"],
        ["bench_encode.py", *quick],
        ["bench_index.py", *(quick or ["--quick"])],
    ]
    failed = 0
    for run in runs:
        print(f"\n== {' '.join(run)}", flush=True)
        t = time.perf_counter()
        rc = subprocess.call([sys.executable, str(HERE / run[0]), *run[1:]])
        print(f"-- exit {rc}, {time.perf_counter() - t:.0f} s", flush=True)
        failed += rc != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
