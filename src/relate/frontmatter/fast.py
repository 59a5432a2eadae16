"""The fast reader: the top-level ``related:`` block in the seed's layout, read with regular expressions.

Most records are laid out as the seed is; for them, YAML-parsing the (often long) related list
is most of the time spent reading. :func:`parse_fast` cuts that block out, reads it with
regular expressions that accept a strict subset of YAML (one line per value, fields in the
seed's order) and YAML-parses only the rest. Whenever the text is outside that layout it
answers ``None`` and :func:`relate.frontmatter.parse` uses the strict loader on the whole
front matter; both ways give the same data.

Example:
    >>> r = parse_fast('title: "T"\\nrelated:\\n  - title: "A"\\n    webUrl: "https://e.com/a"\\n', True)
    >>> r.data, r.related, (r.block.start, r.block.end)
    ({'title': 'T'}, [{'title': 'A', 'webUrl': 'https://e.com/a'}], (11, 65))
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from yaml.nodes import MappingNode, ScalarNode

from ..records import IMAGE_FIELDS, is_z_time, norm_entry_time
from .loader import compose_and_load
from .render import Block
from .scalars import DQ_PATTERN, ODD_CHARS, PLAIN_PATTERN, NotFast, dq_value, plain_value

__all__ = ["FastResult", "parse_fast", "related_line_start"]

_SC = f"(?:{PLAIN_PATTERN}|{DQ_PATTERN})"  # plain or double-quoted


# The two entry patterns take tens of milliseconds to compile, and a warm run (every file
# unchanged) never parses a related block: they are compiled on first use.
@functools.cache
def _entry_re() -> re.Pattern[str]:
    return re.compile(
        rf"  - title: ({_SC})\n"
        rf"(?:    excerpt: ({_SC})\n)?"
        rf"(?:    publishedDateTime: ({_SC})\n)?"
        rf"    webUrl: ({DQ_PATTERN})\n"
        rf"(?:    ampWebUrl: ({_SC})\n)?"
        rf"(?:    cdnAmpWebUrl: ({_SC})\n)?"
        rf"(?:    type: ({_SC})\n)?"
        rf"(?:    (provider):\n(?:      name: ({_SC})\n)?(?:      domain: ({_SC})\n)?)?"
        rf"(?:    quality: ({_SC})\n)?"
        rf"(?:    images:\n((?:      - url: {_SC}\n(?:        width: {_SC}\n)?(?:        height: {_SC}\n)?"
        rf"(?:        isCached: {_SC}\n)?(?:        title: {_SC}\n)?)++))?")


@functools.cache
def _image_re() -> re.Pattern[str]:
    return re.compile(
        rf"      - url: ({_SC})\n(?:        width: ({_SC})\n)?(?:        height: ({_SC})\n)?"
        rf"(?:        isCached: ({_SC})\n)?(?:        title: ({_SC})\n)?")


_ENTRY_KEYS = ("title", "excerpt", "publishedDateTime", "webUrl", "ampWebUrl", "cdnAmpWebUrl",
               "type")
_RELATED_LINE = re.compile(r"related:[ \t]*\n(?=  - )")
# After the last entry: blank or comment lines, then a line that starts at column 0 or the end.
_BLOCK_TAIL = re.compile(rf"(?:[ \t]*(?:#[^\n{ODD_CHARS}]*)?\n)*(?=[^\s\-#]|\Z)")


def _sc(raw: str) -> Any:
    """The value of one scalar matched by ``_SC`` (double-quoted or plain)."""
    if raw[0] == '"':
        return raw[1:-1] if "\\" not in raw else dq_value(raw)
    return plain_value(raw)


def _time(raw: str) -> Any:
    if raw[0] != '"' and is_z_time(raw):
        return raw
    return norm_entry_time(_sc(raw))


_IMAGE_KEYS = IMAGE_FIELDS[1:]


def _entry_from_match(m: re.Match) -> dict:
    """The related entry one ``_entry_re()`` match stands for (times as ``...Z`` strings)."""
    g = m.groups()
    entry: dict[str, Any] = {}
    sc = _sc
    for key, raw in zip(_ENTRY_KEYS, g):
        if raw is not None:
            entry[key] = _time(raw) if key == "publishedDateTime" else sc(raw)
    if g[7] is not None:
        provider = {}
        if g[8] is not None:
            provider["name"] = sc(g[8])
        if g[9] is not None:
            provider["domain"] = sc(g[9])
        entry["provider"] = provider or None
    if g[10] is not None:
        entry["quality"] = sc(g[10])
    if g[11] is not None:
        images = []
        for im in _image_re().finditer(g[11]):
            parts = im.groups()
            img = {"url": sc(parts[0])}
            for k, raw in zip(_IMAGE_KEYS, parts[1:]):
                if raw is not None:
                    img[k] = sc(raw)
            images.append(img)
        entry["images"] = images
    return entry


@dataclass
class FastResult:
    """What :func:`parse_fast` read.

    Attributes:
        data: the front matter without ``related`` (a dict).
        node: the root YAML node of ``data`` (for key line numbers).
        related: the entries (dicts in the seed's shape) when asked for, else ``None``.
        related_urls: each entry's ``webUrl``.
        block: where the ``related:`` block sits in the text.
        cut_line: 0-based front-matter line where the block began.
        cut_end: offset where the text after the cut resumes.
        text: the front-matter text.
    """

    data: Any
    node: Any
    related: list[dict] | None
    related_urls: list[str]
    block: Block
    cut_line: int
    cut_end: int
    text: str

    @property
    def cut_lines(self) -> int:
        """How many lines were cut out (to map lines of the rest back to the file)."""
        return self.text.count("\n", self.block.start, self.cut_end)


def _spans(node: Any, line: int) -> bool:
    """Whether ``node`` (or its last descendants) runs across the start of ``line``."""
    while node is not None:
        if isinstance(node, ScalarNode) or node.flow_style:
            end = node.end_mark
            return end.line > line or (end.line == line and end.column > 0)
        if not node.value:
            return False
        last = node.value[-1]
        node = last[1] if isinstance(node, MappingNode) else last
    return False


def related_line_start(text: str) -> int:
    """Offset of the first line that starts with ``related:`` (-1: none).

    Example:
        >>> related_line_start("title: T\\nrelated: []\\n"), related_line_start("title: T\\n")
        (9, -1)
    """
    if text.startswith("related:"):
        return 0
    s = text.find("\nrelated:")
    return s + 1 if s >= 0 else -1


def parse_fast(text: str, full_related: bool) -> FastResult | None:
    """Reads front matter whose ``related:`` block is in the seed's layout; ``None`` otherwise.

    The top-level ``related:`` block (entries at two-space indent, fields in the seed's order,
    one line per value) is read with regular expressions; the rest is YAML-parsed with
    :class:`~relate.frontmatter.loader.StrictLoader`. Returns ``None`` when the text has no line
    starting with ``related:`` or any part is outside that layout.

    Raises:
        yaml.YAMLError: a YAML error in the rest (the caller parses the whole text to report it
            with the right line).
        RecursionError: the rest is nested too deeply.
    """
    s = related_line_start(text)
    if s < 0:
        return None
    m = _RELATED_LINE.match(text, s)
    if m is None:
        return None  # related in another layout (flow, compact, null)
    pos = m.end()
    urls: list[str] = []
    related: list[dict] | None = [] if full_related else None
    match = _entry_re().match
    try:
        while True:
            e = match(text, pos)
            if e is None:
                break
            if related is not None:
                entry = _entry_from_match(e)
                related.append(entry)
                urls.append(entry["webUrl"])
            else:
                urls.append(dq_value(e.group(4)))
            pos = e.end()
    except NotFast:
        return None
    tail = _BLOCK_TAIL.match(text, pos)
    if tail is None or not all(map(str.strip, urls)):
        return None
    p = tail.end()
    cut_line = text.count("\n", 0, s)
    node, data = compose_and_load(text[:s] + text[p:])
    if (not isinstance(node, MappingNode) or node.flow_style or node.start_mark.column != 0
            or not isinstance(data, dict) or "related" in data):
        return None
    before = None
    for k, v in node.value:
        if k.start_mark.line >= cut_line:
            break
        before = v
    if before is not None and _spans(before, cut_line):
        return None
    return FastResult(data, node, related, urls, Block(s, pos, True), cut_line, p, text)
