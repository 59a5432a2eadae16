"""The config file's keys as flags of the ``relate`` command: ``rank.k`` is ``--rank-k``.

:func:`add_config_flags` adds ``--config`` and one flag per key to a subcommand's parser;
:func:`config_from_args` builds the :class:`~relate.config.Config` of a parsed command line (the
file, then the flags on top).

Example:
    >>> flag_name("rank.max_per_provider")
    '--rank-max-per-provider'
"""
from __future__ import annotations

import argparse
import typing
from pathlib import Path
from typing import Any

from .config import Config, load_config, settings
from .errors import ConfigError

__all__ = ["CFG_PREFIX", "add_config_flags", "config_from_args", "config_keys", "flag_name"]

#: The prefix of a config flag's ``dest`` in the parsed namespace.
CFG_PREFIX = "cfg:"


def config_keys() -> list[tuple[str, Any, str]]:
    """Every config key as ``(dotted_key, type_hint, help)``, in declaration order."""
    return [(key, hint, f.metadata.get("help", "")) for key, hint, f in settings()]


def flag_name(key: str) -> str:
    """The flag of a config key: ``rank.max_per_provider`` -> ``--rank-max-per-provider``."""
    return "--" + key.replace(".", "-").replace("_", "-")


def _metavar(hint: Any, metadata: Any) -> str:
    """The flag's metavar: the field's own, its choices, else from its type (``|none`` if optional)."""
    if "metavar" in metadata:
        return metadata["metavar"]
    if "choices" in metadata:
        return "{" + ",".join(metadata["choices"]) + "}"
    origin = typing.get_origin(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    optional = len(args) < len(typing.get_args(hint))
    base = "A,B" if origin is list else {int: "N", float: "X", str: "TEXT"}.get(args[0] if args else hint, "VALUE")
    return f"{base}|none" if optional else base


#: Short flags for a few config keys, besides their ``--section-key`` flag.
_ALIASES = {"batch.engine": ["--engine"], "batch.ray_address": ["--address"], "corpus.include": ["--include"],
            "corpus.exclude": ["--exclude"]}


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """Adds ``--config`` and one flag per config key (values are checked by :class:`Config`)."""
    group = parser.add_argument_group(
        "settings", "each key of the config file as a flag (section-key); a flag wins over the file")
    group.add_argument("--config", metavar="FILE",
                       help="config file (default: $RELATE_CONFIG, else ./relate.yaml if present)")
    for key, hint, f in settings():
        names = [flag_name(key)]
        if key == "rank.k":
            names.insert(0, "-k")
        names += _ALIASES.get(key, [])
        help_text = f.metadata.get("help", "").replace("%", "%%")  # argparse formats help with %
        if hint is bool or (typing.get_origin(hint) is typing.Union and bool in typing.get_args(hint)):
            group.add_argument(*names, dest=CFG_PREFIX + key, action=argparse.BooleanOptionalAction,
                               default=None, help=help_text)
        else:
            group.add_argument(*names, dest=CFG_PREFIX + key, metavar=_metavar(hint, f.metadata), default=None,
                               help=help_text)


def config_from_args(args: argparse.Namespace) -> Config:
    """The config file (``--config``, ``$RELATE_CONFIG`` or ``./relate.yaml``) with the flags on top."""
    overrides = {k[len(CFG_PREFIX):]: v for k, v in vars(args).items()
                 if k.startswith(CFG_PREFIX) and v is not None}
    if getattr(args, "config", None) and not Path(args.config).is_file():
        raise ConfigError(f"--config {args.config}: {'a folder' if Path(args.config).is_dir() else 'no such file'}")
    cfg = load_config(getattr(args, "config", None))
    try:
        return cfg.with_overrides(overrides)
    except ConfigError as exc:
        msg = str(exc)
        for key in overrides:
            msg = msg.replace(f"'{key}'", f"{flag_name(key)} ('{key}')")
        raise ConfigError(msg.replace("overrides: ", "")) from None
