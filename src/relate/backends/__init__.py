"""Optional encoder backends, each imported only by the code that needs it.

``relate.embed.Encoder`` picks one from ``embed.backend``: ``torch`` is sentence-transformers
itself; ``onnx`` and ``onnx-int8`` live in :mod:`relate.backends.onnx` and need the ``onnx``
extra (``pip install 'relate[onnx]'``).
"""
from __future__ import annotations

from ..errors import RelateError

__all__ = ["BackendUnavailable"]


class BackendUnavailable(RelateError, ImportError):
    """A backend whose packages are not installed; the message names the ``pip install`` that fixes it."""
