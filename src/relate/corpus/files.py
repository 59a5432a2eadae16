"""Which files of a corpus folder are records: name patterns, include/exclude globs, links, and addresses from paths.

Example:
    >>> rules = FileRules(["*.md", "*.html"], exclude=["_drafts/"])
    >>> rules.wanted("_news/a.md"), rules.wanted("_drafts/b.md"), rules.wanted("assets/c.css")
    (True, False, False)
    >>> address_from_path("/{collection}/{path}/", "_learning/collections/beginner.md")
    '/learning/collections/beginner/'
"""
from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..config import CorpusConfig
from ..errors import ConfigError, RecordError
from ..records import record_error

__all__ = ["FileRules", "LinkInfo", "address_from_path", "walk"]


def _match(rel: str, pattern: str) -> bool:
    """Whether a path inside the corpus matches a glob: the whole path, a folder above it, or (no ``/``) its name."""
    spec = _glob(pattern)
    if spec is None:
        return False
    name_too, match = spec
    parts = rel.split("/")
    if name_too and any(match(part) for part in parts):
        return True
    return any(match("/".join(parts[:i])) for i in range(1, len(parts) + 1))


@functools.lru_cache(maxsize=256)
def _glob(pattern: str) -> tuple[bool, Callable[[str], re.Match | None]] | None:
    """``(whether a name alone may match, the pattern's fnmatchcase matcher)`` of an include/exclude glob.

    Compiled once per pattern: the walk asks every file of the corpus about every glob.
    """
    p = pattern.strip().strip("/")
    if not p:
        return None
    return "/" not in p, re.compile(fnmatch.translate(p)).match


@functools.lru_cache(maxsize=256)
def _name_glob(pattern: str) -> Callable[[str], re.Match | None]:
    """The matcher of a ``corpus.files`` pattern, case folded as :meth:`FileRules.wanted` compares names."""
    return re.compile(fnmatch.translate(pattern.lower())).match


@dataclass
class FileRules:
    """The files a corpus folder's walk reads: name patterns (``files``), then ``include``, then ``exclude``."""

    files: Sequence[str] = ("*.md", "*.markdown", "*.html")
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()

    @classmethod
    def from_config(cls, cfg: CorpusConfig | None) -> FileRules:
        cfg = cfg or CorpusConfig()
        return cls(tuple(cfg.files), tuple(cfg.include), tuple(cfg.exclude))

    def wanted_folder(self, rel: str) -> bool:
        """Whether the walk goes into a folder (an excluded folder is not even listed)."""
        return not any(_match(rel, p) for p in self.exclude)

    def wanted(self, rel: str) -> bool:
        """Whether a file (its path inside the corpus, ``/``-separated) is read as a record."""
        name = rel.rsplit("/", 1)[-1].lower()
        if not any(_name_glob(p)(name) for p in self.files):
            return False
        if self.include and not any(_match(rel, p) for p in self.include):
            return False
        return not any(_match(rel, p) for p in self.exclude)


@dataclass
class LinkInfo:
    """The symbolic links a walk met: where each record file reached through one points."""

    outside: dict[str, str] = field(default_factory=dict)  # full path -> target outside the corpus
    inside: dict[str, str] = field(default_factory=dict)   # full path -> target inside the corpus


def walk(root: Path, rules: FileRules, errors: list[RecordError],
         links: LinkInfo) -> list[tuple[str, os.DirEntry]]:
    """Record files below ``root`` (hidden files and folders skipped), sorted by relative path.

    A dangling link, or a link to something that is not a file, is reported in ``errors``
    (``dangling-link``); a link that resolves is read like a file, and noted in ``links``
    (inside or outside the corpus). Linked folders are not entered.
    """
    out = []
    real_root = os.path.realpath(root)
    stack = [""]
    while stack:
        rel = stack.pop()
        folder = os.path.join(root, rel) if rel else str(root)
        try:
            with os.scandir(folder) as it:
                for e in it:
                    if e.name.startswith("."):
                        continue
                    r = f"{rel}/{e.name}" if rel else e.name
                    if e.is_dir(follow_symlinks=False):
                        if rules.wanted_folder(r):
                            stack.append(r)
                        continue
                    if not rules.wanted(r):
                        continue
                    if e.is_symlink():
                        target = os.path.realpath(e.path)
                        if not os.path.isfile(target):
                            errors.append(record_error(
                                "dangling-link", f"a symbolic link to {os.readlink(e.path)}, which "
                                f"{'is not a file' if os.path.exists(target) else 'does not exist'}; "
                                "it was not read", e.path))
                            continue
                        inside = target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep)
                        (links.inside if inside else links.outside)[e.path] = target
                    elif not e.is_file():
                        continue
                    out.append((r, e))
        except OSError as exc:
            errors.append(record_error("unreadable", f"cannot list the folder: {exc.strerror}",
                                       folder))
    out.sort(key=lambda x: x[0])
    return out


def address_from_path(template: str, rel: str) -> str:
    """The address a template gives the record at ``rel`` (its path inside the corpus).

    Placeholders: ``{collection}`` (the first folder, its leading ``_`` dropped, as Jekyll
    names collections; empty at the top), ``{path}`` (the path inside the collection
    without the suffix), ``{slug}`` (the file name without the suffix), ``{folder}`` (the
    whole folder path) and ``{file}`` (the whole path without the suffix).

    Raises:
        ConfigError: the template names an unknown placeholder.

    Example:
        >>> address_from_path("https://example.org/{collection}/{slug}/", "_learning/collections/x.md")
        'https://example.org/learning/x/'
    """
    p = PurePosixPath(rel)
    stem = str(p.with_suffix("")) if p.suffix else str(p)
    parts = stem.split("/")
    collection = parts[0].lstrip("_") if len(parts) > 1 else ""
    inner = "/".join(parts[1:]) if len(parts) > 1 else stem
    folder = "/".join(parts[:-1])
    try:
        out = template.format(collection=collection, path=inner, slug=parts[-1], folder=folder, file=stem)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"corpus.url_template {template!r}: unknown placeholder {exc}; use {{collection}}, "
                         "{path}, {slug}, {folder} or {file}") from None
    return re.sub(r"(?<!:)/{2,}", "/", out)  # an empty part (a file at the top) leaves no double slash
