"""The lists an engine ranked, as plain data that can cross from one process to another.

A nightly update compares each change with the lists ranked last (:attr:`Stored.picks
<relate.engine.store.Stored>`, see :mod:`relate.engine.windows`). A worker process that ranks
lists (``batch.workers``) records them in its own copy of the rows: :func:`picks_of` takes them
out as plain data, and :func:`keep_picks` records them in the parent's rows, as if ranked there.

Example:
    >>> ranked = picks_of(worker_rows, row_of, ["0b120bda9a8a8363"])      # doctest: +SKIP
    >>> keep_picks(parent_rows, row_of, ranked, k=5)                        # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from .store import Stored

#: One article's last ranked list: the rows it picked, best first, and the last pick's score.
Ranked = tuple[list[int], float]


def picks_of(s: Stored, row_of: Mapping[str, int], ids: Iterable[str]) -> dict[str, Ranked]:
    """The recorded list of each of ``ids`` (those with a row and a recorded list)."""
    out: dict[str, Ranked] = {}
    if s.picks is None:
        return out
    for aid in ids:
        row = row_of.get(aid)
        if row is not None and row < len(s.picks):
            rows = s.picks[row]
            out[aid] = (rows[rows >= 0].tolist(), float(s.pick_floor[row]))
    return out


def keep_picks(s: Stored, row_of: Mapping[str, int], ranked: Mapping[str, Ranked], k: int) -> None:
    """Records lists ranked elsewhere (from :func:`picks_of`), ``k`` picks long at most."""
    for aid, (rows, last) in ranked.items():
        row = row_of.get(aid)
        if row is not None:
            s.record(row, rows, last, k)
