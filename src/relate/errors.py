"""Exception types raised by relate.

Every error says which file (and field or line, where one applies) is at fault and
how to fix it. All derive from :class:`RelateError`, itself a :class:`ValueError`.
"""
from __future__ import annotations


class RelateError(ValueError):
    """Base class of relate's own errors."""


class RecordError(RelateError):
    """An article record that cannot be read or used.

    Attributes:
        path: the file the record came from (``None`` for an in-memory dict).
        field: the front-matter field at fault, if one is.
        line: the 1-based line number in the file, if known.
        reason: what is wrong, in words.
        code: a short machine-readable name of the problem (``empty``, ``yaml``,
            ``duplicate-key`` ...; listed in docs/records.md), or ``None``.
    """

    def __init__(self, reason: str, path: str | None = None, field: str | None = None,
                 line: int | None = None, code: str | None = None) -> None:
        self.reason = reason
        self.code = code
        self.path = None if path is None else str(path)
        self.field = field
        self.line = line
        where = self.path or "<record>"
        if line is not None:
            where += f":{line}"
        if field:
            where += f": field '{field}'"
        super().__init__(f"{where}: {reason}")


class ConfigError(RelateError):
    """A configuration file, key or value that relate does not accept."""


class WorkspaceError(RelateError):
    """A workspace that is missing, damaged, locked or built for another model."""
