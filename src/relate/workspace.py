"""A workspace: one folder holding what relate built for a corpus.

Layout (nothing pickled)::

    params.json     relate version, model id, dimension, config, corpus fingerprint, counts
    ids.json        article id of each index row, and the text key it was encoded from
    vectors.npy     (n, dim) float32 unit vectors, row-aligned with ids.json
    index.faiss     the FAISS index over those rows
    articles.jsonl  the fields of each article needed to show it (no related lists)
    lexicon-*       the TF-IDF vocabulary, IDF weights and matrix (see relate.lexical)
    vectors/        the vector cache: every text ever encoded, by model and text
    models/         exported ONNX models, when that backend is used
    written.json    what the batch job last wrote to each record file (lets a warm run skip it)
    lock            present while a run holds the workspace (see relate.lock)
"""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from .articles import Article
from .errors import WorkspaceError
from .fileio import atomic_write_bytes

PARAMS = "params.json"
IDS = "ids.json"
VECTORS = "vectors.npy"
INDEX = "index.faiss"
ARTICLES = "articles.jsonl"
FORMAT_VERSION = 1

#: Article fields kept in the workspace (all a related entry, a filter or the ranker needs).
_KEPT = ("title", "web_url", "excerpt", "amp_web_url", "cdn_amp_web_url", "original_url", "type",
         "provider_name", "provider_domain", "quality", "heat", "topics", "images", "path")


def article_to_json(a: Article) -> dict[str, Any]:
    """The workspace's plain-data form of an article."""
    out = {k: getattr(a, k) for k in _KEPT if getattr(a, k) not in (None, [], "")}
    if a.published_at is not None:
        out["published_at"] = a.published_at.isoformat()
    return out


def article_from_json(d: dict[str, Any]) -> Article:
    """Inverse of :func:`article_to_json`."""
    d = dict(d)
    t = d.pop("published_at", None)
    return Article(published_at=datetime.fromisoformat(t) if t else None, **d)


def read_params(folder: Path) -> dict[str, Any] | None:
    """The workspace's params, or ``None`` when the folder holds no workspace yet."""
    path = folder / PARAMS
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"{path}: unreadable workspace params ({exc}); delete the folder and run "
                             "`relate index CORPUS` again") from exc


def check_compatible(folder: Path, params: dict[str, Any], model: str) -> None:
    """Raises :class:`WorkspaceError` when the workspace was built for another model or format."""
    if params.get("format") != FORMAT_VERSION:
        raise WorkspaceError(
            f"{folder}: workspace format {params.get('format')!r} is not {FORMAT_VERSION}; rebuild it with "
            f"`relate index CORPUS --workspace {folder} --rebuild`")
    if params.get("model") != model:
        raise WorkspaceError(
            f"{folder}: workspace was built with model {params.get('model')!r} (dimension {params.get('dim')}), "
            f"but the config asks for {model!r}. Rebuild it with `relate index CORPUS --workspace {folder} "
            f"--rebuild`, or choose another workspace folder for this model.")


def write_json(path: Path, data: Any) -> None:
    atomic_write_bytes(path, json.dumps(data, ensure_ascii=False, default=str).encode("utf-8"))


def article_lines(articles: list[Article]) -> list[str]:
    """The ``articles.jsonl`` lines of these articles."""
    return [json.dumps(article_to_json(a), ensure_ascii=False, default=str) for a in articles]


def write_article_lines(path: Path, lines: list[str]) -> None:
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode("utf-8"))


def read_article_lines(path: Path) -> tuple[list[Article], list[str]]:
    """The articles stored in ``articles.jsonl``, and the lines they came from."""
    with open(path, encoding="utf-8") as fh:
        lines = [line.rstrip("\n") for line in fh if line.strip()]
    return [article_from_json(json.loads(line)) for line in lines], lines


def default_folder() -> Path | None:
    """``$RELATE_WORKSPACE``, else ``./.relate`` when it exists, else ``None``."""
    env = os.environ.get("RELATE_WORKSPACE")
    if env:
        return Path(env)
    if Path(".relate", PARAMS).exists():
        return Path(".relate")
    return None
