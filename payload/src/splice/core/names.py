"""Which names a piece of code reads but does not bind: the symbol-table walk shared by the notebook's auto-import,
the cell runner's def/use analysis and the built-in undefined-name check."""

from __future__ import annotations

import symtable
from typing import Any, List


def free_names(source: str, filename: str = "<code>") -> List[str]:
    """Names read but never bound, in first-use order: at module level, names not assigned or imported; inside
    functions, names resolved as globals (an explicit `global` declaration counts as binding). Raises SyntaxError."""
    table = symtable.symtable(source, filename, "exec")
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    used: List[str] = []

    def walk(t: Any, top: bool) -> None:
        for s in t.get_symbols():
            name = s.get_name()
            reads = s.is_referenced() and (
                (top and not (s.is_assigned() or s.is_imported()))
                or (not top and s.is_global() and not s.is_declared_global()))
            if reads and name not in bound and name not in used:
                used.append(name)
        for child in t.get_children():
            walk(child, False)

    walk(table, True)
    return used
