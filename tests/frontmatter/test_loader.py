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


@pytest.mark.parametrize("value", ["!!float", "!!float abc", "!!int", "!!int x", "!!timestamp 2020", "!!bool maybe"])
def test_a_core_tag_on_a_value_not_of_its_type_is_an_error_naming_the_line(value):
    # PyYAML's constructors fail on these with IndexError, AttributeError, KeyError or ValueError,
    # which stopped a batch run (found by mutating real records at random)
    with pytest.raises(RecordError) as info:
        C.parse_article(f'---\ntitle: "T"\nwebUrl: "u"\ncategory: {value}\n---\n', "x.md")
    assert (info.value.code, info.value.line, info.value.field) == ("yaml-tag", 4, "category")
    assert value.split()[0] in str(info.value)


def test_a_core_tag_on_a_value_of_its_type_reads_as_yaml_reads_it():
    a = C.parse_article('---\ntitle: "T"\nwebUrl: "u"\nquality: !!float 5\nheat: !!int "7"\nn: !!int 0x_\n---\n')
    assert (a.quality, a.heat, a.extra["n"]) == (5.0, 7, "0x_")
