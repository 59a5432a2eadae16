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
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO

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

    def __init__(self, fh: BinaryIO, spans: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self._fh = fh
        self._starts, self._ends = line_spans(fh) if spans is None else spans
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
        if found is not None or row >= len(self._starts) or self._starts[row] < 0:
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

    @property
    def held(self) -> int:
        """How many lines are held in memory (set or appended since the file was read)."""
        return len(self._set)

    def present(self) -> FileLines:
        """The lines that are there (not ``None``), in order, read from the same file."""
        rows = np.flatnonzero(self._starts >= 0)
        if self._set:
            rows = np.union1d(rows, np.fromiter((r for r, v in self._set.items() if v is not None), np.int64))
        stored = rows[rows < len(self._starts)]
        out = FileLines(_reopened(self._fh), (self._starts[stored], self._ends[stored]))
        out._n = len(rows)
        out._set = {i: self._set[r] for i, r in enumerate(rows.tolist()) if r in self._set}
        return out

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

    def clear(self) -> None:
        """Lets every line go (as ``list.clear``) and closes the file."""
        self.close()
        self._starts = self._ends = np.zeros(0, np.int64)
        self._n, self._set = 0, {}

    def __del__(self) -> None:
        fh = getattr(self, "_fh", None)
        if fh is not None:
            fh.close()

    def _read(self, start: int, stop: int) -> list[str]:
        """Lines ``start`` to ``stop`` (exclusive), with one read of the file for the stored ones."""
        stored = min(stop, len(self._starts))
        out: list[Any] = []
        if start < stored:
            starts, ends = self._starts[start:stored], self._ends[start:stored]
            there = starts >= 0
            if there.all() and np.all(starts[1:] >= ends[:-1]):    # in file order (a file's own lines)
                a = int(starts[0])
                data = os.pread(self._fh.fileno(), int(ends[-1]) - a, a)
                out = [data[s:e].decode("utf-8") for s, e in zip((starts - a).tolist(), (ends - a).tolist())]
            else:                                                   # a view of another order, with gaps
                out = [None] * len(starts)
                fd = self._fh.fileno()
                for i in np.flatnonzero(there).tolist():
                    a = int(starts[i])
                    out[i] = os.pread(fd, int(ends[i]) - a, a).decode("utf-8")
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


def _reopened(fh: BinaryIO) -> BinaryIO:
    """The same open file under a new descriptor (each :class:`FileLines` closes its own)."""
    return os.fdopen(os.dup(fh.fileno()), "rb")


class Spill:
    """Strings written to a nameless file as they come, read back from it by position: what a
    run must keep of each record it reads, held on disk, not in memory.

    Each :meth:`add` writes one record's ``parts`` strings (any text, newlines too: each string's
    span is kept, 16 bytes) and gives the record's number; :meth:`column` gives one part of the
    records asked for as a :class:`FileLines` read from the file when asked. The file goes away
    once the spill and every column made of it are closed. Where ``os.pread`` is missing
    (:data:`READS_FROM_FILE`), the strings are held in memory and columns are lists.

    Example:
        >>> import tempfile
        >>> spill = Spill(tempfile.mkdtemp(), parts=2)
        >>> spill.add("line a", "text a"), spill.add("line b", "text\\nb")
        (0, 1)
        >>> list(spill.column([1, -1, 0], part=1))
        ['text\\nb', None, 'text a']
    """

    def __init__(self, folder: str | os.PathLike, parts: int = 1) -> None:
        self.parts = parts
        self._fh = tempfile.TemporaryFile(dir=folder, buffering=1 << 20) if READS_FROM_FILE else None  # noqa: SIM115
        self._spans = array("q")              # start, end of each string, in order
        self._held: list[str] = []           # (without os.pread)
        self._at = 0

    def __len__(self) -> int:
        return len(self._spans) // (2 * self.parts) if self._fh is not None else len(self._held) // self.parts

    def add(self, *parts: str) -> int:
        """Writes one record's strings (``parts`` of them); returns the record's number."""
        if len(parts) != self.parts:
            raise ValueError(f"a record of this spill has {self.parts} part(s), not {len(parts)}")
        n = len(self)
        if self._fh is None:
            self._held.extend(parts)
            return n
        for text in parts:
            data = text.encode("utf-8")
            self._fh.write(data)
            self._spans.append(self._at)
            self._at += len(data)
            self._spans.append(self._at)
        return n

    def column(self, records: Sequence[int] | np.ndarray, part: int = 0) -> Sequence[Any]:
        """Part ``part`` of each of ``records`` (numbers :meth:`add` gave; ``-1``: ``None``), in that order."""
        at = np.asarray(records, dtype=np.int64).reshape(-1)
        if self._fh is None:
            return [None if r < 0 else self._held[r * self.parts + part] for r in at.tolist()]
        self._fh.flush()
        spans = np.frombuffer(self._spans, dtype=np.int64).reshape(-1, self.parts, 2)[:, part]
        starts, ends = spans[at, 0], spans[at, 1]
        starts[at < 0] = -1
        return FileLines(_reopened(self._fh), (starts, ends))

    def close(self) -> None:
        """Closes the spill's own file (columns made of it can still be read)."""
        if self._fh is not None:
            self._fh.close()
