"""The one folder where relate keeps, for the user, what it can always make again.

Record caches of corpus folders (:mod:`relate.corpus.cache`), ONNX exports made without a
workspace (:mod:`relate.embed.onnx`), all-mpnet-base-v2 joined from its packages
(:mod:`relate.embed.packaged`) and the sample workspace of a bare ``relate.suggest``
(:mod:`relate.engine.suggest`). Deleting it loses nothing but time.

Example:
    >>> import os
    >>> os.environ["RELATE_CACHE_DIR"] = "/tmp/relate-cache"
    >>> str(user_cache_dir())
    '/tmp/relate-cache'
    >>> del os.environ["RELATE_CACHE_DIR"]
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["user_cache_dir"]


def user_cache_dir() -> Path:
    """``$RELATE_CACHE_DIR``; else ``$RELATE_CACHE`` (the name the ONNX exports used first); else
    ``$XDG_CACHE_HOME/relate``; else ``~/.cache/relate``."""
    for name in ("RELATE_CACHE_DIR", "RELATE_CACHE"):
        if os.environ.get(name):
            return Path(os.environ[name]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "relate"
