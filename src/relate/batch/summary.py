"""What one batch run did (:class:`Summary`), and how it stops early (:class:`BatchStopped`).

Example:
    >>> s = Summary("index", "data", ".relate", records=41, encoded=41, added=41)
    >>> s.exit_code
    0
"""
from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import Any

from ..errors import RecordError, RelateError

#: Stages in the order they run (and are reported).
STAGES = ("load", "encode", "index", "rank", "write")
#: Errors that mean the disk (or quota) is full: the run stops rather than fail file after file.
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT} if hasattr(errno, "EDQUOT") else {errno.ENOSPC}


class BatchStopped(RelateError):
    """The run stopped before finishing (disk full, workspace in use): nothing is half written."""


@dataclass
class Summary:
    """What one run did. Prints as a short report (:meth:`format`); :attr:`exit_code` for the CLI.

    Attributes:
        command: ``index`` or ``regenerate``.
        corpus: the corpus path.
        workspace: the workspace folder.
        output: where lists went: ``in place``, ``out DIR``, ``jsonl FILE`` or ``dry run``.
        records: records read (good ones).
        skipped: records that could not be read, each with path, field, line and reason.
        encoded: texts encoded in this run (0 when nothing changed).
        added: articles new to the workspace.
        removed: articles dropped from the workspace (gone from the corpus).
        selected: articles whose list was rebuilt (all, or those picked by ``since``/paths).
        written: lists written (files rewritten or lines written); 0 on a dry run.
        changed: lists whose content differs from the stored one (would differ, on a dry run).
        failed: ``(path, reason)`` of each file that could not be written; the run went on.
        seconds: wall seconds per stage, plus ``total``.
        examples: on a dry run, a few ``{path, title, before, after}`` (titles of the lists).
        stopped: why the run stopped early, if it did.
        nothing_to_index: the run stopped because the corpus holds no good record.
        notes: what the run was asked to do that a reader should know (``k`` 0 empties lists).
        refit: the corpus statistics were fitted again and every list rebuilt (see
            :mod:`relate.engine.stats`); otherwise only what changed was redone.
        lists: which lists were ranked: ``changed`` (only those the changes could affect),
            ``all``, or ``selected`` (``since`` / paths).
    """

    command: str
    corpus: str
    workspace: str
    output: str = ""
    records: int = 0
    skipped: list[RecordError] = field(default_factory=list)
    encoded: int = 0
    added: int = 0
    removed: int = 0
    selected: int = 0
    written: int = 0
    changed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)
    stopped: str | None = None
    nothing_to_index: bool = False
    notes: list[str] = field(default_factory=list)
    refit: bool = False
    lists: str = "all"

    @property
    def dry_run(self) -> bool:
        return self.output == "dry run"

    @property
    def exit_code(self) -> int:
        """0: all went well; 1: records skipped or files not written (the rest done); 3: stopped.

        A corpus with no good record stops the run early without being an error of relate:
        0 when it holds no record file at all, 1 when its records were all skipped.
        """
        if self.stopped and self.nothing_to_index:
            return 1 if self.skipped else 0
        if self.stopped:
            return 3
        return 1 if (self.skipped or self.failed) else 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for ``--json``): counts, seconds, skipped and failed files, examples."""
        return {
            "command": self.command,
            "corpus": self.corpus,
            "workspace": self.workspace,
            "output": self.output,
            "records": self.records,
            "skipped": [{"path": e.path, "field": e.field, "line": e.line, "reason": e.reason,
                         "code": getattr(e, "code", None)} for e in self.skipped],
            "encoded": self.encoded,
            "added": self.added,
            "removed": self.removed,
            "refit": self.refit,
            "lists": self.lists,
            "selected": self.selected,
            "written": self.written,
            "changed": self.changed,
            "failed": [{"path": p, "reason": r} for p, r in self.failed],
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "examples": self.examples,
            "stopped": self.stopped,
            "notes": list(self.notes),
            "exit_code": self.exit_code,
        }

    def format(self) -> str:
        """A short human-readable report."""
        lines = [f"relate {self.command}: {self.corpus}" + (f" -> {self.output}" if self.output else "")]
        rows = [("records read", self.records), ("skipped", len(self.skipped)),
                ("encoded", f"{self.encoded}  (added {self.added}, removed {self.removed})")]
        if self.command == "regenerate":
            which = {"changed": "only the lists the changes reach", "all": "every list",
                     "selected": "the selected lists"}.get(self.lists, self.lists)
            rows.append(("ranked", which + ("  (corpus statistics refitted)" if self.refit else "")))
            if self.dry_run:
                rows += [("lists rebuilt", self.selected), ("lists written", "0 (dry run)"),
                         ("would change", self.changed)]
            else:
                rows += [("lists rebuilt", self.selected), ("lists written", self.written),
                         ("lists changed", self.changed)]
            if self.failed:
                rows.append(("not written", len(self.failed)))
        for name, value in rows:
            lines.append(f"  {name:<14}{value}")
        secs = "  ".join(f"{k} {self.seconds[k]:.2f}" for k in (*STAGES, "total") if k in self.seconds)
        lines.append(f"  {'seconds':<14}{secs}")
        if self.skipped:
            lines.append(f"skipped records ({len(self.skipped)}):")
            lines += [f"  {e}" for e in self.skipped[:50]]
            if len(self.skipped) > 50:
                lines.append(f"  ... and {len(self.skipped) - 50} more (see --json)")
        if self.failed:
            lines.append(f"files not written ({len(self.failed)}):")
            lines += [f"  {p}: {r}" for p, r in self.failed[:50]]
            if len(self.failed) > 50:
                lines.append(f"  ... and {len(self.failed) - 50} more (see --json)")
        for ex in self.examples:
            lines.append(f"example: {ex['title']}  ({ex['path']})")
            lines.append("  before: " + ("; ".join(ex["before"]) if ex["before"] else "(no list)"))
            lines.append("  after:  " + ("; ".join(ex["after"]) if ex["after"] else "(empty list)"))
        lines += [f"note: {n}" for n in self.notes]
        if self.stopped:
            lines.append(f"stopped: {self.stopped}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def stop_if_disk_full(exc: OSError, path: Any) -> None:
    """Raises :class:`BatchStopped` when ``exc`` says the disk (or quota) is full."""
    if exc.errno in _DISK_FULL:
        raise BatchStopped(f"disk full while writing {path}: {exc.strerror}. Nothing is half written; "
                           "free some space and run again to finish") from exc


def disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` is a full disk (or quota)."""
    return isinstance(exc, OSError) and exc.errno in _DISK_FULL
