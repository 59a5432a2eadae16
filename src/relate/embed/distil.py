"""The encoder adapted to one corpus without labels: a bigger model's neighbourhoods taught to it.

A related list is made of an article's nearest neighbours, so what matters of an encoder is the
order it puts each text's near neighbours in. :func:`distil` takes the corpus's own texts, their
vectors under a bigger *teacher* model (all-mpnet-base-v2, say: better lists, 7 times the encode
time) and trains the *student* (the configured model, all-MiniLM-L6-v2 by default) to order each
text's neighbours as the teacher does:

- each batch is ``anchors`` texts, each with ``neighbours`` of its ``pool`` nearest neighbours
  under the teacher (:func:`neighbour_batches`), so the batch holds the close calls a list is
  made of, not only far pairs;
- the loss is the KL divergence between the teacher's and the student's softmax over each text's
  batch-mates, on cosines divided by ``tau`` (:func:`distil_loss`).

The teacher's cost is paid once, by ``relate adapt``; every later run encodes at the student's
speed. No judgment is read: everything is fitted from the corpus itself. docs/ranking.md ("Sixth
round") has what it gave.

Example:
    >>> import numpy as np
    >>> teacher = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], dtype=np.float32)
    >>> teacher /= np.linalg.norm(teacher, axis=1, keepdims=True)
    >>> sorted(next(neighbour_batches(teacher, anchors=1, neighbours=1, pool=1))) in ([0, 1], [2, 3])
    True
"""
from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .encoder import stay_offline

__all__ = ["Distilled", "distil", "distil_loss", "joined_teacher", "neighbour_batches"]

#: Rows of the teacher's similarity matrix computed at a time (memory: ``_BLOCK x n`` floats).
_BLOCK = 2048


@dataclass(frozen=True)
class Distilled:
    """What :func:`distil` did: the model folder written, the steps, seconds and losses."""

    folder: str
    texts: int
    steps: int
    seconds: float
    first_loss: float
    last_loss: float


def joined_teacher(*vectors: np.ndarray) -> np.ndarray:
    """Several models' unit vectors of the same texts (rows aligned) side by side, over the square
    root of their number: unit vectors whose dot product is the mean of the models' cosines.

    ``relate adapt`` teaches the student the student and the teacher joined: it keeps half of its
    own order of neighbours and takes half of the teacher's (docs/ranking.md, "Seventh round").

    >>> a = np.array([[1.0, 0.0], [0.6, 0.8]]); b = np.array([[0.0, 1.0], [0.0, 1.0]])
    >>> j = joined_teacher(a, b)
    >>> j.shape, np.allclose(np.linalg.norm(j, axis=1), 1.0), round(float(j[0] @ j[1]), 6)
    ((2, 4), True, 0.8)
    """
    if not vectors or len({len(v) for v in vectors}) != 1:
        raise ValueError(f"joined_teacher needs vectors of the same rows (got {[len(v) for v in vectors]} rows)")
    return (np.hstack([np.asarray(v, dtype=np.float32) for v in vectors]) / np.sqrt(len(vectors))).astype(np.float32)


def neighbour_batches(teacher: np.ndarray, anchors: int = 6, neighbours: int = 7, pool: int = 15,
                      seed: int = 0) -> Iterator[list[int]]:
    """Endless batches of row numbers: ``anchors`` rows in shuffled order (every row once per pass),
    each followed by ``neighbours`` of its ``pool`` nearest rows under ``teacher`` (unit vectors)."""
    n = len(teacher)
    pool = max(1, min(pool, n - 1))
    neighbours = min(neighbours, pool)
    near = np.empty((n, pool), dtype=np.int64)
    for start in range(0, n, _BLOCK):
        sims = teacher[start:start + _BLOCK] @ teacher.T
        sims[np.arange(len(sims)), np.arange(start, start + len(sims))] = -np.inf
        near[start:start + len(sims)] = np.argpartition(-sims, pool - 1, axis=1)[:, :pool]
    nearest = near.tolist()
    rng = random.Random(seed)
    order: list[int] = []
    while True:
        if len(order) < anchors:
            order = list(range(n))
            rng.shuffle(order)
        chosen, order = order[:anchors], order[anchors:]
        rows: list[int] = []
        for a in chosen:
            for r in [a, *rng.sample(nearest[a], neighbours)]:
                if r not in rows:
                    rows.append(r)
        yield rows


def distil_loss(student, teacher, tau: float = 0.05):
    """KL divergence of the student's softmax over each text's batch-mates from the teacher's.

    ``student``, ``teacher``: torch tensors of unit vectors of the same texts, rows aligned (their
    widths may differ); similarities are cosines divided by ``tau``, a text never its own mate.
    """
    import torch

    eye = torch.eye(len(student), dtype=torch.bool)
    s = (student @ student.T / tau).masked_fill(eye, float("-inf"))
    t = (teacher @ teacher.T / tau).masked_fill(eye, float("-inf"))
    log_s = torch.log_softmax(s, dim=-1).masked_fill(eye, 0.0)
    log_t = torch.log_softmax(t, dim=-1).masked_fill(eye, 0.0)
    return (log_t.exp() * (log_t - log_s)).sum(-1).mean()


def distil(texts: Sequence[str], teacher: np.ndarray, student: str, folder: str | Path, *, steps: int = 240,
           anchors: int = 6, lr: float = 2e-5, seed: int = 0, max_seq_length: int = 128, mix: float = 1.0,
           on_step: Callable[[int, float], None] | None = None) -> Distilled:
    """Trains the student model at ``student`` (a sentence-transformers folder) to order the
    neighbours of ``texts`` as ``teacher`` (their unit vectors, rows aligned) does, and saves it
    to ``folder`` (a sentence-transformers folder, loadable as ``embed.model``).

    ``mix``: the weights saved are ``mix`` times the trained weights plus ``1 - mix`` times the
    student's own, tensor by tensor (weight-space ensembling, as WiSE-FT does): 1 saves the trained
    model, 0 the student unchanged; between them, what one training run's seed does to the lists
    is smaller (docs/ranking.md, "Eighth round"). ``on_step(step, loss)`` is called after every
    step. Uses the CPU, with a fixed seed.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    if len(texts) != len(teacher):
        raise ValueError(f"{len(texts)} texts but {len(teacher)} teacher vectors")
    if len(texts) < 2:
        raise ValueError("distillation needs at least two texts")
    if not 0.0 <= mix <= 1.0:
        raise ValueError(f"mix must be between 0 and 1 (got {mix})")
    torch.manual_seed(seed)
    stay_offline()
    model = SentenceTransformer(student, device="cpu", local_files_only=True)
    model.max_seq_length = max_seq_length
    own = {k: v.detach().clone() for k, v in model.state_dict().items()} if mix < 1.0 else {}
    teacher_t = torch.from_numpy(np.ascontiguousarray(teacher, dtype=np.float32))
    batches = neighbour_batches(teacher, anchors=anchors, seed=seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    preprocess = getattr(model, "preprocess", None) or model.tokenize   # tokenize: sentence-transformers < 6
    model.train()
    started, losses = time.perf_counter(), []
    for step in range(steps):
        rows = next(batches)
        out = model(preprocess([texts[r] for r in rows]))["sentence_embedding"]
        loss = distil_loss(torch.nn.functional.normalize(out, dim=-1), teacher_t[rows])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
        if on_step is not None:
            on_step(step, losses[-1])
    model.eval()
    if own:
        trained = model.state_dict()
        model.load_state_dict({k: mix * v + (1.0 - mix) * own[k] if v.is_floating_point() else v
                               for k, v in trained.items()})
    # written beside, then renamed: a run stopped while saving leaves no half-written model folder
    folder = Path(folder)
    scratch = folder.with_name(f".{folder.name}.saving")
    shutil.rmtree(scratch, ignore_errors=True)
    model.save(str(scratch))
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    os.replace(scratch, folder)
    first, last = np.mean(losses[:10]) if losses else 0.0, np.mean(losses[-10:]) if losses else 0.0
    return Distilled(str(folder), len(texts), steps, time.perf_counter() - started, float(first), float(last))
