"""Reading configuration values: a YAML file into a mapping, a mapping into a typed section.

:func:`read_yaml_mapping` reads a config file (UTF-8, a mapping, no key twice);
:func:`build_section` turns a plain mapping into one of :mod:`relate.config`'s dataclasses,
coercing each value to its field's type (``"3"`` for an int, ``"a,b"`` for a list) and checking it
against the field's metadata: ``choices``, ``least``, ``most``; a float must be finite.

Example:
    >>> from dataclasses import dataclass, field
    >>> @dataclass
    ... class Section:
    ...     k: int = field(default=5, metadata={"least": 0})
    >>> build_section(Section, {"k": "3"}, "x.yaml", "rank.").k
    3
    >>> build_section(Section, {"k": -1}, "x.yaml", "rank.")
    Traceback (most recent call last):
    ...
    relate.errors.ConfigError: x.yaml: 'rank.k' is -1; it must be at least 0
"""
from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["build_section", "read_yaml_mapping"]


def read_yaml_mapping(path: str | os.PathLike) -> dict[str, Any]:
    """The mapping a YAML config file holds (``{}`` for an empty file).

    Raises:
        ConfigError: the file cannot be read, is not UTF-8 or not YAML, holds a key twice in one
            mapping, or is not a mapping.
    """
    import yaml

    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: a config file must be UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
                          f"offset {exc.start} is not)") from None
    try:
        data = yaml.load(text, Loader=_loader(yaml))  # a SafeLoader that refuses duplicate keys
    except _DuplicateKey as exc:
        raise ConfigError(f"{path}:{exc.line}: the key '{exc.key}' is given twice; keep one of them") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file must be a mapping of keys, not a {type(data).__name__}")
    return data


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int) -> None:
        super().__init__(key)
        self.key, self.line = key, line


def _loader(yaml):
    """PyYAML's SafeLoader, refusing a key given twice in one mapping (it keeps the last)."""
    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _value in node.value:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, typing.Hashable) and key in seen:
                    raise _DuplicateKey(key, key_node.start_mark.line + 1)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)
    return Loader


def build_section(cls: type, data: Mapping[str, Any], source: str, prefix: str):
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: '{prefix.rstrip('.') or 'config'}' must be a mapping, not {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields))
        raise ConfigError(f"{source}: unknown config key '{prefix}{unknown[0]}' (known here: {known})")
    kwargs = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = build_section(hint, value or {}, source, prefix=f"{prefix}{name}.")
        else:
            kwargs[name] = _coerce(value, hint, f"{prefix}{name}", source)
    obj = cls(**kwargs)
    _check_values(obj, source, prefix)
    return obj


def _check_values(obj, source: str, prefix: str) -> None:
    """Each field's value against its ``choices``, ``least`` and ``most``; floats must be finite."""
    for f in dataclasses.fields(obj):
        value, key = getattr(obj, f.name), f"{prefix}{f.name}"
        allowed = f.metadata.get("choices")
        if allowed is not None and value not in allowed:
            raise ConfigError(f"{source}: '{key}' is {value!r}; use one of {', '.join(allowed)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{source}: '{key}' must be a finite number, not {value!r}")
        least, most = f.metadata.get("least"), f.metadata.get("most")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if least is not None and value < least:
                raise ConfigError(f"{source}: '{key}' is {value!r}; it must be at least {least}")
            if most is not None and value > most:
                raise ConfigError(f"{source}: '{key}' is {value!r}; it must be at most {most:,}")


def _coerce(value: Any, hint: Any, key: str, source: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        if isinstance(value, str) and value.lower() in ("none", "null") and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], key, source)
    if origin is list:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{source}: '{key}' must be a list, not {value!r}")
        return [_coerce(v, args[0], key, source) for v in value]
    try:
        if hint is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "yes", "1", "on", "false", "no", "0", "off"):
                return value.lower() in ("true", "yes", "1", "on")
            raise ValueError
        if hint is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if hint is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if hint is str:
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise ValueError
            return str(value)
    except (TypeError, ValueError):
        name = getattr(hint, "__name__", str(hint))
        raise ConfigError(f"{source}: '{key}' must be {name}, not {value!r}") from None
    return value
