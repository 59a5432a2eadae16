"""One-line YAML scalars: the grammar that the fast reader and the renderer share, read and written.

The patterns accept a strict subset of YAML: what they match reads, with :func:`plain_value`
and :func:`dq_value`, exactly as libyaml reads it; anything else is left to the strict loader
(:exc:`NotFast`).

Example:
    >>> plain_value("56"), plain_value("Daily Mail"), dq_value('"say \\\\"hi\\\\""')
    (56, 'Daily Mail', 'say "hi"')
    >>> dq('say "hi"'), plain_safe("Daily Mail"), plain_safe("Yes")
    ('"say \\\\"hi\\\\""', True, False)
"""
from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import ScalarNode

from .loader import SCALAR_CONSTRUCTORS, STR_TAG

__all__ = ["DQ_PATTERN", "ODD_CHARS", "PLAIN_PATTERN", "NotFast", "dq", "dq_value", "plain_safe",
           "plain_value"]

#: Characters the fast reader leaves to libyaml: non-printables, and line breaks other than \n.
ODD_CHARS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff"
#: A one-line plain scalar in block context that ends its line (no comment, no ': ').
PLAIN_PATTERN = (rf"(?:[^\s\-?:,\[\]{{}}#&*!|>'\"%@`{ODD_CHARS}]|[-?:](?=[^\s{ODD_CHARS}]))"
                 rf"(?:[^\n:#{ODD_CHARS}]++|:(?=[^\s{ODD_CHARS}])|(?<=[^\s])#)*+")
_NQ = f'[^"\\\\\\n{ODD_CHARS}]*+'
_ESC = r'\\(?:[0abtnvfre "/\\N_LP\t]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})'
#: A one-line double-quoted scalar, quotes included.
DQ_PATTERN = f'"{_NQ}(?:{_ESC}{_NQ})*+"'

_RESOLVER = yaml.resolver.Resolver()


class NotFast(Exception):
    """The text is valid but outside what the fast reader handles; use the YAML parser."""


_PLAIN_MEMO: dict[str, Any] = {}


def plain_value(raw: str) -> Any:
    """The value YAML gives a one-line plain scalar (``56``, ``true``, ``Daily Mail``).

    Raises:
        NotFast: a scalar the strict loader should judge (``=``, ``<<``).
    """
    try:
        return _PLAIN_MEMO[raw]
    except KeyError:
        pass
    s = raw.rstrip(" \t")
    tag = _RESOLVER.resolve(ScalarNode, s, (True, False))
    if tag == STR_TAG:
        value: Any = s
    else:
        make = SCALAR_CONSTRUCTORS.get(tag)
        if make is None:
            raise NotFast  # '=' or '<<': the YAML loader reports it
        value = make(ScalarNode(tag, s))
    if len(_PLAIN_MEMO) < 100_000:
        _PLAIN_MEMO[raw] = value
    return value


_UNESC = re.compile(r'\\(?:([0abtnvfre "/\\N_LP\t])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})'
                    r'|U([0-9a-fA-F]{8}))')
_UNESC_MAP = {"0": "\0", "a": "\x07", "b": "\x08", "t": "\t", "\t": "\t", "n": "\n", "v": "\x0b",
              "f": "\x0c", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
              "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}


def _unesc(m: re.Match) -> str:
    if m.group(1) is not None:
        return _UNESC_MAP[m.group(1)]
    code = int(m.group(2) or m.group(3) or m.group(4), 16)
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise NotFast  # libyaml refuses these; let it say so
    return chr(code)


def dq_value(quoted: str) -> str:
    """The string a one-line double-quoted YAML scalar (quotes included) stands for.

    Raises:
        NotFast: an escape libyaml refuses (a surrogate, a code point past U+10FFFF).
    """
    inner = quoted[1:-1]
    if "\\" not in inner:
        return inner
    return _UNESC.sub(_unesc, inner)


_DQ_NEEDS = re.compile('[\x00-\x1f"\\\\\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]')
_DQ_TABLE = {c: f"\\u{c:04X}" for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029,
                                        0xFEFF, 0xFFFE, 0xFFFF]}
_DQ_TABLE.update({ord('"'): '\\"', ord("\\"): "\\\\", ord("\n"): "\\n", ord("\r"): "\\r",
                  ord("\t"): "\\t"})
_SURROGATE = re.compile("[\ud800-\udfff]")


def dq(s: str) -> str:
    """``s`` as a one-line double-quoted YAML scalar, escaped the way the seed is.

    ``"`` ``\\`` and line breaks become ``\\"`` ``\\\\`` ``\\n`` ``\\r``, tabs ``\\t``, other
    control and line-separator characters ``\\uXXXX``; everything else is written as is.

    Raises:
        ValueError: ``s`` holds a lone surrogate.
    """
    if _DQ_NEEDS.search(s) is None:
        return f'"{s}"'
    if _SURROGATE.search(s):
        raise ValueError("text holds a lone surrogate character, which UTF-8 cannot store")
    return '"' + s.translate(_DQ_TABLE) + '"'


_PLAIN_OK = re.compile(PLAIN_PATTERN + r"\Z")
_PLAIN_SAFE_MEMO: dict[str, bool] = {}


def plain_safe(s: str) -> bool:
    """Whether ``s`` can be written unquoted and reads back as the same string."""
    ok = _PLAIN_SAFE_MEMO.get(s)
    if ok is None:
        ok = (s == s.strip(" \t") and _PLAIN_OK.match(s) is not None
              and _DQ_NEEDS.search(s) is None and "\ufffd" not in s
              and not s.startswith(("---", "..."))
              and _RESOLVER.resolve(ScalarNode, s, (True, False)) == STR_TAG)
        if len(_PLAIN_SAFE_MEMO) < 100_000:
            _PLAIN_SAFE_MEMO[s] = ok
    return ok
