"""Strict YAML loading: libyaml's composer, safe construction that refuses aliases, tags and duplicates.

:func:`compose_and_load` parses a whole front matter exactly and :func:`yaml_error` turns any
PyYAML error into a :class:`~relate.errors.RecordError` with its file line.

Example:
    >>> compose_and_load("title: T\\nquality: 56\\n")[1]
    {'title': 'T', 'quality': 56}
    >>> try:
    ...     compose_and_load("a: &x 1\\nb: *x\\n")
    ... except yaml.YAMLError as exc:
    ...     print(yaml_error(exc, "a: &x 1\\nb: *x\\n", "x.md", 2))
    x.md:3: YAML aliases (*name) are not allowed in records (the anchor is on line 2); repeat the value instead
"""
from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import ScalarNode, SequenceNode

from ..errors import RecordError
from ..records import record_error

__all__ = ["SCALAR_CONSTRUCTORS", "STR_TAG", "StrictLoader", "YamlRejected", "compose_and_load",
           "construct_strict", "yaml_error"]

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlRejected(ConstructorError):
    """A construct that safe loading accepts but records refuse (alias, duplicate key, tag)."""

    def __init__(self, code: str, problem: str, mark: Any, field: str | None = None,
                 other_line: int | None = None, note: str = "") -> None:
        super().__init__(None, None, problem, mark)
        self.code = code
        self.field = field
        self.other_line = other_line  # 0-based front-matter line that ``note`` mentions
        self.note = note              # "... {line} ...", filled in with the file line


STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_RESOLVE_MEMO: dict[str, str] = {}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_INT_TAG = "tag:yaml.org,2002:int"
_IMPLICIT = yaml.resolver.Resolver()
_SIMPLE_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")


def _build_int(node: ScalarNode) -> Any:
    if _SIMPLE_INT.match(node.value):
        return int(node.value)
    try:
        return _CONSTRUCTOR.construct_yaml_int(node)
    except ValueError:
        if _IMPLICIT.resolve(ScalarNode, node.value, (True, False)) == _INT_TAG:
            return node.value   # looks like a number but has no digits ("0x_", "-0b_"): keep the text
        raise                   # "!!int x": construct_strict reports the tag


def _build_timestamp(node: ScalarNode) -> Any:
    try:
        return _CONSTRUCTOR.construct_yaml_timestamp(node)
    except ValueError:  # looks like a time but is none (month 13): keep the text
        return node.value


SCALAR_CONSTRUCTORS = {
    _INT_TAG: _build_int,
    "tag:yaml.org,2002:float": _CONSTRUCTOR.construct_yaml_float,
    "tag:yaml.org,2002:bool": _CONSTRUCTOR.construct_yaml_bool,
    "tag:yaml.org,2002:null": lambda node: None,
    "tag:yaml.org,2002:timestamp": _build_timestamp,
}


def _rejected_tag(node: Any) -> YamlRejected:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return YamlRejected(
        "yaml-tag", f"YAML tag '{tag}' is not allowed: records are loaded with safe loading "
        "only (plain strings, numbers, booleans, null, timestamps, lists and mappings)",
        node.start_mark)


def _rejected_value(node: Any, field: Any) -> YamlRejected:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return YamlRejected(
        "yaml-tag", f"YAML tag '{tag}' on '{node.value}', which is not a value of that type: "
        "remove the tag or write such a value", node.start_mark, None if field is None else str(field))


def construct_strict(node: Any) -> Any:
    """Builds Python data from a composed YAML node, as ``yaml.safe_load`` would, but stricter.

    Only the core types are built (mappings, sequences, strings, numbers, booleans, null and
    timestamps); any other tag (``!!python/...``, ``!!binary``, ``!!set``, ``!Custom``), a core tag
    on a value not of its type (``!!float abc``), an alias (``*name``), a merge key (``<<``) or a
    duplicate key raises ``yaml.YAMLError``.
    """
    seen: set[int] = set()

    def build(node: Any, used_at: Any = None, field: Any = None) -> Any:
        if id(node) in seen:
            raise YamlRejected("yaml-alias", "YAML aliases (*name) are not allowed in records",
                                used_at or node.start_mark, None, node.start_mark.line,
                                " (the anchor is on line {line}); repeat the value instead")
        seen.add(id(node))
        tag = node.tag
        kind = type(node)
        if kind is ScalarNode:
            if tag == STR_TAG:
                return node.value
            make = SCALAR_CONSTRUCTORS.get(tag)
            if make is None:
                raise _rejected_tag(node)
            try:
                return make(node)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
                raise _rejected_value(node, field) from None   # an explicit tag on a value not of its type
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
                raise YamlRejected("yaml-tag", "YAML merge keys (<<) are not allowed in records",
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
                raise YamlRejected("duplicate-key", f"duplicate key '{key}'",
                                    key_node.start_mark, str(key), lines[key],
                                    " (first on line {line}); keep one of them")
            lines[key] = key_node.start_mark.line
            mapping[key] = build(value_node, key_node.start_mark, key)
        return mapping

    return build(node)


class StrictLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The YAML composer relate uses: libyaml's when available, with memoised tag resolution.

    Build data from its nodes with :func:`construct_strict`, never with ``construct_document``.
    """

    def resolve(self, kind, value, implicit):  # PyYAML hook
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
    if isinstance(exc, YamlRejected):
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
