"""frontmatter.loader: strict YAML (no tags, aliases or duplicate keys), errors with their lines."""
from __future__ import annotations

import pytest

from relate import corpus as C
from relate.errors import RecordError


def test_duplicate_key_message_names_both_lines():
    with pytest.raises(RecordError) as info:
        C.parse_article('---\ntitle: "T"\nwebUrl: "u"\ntitle: "U"\n---\n', "x.md")
    assert str(info.value) == ("x.md:4: field 'title': duplicate key 'title' (first on line 2); "
                               "keep one of them")


def test_yaml_tags_never_build_objects(tmp_path):
    marker = tmp_path / "pwned"
    text = f'---\ntitle: !!python/object/apply:os.system ["touch {marker}"]\nwebUrl: "u"\n---\n'
    with pytest.raises(RecordError):
        C.parse_article(text)
    assert not marker.exists()
