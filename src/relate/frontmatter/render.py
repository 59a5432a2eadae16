"""Writing front matter: render a ``related:`` block in the seed's style, find the old one, put it in place.

Example:
    >>> from relate.frontmatter.loader import compose_and_load
    >>> text = 'title: "A"\\n\\nsecured: "x"\\n'
    >>> node = compose_and_load(text)[0]
    >>> block = locate_block(text, node)
    >>> print(replace_block(text, block, render_related([{"title": "B", "webUrl": "https://e.com/b"}])), end="")
    title: "A"
    <BLANKLINE>
    related:
      - title: "B"
        webUrl: "https://e.com/b"
    <BLANKLINE>
    secured: "x"
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ..records import (
    IMAGE_FIELDS,
    PROVIDER_FIELDS,
    RELATED_FIELDS,
    entry_time_text,
    entry_url,
    norm_entry_time,
    record_error,
)
from .loader import STR_TAG
from .scalars import dq, plain_safe

__all__ = ["Block", "locate_block", "render_related", "render_scalar", "replace_block"]

# Fields whose strings the seed writes double-quoted; other strings are plain when that is safe.
_QUOTED = frozenset({"title", "excerpt", "webUrl", "originalUrl", "ampWebUrl", "cdnAmpWebUrl", "url"})


def _render_float(x: float) -> str:
    r = repr(x)
    if "." not in r and "e" in r:  # YAML 1.1 reads 1e+20 as text; 1.0e+20 is a float
        r = r.replace("e", ".0e")
    return r


def render_scalar(value: Any, key: str) -> str:
    """One scalar in the seed's style for field ``key`` (see :func:`render_related`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{key} is {value}, not a finite number")
        return _render_float(value)
    if isinstance(value, (datetime, date)):
        return norm_entry_time(value) if key == "publishedDateTime" else dq(norm_entry_time(value))
    if isinstance(value, str):
        if key == "publishedDateTime":
            written = entry_time_text(value)
            return dq(value) if written is None else written
        if key not in _QUOTED and plain_safe(value):
            return value
        return dq(value)
    raise TypeError(f"a {type(value).__name__} cannot be written as one value")


def _check_entry(entry: Any, i: int) -> dict:
    if not isinstance(entry, dict):
        raise record_error("bad-related", f"related entry {i + 1} is a {type(entry).__name__}, "
                           "not a mapping", None, f"related[{i}]")
    if entry_url(entry) is None:
        raise record_error("bad-related", f"related entry {i + 1} has neither webUrl nor originalUrl", None,
                           f"related[{i}].webUrl")
    return entry


def render_related(entries: Iterable[dict]) -> str:
    """Renders a ``related:`` block exactly in the seed's style.

    Only the seed's related-entry fields are written, in the seed's order
    (:data:`RELATED_FIELDS`, ``provider`` as ``name``/``domain``, images as ``url``, ``width``,
    ``height``, ``isCached``, ``title``); other keys (``score``...) and ``None`` values are
    left out. Titles, excerpts and URLs are double-quoted; type and provider names are plain
    when that reads back the same; times are ISO 8601 ending in ``Z``. An empty list gives
    ``""`` (no block).

    Raises:
        RecordError: an entry that is not a mapping, has neither ``webUrl`` nor ``originalUrl``, or holds a value of
            the wrong shape (``field`` names it, e.g. ``related[2].images``).

    Example:
        >>> print(render_related([{"title": 'Say "hi"', "webUrl": "https://e.com/a",
        ...                        "provider": {"name": "E", "domain": "e.com"}, "score": 1}]))
        related:
          - title: "Say \\"hi\\""
            webUrl: "https://e.com/a"
            provider:
              name: E
              domain: e.com
        <BLANKLINE>
    """
    out: list[str] = []
    for i, entry in enumerate(entries):
        _check_entry(entry, i)
        lines: list[str] = []
        try:
            for key in RELATED_FIELDS:
                value = entry.get(key)
                if value is None:
                    continue
                if key == "provider":
                    if not isinstance(value, dict):
                        raise TypeError("provider must be a mapping with name and domain")
                    sub = [f"      {k}: {render_scalar(value[k], k)}" for k in PROVIDER_FIELDS
                           if value.get(k) is not None]
                    if sub:
                        lines.append("    provider:")
                        lines.extend(sub)
                elif key == "images":
                    if not isinstance(value, (list, tuple)):
                        raise TypeError("images must be a list of mappings")
                    sub = []
                    for img in value:
                        if not isinstance(img, dict):
                            raise TypeError("each image must be a mapping (url, width, height)")
                        parts = [f"{k}: {render_scalar(img[k], k)}" for k in IMAGE_FIELDS
                                 if img.get(k) is not None]
                        if parts:
                            sub.append("      - " + parts[0])
                            sub.extend("        " + p for p in parts[1:])
                    if sub:
                        lines.append("    images:")
                        lines.extend(sub)
                else:
                    lines.append(f"    {key}: {render_scalar(value, key)}")
        except (TypeError, ValueError) as exc:
            raise record_error("bad-related", f"related entry {i + 1}: {exc}", None,
                               f"related[{i}].{key}") from None
        lines[0] = "  - " + lines[0][4:]
        out.extend(lines)
    if not out:
        return ""
    return "related:\n" + "\n".join(out) + "\n"


@dataclass
class Block:
    """Where the ``related:`` block sits in front-matter text (character offsets).

    Attributes:
        start: start of the ``related:`` line (or the insertion point when absent).
        end: end of the block's last line (equal to ``start`` when absent).
        present: whether the front matter has a top-level ``related`` key.
        at_end: when absent, whether the insertion point is the end of the front matter
            (no ``secured:`` key to put it before).
    """

    start: int
    end: int
    present: bool
    at_end: bool = False


def _line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    i = find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def _block_end(text: str, starts: list[int], key_line: int, value: Any) -> int:
    """End offset of the last line holding any of ``value``'s content."""
    node = value
    while isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, MappingNode) else last
    end = node.end_mark
    if end.column > 0:  # a scalar or flow collection closing on this line
        return starts[end.line + 1] if end.line + 1 < len(starts) else len(text)
    ln = min(end.line, len(starts) - 1)  # a block scalar: its mark is past the last line
    while ln - 1 > key_line and not text[starts[ln - 1]:starts[ln]].strip():
        ln -= 1
    return starts[ln] if ln < len(starts) else len(text)


def locate_block(text: str, node: Any, path: Any = None, line0: int = 2) -> Block:
    """Finds the top-level ``related:`` block (or where a new one goes) from the root node.

    ``node`` is the root node of the whole front matter, as :func:`compose_and_load` gives.

    Raises:
        RecordError: the front matter is not a block mapping at column 0, so the block
            cannot be replaced line by line.
    """
    if not isinstance(node, MappingNode) or node.flow_style or node.start_mark.column != 0:
        raise record_error("not-a-mapping", "front matter is not a block of 'key: value' lines "
                           "starting at column 0; cannot write a related list into it", path)
    starts = _line_starts(text)
    secured = None
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == "related" and k.tag == STR_TAG:
            if k.start_mark.column != 0:
                raise record_error("not-a-mapping", "the related key is not at column 0; cannot "
                                   "rewrite it", path, "related", k.start_mark.line + line0)
            kl = k.start_mark.line
            return Block(starts[kl], max(_block_end(text, starts, kl, v), starts[kl]), True)
        if (secured is None and isinstance(k, ScalarNode) and k.value == "secured"
                and k.start_mark.column == 0):
            secured = starts[k.start_mark.line]
    if secured is not None:
        return Block(secured, secured, False)
    return Block(len(text), len(text), False, at_end=True)


def replace_block(text: str, block: Block, rendered: str, nl: str = "\n") -> str:
    """Front-matter text with ``rendered`` (a block or ``""``) in place of the current block.

    A new block goes before ``secured:`` followed by a blank line, as in the seed, or at the end
    after a blank line; removing a block also removes the blank line that separated it.
    """
    a, b = block.start, block.end
    if block.present:
        if rendered:
            return text[:a] + rendered + text[b:]
        if text.startswith(nl, b):
            return text[:a] + text[b + len(nl):]
        if b >= len(text) and text.endswith(nl + nl, 0, a):
            return text[:a - len(nl)] + text[b:]
        return text[:a] + text[b:]
    if not rendered:
        return text
    if block.at_end:
        sep = "" if (not text or text.endswith(nl + nl)) else (nl if text.endswith(nl)
                                                               else nl + nl)
        return text + sep + rendered
    return text[:a] + rendered + nl + text[a:]
