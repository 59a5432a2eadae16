"""Atomic file writes, shared by records, the batch job, the workspace and the index.

A crash at any moment leaves the old file or the new one, never a mix: the bytes go to a
temporary file in the same folder (``.NAME.xxxx.tmp``), are flushed to disk, and the file is
renamed over the target; the folder entry is flushed too.
"""
from __future__ import annotations

import os

try:  # POSIX: a temporary file being written is locked, so no sweep takes it away
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Callable, Iterator

import numpy as np

from .mapped import write_npy


def fsync_dir(folder: str | os.PathLike) -> None:
    """Flushes a folder's entries (so a rename survives a power cut); best effort."""
    try:
        fd = os.open(os.fspath(folder) or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", file_mode: int | None = None,
                fsync: bool = True, before_replace: Callable[[], None] | None = None,
                owner: tuple[int, int] | None = None) -> Iterator[IO]:
    """Opens a temporary file that replaces ``path`` when the block ends without error.

    Args:
        path: the file to write.
        mode: ``"wb"`` or ``"w"`` (text is UTF-8 with ``\\n`` line ends).
        file_mode: permission bits (default: the old file's, else 0o644).
        fsync: flush the data and the folder to disk.
        before_replace: called just before the rename; raising there leaves ``path`` untouched.
        owner: ``(uid, gid)`` to give the new file, when permitted.

    Example:
        >>> with atomic_open("/tmp/out.jsonl", "w") as fh:
        ...     fh.write("{}\\n")
    """
    path = Path(path)
    if file_mode is None:
        try:
            file_mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            file_mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    held = _hold(tmp)
    try:
        kwargs = {"encoding": "utf-8", "newline": "\n"} if "b" not in mode else {}
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fchmod(fh.fileno(), file_mode)
            if owner is not None and owner != (os.geteuid(), os.getegid()):
                try:
                    os.fchown(fh.fileno(), *owner)
                except OSError:
                    pass
            if fsync:
                os.fsync(fh.fileno())
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    finally:
        if held is not None:
            os.close(held)
    if fsync:
        fsync_dir(path.parent)


def atomic_write_bytes(path: str | os.PathLike, data: bytes, mode: int | None = None) -> None:
    """Writes ``data`` to ``path`` atomically (see :func:`atomic_open`), keeping the file's mode."""
    with atomic_open(path, "wb", file_mode=mode) as fh:
        fh.write(data)


def atomic_save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    """Saves one array in ``.npy`` form atomically (loadable with ``allow_pickle=False``)."""
    with atomic_open(path, "wb") as fh:        # straight to the file: no copy of the array in memory
        write_npy(fh, array)                   # (a mapped array a block at a time, its pages let go)


def _hold(tmp: str) -> int | None:
    """Locks a temporary file for as long as it is being written (until the rename): see :func:`temp_in_use`."""
    if fcntl is None:
        return None
    try:
        fd = os.open(tmp, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def temp_in_use(path: str | os.PathLike) -> bool:
    """Whether a temporary file of :func:`atomic_open` is still being written by a live process (any run).

    Its writer holds a lock on it until the rename; a killed writer's lock is gone.
    """
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False
