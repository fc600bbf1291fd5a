"""The cheat sheet teaches only what exists, within its 20-line budget."""

from __future__ import annotations

import re

import splice
from splice.doors.cheatsheet import text


def test_cheatsheet_budget_and_every_call_exists():
    lines = text().rstrip("\n").splitlines()
    assert len(lines) <= 20
    assert all(len(line) <= 120 for line in lines)
    called = set(re.findall(r"splice\.(\w+)\(", text())) | set(
        re.findall(r"\b(drop_import|imports|insert_before)\(", text())
    )
    assert {"show", "replace", "edit", "append", "remove", "batch", "undo"} <= called
    for name in called:
        assert callable(getattr(splice, name)), name
