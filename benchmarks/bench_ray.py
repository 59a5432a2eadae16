"""Benchmark ``relate regenerate`` on the local engine and on Ray, over a synthetic corpus.

Every run is the real command in a fresh process (``relate ... --engine local|ray --json``);
a Ray run starts its own local Ray cluster on this machine (no ``--address``), so its wall
time includes starting Ray and the actors. Stage seconds come from the command's summary.

    python benchmarks/bench_ray.py                        # 100,000 records; encode measured on 1,000 and 5,000
    python benchmarks/bench_ray.py --records 5000 --encode-sizes 200,1000   # a quick smoke run

What is measured, and what is extrapolated:

1. A synthetic corpus of ``--records`` Markdown records (front matter as in the azure corpus):
   each is an azure record with a quarter of its title and excerpt words replaced by other
   words of the corpus (so lengths are realistic), a provider from a pool of 400, a date
   over seven years and a quality score.
2. **encode**: ``relate index`` over the first N records of it, into an empty workspace, for
   each N of ``--encode-sizes`` and each engine, ``--repeats`` times with the engines
   interleaved; the fastest run of each is kept (on a shared machine other jobs only ever
   slow a run down). The slope between the two sizes is the
   encode cost per text; the intercept is the fixed cost (model load; Ray: the cluster and
   its actors). Encoding 100,000 texts with this cost is *extrapolated*, not run (it would
   take over half an hour per engine on 2 cores).
3. **load, index, rank, write**: ``relate regenerate CORPUS --out MIRROR`` over all the
   records, measured for real. Encoding is skipped by filling the workspace's vector cache
   beforehand: each record's vector is its azure template's (encoded once, here) plus
   Gaussian noise (cosine about 0.8 to the template), so the ranker sees a realistic
   neighbourhood. The two engines' mirrors are compared byte for byte.
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
AZURE = REPO.parent / "shared" / "corpora" / "azure"
STAGES = ("load", "encode", "index", "rank", "write")
ENGINES = ("local", "ray")
#: Noise per dimension added to a template's vector: cosine to it about 1/sqrt(1 + 384 s^2) = 0.81.
NOISE = 0.037


def relate_command() -> list[str]:
    exe = Path(sys.executable).parent / "relate"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "relate.cli"]


# ====================================================================== the synthetic corpus
def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "article"


def make_corpus(dst: Path, n: int, templates: list, seed: int = 7) -> list[int]:
    """Writes ``n`` records below ``dst`` (``YYYY/MM/`` folders); returns each one's template index."""
    rng = random.Random(seed)
    words = [w for a in templates for w in f"{a.title} {a.excerpt}".split() if w.isalpha() and len(w) > 2]
    providers = [(f"Provider {i}", f"provider{i}.example") for i in range(400)]
    weights = [1 / (i + 1) ** 0.8 for i in range(len(providers))]
    start = datetime(2019, 1, 1, tzinfo=timezone.utc)
    span = 7 * 365 * 86400

    def perturb(text: str) -> str:
        return " ".join(rng.choice(words) if rng.random() < 0.25 else w for w in text.split())

    which = []
    for i in range(n):
        j = i % len(templates)
        t = templates[j]
        title, excerpt = perturb(t.title), perturb(t.excerpt or "")
        name, domain = rng.choices(providers, weights)[0]
        when = start + timedelta(seconds=rng.randrange(span))
        slug = _slug(title)
        lines = ["---", "category: news", f"title: {json.dumps(title)}"]
        if excerpt:
            lines.append(f"excerpt: {json.dumps(excerpt)}")
        lines += [f"publishedDateTime: {when:%Y-%m-%dT%H:%M:%SZ}",
                  f"webUrl: {json.dumps(f'https://{domain}/news/{i}-{slug}')}",
                  "type: article"]
        if rng.random() < 0.8:
            lines.append(f"quality: {rng.randint(1, 10)}")
        lines += ["", "provider:", f"  name: {json.dumps(name)}", f"  domain: {domain}"]
        if t.topics:
            lines += ["", "topics:", *[f"  - {json.dumps(x)}" for x in t.topics]]
        lines += ["---", ""]
        path = dst / f"{when:%Y}" / f"{when:%m}" / f"{i:06d}-{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")
        which.append(j)
    return which


def template_vectors(templates: list, work: Path) -> np.ndarray:
    """The azure templates' vectors (encoded once, kept in ``work``)."""
    from relate.config import EmbedConfig
    from relate.embed import Encoder
    from relate.text import article_text

    path = work / "templates.npy"
    if path.exists():
        vecs = np.load(path)
        if len(vecs) == len(templates):
            return vecs
    cfg = EmbedConfig()
    t = time.perf_counter()
    vecs = Encoder(cfg).encode([article_text(a.title, a.excerpt, cfg) for a in templates])
    print(f"(encoded the {len(templates)} azure templates in {time.perf_counter() - t:.0f} s; not part of "
          "any figure)", flush=True)
    np.save(path, vecs)
    return vecs


def prefill(corpus: Path, by_name: dict[str, int], vecs: np.ndarray, ws: Path, seed: int = 11) -> int:
    """A workspace whose vector cache already holds a vector for every record of ``corpus``."""
    from relate.config import EmbedConfig
    from relate.corpus import read_corpus
    from relate.embed import VectorCache, model_id, text_key
    from relate.text import article_text

    cfg = EmbedConfig()
    rng = np.random.default_rng(seed)
    articles = read_corpus(corpus, cache=False).articles
    keys, rows = [], []
    for a in articles:
        keys.append(text_key(article_text(a.title, a.excerpt, cfg)))
        rows.append(by_name[Path(a.path).name])
    out = vecs[rows] + rng.normal(0, NOISE, size=(len(rows), vecs.shape[1])).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    cache = VectorCache(ws / "vectors", model_id(cfg))
    cache.add(keys, out)
    cache.save()
    return len(keys)


# ====================================================================== runs
def run(cmd: list[str], env: dict[str, str]) -> dict:
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"relate exited with {proc.returncode}: {' '.join(cmd)}")
    summary = json.loads(proc.stdout)
    summary["wall"] = wall
    summary["loadavg"] = load
    return summary


def copy_first(src: Path, dst: Path, n: int) -> None:
    files = sorted(src.rglob("*.md"), key=lambda p: p.name)[:n]
    for p in files:
        target = dst / p.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, target)


def differing(a: Path, b: Path) -> int:
    files = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    other = sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file())
    if files != other:
        return len(set(files) ^ set(other))
    _, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
    return len(mismatch) + len(errors)


def fmt_table(head: list[str], body: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]

    def line(r: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), sep, *(line(r) for r in body)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="synthetic records (default %(default)s)")
    parser.add_argument("--encode-sizes", default="1000,5000",
                        help="two sample sizes for the encode runs (default %(default)s)")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one, removed after)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs of each encode measurement; the fastest is kept (default %(default)s)")
    parser.add_argument("--skip-encode", action="store_true", help="only the full runs (load, index, rank, write)")
    parser.add_argument("--skip-full", action="store_true", help="only the encode runs")
    args = parser.parse_args(argv)
    sizes = sorted(int(x) for x in args.encode_sizes.split(","))
    if len(sizes) != 2 or sizes[0] >= sizes[1] or sizes[1] > args.records:
        raise SystemExit("--encode-sizes: two sizes, the larger not above --records")
    if not AZURE.is_dir():
        raise SystemExit(f"{AZURE}: the azure corpus (templates of the synthetic records) is missing")

    from relate.corpus import read_corpus

    work = args.work or Path(tempfile.mkdtemp(prefix="relate-bench-ray-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", RAY_AUTH_MODE="disabled")
    ps = subprocess.run(["ps", "-eo", "pcpu,rss,comm", "--sort=-pcpu"], capture_output=True, text=True,
                        check=False).stdout
    print("busiest processes at the start:\n" + "\n".join(ps.splitlines()[:6]), flush=True)
    try:
        templates = read_corpus(AZURE, cache=False).articles
        corpus = work / "corpus"
        if not corpus.is_dir():
            t = time.perf_counter()
            which = make_corpus(corpus, args.records, templates)
            (work / "which.json").write_text(json.dumps(which))
            print(f"(wrote {args.records} synthetic records in {time.perf_counter() - t:.0f} s)", flush=True)
        which = json.loads((work / "which.json").read_text())
        by_name = {p.name: which[int(p.name[:6])] for p in corpus.rglob("*.md")}
        cmd = relate_command()

        # ---- encode: two sample sizes per engine, each into an empty workspace
        # (repeated, engines interleaved, the fastest kept: other jobs on a shared machine only slow runs down)
        enc: dict[tuple[str, int], dict] = {}
        if not args.skip_encode:
            for rep in range(args.repeats):
                for n in sizes:
                    sample = work / f"sample-{n}"
                    if not sample.is_dir():
                        copy_first(corpus, sample, n)
                    for engine in ENGINES:
                        ws = work / f"ws-encode-{engine}-{n}"
                        shutil.rmtree(ws, ignore_errors=True)
                        e = dict(env, RELATE_CACHE_DIR=str(work / f"cache-encode-{engine}-{n}"))
                        s = run([*cmd, "index", str(sample), "--workspace", str(ws), "--engine", engine,
                                 "--quiet", "--json"], e)
                        print(f"  index {n} texts, {engine}, try {rep + 1}: encode {s['seconds']['encode']:.1f} s "
                              f"(load average {s['loadavg']:.1f})", flush=True)
                        best = enc.get((engine, n))
                        if best is None or s["seconds"]["encode"] < best["seconds"]["encode"]:
                            enc[engine, n] = s

        # ---- the full corpus: vectors filled in beforehand, so no encoding
        if args.skip_full:
            engines_full: tuple[str, ...] = ()
        else:
            engines_full = ENGINES
        vecs = template_vectors(templates, work)
        pre = work / "ws-prefilled"
        if not (pre / "vectors").is_dir():
            prefill(corpus, by_name, vecs, pre)
        full: dict[str, dict] = {}
        for engine in engines_full:
            ws, out = work / f"ws-full-{engine}", work / f"out-{engine}"
            shutil.rmtree(ws, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
            shutil.copytree(pre, ws)
            e = dict(env, RELATE_CACHE_DIR=str(work / f"cache-full-{engine}"))
            shutil.rmtree(e["RELATE_CACHE_DIR"], ignore_errors=True)
            full[engine] = run([*cmd, "regenerate", str(corpus), "--out", str(out), "--workspace", str(ws),
                                "--engine", engine, "--quiet", "--json"], e)
            print(f"  regenerate {args.records}, {engine}: {full[engine]['wall']:.1f} s", flush=True)
        diff = differing(work / "out-local", work / "out-ray") if full else None

        # ---- report
        print()
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
              "CPU only (no GPU here)")
        print("commands: relate index SAMPLE --engine E (encode);  relate regenerate CORPUS --out MIRROR "
              "--engine E (the rest); each in a fresh process, --quiet --json")
        print()
        head = ["engine", "records", "wall s", *[f"{s} s" for s in STAGES], "encoded", "load avg"]
        body = []
        for engine in ENGINES:
            for n in sizes:
                if (engine, n) in enc:
                    s = enc[engine, n]
                    body.append([f"{engine} (index sample)", str(n), f"{s['wall']:.1f}",
                                 *[f"{s['seconds'].get(k, 0.0):.2f}" for k in STAGES], str(s["encoded"]),
                                 f"{s['loadavg']:.1f}"])
            if engine not in full:
                continue
            s = full[engine]
            body.append([f"{engine} (regenerate, cache filled)", str(s["records"]), f"{s['wall']:.1f}",
                         *[f"{s['seconds'].get(k, 0.0):.2f}" for k in STAGES], str(s["encoded"]),
                         f"{s['loadavg']:.1f}"])
        print(fmt_table(head, body))
        print()
        if full:
            print(f"mirror files that differ between local and ray: {diff} (of {full['local']['written']} lists)")
        if enc:
            print()
            print(f"encode, from the two sample sizes ({sizes[0]} and {sizes[1]} texts), extrapolated to "
                  f"{args.records}:")
            head = ["engine", "fixed s", "ms/text", "texts/s", f"encode {args.records} s (extrapolated)",
                    f"regenerate {args.records} s (measured rest + extrapolated encode)",
                    "core-hours per 1M texts"]
            body = []
            for engine in ENGINES:
                t0, t1 = (enc[engine, n]["seconds"]["encode"] for n in sizes)
                slope = (t1 - t0) / (sizes[1] - sizes[0])
                fixed = t0 - slope * sizes[0]
                projected = fixed + slope * args.records
                total = "-"
                if engine in full:
                    total = f"{full[engine]['wall'] - full[engine]['seconds'].get('encode', 0.0) + projected:.0f}"
                cores = os.cpu_count() or 1
                body.append([engine, f"{fixed:.1f}", f"{slope * 1000:.1f}", f"{1 / slope:.1f}", f"{projected:.0f}",
                             total, f"{slope * 1e6 * cores / 3600:.1f}"])
            print(fmt_table(head, body))
            print("fixed s: the intercept (model load; for ray also starting the cluster and its actors);")
            print(f"core-hours per 1M texts: ms/text x 1M x {os.cpu_count()} cores in use.")
    finally:
        if args.work is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
