"""Low-level front-matter handling: split a file, load YAML strictly, scan and render ``related:``.

This module knows bytes, text and YAML; :mod:`relate.articles` builds records on top of it.
Two ways lead from front-matter text to data and give the same result:

* :func:`compose_and_load` parses the whole front matter with libyaml (when available) and
  :func:`construct_strict`, a stricter ``safe_load``. It is exact and reports every error
  with its line.
* :func:`parse_fast` handles files in the seed's layout: it cuts the top-level ``related:``
  block out, YAML-parses only the rest and reads the block with regular expressions that
  accept a strict subset of YAML. Whenever the text is not in that layout it answers ``None``
  (or raises), and the caller falls back to :func:`compose_and_load`.

Example:
    >>> from relate.frontmatter import render_related
    >>> print(render_related([{"title": "A", "webUrl": "https://e.com/a"}]), end="")
    related:
      - title: "A"
        webUrl: "https://e.com/a"
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterable

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .errors import RecordError

#: Front matter larger than this many bytes is refused.
MAX_FRONT_MATTER = 5 * 1024 * 1024

#: Field order of a related entry, as in the seed.
RELATED_FIELDS = ("title", "excerpt", "publishedDateTime", "webUrl", "ampWebUrl", "cdnAmpWebUrl",
                  "type", "provider", "quality", "images")
PROVIDER_FIELDS = ("name", "domain")
IMAGE_FIELDS = ("url", "width", "height", "isCached", "title")

# Fields whose strings the seed writes double-quoted; other strings are plain when that is safe.
_QUOTED = frozenset({"title", "excerpt", "webUrl", "ampWebUrl", "cdnAmpWebUrl", "url"})

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def record_error(code: str, reason: str, path: Any = None, field: str | None = None,
                 line: int | None = None) -> RecordError:
    """A :class:`RecordError` with a short machine-readable ``code`` attribute."""
    return RecordError(reason, None if path is None else str(path), field, line, code=code)


# --------------------------------------------------------------------------- strict YAML


class _YamlRejected(ConstructorError):
    """A construct that safe loading accepts but records refuse (alias, duplicate key, tag)."""

    def __init__(self, code: str, problem: str, mark: Any, field: str | None = None,
                 other_line: int | None = None, note: str = "") -> None:
        super().__init__(None, None, problem, mark)
        self.code = code
        self.field = field
        self.other_line = other_line  # 0-based front-matter line that ``note`` mentions
        self.note = note              # "... {line} ...", filled in with the file line


_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_RESOLVE_MEMO: dict[str, str] = {}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_SIMPLE_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")


def _build_int(node: ScalarNode) -> int:
    if _SIMPLE_INT.match(node.value):
        return int(node.value)
    return _CONSTRUCTOR.construct_yaml_int(node)


def _build_timestamp(node: ScalarNode) -> Any:
    try:
        return _CONSTRUCTOR.construct_yaml_timestamp(node)
    except ValueError:  # looks like a time but is none (month 13): keep the text
        return node.value


_SCALARS = {
    "tag:yaml.org,2002:int": _build_int,
    "tag:yaml.org,2002:float": _CONSTRUCTOR.construct_yaml_float,
    "tag:yaml.org,2002:bool": _CONSTRUCTOR.construct_yaml_bool,
    "tag:yaml.org,2002:null": lambda node: None,
    "tag:yaml.org,2002:timestamp": _build_timestamp,
}


def _rejected_tag(node: Any) -> _YamlRejected:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return _YamlRejected(
        "yaml-tag", f"YAML tag '{tag}' is not allowed: records are loaded with safe loading "
        "only (plain strings, numbers, booleans, null, timestamps, lists and mappings)",
        node.start_mark)


def construct_strict(node: Any) -> Any:
    """Builds Python data from a composed YAML node, as ``yaml.safe_load`` would, but stricter.

    Only the core types are built (mappings, sequences, strings, numbers, booleans, null and
    timestamps); any other tag (``!!python/...``, ``!!binary``, ``!!set``, ``!Custom``), an
    alias (``*name``), a merge key (``<<``) or a duplicate key raises ``yaml.YAMLError``.
    """
    seen: set[int] = set()

    def build(node: Any, used_at: Any = None) -> Any:
        if id(node) in seen:
            raise _YamlRejected("yaml-alias", "YAML aliases (*name) are not allowed in records",
                                used_at or node.start_mark, None, node.start_mark.line,
                                " (the anchor is on line {line}); repeat the value instead")
        seen.add(id(node))
        tag = node.tag
        kind = type(node)
        if kind is ScalarNode:
            if tag == _STR_TAG:
                return node.value
            make = _SCALARS.get(tag)
            if make is None:
                raise _rejected_tag(node)
            return make(node)
        if kind is SequenceNode:
            if tag != _SEQ_TAG:
                raise _rejected_tag(node)
            return [build(item) for item in node.value]
        if tag != _MAP_TAG:
            raise _rejected_tag(node)
        mapping: dict = {}
        lines: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                raise _YamlRejected("yaml-tag", "YAML merge keys (<<) are not allowed in records",
                                    key_node.start_mark)
            if key_node.tag == _VALUE_TAG and type(key_node) is ScalarNode:
                seen.add(id(key_node))
                key = key_node.value
            else:
                key = build(key_node)
            try:
                hash(key)
            except TypeError:
                raise ConstructorError("while constructing a mapping", node.start_mark,
                                       "found unhashable key", key_node.start_mark) from None
            if key in mapping:
                raise _YamlRejected("duplicate-key", f"duplicate key '{key}'",
                                    key_node.start_mark, str(key), lines[key],
                                    " (first on line {line}); keep one of them")
            lines[key] = key_node.start_mark.line
            mapping[key] = build(value_node, key_node.start_mark)
        return mapping

    return build(node)


class StrictLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The YAML composer relate uses: libyaml's when available, with memoised tag resolution.

    Build data from its nodes with :func:`construct_strict`, never with ``construct_document``.
    """

    def resolve(self, kind, value, implicit):  # noqa: D102 - PyYAML hook
        if kind is ScalarNode and implicit[0]:
            tag = _RESOLVE_MEMO.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_RESOLVE_MEMO) < 100_000:
                    _RESOLVE_MEMO[value] = tag
            return tag
        return super().resolve(kind, value, implicit)


def compose_and_load(text: str) -> tuple[Any, Any]:
    """Parses ``text`` (one YAML document) strictly; returns ``(root node, data)``.

    Raises:
        yaml.YAMLError: on any problem (see :func:`yaml_error`).
    """
    loader = StrictLoader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    return node, (None if node is None else construct_strict(node))


def yaml_error(exc: yaml.YAMLError, text: str, path: Any, line0: int) -> RecordError:
    """Turns a PyYAML error on front-matter ``text`` into a :class:`RecordError`.

    ``line0`` is the file line number (1-based) of the first line of ``text``.
    """
    line = None
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line = mark.line + line0
    elif getattr(exc, "position", None) is not None:
        line = text.count("\n", 0, exc.position) + line0
    if isinstance(exc, _YamlRejected):
        problem = exc.problem
        if exc.other_line is not None:
            problem += exc.note.format(line=exc.other_line + line0)
        return record_error(exc.code, problem, path, exc.field, line)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    if isinstance(exc, yaml.reader.ReaderError):
        problem = f"character {exc.character!r} is not allowed in YAML ({exc.reason})"
    elif isinstance(exc, ConstructorError):
        return record_error("yaml-tag", f"YAML value cannot be loaded safely: {problem}", path,
                            None, line)
    msg = f"invalid YAML: {problem}"
    if context:
        cmark = getattr(exc, "context_mark", None)
        msg += f" ({context}" + (f" that began on line {cmark.line + line0})"
                                 if cmark is not None and line is not None
                                 and cmark.line + line0 != line else ")")
    return record_error("invalid-yaml", msg, path, None, line)


# --------------------------------------------------------------------------- splitting files


@dataclass
class Split:
    """A record file cut into parts (all offsets are byte offsets into the file's data).

    Attributes:
        text: the front matter between the ``---`` lines, decoded.
        start: offset of the first front-matter byte (after the opening line).
        end: offset of the closing ``---`` line.
        line0: 1-based file line number of the front matter's first line.
        newline: ``"\\r\\n"`` when the opening line ends so, else ``"\\n"``.
    """

    text: str
    start: int
    end: int
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
    close = -1
    j = data.find(b"\n---", start - 1)
    while 0 <= j < limit:
        if _CLOSE_REST.match(data, j + 4):
            close = j + 1
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
    return Split(text, start, close, 2, m.group(1).decode("ascii"))


# --------------------------------------------------------------------------- scalars


_TS_Z = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
_RESOLVER = yaml.resolver.Resolver()


def format_time(t: datetime) -> str:
    """ISO 8601 in UTC ending in ``Z`` (``2020-06-26T11:00:00Z``); a naive time counts as UTC.

    Fractions of a second are written only when there are some.
    """
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    t = t.astimezone(timezone.utc).replace(tzinfo=None)
    return t.isoformat(timespec="microseconds" if t.microsecond else "seconds") + "Z"


def norm_entry_time(value: Any) -> Any:
    """A related entry's ``publishedDateTime`` as the seed writes it: a ``...Z`` string."""
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, date):
        return format_time(datetime(value.year, value.month, value.day, tzinfo=timezone.utc))
    return value


_PLAIN_MEMO: dict[str, Any] = {}


def plain_value(raw: str) -> Any:
    """The value YAML gives a one-line plain scalar (``56``, ``true``, ``Daily Mail``)."""
    try:
        return _PLAIN_MEMO[raw]
    except KeyError:
        pass
    s = raw.rstrip(" \t")
    tag = _RESOLVER.resolve(ScalarNode, s, (True, False))
    if tag == _STR_TAG:
        value: Any = s
    else:
        make = _SCALARS.get(tag)
        if make is None:
            raise _NotFast  # '=' or '<<': the YAML loader reports it
        value = make(ScalarNode(tag, s))
    if len(_PLAIN_MEMO) < 100_000:
        _PLAIN_MEMO[raw] = value
    return value


_UNESC = re.compile(r'\\(?:([0abtnvfre "/\\N_LP\t])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})'
                    r'|U([0-9a-fA-F]{8}))')
_UNESC_MAP = {"0": "\0", "a": "\x07", "b": "\x08", "t": "\t", "\t": "\t", "n": "\n", "v": "\x0b",
              "f": "\x0c", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
              "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}


class _NotFast(Exception):
    """The text is valid but outside what the fast reader handles; use the YAML parser."""


def _unesc(m: re.Match) -> str:
    if m.group(1) is not None:
        return _UNESC_MAP[m.group(1)]
    code = int(m.group(2) or m.group(3) or m.group(4), 16)
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise _NotFast  # libyaml refuses these; let it say so
    return chr(code)


def dq_value(quoted: str) -> str:
    """The string a one-line double-quoted YAML scalar (quotes included) stands for."""
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
    """
    if _DQ_NEEDS.search(s) is None:
        return f'"{s}"'
    if _SURROGATE.search(s):
        raise ValueError("text holds a lone surrogate character, which UTF-8 cannot store")
    return '"' + s.translate(_DQ_TABLE) + '"'


# A one-line plain scalar in block context that ends its line (no comment, no ': ').
# Characters the fast reader leaves to libyaml: non-printables, and line breaks other than \n.
_ODD = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff"
_PL = (rf"(?:[^\s\-?:,\[\]{{}}#&*!|>'\"%@`{_ODD}]|[-?:](?=[^\s{_ODD}]))"
       rf"(?:[^\n:#{_ODD}]++|:(?=[^\s{_ODD}])|(?<=[^\s])#)*+")
_PLAIN_OK = re.compile(_PL + r"\Z")
_PLAIN_SAFE_MEMO: dict[str, bool] = {}


def plain_safe(s: str) -> bool:
    """Whether ``s`` can be written unquoted and reads back as the same string."""
    ok = _PLAIN_SAFE_MEMO.get(s)
    if ok is None:
        ok = (s == s.strip(" \t") and _PLAIN_OK.match(s) is not None
              and _DQ_NEEDS.search(s) is None and "\ufffd" not in s
              and not s.startswith(("---", "..."))
              and _RESOLVER.resolve(ScalarNode, s, (True, False)) == _STR_TAG)
        if len(_PLAIN_SAFE_MEMO) < 100_000:
            _PLAIN_SAFE_MEMO[s] = ok
    return ok


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
            if _TS_Z.match(value):
                return value
            parsed = parse_time(value)
            return dq(value) if parsed is None else format_time(parsed)
        if key not in _QUOTED and plain_safe(value):
            return value
        return dq(value)
    raise TypeError(f"a {type(value).__name__} cannot be written as one value")


# --------------------------------------------------------------------------- times


def parse_time(value: Any) -> datetime | None:
    """A timezone-aware datetime from a YAML/JSON value, or ``None`` when it is not a time.

    Accepts datetimes and dates (naive ones count as UTC), ISO 8601 strings (``Z`` or an offset,
    ``T`` or a space) and RFC 2822 strings (``Sat, 27 Jun 2020 01:21:00 GMT``).
    """
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if not isinstance(value, str) or not value.strip():
        return None
    s = value.strip()
    try:
        t = datetime.fromisoformat(s[:-1] + "+00:00" if s[-1:] in "Zz" else s)
    except ValueError:
        from email.utils import parsedate_to_datetime
        try:
            t = parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError):
            return None
        if t is None:
            return None
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


# --------------------------------------------------------------------------- rendering


def _check_entry(entry: Any, i: int) -> dict:
    if not isinstance(entry, dict):
        raise record_error("bad-related", f"related entry {i + 1} is a {type(entry).__name__}, "
                           "not a mapping", None, f"related[{i}]")
    url = entry.get("webUrl")
    if not isinstance(url, str) or not url.strip():
        raise record_error("bad-related", f"related entry {i + 1} has no webUrl", None,
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
        RecordError: an entry that is not a mapping, has no ``webUrl``, or holds a value of
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


# --------------------------------------------------------------------------- fast reading

_NQ = f'[^"\\\\\\n{_ODD}]*+'
_ESC = r'\\(?:[0abtnvfre "/\\N_LP\t]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})'
_DQ = f'"{_NQ}(?:{_ESC}{_NQ})*+"'
_SC = f"(?:{_PL}|{_DQ})"  # plain or double-quoted
_ENTRY = re.compile(
    rf"  - title: ({_SC})\n"
    rf"(?:    excerpt: ({_SC})\n)?"
    rf"(?:    publishedDateTime: ({_SC})\n)?"
    rf"    webUrl: ({_DQ})\n"
    rf"(?:    ampWebUrl: ({_SC})\n)?"
    rf"(?:    cdnAmpWebUrl: ({_SC})\n)?"
    rf"(?:    type: ({_SC})\n)?"
    rf"(?:    (provider):\n(?:      name: ({_SC})\n)?(?:      domain: ({_SC})\n)?)?"
    rf"(?:    quality: ({_SC})\n)?"
    rf"(?:    images:\n((?:      - url: {_SC}\n(?:        width: {_SC}\n)?(?:        height: {_SC}\n)?"
    rf"(?:        isCached: {_SC}\n)?(?:        title: {_SC}\n)?)++))?")
_IMAGE = re.compile(
    rf"      - url: ({_SC})\n(?:        width: ({_SC})\n)?(?:        height: ({_SC})\n)?"
    rf"(?:        isCached: ({_SC})\n)?(?:        title: ({_SC})\n)?")
_ENTRY_KEYS = ("title", "excerpt", "publishedDateTime", "webUrl", "ampWebUrl", "cdnAmpWebUrl",
               "type")
_RELATED_LINE = re.compile(r"related:[ \t]*\n(?=  - )")
# After the last entry: blank or comment lines, then a line that starts at column 0 or the end.
_BLOCK_TAIL = re.compile(rf"(?:[ \t]*(?:#[^\n{_ODD}]*)?\n)*(?=[^\s\-#]|\Z)")


def _sc(raw: str) -> Any:
    """The value of one scalar matched by ``_SC`` (double-quoted or plain)."""
    if raw[0] == '"':
        return raw[1:-1] if "\\" not in raw else dq_value(raw)
    value = _PLAIN_MEMO.get(raw)
    return value if value is not None else plain_value(raw)


def _time(raw: str) -> Any:
    if raw[0] != '"' and _TS_Z.match(raw):
        return raw
    return norm_entry_time(_sc(raw))


_IMAGE_KEYS = IMAGE_FIELDS[1:]


def _entry_from_match(m: re.Match) -> dict:
    """The related entry one ``_ENTRY`` match stands for (times as ``...Z`` strings)."""
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
        for im in _IMAGE.finditer(g[11]):
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
        data: the front matter without ``related`` (the caller checks that it is a dict).
        node: the root YAML node of ``data`` (for key line numbers).
        related: the entries (dicts in the seed's shape) when asked for, else ``None``.
        related_urls: each entry's ``webUrl``.
        block: where the ``related:`` block sits in the text (``None`` when there is none).
        cut_line: 0-based front-matter line where the block began (-1: none).
        cut_end: offset where the text after the cut resumes.
        text: the front-matter text.
    """

    data: Any
    node: Any
    related: list[dict] | None
    related_urls: list[str]
    block: Block | None = None
    cut_line: int = -1
    cut_end: int = 0
    text: str = ""

    @property
    def cut_lines(self) -> int:
        """How many lines were cut out (to map lines of the rest back to the file)."""
        return 0 if self.block is None else self.text.count("\n", self.block.start, self.cut_end)


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


def parse_fast(text: str, full_related: bool) -> FastResult | None:
    """Reads front matter in the seed's layout; ``None`` when the layout is not the seed's.

    The top-level ``related:`` block (entries at two-space indent, fields in the seed's order,
    one line per value) is read with regular expressions; the rest is YAML-parsed with
    :class:`StrictLoader`. Returns ``None`` whenever any part is outside that layout, and
    raises ``yaml.YAMLError`` for YAML errors in the rest.
    """
    s = 0 if text.startswith("related:") else text.find("\nrelated:") + 1
    if s == 0 and not text.startswith("related:"):
        node, data = compose_and_load(text)
        if isinstance(data, dict) and "related" in data:
            return None  # a quoted or otherwise unusual related key
        return FastResult(data, node, None, [])
    m = _RELATED_LINE.match(text, s)
    if m is None:
        return None  # related in another layout (flow, compact, null)
    pos = m.end()
    urls: list[str] = []
    related: list[dict] | None = [] if full_related else None
    match = _ENTRY.match
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
    except _NotFast:
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


# --------------------------------------------------------------------------- block location


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
        if isinstance(k, ScalarNode) and k.value == "related" and k.tag == _STR_TAG:
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
