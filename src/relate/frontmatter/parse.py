"""Reading a record file's front matter: split the file, read the YAML once, say where everything is.

:func:`parse` is the one entry point: it cuts the file at its ``---`` lines, reads the front
matter with the fast reader when the ``related:`` block is in the seed's layout (else with the
strict loader), and returns a :class:`FrontMatter` holding everything the records layer and
the writer need.

Example:
    >>> fm = parse(b'---\\ntitle: "Hi"\\nwebUrl: "https://e.com/a"\\n---\\nBody\\n')
    >>> fm.data, fm.key_order, fm.has_related, fm.key_line("webUrl"), fm.body
    ({'title': 'Hi', 'webUrl': 'https://e.com/a'}, ('title', 'webUrl'), False, 3, 46)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ..errors import RecordError
from ..records import kind_of, norm_entry_time, record_error
from .fast import FastResult, parse_fast
from .loader import compose_and_load, yaml_error
from .render import Block, locate_block

__all__ = ["MAX_FRONT_MATTER", "FrontMatter", "Split", "parse", "parse_text", "split_front_matter"]

#: Front matter larger than this many bytes is refused.
MAX_FRONT_MATTER = 5 * 1024 * 1024


@dataclass
class Split:
    """A record file cut into parts (all offsets are byte offsets into the file's data).

    Attributes:
        text: the front matter between the ``---`` lines, decoded.
        start: offset of the first front-matter byte (after the opening line).
        end: offset of the closing ``---`` line.
        body: offset of the first byte after the closing line (where the body starts).
        line0: 1-based file line number of the front matter's first line.
        newline: ``"\\r\\n"`` when the opening line ends so, else ``"\\n"``.
    """

    text: str
    start: int
    end: int
    body: int
    line0: int = 2
    newline: str = "\n"


_OPEN = re.compile(rb"---[ \t]*(\r?\n)")
_CLOSE_REST = re.compile(rb"[ \t]*(?:\r?\n|\Z)")


def _utf8_error(data: bytes, offset: int, exc: UnicodeDecodeError, path: Any) -> RecordError:
    at = offset + exc.start
    return record_error("not-utf8", f"bytes are not UTF-8 (byte 0x{data[at]:02x} at offset {at});"
                        " save the file as UTF-8", path, None, data.count(b"\n", 0, at) + 1)


def _check_utf8(data: bytes, path: Any) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _utf8_error(data, 0, exc, path) from None


def split_front_matter(data: bytes, path: Any = None) -> Split:
    """Finds the front matter of a record file.

    Raises:
        RecordError: empty file, no or unclosed front matter, front matter over
            :data:`MAX_FRONT_MATTER`, or bytes that are not UTF-8 (anywhere in the file).
    """
    if not data.strip():
        raise record_error("empty-file", "the file is empty; a record starts with a '---' line "
                           "followed by 'key: value' lines and a closing '---' line", path)
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    m = _OPEN.match(data, bom)
    if m is None:
        _check_utf8(data, path)
        if data[bom:].rstrip() == b"---":
            raise record_error("unclosed-front-matter", "the opening '---' line has no closing "
                               "'---' line", path, None, 1)
        raise record_error("no-front-matter", "no front matter: the first line must be '---', "
                           "followed by 'key: value' lines and a closing '---' line", path, None, 1)
    start = m.end()
    limit = start + MAX_FRONT_MATTER
    close = body = -1
    j = data.find(b"\n---", start - 1)
    while 0 <= j < limit:
        rest = _CLOSE_REST.match(data, j + 4)
        if rest:
            close, body = j + 1, rest.end()
            break
        j = data.find(b"\n---", j + 1)
    if close < 0:
        if j >= limit or len(data) - start > MAX_FRONT_MATTER:
            raise record_error("too-large", f"front matter is larger than {MAX_FRONT_MATTER} bytes"
                               " (5 MB); is the closing '---' line missing?", path, None, 1)
        _check_utf8(data, path)
        raise record_error("unclosed-front-matter", "the opening '---' on line 1 has no closing "
                           "'---' line", path, None, 1)
    try:
        text = data[start:close].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _utf8_error(data, start, exc, path) from None
    try:
        data[close:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _utf8_error(data, close, exc, path) from None
    return Split(text, start, close, body, 2, m.group(1).decode("ascii"))


class FrontMatter:
    """A record's front matter, read once: its data, its related list, and where everything is.

    Attributes:
        data: the top-level mapping, without ``related``.
        key_order: the top-level keys in their source order (``related`` included).
        has_related: whether there is a top-level ``related`` key.
        related: when :attr:`related_urls` is a list, the related entries (dicts in the seed's
            shape, times as ``...Z`` strings; ``None`` when not built, see ``full_related``);
            when it is ``None``, the raw ``related`` value (dict entries' times normalised)
            for the records layer to check. ``None`` without a ``related`` key.
        related_urls: the checked ``webUrl`` of each entry when the fast reader read the block
            (``[]`` without a ``related`` key); ``None`` when :attr:`related` is still to check.
        reader: ``"fast"`` when the fast reader read the ``related:`` block, ``"yaml"`` when the
            strict loader read the whole front matter.
        text: the front-matter text.
        path: the file, for errors.
        line0: 1-based file line of the front matter's first line.
        start: byte offset of the front matter in the file (``None`` for :func:`parse_text`).
        end: byte offset of the closing ``---`` line (``None`` for :func:`parse_text`).
        body: byte offset of the body, after the closing line (``None`` for :func:`parse_text`).
        newline: the file's line ending (``"\\n"`` or ``"\\r\\n"``).
        node: the root YAML node of :attr:`data` (of the text without the block when
            :attr:`reader` is ``"fast"``).
    """

    def __init__(self, text: str, path: Any, line0: int, data: dict, node: Any,
                 key_order: tuple[str, ...], has_related: bool, related: Any,
                 related_urls: list[str] | None, fast: FastResult | None = None,
                 related_node: Any = None) -> None:
        self.text = text
        self.path = path
        self.line0 = line0
        self.data = data
        self.node = node
        self.key_order = key_order
        self.has_related = has_related
        self.related = related
        self.related_urls = related_urls
        self.reader = "yaml" if fast is None else "fast"
        self.start: int | None = None
        self.end: int | None = None
        self.body: int | None = None
        self.newline = "\n"
        self._fast = fast
        self._related_node = related_node
        self._lines: dict[str, int] | None = None

    def key_line(self, key: str) -> int | None:
        """The 1-based file line of top-level key ``key`` (``None``: no such key)."""
        lines = self._lines
        if lines is None:
            lines = self._lines = {}
            fast = self._fast
            cut_line = -1 if fast is None else fast.cut_line
            cut_lines = 0 if fast is None else fast.cut_lines
            if isinstance(self.node, MappingNode):
                for k, _ in self.node.value:
                    if isinstance(k, ScalarNode) and k.value not in lines:
                        line = k.start_mark.line
                        if 0 <= cut_line <= line:
                            line += cut_lines
                        lines[k.value] = line + self.line0
        return lines.get(key)

    def entry_line(self, i: int) -> int | None:
        """The 1-based file line of related entry ``i`` (of the ``related`` key past the end;
        ``None`` when unknown: no ``related`` key, or read by the fast reader)."""
        node = self._related_node
        if node is None:
            return None
        if isinstance(node, SequenceNode) and i < len(node.value):
            return node.value[i].start_mark.line + self.line0
        return node.start_mark.line + self.line0

    @cached_property
    def block(self) -> Block:
        """Where the ``related:`` block sits in :attr:`text` (or where a new one goes).

        Raises:
            RecordError: the front matter is not a block mapping at column 0, so the block
                cannot be replaced line by line.
        """
        if self._fast is not None:
            return self._fast.block
        return locate_block(self.text, self.node, self.path, self.line0)


def parse_text(text: str, path: Any = None, line0: int = 2, full_related: bool = True) -> FrontMatter:
    """Reads front-matter text (what is between the ``---`` lines); see :func:`parse`.

    Args:
        text: the front matter.
        path: the file, for errors.
        line0: the file line of the text's first line.
        full_related: build the related entries (else only their checked URLs, when the fast
            reader applies).

    Raises:
        RecordError: invalid YAML, a construct records refuse (tag, alias, duplicate key), or
            front matter that is not a mapping.
    """
    fast = None
    try:
        fast = parse_fast(text, full_related)
    except (yaml.YAMLError, RecursionError):
        fast = None
    if fast is not None:
        keys = list(fast.data)
        at = sum(1 for k, _ in fast.node.value if k.start_mark.line < fast.cut_line)
        keys.insert(at, "related")
        return FrontMatter(text, path, line0, fast.data, fast.node, tuple(keys), True, fast.related,
                           fast.related_urls, fast)
    try:
        node, data = compose_and_load(text)
    except yaml.YAMLError as exc:
        raise yaml_error(exc, text, path, line0) from None
    except RecursionError:
        raise record_error("invalid-yaml", "invalid YAML: nested too deeply", path) from None
    if not isinstance(data, dict):
        raise record_error("not-a-mapping", f"front matter is {kind_of(data)}; it must be "
                           "'key: value' lines", path, None, line0)
    order = tuple(data)
    if "related" not in data:
        return FrontMatter(text, path, line0, data, node, order, False, None, [])
    related = data.pop("related")
    if isinstance(related, list):
        for entry in related:
            if isinstance(entry, dict) and "publishedDateTime" in entry:
                entry["publishedDateTime"] = norm_entry_time(entry["publishedDateTime"])
    related_node = next(v for k, v in node.value if isinstance(k, ScalarNode) and k.value == "related")
    return FrontMatter(text, path, line0, data, node, order, True, related, None,
                       related_node=related_node)


def parse(data: bytes, path: Any = None, full_related: bool = True) -> FrontMatter:
    """Reads a record file's bytes: the one call the corpus layer makes per file.

    Args:
        data: the whole file.
        path: the file, for errors.
        full_related: build the related entries; when ``False`` and the fast reader applies,
            :attr:`FrontMatter.related` is ``None`` and only the checked URLs are kept.

    Raises:
        RecordError: the file is empty, has no or an unclosed front matter, is too large or
            not UTF-8, or its front matter is not valid (see :func:`parse_text`).
    """
    sp = split_front_matter(data, path)
    fm = parse_text(sp.text, path, sp.line0, full_related)
    fm.start, fm.end, fm.body, fm.newline = sp.start, sp.end, sp.body, sp.newline
    return fm
