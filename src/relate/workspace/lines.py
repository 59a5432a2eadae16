"""The lines of ``articles.jsonl`` read from the file when asked, not held in memory.

A workspace keeps one JSON line per row (:func:`relate.workspace.article_lines`). A run needs
only a few of them (the rows it changes or ranks), so :class:`FileLines` holds where each line
starts and ends (16 bytes a row) and reads a line from the file when it is asked for (a
million rows: 16 MB instead of a gigabyte of strings). Lines set or appended since the file was
read are held in memory until the file is written again (:meth:`FileLines.reread`).

The file is read with ``os.pread``: what the operating system caches of it is not the
process's memory, and the file may be replaced by a new one (the workspace's atomic writes)
while it is open: the lines still come from the file that was opened.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "articles.jsonl")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write('{"id": "a"}\\n\\n{"id": "b"}\\n')
    >>> lines = FileLines.open(path)
    >>> len(lines), lines[1]
    (2, '{"id": "b"}')
    >>> lines[0] = '{"id": "A"}'; lines.extend(['{"id": "c"}'])
    >>> list(lines)
    ['{"id": "A"}', '{"id": "b"}', '{"id": "c"}']
    >>> lines.close()
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO

import numpy as np

#: Bytes read at a time when the file is scanned for line ends or read through.
BLOCK = 1 << 24

#: Whether lines can be read from their file here (``os.pread``; elsewhere they are held as a list).
READS_FROM_FILE = hasattr(os, "pread")


class FileLines(Sequence):
    """The lines of a text file of JSON lines (blank lines skipped, ``\\n`` not included), read when asked.

    Behaves like the ``list[str]`` of :meth:`relate.workspace.Workspace.read_lines`: indexing,
    slicing, iteration, ``len``, ``lines[i] = line`` and :meth:`extend`.
    """

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self._starts, self._ends = line_spans(fh)
        self._n = len(self._starts)
        self._set: dict[int, str] = {}

    @classmethod
    def open(cls, path: str | os.PathLike) -> FileLines:
        """The lines of the file at ``path`` (kept open until :meth:`close`)."""
        return cls(open(path, "rb"))  # noqa: SIM115 (held open: the lines are read from it later)

    @classmethod
    def spill(cls, lines: Iterable[str], folder: str | os.PathLike) -> FileLines:
        """``lines`` written to a nameless file in ``folder`` and read back from it when asked
        (the file goes away when it is closed)."""
        fh = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 (held open: it is the lines' storage)
        block: list[str] = []
        for line in lines:
            block.append(line)
            if len(block) >= 8192:
                fh.write(("\n".join(block) + "\n").encode("utf-8"))
                block = []
        if block:
            fh.write(("\n".join(block) + "\n").encode("utf-8"))
        fh.flush()
        return cls(fh)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, row):
        if isinstance(row, slice):
            start, stop, step = row.indices(self._n)
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return self._read(start, stop)
        row = int(row)
        if row < 0:
            row += self._n
        if not 0 <= row < self._n:
            raise IndexError(row)
        found = self._set.get(row)
        if found is not None:
            return found
        a, b = int(self._starts[row]), int(self._ends[row])
        return os.pread(self._fh.fileno(), b - a, a).decode("utf-8")

    def __setitem__(self, row: int, line: str) -> None:
        row = int(row)
        if not 0 <= row < self._n:
            raise IndexError(row)
        self._set[row] = line

    def __iter__(self) -> Iterator[str]:
        step = 8192
        for start in range(0, self._n, step):
            yield from self._read(start, min(start + step, self._n))

    def extend(self, lines: Iterable[str]) -> None:
        """Appends lines (held in memory until the file is written again)."""
        for line in lines:
            self._set[self._n] = line
            self._n += 1

    def reread(self, path: str | os.PathLike) -> None:
        """Reads the lines from ``path`` from now on: a file just written with exactly these lines
        (what was set or appended is then let go)."""
        fh = open(path, "rb")  # noqa: SIM115 (held open: the lines are read from it later)
        starts, ends = line_spans(fh)
        if len(starts) != self._n:
            fh.close()
            raise ValueError(f"{path}: {len(starts)} lines, but {self._n} were written")
        self.close()
        self._fh, self._starts, self._ends, self._set = fh, starts, ends, {}

    def close(self) -> None:
        """Closes the file (its lines cannot be read any more)."""
        self._fh.close()

    def __del__(self) -> None:
        fh = getattr(self, "_fh", None)
        if fh is not None:
            fh.close()

    def _read(self, start: int, stop: int) -> list[str]:
        """Lines ``start`` to ``stop`` (exclusive), with one read of the file for the stored ones."""
        stored = min(stop, len(self._starts))
        out: list[str] = []
        if start < stored:
            a = int(self._starts[start])
            data = os.pread(self._fh.fileno(), int(self._ends[stored - 1]) - a, a)
            starts, ends = self._starts[start:stored] - a, self._ends[start:stored] - a
            out = [data[s:e].decode("utf-8") for s, e in zip(starts.tolist(), ends.tolist())]
        out.extend([None] * (stop - start - len(out)))
        for row in range(start, stop):
            found = self._set.get(row)
            if found is not None:
                out[row - start] = found
        return out


def line_spans(fh: BinaryIO) -> tuple[np.ndarray, np.ndarray]:
    """Where each non-blank line of a file starts and ends (``int64`` byte offsets, the end
    before its ``\\n``). A line is blank when it holds only whitespace, as ``str.strip`` sees it.
    Lines end at ``\\n`` alone: the files read are written by relate, with ``\\n`` line ends."""
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    fd, offset, line_start = fh.fileno(), 0, 0
    while True:
        block = os.pread(fd, BLOCK, offset)
        if not block:
            break
        at = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10) + offset
        if len(at):
            starts.append(np.concatenate([[line_start], at[:-1] + 1]))
            ends.append(at)
            line_start = int(at[-1]) + 1
        offset += len(block)
    if line_start < offset:                       # a last line without its \n
        starts.append(np.array([line_start]))
        ends.append(np.array([offset]))
    s = np.concatenate(starts).astype(np.int64) if starts else np.zeros(0, np.int64)
    e = np.concatenate(ends).astype(np.int64) if ends else np.zeros(0, np.int64)
    keep = e > s
    # A line that starts with a byte that may be whitespace is checked whole (JSON lines start with "{").
    maybe = np.flatnonzero(keep)
    if len(maybe):
        first = _first_bytes(fd, s[maybe])
        for i in maybe[first != ord("{")].tolist():
            if not os.pread(fd, int(e[i] - s[i]), int(s[i])).decode("utf-8", "replace").strip():
                keep[i] = False
    return s[keep], e[keep]


def _first_bytes(fd: int, positions: np.ndarray) -> np.ndarray:
    """The byte at each (increasing) position of the file, read a block at a time."""
    out = np.zeros(len(positions), dtype=np.uint8)
    i = 0
    while i < len(positions):
        base = int(positions[i])
        block = np.frombuffer(os.pread(fd, BLOCK, base), dtype=np.uint8)
        j = int(np.searchsorted(positions, base + len(block), side="left"))
        out[i:j] = block[positions[i:j] - base]
        i = j
    return out
