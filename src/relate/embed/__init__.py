"""Texts to vectors: the encoder, the on-disk vector cache, and the one encode path through both.

- :class:`TextEncoder`: what relate asks of an encoder (``id``, ``dim``, ``encode``);
  :class:`Encoder` is the sentence-transformers one (:mod:`.encoder`).
- :class:`VectorCache` and :func:`encode_cached` (:mod:`.cache`): every text relate encodes
  goes through ``encode_cached``, which encodes only what the cache lacks.
- :mod:`relate.embed.onnx`: the ONNX Runtime backends (``embed.backend: onnx`` / ``onnx-int8``),
  imported only when asked for, so ``import relate.embed`` loads neither torch,
  sentence-transformers nor onnxruntime.

Example:
    >>> from relate.config import EmbedConfig
    >>> enc = Encoder(EmbedConfig())                  # all-MiniLM-L6-v2, offline
    >>> enc.encode(["Azure adds GPU VMs"]).shape      # doctest: +SKIP
    (1, 384)
"""
from __future__ import annotations

import importlib

from .cache import VectorCache, encode_cached, text_key
from .encoder import (
    DEFAULT_MODEL_NAMES,
    INSTALL_HINT,
    BackendUnavailable,
    Encoder,
    TextEncoder,
    model_id,
    require_onnx,
    resolve_model,
)

__all__ = ["DEFAULT_MODEL_NAMES", "INSTALL_HINT", "BackendUnavailable", "Encoder", "TextEncoder", "VectorCache",
           "encode_cached", "model_id", "require_onnx", "resolve_model", "text_key"]


def __getattr__(name: str):
    if name == "onnx":  # the heavy backend, loaded on first mention (PEP 562)
        return importlib.import_module(".onnx", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
