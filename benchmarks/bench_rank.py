"""The rank stage alone: ``Engine.rank_many`` over every article of a built workspace (nothing encoded).

    PYTHONPATH=src python benchmarks/bench_rank.py WORKSPACE [--rounds 3]

Opens the engine, ranks ten articles (this loads the rank table and each row's neighbour
cosines), then ranks every article ``--rounds`` times and prints the best and every time. To
compare two commits, run each one's copy of this script with its own ``PYTHONPATH`` on the same
workspace, alternating, on an otherwise idle machine.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
if "relate" not in sys.modules and not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import relate  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workspace")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    engine = relate.Engine(args.workspace)
    rows = list(engine._rows)
    list(engine.rank_many(rows[:10]))
    opened = time.perf_counter() - t0
    times = []
    for _ in range(args.rounds):
        t = time.perf_counter()
        list(engine.rank_many(rows))
        times.append(time.perf_counter() - t)
    print(f"{'relate':10s} {'articles':>9s} {'open + 10 s':>12s} {'rank all, best s':>17s}  every round")
    print(f"{relate.__version__:10s} {len(rows):9,d} {opened:12.2f} {min(times):17.2f}  "
          + ", ".join(f"{x:.2f}" for x in times))
    print(f"(relate from {Path(relate.__file__).parent})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
