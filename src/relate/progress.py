"""Per-stage progress bars for the batch job, on standard error and only on a terminal.

Each stage (load, encode, index, rank, write) gets one bar with its count, rate and time
left (drawn by tqdm). When progress is off, or standard error is not a terminal (a cron job,
a pipe, a test), every call does nothing, so the caller never has to check.

Example:
    >>> from relate.progress import Progress
    >>> progress = Progress(enabled=True)          # draws only if stderr is a terminal
    >>> with progress.stage("rank", total=3) as bar:
    ...     for _ in range(3):
    ...         bar.update(1)
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import IO, Iterator

#: Width of the stage name column, so that bars line up.
_NAME_WIDTH = 6


class Stage:
    """One stage's bar. ``update`` adds to the count; ``total`` may be set once known."""

    def __init__(self, name: str, total: int | None, unit: str, stream: IO[str] | None) -> None:
        self.name = name
        self.count = 0
        self._bar = None
        if stream is not None:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=name.ljust(_NAME_WIDTH), unit=unit, file=stream, leave=True,
                             mininterval=0.2, smoothing=0.1, **_size_options(stream))

    def update(self, n: int = 1) -> None:
        """Counts ``n`` more items done."""
        self.count += n
        if self._bar is not None:
            self._bar.update(n)

    def set_total(self, total: int) -> None:
        """Sets (or corrects) how many items the stage has."""
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def note(self, text: str) -> None:
        """Shows a short note after the counts (e.g. ``"nothing to encode"``)."""
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _size_options(stream: IO[str]) -> dict:
    """Bars follow the terminal's size; a fixed 100x24 when it reports none.

    A pseudo-terminal that was never given a size reports 0x0, and tqdm then draws nothing.
    """
    import os

    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        size = os.terminal_size((0, 0))
    if size.columns > 0 and size.lines > 0:
        return {"dynamic_ncols": True}
    return {"ncols": 100, "nrows": 24}


class Progress:
    """Progress display for one run.

    Args:
        enabled: whether bars are wanted at all (``--quiet`` and ``batch.progress: false``
            turn them off).
        stream: where bars go (default: standard error). Nothing is drawn unless it is a
            terminal.
    """

    def __init__(self, enabled: bool = True, stream: IO[str] | None = None) -> None:
        stream = sys.stderr if stream is None else stream
        isatty = getattr(stream, "isatty", None)
        self.enabled = bool(enabled and callable(isatty) and isatty())
        self._stream = stream if self.enabled else None

    @contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "rec") -> Iterator[Stage]:
        """A bar for one stage, closed when the block ends (also on error)."""
        bar = Stage(name, total, unit, self._stream)
        try:
            yield bar
        finally:
            bar.close()

    def message(self, text: str) -> None:
        """A line on the progress stream (only when bars are shown)."""
        if self._stream is not None:
            self._stream.write(text + "\n")
            self._stream.flush()


#: A progress object that never draws anything.
QUIET = Progress(enabled=False)
