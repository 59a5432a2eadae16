"""``relate.suggest``: one call, one related list, from the workspace the resolution rule finds.

The engines it opens are kept (one per workspace folder), so later calls do not load the
model or the index again.

Example:
    >>> import relate
    >>> relate.suggest({"title": "Azure outage hits Europe", "webUrl": "https://x.com/a"}, k=3)
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..config import load_config
from ..errors import WorkspaceError
from ..records import Article
from ..workspace import Workspace
from .engine import Engine

#: Where the sample workspace (built from the repository's data/) comes from.
SAMPLE_DATA = Path(__file__).resolve().parents[3] / "data"

_DEFAULT_ENGINES: dict[str, Engine] = {}


def default_engine(near: str | os.PathLike | None = None) -> Engine:
    """The engine ``relate.suggest`` uses when given no workspace.

    By :meth:`Workspace.resolve <relate.workspace.Workspace.resolve>`: ``workspace:`` in the
    config, ``$RELATE_WORKSPACE``, the nearest ``.relate`` holding a workspace at or above
    ``near`` (a record file), ``./.relate`` if it holds one; else one built from ``data/``
    (kept in ``$RELATE_CACHE_DIR``, else ``~/.cache/relate``).

    Raises:
        WorkspaceError: no workspace is found and there is no ``data/`` sample to build one from.
    """
    cfg = load_config()
    ws = Workspace.resolve(None, cfg, near=near)
    if ws is None:
        if not SAMPLE_DATA.is_dir():
            raise WorkspaceError("no workspace configured: set RELATE_WORKSPACE, `workspace:` in relate.yaml, "
                                 "or pass workspace=...; build one with `relate index CORPUS`")
        cache = Path(os.environ.get("RELATE_CACHE_DIR") or Path.home() / ".cache" / "relate")
        folder = cache / "sample-workspace"
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
        k: how many suggestions at most.
        workspace: the workspace to use (default: see :func:`default_engine`).
        **options: ranking settings for this call (see :class:`relate.config.RankConfig`).

    Returns:
        Dicts in the seed's related-entry shape (title, excerpt, publishedDateTime, webUrl, ...,
        absent fields left out) plus ``score`` and ``score_parts``.

    Example:
        >>> import relate
        >>> relate.suggest({"title": "Azure outage hits Europe", "webUrl": "https://x.com/a"}, k=3)
    """
    engine = Engine(workspace) if workspace is not None else default_engine(near=_record_path(article))
    return engine.suggest(article, k=k, **options)


def _record_path(article: Any) -> str | os.PathLike | None:
    """The record file an article comes from, if any (where to look for the nearest workspace)."""
    if isinstance(article, (str, os.PathLike)):
        return article
    if isinstance(article, Article):
        return article.path
    return None
