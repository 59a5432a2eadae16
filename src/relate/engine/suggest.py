"""``relate.suggest``: one call, one related list, from the workspace the resolution rule finds.

The engines it opens are kept (one per workspace folder, within the process), so later calls
do not load the model or the index again; one is opened anew when its workspace changed on
disk (another run updated it). The calls are quiet: no model-library progress bars on stderr.

Example:
    >>> import relate
    >>> relate.suggest({"title": "Azure outage hits Europe", "webUrl": "https://x.com/a"}, k=3)
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..config import load_config
from ..errors import ConfigError, WorkspaceError
from ..records import Article
from ..user_cache import user_cache_dir
from ..workspace import Workspace
from .engine import Engine

#: Where the sample workspace (built from the repository's data/) comes from.
SAMPLE_DATA = Path(__file__).resolve().parents[3] / "data"

_DEFAULT_ENGINES: dict[str, Engine] = {}
#: Engines opened for ``workspace=`` folders: folder -> (the folder's signature, engine).
_ENGINES: dict[str, tuple[tuple, Engine]] = {}
_QUIET_ENV = "HF_HUB_DISABLE_PROGRESS_BARS"


@contextmanager
def quiet_libraries() -> Iterator[None]:
    """No progress bars from the model libraries (``Loading weights``...) while the block runs.

    Libraries not yet imported read the environment when they are; those already imported
    are switched off, and back on after the block.
    """
    old = os.environ.get(_QUIET_ENV)
    os.environ[_QUIET_ENV] = "1"
    switched = []
    hub = sys.modules.get("huggingface_hub.utils")
    if hub is not None and hasattr(hub, "are_progress_bars_disabled") and not hub.are_progress_bars_disabled():
        hub.disable_progress_bars()
        switched.append(hub.enable_progress_bars)
    tf = sys.modules.get("transformers.utils.logging")
    if tf is not None and hasattr(tf, "is_progress_bar_enabled") and tf.is_progress_bar_enabled():
        tf.disable_progress_bar()
        switched.append(tf.enable_progress_bar)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(_QUIET_ENV, None)
        else:
            os.environ[_QUIET_ENV] = old
        for enable in switched:
            enable()


def _signature(folder: Path) -> tuple:
    """What a workspace folder holds, by name, size and time: a change means another run updated it."""
    try:
        with os.scandir(folder) as it:
            return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in it
                                if e.is_file() and not e.name.endswith((".lock", ".tmp"))))
    except OSError:
        return ()


def workspace_engine(workspace: str | os.PathLike | Workspace) -> Engine:
    """The engine open on ``workspace`` in this process (opened on first use, again when it changed).

    Example:
        >>> workspace_engine("/tmp/ws") is workspace_engine("/tmp/ws")  # doctest: +SKIP
        True
    """
    folder = Path(workspace.folder if isinstance(workspace, Workspace) else workspace).resolve()
    key, sig = str(folder), _signature(folder)
    held = _ENGINES.get(key)
    if held is None or held[0] != sig:
        with quiet_libraries():
            engine = Engine(workspace)
        _ENGINES[key] = (sig, engine)
        return engine
    return held[1]


def default_engine(near: str | os.PathLike | None = None) -> Engine:
    """The engine ``relate.suggest`` uses when given no workspace.

    By :meth:`Workspace.resolve <relate.workspace.Workspace.resolve>`: ``workspace:`` in the
    config, ``$RELATE_WORKSPACE``, the nearest ``.relate`` holding a workspace at or above
    ``near`` (a record file), ``./.relate`` if it holds one; else one built from ``data/``
    (kept in :func:`relate.user_cache.user_cache_dir`: ``$RELATE_CACHE_DIR``, else ``~/.cache/relate``).

    Raises:
        WorkspaceError: no workspace is found and there is no ``data/`` sample to build one from.
    """
    cfg = load_config()
    ws = Workspace.resolve(None, cfg, near=near)
    if ws is None:
        if not SAMPLE_DATA.is_dir():
            raise WorkspaceError("no workspace configured: set RELATE_WORKSPACE, `workspace:` in relate.yaml, "
                                 "or pass workspace=...; build one with `relate index CORPUS`")
        folder = user_cache_dir() / "sample-workspace"
        key = str(folder)
        if key not in _DEFAULT_ENGINES:
            _DEFAULT_ENGINES[key] = Engine.build(SAMPLE_DATA, workspace=folder, config=cfg)
        return _DEFAULT_ENGINES[key]
    key = str(ws.folder.resolve())
    if key not in _DEFAULT_ENGINES:
        _DEFAULT_ENGINES[key] = Engine(ws, cfg)
    return _DEFAULT_ENGINES[key]


def suggest(article: Any, k: int = 5, workspace: str | os.PathLike | None = None,
            **options: Any) -> list[dict[str, Any]]:
    """Related articles for one article: the library's one-call entry point.

    Args:
        article: a dict in the record shape, a path to a record file, or an ``Article``.
        k: how many suggestions at most (a whole number, 0 or more).
        workspace: the workspace to use (default: see :func:`default_engine`).
        **options: ranking settings for this call (see :class:`relate.config.RankConfig`).

    Returns:
        Dicts in the seed's related-entry shape (title, excerpt, publishedDateTime, webUrl, ...,
        absent fields left out) plus ``score`` and ``score_parts``.

    Raises:
        ConfigError: ``k`` is negative or not a whole number (``"5"``; a ``ValueError``).

    Example:
        >>> import relate
        >>> relate.suggest({"title": "Azure outage hits Europe", "webUrl": "https://x.com/a"}, k=3)
    """
    k = _check_k(k)
    with quiet_libraries():
        engine = workspace_engine(workspace) if workspace is not None else default_engine(near=_record_path(article))
        return engine.suggest(article, k=k, **options)


def _check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ConfigError(f"k must be a whole number of suggestions (0 or more), not {k!r}")
    return k


def _record_path(article: Any) -> str | os.PathLike | None:
    """The record file an article comes from, if any (where to look for the nearest workspace)."""
    if isinstance(article, (str, os.PathLike)):
        return article
    if isinstance(article, Article):
        return article.path
    return None
