"""The shared C escaper of q4py/render/text.py in both of its styles."""

from __future__ import annotations

from q4py.render.text import c_escape


def test_literal_style_quotes_up_to_the_first_nul() -> None:
    assert c_escape(b"HP-UX\0junk", literal=True) == '"HP-UX"'
    assert c_escape(b'a"b\\\x01\xff', literal=True) == '"a\\"b\\\\\\x01\\xff"'
    assert c_escape(b"", literal=True) == '""'


def test_adb_style_names_control_characters_and_leaves_quotes() -> None:
    assert c_escape("tab\there\n") == "tab\\there\\n"
    assert c_escape(b'"q"\\') == '"q"\\'
    assert c_escape(b"\0\x01\x7f\xe9") == "\\0\\001\\177\\351"
    assert c_escape("caf\xe9") == "caf\\351"  # latin-1 text, as Program.read_string returns
