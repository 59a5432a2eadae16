"""Arrays kept in files (relate.mapped): a nameless scratch file, and a mapped range's pages let go."""
from __future__ import annotations

import io
import mmap
import sys

import numpy as np
import pytest

from relate.mapped import in_memory, let_go, scratch_array, write_npy


def _resident_kib(array: np.ndarray) -> int:
    """How much of ``array``'s map is in this process's memory (``/proc/self/smaps``)."""
    address = array.__array_interface__["data"][0]
    lines = open("/proc/self/smaps").read().splitlines()
    for i, line in enumerate(lines):
        head = line.split()[0]
        if "-" in head and all(c in "0123456789abcdef-" for c in head):
            lo, hi = (int(x, 16) for x in head.split("-"))
            if lo <= address < hi:
                for follow in lines[i + 1:]:
                    if follow.startswith("Rss:"):
                        return int(follow.split()[1])
    raise AssertionError("the array's map is not in /proc/self/smaps")


def test_a_scratch_array_starts_at_zero_keeps_what_is_written_and_leaves_no_file(tmp_path):
    a = scratch_array((1000, 16), np.float32, tmp_path)
    assert isinstance(a, np.memmap) and a.shape == (1000, 16) and a.dtype == np.float32 and not a.any()
    a[10:20] = 2.5
    assert list(tmp_path.iterdir()) == []              # nameless from the start
    assert let_go(a, 0, 1000)
    assert a.sum() == 2.5 * 10 * 16                    # read back from the file
    empty = scratch_array((0, 16), np.float32, tmp_path)
    assert empty.shape == (0, 16) and not isinstance(empty, np.memmap)


@pytest.mark.skipif(not sys.platform.startswith("linux") or not hasattr(mmap, "MADV_DONTNEED"),
                    reason="reads /proc/self/smaps")
def test_letting_go_of_a_written_range_takes_its_pages_out_of_the_process(tmp_path):
    a = scratch_array((16384, 1024), np.float32, tmp_path)       # 64 MiB
    a[:] = 1.0
    assert _resident_kib(a) >= 60 * 1024
    assert let_go(a, 0, 8192)
    assert 28 * 1024 <= _resident_kib(a) <= 36 * 1024            # the first half is gone
    assert let_go(a, 8192, 16384)
    assert _resident_kib(a) <= 1024
    assert float(a[::512].sum()) == 32 * 1024                    # every value still there


def test_let_go_leaves_alone_what_it_cannot_drop_without_losing_writes(tmp_path):
    plain = np.ones((100, 4), dtype=np.float32)
    assert not let_go(plain, 0, 100)
    a = scratch_array((100, 4), np.float32, tmp_path)
    assert not let_go(a[10:], 0, 10)                   # a slice: its rows are not the map's
    np.save(tmp_path / "x.npy", plain)
    private = np.load(tmp_path / "x.npy", mmap_mode="c")
    private[0] = 7.0
    assert not let_go(private, 0, 100) and private[0, 0] == 7.0   # a copy-on-write map keeps its writes
    assert let_go(np.load(tmp_path / "x.npy", mmap_mode="r"), 0, 100)


def test_in_memory_copies_a_mapped_array_only():
    plain = np.arange(6.0)
    assert in_memory(plain) is plain
    mapped = np.memmap(sys.executable, dtype=np.uint8, mode="r", shape=(64,))
    copy = in_memory(mapped)
    assert not isinstance(copy, np.memmap) and np.array_equal(copy, mapped)


@pytest.mark.skipif(not sys.platform.startswith("linux") or not hasattr(mmap, "MADV_DONTNEED"),
                    reason="reads /proc/self/smaps")
def test_writing_a_mapped_array_gives_np_save_bytes_without_keeping_its_pages(tmp_path):
    a = scratch_array((200_000, 61), np.int32, tmp_path)          # 46.5 MiB, a candidate-window table
    a[:] = np.arange(61, dtype=np.int32)
    let_go(a, 0, len(a))
    mine, numpy = io.BytesIO(), io.BytesIO()
    write_npy(mine, a)
    assert _resident_kib(a) <= 1024                               # each block let go once written
    np.save(numpy, np.asarray(a), allow_pickle=False)
    assert mine.getvalue() == numpy.getvalue()
    for plain in (np.ones((3, 2), dtype=np.float32), np.zeros((0, 4), dtype=np.float32)):
        mine, numpy = io.BytesIO(), io.BytesIO()
        write_npy(mine, plain)
        np.save(numpy, plain, allow_pickle=False)
        assert mine.getvalue() == numpy.getvalue()
