"""A module's chunk table from its lines and syntax tree, in a fixed order: `<module>`, `imports`, the
definitions (depth first), `__main__`, the sections, the cells. That order is the table's and the top level's."""

from __future__ import annotations

import ast
from typing import List

from splice.core.locate.chunk import Chunk, Table
from splice.core.locate.regions import cell_chunks, section_chunks
from splice.core.locate.statements import add_statements
from splice.core.locate.toplevel import imports_chunk, main_chunk


def fill(table: Table, lines: List[str], tree: ast.Module) -> Table:
    """Add every chunk of the module to an empty `table` and return it."""
    n = len(lines)
    table.chunks["<module>"] = Chunk(
        "<module>", "module", "<module>", 0, n, "", body_start=0, body_end=n, body_indent="", scope="module"
    )  # the whole file: addressable, not listed at the top level
    table.add(imports_chunk(lines, tree.body))
    add_statements(table, lines, tree.body)
    main = main_chunk(lines, tree.body)
    if main is not None:
        table.add(main)
    sections, table.section_problems = section_chunks(lines)
    for chunk in sections:
        table.add(chunk)
    for chunk, name in cell_chunks(lines):
        table.add(chunk)
        if name and "cell:" + name not in table.chunks:
            table.chunks["cell:" + name] = chunk  # an alias: the same chunk, not listed twice
    return table


def chunk_table(lines: List[str], tree: ast.Module) -> Table:
    """The chunk table of a module, on its own (`Index` holds one with the text it came from)."""
    return fill(Table(), lines, tree)
