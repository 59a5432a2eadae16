"""Writing record files safely: a few at once, each failure noted, a full disk stopping the run.

Example:
    >>> [(item, out) for item, out, exc in each_in_threads([1, 2, 3], lambda x: x * 2, threads=1)]
    [(1, 2), (2, 4), (3, 6)]
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from ..errors import RecordError
from .summary import Summary, stop_if_disk_full

logger = logging.getLogger(__name__)

#: Files written at once. Each write ends with fsync calls that mostly wait on the disk, so a
#: few threads overlap them (about 7x faster on the development machine's disk).
WRITE_THREADS = 8


def each_in_threads(items: Sequence[Any], fn: Callable[[Any], Any], stop: Callable[[], bool] = lambda: False,
                    threads: int = WRITE_THREADS) -> Iterator[tuple[Any, Any, BaseException | None]]:
    """Yields ``(item, fn(item), None)`` or ``(item, None, error)`` as each call finishes.

    At most ``threads`` calls run at once, and only a few more are queued. Once ``stop()`` is
    true no new call starts; those already started still finish (and are yielded). When the
    consumer breaks off (Ctrl-C), the running calls finish their (atomic) writes. Errors other
    than ``OSError``/``RecordError`` are raised.
    """
    if threads <= 1 or len(items) <= 1:
        for item in items:
            if stop():
                return
            try:
                yield item, fn(item), None
            except (OSError, RecordError) as exc:
                yield item, None, exc
        return
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="relate-write")
    queue = iter(items)
    running: dict[Any, Any] = {}

    def submit(n: int) -> None:
        if stop():
            return
        for item in queue:
            running[pool.submit(fn, item)] = item
            n -= 1
            if n <= 0:
                return

    try:
        submit(threads * 2)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                item = running.pop(fut)
                exc = fut.exception()
                if exc is not None and not isinstance(exc, (OSError, RecordError)):
                    raise exc
                yield item, (None if exc is not None else fut.result()), exc
                submit(1)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def record_failure(summary: Summary, path: Any, exc: BaseException, stop_at: Any) -> None:
    """Notes a file that could not be written; a full disk stops the run instead."""
    if isinstance(exc, OSError):
        stop_if_disk_full(exc, stop_at)
    reason = io_reason(exc)
    summary.failed.append((str(path), reason))
    logger.warning("%s: not written: %s", path, reason)


def io_reason(exc: BaseException) -> str:
    if isinstance(exc, RecordError):
        return exc.reason
    if isinstance(exc, FileNotFoundError):
        return ("the file vanished during the run: removed by someone else (an editor, another run); "
                "it was not recreated")
    if isinstance(exc, PermissionError):
        return "permission denied; the file or its folder is read-only"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def relative(path: Path, root: Path) -> Path:
    """Where ``path`` sits inside ``root`` (a symbolic link by its own name, not its target's)."""
    for p, r in ((Path(os.path.abspath(path)), Path(os.path.abspath(root))), (path.resolve(), root.resolve()),
                 (Path(os.path.abspath(path)), root.resolve())):
        try:
            return p.relative_to(r)
        except ValueError:
            continue
    return Path(path.name)


def is_json_file(path: Any) -> bool:
    return str(path or "").lower().endswith((".jsonl", ".json"))
