"""MiniLM adapted to one corpus without labels (issue 10): TSDAE or MNRL, saved as a model folder.

    PYTHONPATH=src python benchmarks/adapt_encoder.py CORPUS OUT [--method tsdae|mnrl] [--steps N]
        [--batch B] [--lr LR]

``tsdae``: the denoising auto-encoder of Wang et al. (sentence-transformers'
``DenoisingAutoEncoderLoss``, decoder tied to the encoder): each record's "title. excerpt" with 60 %
of its words deleted is encoded, and the decoder must rebuild the whole text from that one vector.
``mnrl``: MultipleNegativesRankingLoss on (title, excerpt) pairs, each record's title against its
own excerpt and the other excerpts of the batch. (A third way, a bigger model's neighbourhoods
distilled into MiniLM, helped and ships as ``relate adapt``: docs/ranking.md, "Sixth round".)
Either starts from the shipped all-MiniLM-L6-v2, trains ``--steps`` batches (seed 0, 2 CPU threads) and saves a
sentence-transformers folder at ``OUT``; then index the corpus with it and compare
(docs/ranking.md, "Fifth round")::

    printf 'embed:\\n  model: OUT\\n' > CFG
    relate index CORPUS --workspace WS2 --config CFG
    PYTHONPATH=src python benchmarks/judged_encoders.py --azure AZ --powerapps PA --other-azure WS2 \\
        --other-config CFG [--other-powerapps PA2 --other-powerapps-config CFG2]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import relate  # noqa: E402
from relate.embed import resolve_model  # noqa: E402
from relate.text import clean_text  # noqa: E402


def _drop_words(text: str, share: float = 0.6) -> str:
    words = text.split()
    kept = [w for w in words if random.random() > share]
    return " ".join(kept or [random.choice(words)]) if words else text


def mnrl_loss(embed, titles: list[str], excerpts: list[str], scale: float = 20.0):
    """MultipleNegativesRankingLoss both ways: each title against its own excerpt and the batch's
    other excerpts, and each excerpt against the titles (``embed``: texts -> unit vectors)."""
    import torch

    logits = scale * embed(titles) @ embed(excerpts).T
    target = torch.arange(len(titles))
    return (torch.nn.functional.cross_entropy(logits, target) + torch.nn.functional.cross_entropy(logits.T, target)) / 2


def adapt(corpus: str, out: str, method: str = "tsdae", steps: int = 600, batch: int = 8, lr: float = 3e-5) -> float:
    """Trains and saves the adapted model; returns the training seconds."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    random.seed(0)
    torch.set_num_threads(2)
    path = resolve_model("all-MiniLM-L6-v2")
    model = SentenceTransformer(path, device="cpu")
    model.max_seq_length = 128
    pairs = [(clean_text(a.title or ""), clean_text(a.excerpt or "")[:400]) for a in relate.read_corpus(corpus).articles]
    if method == "tsdae":
        from sentence_transformers.losses import DenoisingAutoEncoderLoss

        loss = DenoisingAutoEncoderLoss(model, decoder_name_or_path=path, tie_encoder_decoder=True)
        params = list(loss.parameters())
        items = [f"{t}. {e}" if e and e.lower() != t.lower() else t for t, e in pairs]
    elif method == "mnrl":
        items = [(t, e) for t, e in pairs if t and e and e.lower() != t.lower()]
        params = list(model.parameters())
    else:
        raise SystemExit(f"unknown method {method!r}: tsdae or mnrl")

    def embed(texts):
        return torch.nn.functional.normalize(model(model.tokenize(texts))["sentence_embedding"], dim=-1)

    opt = torch.optim.AdamW(params, lr=lr)
    model.train()
    t0, order = time.perf_counter(), []
    for step in range(steps):
        if len(order) < batch:
            order = list(range(len(items)))
            random.shuffle(order)
        chosen, order = [items[i] for i in order[:batch]], order[batch:]
        if method == "tsdae":
            value = loss([model.tokenize([_drop_words(x) for x in chosen]), model.tokenize(chosen)], None)
        else:
            value = mnrl_loss(embed, [t for t, _ in chosen], [e for _, e in chosen])
        opt.zero_grad()
        value.backward()
        opt.step()
        if step % 50 == 0:
            print(f"step {step}: loss {value.item():.3f} ({time.perf_counter() - t0:.0f} s)", flush=True)
    model.eval()
    model.save(out)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus")
    p.add_argument("out", help="the model folder to write")
    p.add_argument("--method", default="tsdae", choices=("tsdae", "mnrl"))
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=3e-5)
    args = p.parse_args(argv)
    seconds = adapt(args.corpus, args.out, args.method, args.steps, args.batch, args.lr)
    print(f"{args.method}: {args.steps} steps of {args.batch} in {seconds:.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
