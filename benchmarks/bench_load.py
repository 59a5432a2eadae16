"""Benchmark: load a whole corpus of record files with relate, and with plain PyYAML.

One command::

    .venv/bin/python benchmarks/bench_load.py [CORPUS] [--sample N] [--json FILE]

CORPUS defaults to ../shared/corpora/azure (next to the repository). Prints one table:

* cold: ``read_corpus`` with an empty record cache (parses every file, then writes the cache);
* warm: ``read_corpus`` again, nothing changed (served from the cache);
* no cache: ``read_corpus(cache=False)``, the parse alone;
* full related: ``read_corpus(cache=False, full_related=True)`` (every related dict built);
* plain PyYAML, C loader / pure-Python loader: ``yaml.load`` of the front matter of a sample
  of files, scaled to the corpus size.

"Cold" means relate's cache is empty; the operating system's file cache may still hold the
files (dropping it needs root). Times are wall-clock seconds in this process; CPU seconds are
shown beside them because the machine may be shared.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "azure"
COLD_TARGET_S = 5.0
WARM_TARGET_S = 1.0


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def _front_matter(data: bytes) -> str:
    text = data.decode("utf-8")
    return text.split("\n---", 1)[0][4:] if text.startswith("---\n") else text


def _plain_yaml(files: list[Path], loader) -> tuple[float, float]:
    texts = [_front_matter(p.read_bytes()) for p in files]
    _, wall, cpu = _timed(lambda: [yaml.load(t, Loader=loader) for t in texts])
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark and prints the table; returns 0 when both targets are met, else 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--sample", type=int, default=300,
                        help="files for the plain PyYAML C-loader baseline (default 300; the "
                             "pure-Python loader gets a sixth of them)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON here")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO / "src"))
    from relate.corpus import read_corpus

    corpus = Path(args.corpus)
    if not corpus.is_dir():
        parser.error(f"{corpus}: not a folder of record files")
    files = sorted(p for p in corpus.rglob("*.md") if not p.name.startswith("."))
    n = len(files)
    rows = []
    with tempfile.TemporaryDirectory(prefix="relate-bench-") as tmp:
        cache = Path(tmp) / "records.json"
        cold, w, c = _timed(lambda: read_corpus(corpus, cache=cache))
        rows.append(("relate cold (empty cache, then write it)", w, c, n))
        warm, w2, c2 = _timed(lambda: read_corpus(corpus, cache=cache))
        rows.append(("relate warm (nothing changed)", w2, c2, n))
        cache_mb = cache.stat().st_size / 1e6
    _, w, c = _timed(lambda: read_corpus(corpus, cache=False))
    rows.append(("relate, cache off", w, c, n))
    _, w, c = _timed(lambda: read_corpus(corpus, cache=False, full_related=True))
    rows.append(("relate, cache off, full related dicts", w, c, n))
    step = max(1, n // max(1, args.sample))
    sample = files[::step][:args.sample]
    if hasattr(yaml, "CSafeLoader"):
        w, c = _plain_yaml(sample, yaml.CSafeLoader)
        rows.append((f"plain PyYAML CSafeLoader ({len(sample)} files, scaled)", w * n / len(sample),
                     c * n / len(sample), n))
    small = sample[::6]
    w, c = _plain_yaml(small, yaml.SafeLoader)
    rows.append((f"plain PyYAML SafeLoader ({len(small)} files, scaled)", w * n / len(small),
                 c * n / len(small), n))

    print(f"corpus: {corpus} ({n} files, {sum(p.stat().st_size for p in files) / 1e6:.0f} MB); "
          f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}; PyYAML {yaml.__version__}"
          f" (libyaml: {yaml.__with_libyaml__})")
    print(f"records: {len(cold.articles)} read, {len(cold.skipped)} skipped "
          f"{cold.summary()['reasons']}; cache file {cache_mb:.1f} MB")
    print()
    print(f"{'step':<52} {'wall s':>8} {'cpu s':>8} {'s / 1,000 files':>16}")
    print("-" * 87)
    for name, wall, cpu, count in rows:
        print(f"{name:<52} {wall:>8.2f} {cpu:>8.2f} {wall / count * 1000:>16.2f}")
    print()
    cold_s, warm_s = rows[0][1], rows[1][1]
    ok_cold, ok_warm = cold_s < COLD_TARGET_S, warm_s < WARM_TARGET_S
    print(f"target cold < {COLD_TARGET_S:g} s: {cold_s:.2f} s {'OK' if ok_cold else 'MISSED'}")
    print(f"target warm < {WARM_TARGET_S:g} s: {warm_s:.2f} s {'OK' if ok_warm else 'MISSED'}")
    if warm.articles != cold.articles:
        print("ERROR: the warm load differs from the cold one")
        return 2
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"corpus": str(corpus), "files": n, "rows": [
                {"step": name, "wall_s": wall, "cpu_s": cpu} for name, wall, cpu, _ in rows]},
            indent=2) + "\n")
    return 0 if ok_cold and ok_warm else 1


if __name__ == "__main__":
    raise SystemExit(main())
