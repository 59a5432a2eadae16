"""The text encoder: what relate asks of one (:class:`TextEncoder`) and the sentence-transformers one it ships.

Example:
    >>> from relate.config import EmbedConfig
    >>> enc = Encoder(EmbedConfig())                  # all-MiniLM-L6-v2, offline
    >>> enc.encode(["Azure adds GPU VMs"]).shape      # doctest: +SKIP
    (1, 384)
    >>> model_id(EmbedConfig())                       # ONNX fp32 is the default backend
    'all-MiniLM-L6-v2|onnx|128'
"""
from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ..config import EmbedConfig
from ..errors import RelateError, WorkspaceError
from .packaged import DEFAULT_MODEL_NAMES, packaged_folder

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MODEL_NAMES",
    "INSTALL_HINT",
    "BackendUnavailable",
    "Encoder",
    "TextEncoder",
    "model_id",
    "require_onnx",
    "resolve_model",
]

#: What to run when the ONNX backend's packages are missing (core dependencies since ``onnx`` is the default).
INSTALL_HINT = "pip install onnxruntime onnx"


class TextEncoder(Protocol):
    """What relate needs of an encoder: anything with these three members works.

    :class:`Encoder` is the real one; ``tests/fakes.py``'s ``HashEncoder`` is one with no
    model. :class:`relate.embed.VectorCache` and :func:`relate.embed.encode_cached` need
    nothing more. (Not ``runtime_checkable``: on Python 3.11 ``isinstance`` would read
    ``dim``, and so load the model.)

    Attributes:
        id: a name for everything that changes the vectors (the vector cache is keyed by it).
        dim: the length of the vectors.
    """

    @property
    def id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        """``(len(texts), dim)`` float32 unit vectors, in input order."""
        ...


class BackendUnavailable(RelateError, ImportError):
    """A backend whose packages are not installed; the message names the ``pip install`` that fixes it."""


def require_onnx() -> None:
    """Raises :class:`BackendUnavailable` unless ``onnxruntime`` and ``onnx`` import."""
    missing = []
    for name in ("onnxruntime", "onnx"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise BackendUnavailable(
            f"embed.backend 'onnx'/'onnx-int8' needs {' and '.join(missing)}: {INSTALL_HINT} "
            "(or set embed.backend: torch)")


def stay_offline() -> None:
    """Tells the model libraries never to look online (``HF_HUB_OFFLINE``, ``TRANSFORMERS_OFFLINE``),
    unless the user set them: call it before any model load."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def resolve_model(name: str) -> str:
    """Where a model name points: a packaged model's folder (:mod:`relate.embed.packaged`: the
    default all-MiniLM-L6-v2, or all-mpnet-base-v2 from its five packages), a local folder, or
    the name itself."""
    folder = packaged_folder(name)
    if folder is not None:
        return str(folder)
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


def model_id(cfg: EmbedConfig) -> str:
    """A short name for everything that changes the vectors: model, backend, sequence length."""
    name = "all-MiniLM-L6-v2" if cfg.model in DEFAULT_MODEL_NAMES else cfg.model
    return f"{Path(name).name}|{cfg.backend}|{cfg.max_seq_length}"


class Encoder:
    """A sentence-transformers model loaded once, offline, that returns unit-length vectors.

    ``embed.backend: onnx`` (the default) and ``onnx-int8`` run the model exported by
    :mod:`relate.embed.onnx` (exported on first use into ``cache_folder``); ``torch`` runs
    sentence-transformers itself. Without onnxruntime the ONNX backends raise
    :class:`BackendUnavailable`, which names the install and ``embed.backend: torch``.

    Args:
        cfg: the ``embed`` section of the config.
        cache_folder: where an exported ONNX model is kept (a workspace sub-folder).
    """

    def __init__(self, cfg: EmbedConfig, cache_folder: str | os.PathLike | None = None) -> None:
        self.cfg = cfg
        self.cache_folder = None if cache_folder is None else Path(cache_folder)
        self._model = None

    @property
    def model(self):
        """The underlying SentenceTransformer, loaded on first use."""
        if self._model is None:
            self._model = self._load()
        return self._model

    @property
    def id(self) -> str:
        return model_id(self.cfg)

    @property
    def dim(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def _load(self):
        stay_offline()
        path = resolve_model(self.cfg.model)
        if self.cfg.backend == "torch":
            if self.cfg.threads:
                import torch

                torch.set_num_threads(self.cfg.threads)
            from sentence_transformers import SentenceTransformer

            try:
                model = SentenceTransformer(path, device=self.cfg.device, local_files_only=True)
            except OSError as exc:
                raise self._not_found(path, exc) from exc
        else:
            require_onnx()
            from .onnx.model import load_onnx_model

            try:
                model = load_onnx_model(path, self.cfg, self.cache_folder)
            except (OSError, ValueError) as exc:    # a folder that is not there, or a hub name not on disk
                raise self._not_found(path, exc) from exc
        model.max_seq_length = self.cfg.max_seq_length
        logger.info("loaded model %s (%s) from %s", self.cfg.model, self.cfg.backend, path)
        return model

    def _not_found(self, path: str, exc: Exception) -> WorkspaceError:
        where = "no such folder" if not Path(path).exists() else str(exc)
        return WorkspaceError(
            f"cannot load model {self.cfg.model!r} from {path!r} without a network ({where}). "
            "Set embed.model to a local folder holding a sentence-transformers model.")

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        """Encodes texts into an ``(n, dim)`` float32 array of unit vectors, in input order.

        sentence-transformers sorts by length and batches internally.
        """
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(list(texts), batch_size=self.cfg.batch_size, show_progress_bar=show_progress,
                                 convert_to_numpy=True, normalize_embeddings=True)
        return np.ascontiguousarray(vecs, dtype=np.float32)
