"""The rank stage alone: ``Engine.rank_many`` over every article of a built workspace (nothing encoded).

    PYTHONPATH=src python benchmarks/bench_rank.py WORKSPACE [--rounds 3] [--set rank.KEY=VALUE ...]

Opens the engine, ranks ten articles (this loads the rank table and each row's neighbour
cosines), then ranks every article ``--rounds`` times and prints the best and every time. Each
``--set`` adds an engine over the same workspace with that setting changed (a value read as
YAML); the engines rank in turn, round by round, so that what else the machine does hits each
alike. To compare two commits, run each one's copy of this script with its own ``PYTHONPATH`` on
the same workspace, alternating, on an otherwise idle machine.
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

import yaml  # noqa: E402

import relate  # noqa: E402
from relate.config import Config  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workspace")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="also rank with this setting changed (repeatable: one engine each)")
    args = p.parse_args(argv)
    configs = {"defaults": Config()}
    for item in args.set:
        key, _, value = item.partition("=")
        configs[item] = Config().with_overrides({key: yaml.safe_load(value)})
    engines, opened = {}, {}
    for name, config in configs.items():
        t0 = time.perf_counter()
        engines[name] = engine = relate.Engine(args.workspace, config)
        list(engine.rank_many(engine._rows[:10]))
        opened[name] = time.perf_counter() - t0
    rows = list(engines["defaults"]._rows)                  # one workspace: the same articles for every engine
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(args.rounds):
        for name, engine in engines.items():
            t = time.perf_counter()
            list(engine.rank_many(rows))
            times[name].append(time.perf_counter() - t)
    width = max(10, *map(len, engines))
    print(f"{'settings':{width}s} {'articles':>9s} {'open + 10 s':>12s} {'rank all, best s':>17s}  every round")
    for name in engines:
        print(f"{name:{width}s} {len(rows):9,d} {opened[name]:12.2f} {min(times[name]):17.2f}  "
              + ", ".join(f"{x:.2f}" for x in times[name]))
    print(f"(relate {relate.__version__} from {Path(relate.__file__).parent})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
