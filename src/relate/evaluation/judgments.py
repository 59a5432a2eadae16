"""Graded relevance judgments with the dup flag: one judged pair each, read from JSON lines.

The judgments of ``../shared/judgments`` are one JSON object a line,
``{"query": webUrl, "candidate": webUrl, "grade": 0|1|2, "dup": bool}``; a dup is a candidate
judged to be the same story as the query (it counts as grade 0 in a list).
"""
from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["Judgment", "Judgments"]


@dataclass(frozen=True)
class Judgment:
    """One judged pair."""

    query: str
    candidate: str
    grade: int
    dup: bool = False


class Judgments:
    """Graded relevance judgments with the dup flag, keyed by ``webUrl`` exactly.

    Args:
        records: :class:`Judgment` objects or dicts with ``query``, ``candidate``, ``grade``
            (a non-negative integer) and optionally ``dup`` (default ``False``).

    Example:
        >>> j = Judgments([{"query": "q", "candidate": "a", "grade": 2, "dup": True}])
        >>> j.grade("q", "a"), j.is_dup("q", "a"), j.qrels()
        (2, True, {'q': {'a': 0}})
    """

    def __init__(self, records: Iterable[Judgment | Mapping[str, Any]] = (), source: str = "<judgments>") -> None:
        self.source = source
        self._grades: dict[str, dict[str, int]] = {}
        self._dups: dict[str, set[str]] = {}
        for i, rec in enumerate(records, 1):
            j = rec if isinstance(rec, Judgment) else _judgment(rec, f"{source}: record {i}")
            self._add(j)

    def _add(self, j: Judgment) -> None:
        grades = self._grades.setdefault(j.query, {})
        if j.candidate in grades:
            logger.warning("%s: pair judged twice, keeping the last: %s -> %s", self.source, j.query, j.candidate)
        grades[j.candidate] = j.grade
        dups = self._dups.setdefault(j.query, set())
        if j.dup:
            dups.add(j.candidate)
        else:
            dups.discard(j.candidate)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> Judgments:
        """Reads JSON lines (``{"query", "candidate", "grade", "dup"}``), as in ``../shared/judgments``.

        Raises:
            ValueError: the file is missing, or a line is not such a JSON object.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{path}: cannot read judgments: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: judgments must be UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                             f"{exc.start} is not)") from None
        out = cls(source=str(path))
        for n, line in enumerate(text.split("\n"), 1):      # not splitlines(): U+2028 may sit inside a string
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON ({exc.msg}); each line must be one judged pair") from exc
            out._add(_judgment(rec, f"{path}:{n}"))
        if not out._grades:
            raise ValueError(f"{path}: no judgments in the file")
        return out

    @classmethod
    def from_dict(cls, grades: Mapping[str, Mapping[str, int]],
                  dups: Mapping[str, Iterable[str]] | None = None) -> Judgments:
        """From ``{query: {candidate: grade}}`` and optionally ``{query: [dup candidates]}``."""
        dups = {q: set(c) for q, c in (dups or {}).items()}
        return cls(Judgment(q, c, g, c in dups.get(q, ())) for q, cands in grades.items() for c, g in cands.items())

    @property
    def queries(self) -> list[str]:
        """The judged queries, in file order."""
        return list(self._grades)

    def __len__(self) -> int:
        return sum(len(c) for c in self._grades.values())

    def __iter__(self) -> Iterator[Judgment]:
        for q, cands in self._grades.items():
            for c, g in cands.items():
                yield Judgment(q, c, g, c in self._dups.get(q, ()))

    def __contains__(self, query: str) -> bool:
        return query in self._grades

    def __repr__(self) -> str:
        return f"Judgments({len(self._grades)} queries, {len(self)} pairs, source={self.source!r})"

    def grade(self, query: str, candidate: str) -> int | None:
        """The judged grade (dups keep their grade here), ``None`` when the pair is unjudged."""
        return self._grades.get(query, {}).get(candidate)

    def is_dup(self, query: str, candidate: str) -> bool:
        return candidate in self._dups.get(query, ())

    def gain_grade(self, query: str, candidate: str) -> int:
        """The grade that counts for a list: 0 for dups and unjudged pairs."""
        if self.is_dup(query, candidate):
            return 0
        return self.grade(query, candidate) or 0

    def qrels(self, dups_as_zero: bool = True) -> dict[str, dict[str, int]]:
        """``{query: {candidate: grade}}``, dups mapped to grade 0 unless told otherwise."""
        return {q: {c: (0 if dups_as_zero and c in self._dups.get(q, ()) else g) for c, g in cands.items()}
                for q, cands in self._grades.items()}

    def mapped(self, fn: Callable[[str], str]) -> Judgments:
        """A copy with every id passed through ``fn`` (e.g. to the corpus's canonical URL)."""
        out = Judgments(source=self.source)
        for j in self:
            out._add(Judgment(fn(j.query), fn(j.candidate), j.grade, j.dup))
        return out


#: Fields a judgment line may carry besides the pair and its grade, read and ignored: the judge's
#: reason, the batch of queries it belongs to, the records' files inside the corpus
#: (``benchmarks/judgments`` has them).
ANNOTATIONS = frozenset({"note", "set", "query_path", "candidate_path"})
#: The grades of the rubric (``../shared/judgments/README.md``): 0 not wanted, 1 related, 2 the same subject.
GRADES = (0, 1, 2)


def _judgment(rec: Any, where: str) -> Judgment:
    if not isinstance(rec, Mapping):
        raise ValueError(f"{where}: a judgment must be an object with query, candidate, grade, dup")  # noqa: TRY004 (bad data)
    missing = [key for key in ("query", "candidate", "grade") if key not in rec]
    if missing:
        raise ValueError(f"{where}: judgment lacks {', '.join(missing)}")
    unknown = set(rec) - {"query", "candidate", "grade", "dup"} - ANNOTATIONS
    if unknown:
        raise ValueError(f"{where}: unknown judgment field(s) {', '.join(sorted(unknown))}")
    q, c, g, dup = rec["query"], rec["candidate"], rec["grade"], rec.get("dup", False)
    if not isinstance(q, str) or not isinstance(c, str) or not q or not c:
        raise ValueError(f"{where}: query and candidate must be non-empty strings (webUrls)")
    if isinstance(g, bool) or not isinstance(g, (int, float)) or g not in GRADES:
        raise ValueError(f"{where}: grade must be 0, 1 or 2 (the rubric's), not {g!r}")
    if not isinstance(dup, bool):
        raise ValueError(f"{where}: dup must be true or false, not {dup!r}")  # noqa: TRY004 (bad data)
    return Judgment(q, c, int(g), dup)
