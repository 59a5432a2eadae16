"""relate: related-article recommendations for news sites.

Example:
    >>> import relate
    >>> relate.suggest({"title": "Azure outage hits Europe", "webUrl": "https://x.com/a"}, k=3)

Names are re-exported lazily (PEP 562), so ``import relate`` loads nothing heavy.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "Article": "records",
    "Corpus": "corpus",
    "article_id": "records",
    "as_article": "corpus",
    "read_article": "corpus",
    "read_corpus": "corpus",
    "write_related": "corpus",
    "Config": "config",
    "load_config": "config",
    "Engine": "engine",
    "suggest": "engine",
    "ConfigError": "errors",
    "RecordError": "errors",
    "RelateError": "errors",
    "WorkspaceError": "errors",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'relate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover
    from .config import Config, load_config
    from .corpus import Corpus, as_article, read_article, read_corpus, write_related
    from .engine import Engine, suggest
    from .errors import ConfigError, RecordError, RelateError, WorkspaceError
    from .records import Article, article_id
