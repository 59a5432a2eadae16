"""A workspace: which folder it is (the one resolution rule), its files, lock, scratch copy and sweep.

Layout (nothing pickled)::

    params.json     relate version, model id, dimension, config, corpus fingerprint, counts
    ids.json        article id of each index row, and the text key it was encoded from
    vectors.npy     (n, dim) float32 unit vectors, row-aligned with ids.json (vectors-tail.npy: the rows
                    appended since it was written whole; neighbours.npy likewise)
    index.faiss     the FAISS index over those rows
    articles.jsonl  the fields of each article needed to show it (no related lists)
    lexicon-*       the TF-IDF vocabulary, IDF weights and matrix (see relate.lexical)
    stats.json      corpus statistics frozen between refits (see relate.engine.stats)
    terms.json      the key terms of each row
    neighbours.npy  (n, depth) cosines of each row's nearest other rows (reciprocal evidence)
    facts.npy       (n, 4) quality and provider percentiles, publish time and title key of each row (rank table)
    windows.npy     (n, width) rows of each article's candidate window, window-sims.npy their cosines
    pending.json    articles whose lists changed but are not yet written in place
    picks.npy       each article's last ranked list (rows), pick-scores.npy its last pick's score
    vectors/        the vector cache: every text ever encoded, by model and text
    models/         exported ONNX models, when that backend is used
    written.json    what the batch job last wrote to each record file (lets a warm run skip it)
    lock            present while a run holds the workspace (see relate.workspace.lock)

Which folder (:meth:`Workspace.resolve`), first match wins:

1. the explicit argument (``--workspace``, ``workspace=``);
2. ``workspace:`` in the config;
3. ``$RELATE_WORKSPACE``;
4. given a corpus: ``<corpus folder>/.relate`` (a corpus file: ``<its folder>/.relate``), so
   the same corpus always finds the same workspace, whatever the working folder;
5. given no corpus (``relate suggest``, the library): the nearest ``.relate`` holding a
   workspace at or above the record file's folder, else ``./.relate`` if it holds one;
   else nothing (``relate.suggest`` then builds the sample workspace from ``data/``).

Example:
    >>> ws = Workspace.resolve(None, corpus="/news/articles")   # doctest: +SKIP
    >>> ws.folder, ws.source                                   # doctest: +SKIP
    (PosixPath('/news/articles/.relate'), 'corpus')
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..config import ENV_WORKSPACE, Config
from ..corpus import JSON_SUFFIXES
from ..errors import WorkspaceError
from ..fileio import atomic_open
from ..records import Article
from .articles import article_from_line
from .lines import READS_FROM_FILE, FileLines
from .lock import LOCK_NAME, WorkspaceLock
from .sweep import sweep_temp_files

PARAMS = "params.json"
IDS = "ids.json"
VECTORS = "vectors.npy"
INDEX = "index.faiss"
ARTICLES = "articles.jsonl"
VECTOR_CACHE = "vectors"
MODELS = "models"
LEDGER = "written.json"
STATS = "stats.json"
TERMS = "terms.json"
NEIGHBOURS = "neighbours.npy"
WINDOWS = "windows.npy"
WINDOW_SIMS = "window-sims.npy"
PENDING = "pending.json"
PICKS = "picks.npy"
PICK_SCORES = "pick-scores.npy"
FACTS = "facts.npy"
SOURCES = "sources.npy"
SAVING = "saving"          # present while a run saves the files above: they may be of two runs
#: The folder name a corpus's own workspace has (inside the corpus folder, like ``.git``).
FOLDER_NAME = ".relate"
FORMAT_VERSION = 3
#: Older formats a workspace may still be opened in (format 1 is rebuilt by its next update).
READABLE_FORMATS = (1, 2, 3)
#: Files that make up the built workspace (what :meth:`Workspace.clear` removes).
BUILT_FILES = (PARAMS, IDS, VECTORS, INDEX, ARTICLES, STATS, TERMS, NEIGHBOURS, WINDOWS, WINDOW_SIMS, PENDING, PICKS,
               PICK_SCORES, FACTS, SOURCES, SAVING, "vectors-tail.npy", "neighbours-tail.npy")


class Workspace:
    """One workspace folder and everything relate keeps in it.

    Args:
        folder: the folder (need not exist yet).
        source: how it was chosen: ``argument``, ``config``, ``environment``, ``corpus``,
            ``nearest``, ``working folder`` or ``default`` (see :meth:`resolve`).
    """

    def __init__(self, folder: str | os.PathLike, source: str = "argument") -> None:
        self.folder = Path(folder)
        self.source = source

    def __repr__(self) -> str:
        return f"Workspace({str(self.folder)!r}, source={self.source!r})"

    def __str__(self) -> str:
        return str(self.folder)

    # ------------------------------------------------------------------ which folder
    @classmethod
    def resolve(cls, workspace: str | os.PathLike | Workspace | None = None, config: Config | None = None, *,
                corpus: Any = None, near: str | os.PathLike | None = None) -> Workspace | None:
        """The workspace by the one rule (see the module docstring); ``None`` when nothing is found.

        Args:
            workspace: the explicit folder (or a :class:`Workspace`, returned as is).
            config: settings; its ``workspace`` comes second.
            corpus: the corpus a command works on: a folder or a corpus file (a ``Corpus``
                counts by its ``root``); its ``.relate`` comes after ``$RELATE_WORKSPACE``.
            near: with no corpus, a record file: the nearest ``.relate`` holding a workspace
                at or above its folder is used.

        Returns:
            The workspace; ``None`` only without a corpus, when no ``.relate`` holding a
            workspace is near ``near`` or in the working folder.
        """
        if isinstance(workspace, Workspace):
            return workspace
        if workspace:
            return cls(workspace, "argument")
        if config is not None and config.workspace:
            return cls(config.workspace, "config")
        env = os.environ.get(ENV_WORKSPACE)
        if env:
            return cls(env, "environment")
        root = corpus if isinstance(corpus, (str, os.PathLike)) else getattr(corpus, "root", None)
        if root:
            path = Path(root).absolute()
            is_file = path.is_file() or (not path.is_dir() and path.suffix.lower() in JSON_SUFFIXES)
            return cls((path.parent if is_file else path) / FOLDER_NAME, "corpus")
        if near is not None:
            start = Path(near).absolute()
            start = start if start.is_dir() else start.parent
            for folder in (start, *start.parents):
                if (folder / FOLDER_NAME / PARAMS).is_file():
                    return cls(folder / FOLDER_NAME, "nearest")
        if (Path(FOLDER_NAME) / PARAMS).is_file():
            return cls(FOLDER_NAME, "working folder")
        return None

    @classmethod
    def require(cls, config: Config | None = None, *, near: str | os.PathLike | None = None) -> Workspace:
        """The workspace for a record file (:meth:`resolve` without a corpus), which must be found.

        Raises:
            WorkspaceError: none is given and no ``.relate`` holding one is near ``near`` or here.
        """
        ws = cls.resolve(None, config, near=near)
        if ws is None:
            where = f" at or above the folder of {near} or" if near is not None else ""
            raise WorkspaceError(f"no workspace: none given (--workspace, workspace: in the config, "
                                 f"$RELATE_WORKSPACE) and no {FOLDER_NAME} folder holding one{where} in the working "
                                 "folder; build one with `relate index CORPUS`")
        return ws

    # ------------------------------------------------------------------ its files
    def path(self, name: str) -> Path:
        """A file or folder of the workspace, by name (``PARAMS``, ``INDEX``...)."""
        return self.folder / name

    @property
    def vector_cache(self) -> Path:
        """The vector cache folder (:class:`relate.embed.VectorCache`)."""
        return self.folder / VECTOR_CACHE

    @property
    def models(self) -> Path:
        """Where exported ONNX models are kept."""
        return self.folder / MODELS

    @property
    def ledger(self) -> Path:
        """The batch job's write ledger (``written.json``)."""
        return self.folder / LEDGER

    @property
    def exists(self) -> bool:
        """Whether the folder holds a built workspace (its params file)."""
        return (self.folder / PARAMS).is_file()

    def read_params(self) -> dict[str, Any] | None:
        """The workspace's params, or ``None`` when the folder holds no workspace yet."""
        path = self.folder / PARAMS
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise WorkspaceError(f"{path}: unreadable workspace params ({exc}); delete the folder and run "
                                 "`relate index CORPUS` again") from exc

    def check_compatible(self, params: dict[str, Any], model: str) -> None:
        """Raises :class:`WorkspaceError` when the workspace was built for another model or format."""
        folder = self.folder
        if params.get("format") not in READABLE_FORMATS:
            raise WorkspaceError(
                f"{folder}: workspace format {params.get('format')!r} is not one this version reads "
                f"({', '.join(map(str, READABLE_FORMATS))}); rebuild it with "
                f"`relate index CORPUS --workspace {folder} --rebuild`")
        if params.get("model") != model:
            raise WorkspaceError(
                f"{folder}: workspace was built with model {params.get('model')!r} (dimension "
                f"{params.get('dim')}), but the config asks for {model!r}. Rebuild it with `relate index CORPUS "
                f"--workspace {folder} --rebuild`, or choose another workspace folder for this model.")

    def write_json(self, name: str, data: Any) -> None:
        """Writes one JSON file of the workspace, atomically."""
        write_json(self.folder / name, data)

    def write_json_list(self, name: str, items: Sequence[Any], each: Callable[[Any], Any] = lambda x: x) -> None:
        """Writes one JSON array of the workspace (``each`` of ``items``) atomically, a block of
        items at a time: the bytes :meth:`write_json` writes for ``[each(x) for x in items]``,
        without that list or the whole text in memory at once."""
        with atomic_open(self.folder / name, "wb") as fh:
            for piece in _list_pieces(items, 8192, each):
                fh.write(piece.encode("utf-8"))

    def write_articles(self, lines: Sequence[str]) -> None:
        """Writes ``articles.jsonl`` (lines from :func:`article_lines`), atomically."""
        with atomic_open(self.folder / ARTICLES, "w") as fh:    # a block of lines at a time, not one copy of all
            for i in range(0, max(len(lines), 1), 8192):
                fh.write("\n".join(lines[i:i + 8192]) + "\n")

    def stored_lines(self) -> Sequence[str]:
        """The lines of ``articles.jsonl`` as :meth:`read_lines` gives them, read from the file when
        asked (:class:`relate.workspace.lines.FileLines`; a list where ``os.pread`` is missing)."""
        if not READS_FROM_FILE:
            return self.read_lines()
        return FileLines.open(self.folder / ARTICLES)

    def read_lines(self) -> list[str]:
        """The lines of ``articles.jsonl`` (one JSON object a row)."""
        with open(self.folder / ARTICLES, encoding="utf-8") as fh:
            return [line.rstrip("\n") for line in fh if line.strip()]

    def read_articles(self) -> tuple[list[Article], list[str]]:
        """The articles stored in ``articles.jsonl``, and the lines they came from."""
        with open(self.folder / ARTICLES, encoding="utf-8") as fh:
            lines = [line.rstrip("\n") for line in fh if line.strip()]
        return [article_from_line(line) for line in lines], lines

    def clear(self) -> None:
        """Removes the built workspace (params, ids, vectors, index, articles); the vector cache stays."""
        for name in BUILT_FILES:
            try:
                (self.folder / name).unlink()
            except FileNotFoundError:
                pass

    # ------------------------------------------------------------------ using it safely
    def create(self) -> None:
        """Creates the folder.

        Raises:
            WorkspaceError: it cannot be created (for a corpus's own ``.relate``, the message
                says to pass ``--workspace``).
        """
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            hint = ("; the corpus folder may be read-only: pass --workspace DIR (or set workspace: in the config, "
                    "or $RELATE_WORKSPACE) to keep the workspace elsewhere") if self.source == "corpus" else ""
            raise WorkspaceError(f"{self.folder}: cannot create the workspace folder: "
                                 f"{exc.strerror or exc}{hint}") from exc

    def lock(self, command: str, wait: float | None = 0.0) -> WorkspaceLock:
        """The workspace's lock (not yet taken), naming ``command`` and this process as its owner."""
        return WorkspaceLock(self.folder, timeout=wait, command=f"{command} (pid {os.getpid()})")

    @contextmanager
    def locked(self, command: str, wait: float | None = 0.0, create: bool = True) -> Iterator[None]:
        """Holds the lock for a run, after sweeping what a killed run left behind.

        Args:
            command: what holds it (shown to a run that finds it taken).
            wait: seconds to wait for another run (``None``: for ever).
            create: create the folder; ``False`` (a dry run) on a workspace that does not exist
                yet takes no lock and creates nothing.
        """
        if not create and not self.folder.is_dir():
            yield  # a dry run on a workspace that does not exist yet: nothing to protect, nothing created
            return
        self.create()
        with self.lock(command, wait):
            self.sweep()
            yield

    def sweep(self) -> int:
        """Removes temporary files a killed run left in the workspace and its vector cache."""
        return sum(sweep_temp_files(sub) for sub in (self.folder, self.vector_cache))

    @contextmanager
    def scratch(self) -> Iterator[Workspace]:
        """A throwaway copy of the workspace (for a dry run), removed at the end.

        The copy is made of hard links where the file system allows: relate replaces workspace
        files by renaming, never by writing into them, so the originals cannot change.
        """
        tmp = Path(tempfile.mkdtemp(prefix="relate-dry-run-"))
        try:
            if self.folder.is_dir():
                _link_tree(self.folder, tmp)
            yield Workspace(tmp, "scratch")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

def write_json(path: Path, data: Any) -> None:
    """Writes ``data`` as JSON to ``path``, atomically; a long list (of ids, say, at any depth of
    dicts) a block of items at a time: the bytes of ``json.dumps(data)``, not all of them at once."""
    with atomic_open(path, "wb") as fh:
        for piece in _json_pieces(data):
            fh.write(piece.encode("utf-8"))


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def _list_pieces(items: Sequence[Any], block: int, each: Callable[[Any], Any] = lambda x: x) -> Iterator[str]:
    """``_dumps([each(x) for x in items])`` in pieces of ``block`` items (joined, the same text)."""
    yield "["
    for i in range(0, len(items), block):
        yield (", " if i else "") + _dumps([each(x) for x in items[i:i + block]])[1:-1]
    yield "]"


def _json_pieces(data: Any, block: int = 8192) -> Iterator[str]:
    """``_dumps(data)`` in pieces (joined, the same text)."""
    if type(data) is list and len(data) > block:
        yield from _list_pieces(data, block)
    elif type(data) is dict and data and all(type(k) is str for k in data):
        yield "{"
        for j, (key, value) in enumerate(data.items()):
            yield (", " if j else "") + _dumps(key) + ": "
            yield from _json_pieces(value, block)
        yield "}"
    else:
        yield _dumps(data)


def _link_tree(src: Path, dst: Path) -> None:
    for path in src.rglob("*"):
        rel = path.relative_to(src)
        if rel.name == LOCK_NAME and len(rel.parts) == 1:
            continue
        target = dst / rel
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
