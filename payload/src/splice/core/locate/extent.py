"""Where a chunk's lines begin and end around its statement: comments attached above, trailing comments
below, and where its body starts. Pure functions of the module's lines (and a node's positions)."""

from __future__ import annotations

import ast
import re
from typing import List, Optional, Tuple

from splice.core.sections import is_marker
from splice.core.text import indent_of, is_blank, is_comment

_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=]")


def attached_start(lines: List[str], header: int, floor: int, indent: str) -> int:
    """First line of the comments directly above `header` (no blank between, same indent, not a marker, not a
    shebang or coding line), no higher than `floor`."""
    start = header
    while start - 1 >= floor:
        line = lines[start - 1]
        if not is_comment(line) or indent_of(line) != indent or is_marker(line):
            break
        if start - 1 <= 1 and (line.startswith("#!") or _CODING.match(line)):
            break
        start -= 1
    return start


def trailing_end(lines: List[str], end: int, ceiling: int, indent: str) -> int:
    """`end` moved past comment lines indented deeper than `indent` (blank lines between them too), below `ceiling`."""
    i, last = end, end
    while i < ceiling:
        line = lines[i]
        if is_blank(line):
            i += 1
            continue
        if is_comment(line) and len(indent_of(line)) > len(indent) and not is_marker(line):
            i += 1
            last = i
            continue
        break
    return last


def shares_line(lines: List[str], index: int, node: ast.AST) -> bool:
    """Whether something precedes the statement on its line (`x = 1; def f(): …`)."""
    return indent_of(lines[index]) != lines[index][: node.col_offset]  # type: ignore[attr-defined]


def body_extent(lines: List[str], node: ast.AST, header_line: int) -> Tuple[Optional[int], str]:
    """First line of the body (comments and blanks above its first statement included) and its indent; None when
    the body shares a line with the header or with another statement."""
    body = node.body  # type: ignore[attr-defined]
    decorators = getattr(body[0], "decorator_list", None)
    first = (decorators[0].lineno if decorators else body[0].lineno) - 1  # a decorated first statement
    if first == header_line or shares_line(lines, first, body[0]):
        return None, ""
    i = first
    while i - 1 > header_line and (is_blank(lines[i - 1]) or is_comment(lines[i - 1])):
        i -= 1
    return i, indent_of(lines[first])
