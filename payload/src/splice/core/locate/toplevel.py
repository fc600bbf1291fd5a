"""The two module-level chunks that are no definition: `imports` (the first run of top-level imports, or an empty
place where one belongs) and `__main__` (the `if __name__ == "__main__":` block)."""

from __future__ import annotations

import ast
from typing import List, Optional

from splice.core.locate.chunk import Chunk
from splice.core.locate.extent import attached_start, body_extent, trailing_end
from splice.core.locate.nodes import DEF_KINDS, is_docstring, is_import_stmt, is_main_test
from splice.core.text import is_comment


def imports_chunk(lines: List[str], body: List[ast.stmt]) -> Chunk:
    """The first run of top-level imports before the first definition (`__all__` may come first), with its
    attached comments; without one, an empty chunk after the docstring or the leading comments."""
    i = 1 if body and is_docstring(body[0]) else 0
    while i < len(body) and not is_import_stmt(body[i]) and not isinstance(body[i], tuple(DEF_KINDS)):
        i += 1
    if i < len(body) and not is_import_stmt(body[i]):
        i = 1 if body and is_docstring(body[0]) else 0
    start_i = i
    while i < len(body) and is_import_stmt(body[i]):
        i += 1
    if i > start_i:
        start, end = body[start_i].lineno - 1, body[i - 1].end_lineno  # type: ignore[attr-defined]
        floor: int = body[start_i - 1].end_lineno if start_i else 0  # type: ignore[assignment]
        start = attached_start(lines, start, floor, "")
        end = trailing_end(lines, end, body[i].lineno - 1 if i < len(body) else len(lines), "")  # type: ignore
    else:
        if body and is_docstring(body[0]):
            start = body[0].end_lineno  # type: ignore[assignment]
        else:
            start = 0
            while start < len(lines) and is_comment(lines[start]):
                start += 1
        end = start
    return Chunk(
        "imports",
        "imports",
        "imports",
        start,
        end,
        "",
        header=start,
        line=start + 1,
        body_start=start,
        body_end=end,
        body_indent="",
    )


def main_chunk(lines: List[str], body: List[ast.stmt]) -> Optional[Chunk]:
    """The first `if __name__ == "__main__":` block at the top level, with attached and trailing comments."""
    for node in body:
        if isinstance(node, ast.If) and is_main_test(node.test):
            first, last = node.lineno - 1, node.end_lineno
            last = trailing_end(lines, last, len(lines), "")  # type: ignore[arg-type]
            chunk = Chunk(
                "__main__",
                "main",
                "__main__",
                attached_start(lines, first, 0, ""),
                last,
                "",
                header=first,
                line=node.lineno,
            )
            chunk.body_start, chunk.body_indent = body_extent(lines, node, first)
            chunk.body_end = last
            return chunk
    return None
