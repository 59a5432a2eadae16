"""Arrays kept in files rather than in the process's memory.

A million-row run holds arrays of a gigabyte or more for a while (the vectors a refit gathers
for its index). :func:`scratch_array` puts such an array in a nameless file, mapped into
memory: what is written to it goes to the operating system's page cache, which writes it to
disk when memory is short, instead of staying in the process. :func:`let_go` drops the pages of
a mapped range from the process once it has been read or written (they are read back from the
file if touched again), so that going once through a large mapped array does not leave all of
it in the process's memory.

Example:
    >>> import tempfile
    >>> a = scratch_array((4, 3), np.float32, tempfile.mkdtemp())
    >>> a[2] = 1.0
    >>> let_go(a, 0, 4)
    True
    >>> a.sum(axis=1).tolist()
    [0.0, 0.0, 3.0, 0.0]
"""
from __future__ import annotations

import mmap
import os
import tempfile
from typing import BinaryIO

import numpy as np

__all__ = ["in_memory", "let_go", "scratch_array", "write_npy"]


def scratch_array(shape: tuple[int, ...], dtype: np.dtype | type, folder: str | os.PathLike) -> np.ndarray:
    """A zero-filled array in a nameless file in ``folder``, removed when the array is.

    The file has no name from the start (it is unlinked as soon as it is made), so nothing is
    left behind by a crash. An empty shape gives an ordinary empty array (a file of no bytes
    cannot be mapped).
    """
    size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if size == 0:
        return np.zeros(shape, dtype=dtype)
    with tempfile.TemporaryFile(dir=folder) as fh:    # the map keeps its own handle on the file
        fh.truncate(size)
        return np.memmap(fh, dtype=dtype, mode="r+", shape=shape)


def let_go(array: np.ndarray, start: int, stop: int) -> bool:
    """Drops rows ``start:stop`` of a memory-mapped array from the process's memory; whether it did.

    Only for the array as mapped (not a slice of it) and for a map whose writes reach its file
    (modes ``r``, ``r+``, ``w+``: a copy-on-write map would lose what was written); elsewhere it
    does nothing. The rows keep their values: they are read back from the file when touched.
    """
    mapped = array.base
    if (not isinstance(mapped, mmap.mmap) or not hasattr(mmap, "MADV_DONTNEED")
            or getattr(array, "mode", "c") == "c" or array.ndim == 0 or stop <= start):
        return False
    first = array.offset % mmap.ALLOCATIONGRANULARITY    # where the rows start in the map
    row_bytes = array.strides[0]
    begin = (first + start * row_bytes) // mmap.PAGESIZE * mmap.PAGESIZE
    end = min(first + stop * row_bytes, len(mapped))
    if end <= begin:
        return False
    mapped.madvise(mmap.MADV_DONTNEED, begin, end - begin)
    return True


def in_memory(array: np.ndarray) -> np.ndarray:
    """``array`` itself, or a copy in memory where it is mapped from a file."""
    return np.array(array) if isinstance(array, np.memmap) else array


def write_npy(fh: BinaryIO, array: np.ndarray, rows: int = 65_536) -> None:
    """Writes ``array`` to ``fh`` in ``.npy`` form (the bytes of ``np.save``), ``rows`` rows at a time,
    letting each block's pages go once written where the array is mapped from a file (see
    :func:`let_go`): a mapped array is not read into the process whole to be saved."""
    if not isinstance(array.base, mmap.mmap) or array.ndim == 0:
        np.save(fh, np.ascontiguousarray(array), allow_pickle=False)
        return
    np.lib.format.write_array_header_1_0(fh, np.lib.format.header_data_from_array_1_0(array))
    for start in range(0, len(array), rows):
        fh.write(np.ascontiguousarray(array[start:start + rows]).tobytes())
        let_go(array, start, start + rows)
