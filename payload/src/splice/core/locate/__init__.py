"""Where each addressable chunk of a module is: one `ast.parse`, then a walk over statements only.

Chunk rule: a class, function or assignment chunk runs from its first decorator — extended upward over comment
lines directly attached to it (no blank line between, same indentation, not a section or cell marker) — to the
end of its last statement, extended downward over comment lines indented deeper than its header (trailing
comments inside its body). Statements that share a line with another statement are reached through their parent.

The parts: `chunk` (the data), `nodes` and `extent` (questions about the tree and the lines), the builder
`build` over `statements`, `toplevel` (imports, `__main__`) and `regions` (sections, cells), `describe`
(signature and doc line), `lookup` (name to chunk, errors that teach), and `index` (`Index`, `parse_index`).
"""

from splice.core.locate.chunk import Chunk, Table, plain
from splice.core.locate.describe import header_colon
from splice.core.locate.index import Index, parse_index
from splice.core.locate.lookup import check_target
from splice.core.locate.nodes import DEF_KINDS

__all__ = ["DEF_KINDS", "Chunk", "Index", "Table", "check_target", "header_colon", "parse_index", "plain"]
