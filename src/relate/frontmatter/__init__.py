"""Front matter: read a record file's YAML once (fast or strict), and render and place its ``related:`` block.

This package knows bytes, text and YAML; :mod:`relate.records` validates what it reads and
:mod:`relate.corpus` reads and writes files with it.

Example:
    >>> fm = parse(b'---\\ntitle: "Hi"\\nwebUrl: "https://e.com/a"\\n---\\n')
    >>> fm.data["title"], fm.reader
    ('Hi', 'yaml')
    >>> print(render_related([{"title": "A", "webUrl": "https://e.com/a"}]), end="")
    related:
      - title: "A"
        webUrl: "https://e.com/a"
"""
from .loader import compose_and_load, yaml_error
from .parse import MAX_FRONT_MATTER, FrontMatter, Split, parse, parse_text, split_front_matter
from .render import Block, locate_block, render_related, render_scalar, replace_block
from .scalars import dq, plain_safe

__all__ = [
    "MAX_FRONT_MATTER", "Block", "FrontMatter", "Split", "compose_and_load", "dq", "locate_block", "parse",
    "parse_text", "plain_safe", "render_related", "render_scalar", "replace_block", "split_front_matter",
    "yaml_error",
]
