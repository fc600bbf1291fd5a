"""The parts of the chunk index on their own: the builder's order, the line rules, lookup over any table."""

from __future__ import annotations

import ast

import pytest

from splice.core.errors import Ambiguous, NotFound, SpliceError
from splice.core.locate import Chunk, Table
from splice.core.locate.build import chunk_table
from splice.core.locate.extent import attached_start, trailing_end
from splice.core.locate.lookup import resolve
from splice.core.text import split_lines

SOURCE = '''\
"""Doc."""
import os

# %% setup
# about f
def f():
    class C:
        def m(self):
            pass
    return C


# section: tools
X = 1
# endsection

# %% [run]
if __name__ == "__main__":
    f()
'''


def table_of(text: str) -> Table:
    return chunk_table(split_lines(text), ast.parse(text))


def test_the_table_lists_module_imports_definitions_main_sections_then_cells():
    table = table_of(SOURCE)
    assert list(table.chunks) == [
        "<module>", "imports", "f", "f.C", "f.C.m", "X", "__main__", "section:tools",
        "cell[0]", "cell[1]", "cell:setup", "cell[2]", "cell:run",
    ]  # fmt: skip
    assert table.top == ["imports", "f", "X", "__main__", "section:tools", "cell[0]", "cell[1]", "cell[2]"]
    assert table.chunks["cell:run"] is table.chunks["cell[2]"]  # a name is an alias, not a second chunk
    assert table.chunks["f"].children == ["f.C"] and table.chunks["f.C.m"].parent == "f.C"
    spans = {q: (c.start + 1, c.end) for q, c in table.chunks.items()}  # 1-based first and last line
    assert spans["f"] == (5, 10)  # the comment above is attached; the cell marker above it is not
    assert spans["X"] == (14, 14) and spans["section:tools"] == (13, 15)
    assert spans["cell[0]"] == (1, 2) and spans["cell[1]"] == (4, 15) and spans["cell[2]"] == (17, 19)  # no blanks
    assert table.section_problems == []


def test_attached_comments_stop_at_a_blank_line_a_marker_and_a_coding_line():
    lines = ["#!/usr/bin/env python\n", "# -*- coding: utf-8 -*-\n", "# about f\n", "def f(): pass\n"]
    assert attached_start(lines, 3, 0, "") == 2
    assert attached_start(["# far\n", "\n", "def f(): pass\n"], 2, 0, "") == 2
    assert attached_start(["# section: s\n", "# about f\n", "def f(): pass\n"], 2, 0, "") == 1
    assert attached_start(["    # deeper\n", "def f(): pass\n"], 1, 0, "") == 1


def test_trailing_comments_count_only_when_indented_deeper_than_the_header():
    lines = ["def f():\n", "    pass\n", "\n", "    # still f\n", "\n", "# the module's\n"]
    assert trailing_end(lines, 2, len(lines), "") == 4
    assert trailing_end(lines, 2, 3, "") == 2  # not past the next statement


def test_lookup_needs_only_a_table():
    table = Table()
    for qualname, line in (("f[0]", 1), ("f[1]", 4), ("go", 7)):
        table.add(Chunk(qualname, "def", "f", line - 1, line + 1, "", line=line))
    table.chunks["<module>"] = Chunk("<module>", "module", "<module>", 0, 9, "")
    table.add(Chunk("section:Tools", "section", "Tools", 8, 9, "", line=9))
    assert resolve(table, "f[1]").line == 4
    assert resolve(table, " SECTION: tools ").qualname == "section:Tools"
    with pytest.raises(Ambiguous) as err:
        resolve(table, "f", "m.py")
    assert err.value.candidates == ["f[0]", "f[1]"]
    assert "  m.py::f[1]  (def, line 4)" in str(err.value).splitlines()
    with pytest.raises(NotFound) as err:
        resolve(table, "g")
    assert str(err.value).splitlines()[-1] == "top level: def f[0], def f[1], def go, section section:Tools"
    table.section_problems.append("line 9: no # endsection")
    with pytest.raises(SpliceError, match="sections are broken: line 9"):
        resolve(table, "section:Tools", "m.py")
