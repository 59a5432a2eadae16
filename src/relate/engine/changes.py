"""What changed between a workspace's rows and the corpus as read now: the plan of an update.

Each record of the corpus is new (no live row has its id), re-encoded (its text changed: its
old row dies and it gets a new one), touched (same text, other fields changed: its row's
facts are updated in place) or unchanged; each live row whose id the corpus no longer holds
is removed.

Example:
    >>> c = plan_changes(["a", "b", "c"], ["ka", "kb2", "kc"], ["la", "lb", "lc2"],
    ...                  {"a": 0, "b": 1, "c": 2, "d": 3}, ["ka", "kb", "kc", "kd"], ["la", "lb", "lc", "ld"])
    >>> c.added, c.reencoded, c.touched, c.removed
    ([1], [(1, 1)], [(2, 2)], [3])
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Changes:
    """The plan of an update.

    Attributes:
        added: corpus positions of the records that need a new row (new or re-encoded).
        reencoded: ``(corpus position, old row)`` of the records whose text changed.
        touched: ``(corpus position, row)`` of the records whose other fields changed.
        removed: rows whose record left the corpus.
    """

    added: list[int] = field(default_factory=list)
    reencoded: list[tuple[int, int]] = field(default_factory=list)
    touched: list[tuple[int, int]] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Records added, re-encoded, touched or removed."""
        return len(self.added) + len(self.touched) + len(self.removed)

    @property
    def dead(self) -> list[int]:
        """Rows that die: removed records' and re-encoded records' old rows."""
        return sorted(self.removed + [row for _, row in self.reencoded])

    def __bool__(self) -> bool:
        return bool(self.added or self.touched or self.removed)


def plan_changes(ids: Sequence[str], keys: Sequence[str], lines: Sequence[str], row_of: Mapping[str, int],
                 keys_before: Sequence[str], lines_before: Sequence[str]) -> Changes:
    """Compares the corpus (``ids``, text ``keys``, article ``lines``) with the live rows.

    Args:
        ids: article id per corpus record.
        keys: text key per corpus record.
        lines: ``articles.jsonl`` line per corpus record (``None``: the row's own line, unchanged).
        row_of: live row of each indexed id.
        keys_before: text key per row.
        lines_before: article line per row.
    """
    c = Changes()
    seen: set[str] = set()
    for i, (aid, key, line) in enumerate(zip(ids, keys, lines)):
        seen.add(aid)
        row = row_of.get(aid)
        if row is None:
            c.added.append(i)
        elif keys_before[row] != key:
            c.added.append(i)
            c.reencoded.append((i, row))
        elif line is not None and lines_before[row] != line:
            c.touched.append((i, row))
    c.removed = sorted(row for aid, row in row_of.items() if aid not in seen)
    return c
