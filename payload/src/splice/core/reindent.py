"""New code arrives at any indentation: dedent it, then indent it to the target's scope in the file's style.

Lines that continue a multi-line string are content, not code: they keep their text unless they share the
code's common indentation (the usual case of an indented docstring). Comment lines left of the code (commented-out
code at column 0) stay where they are too. So `replace(t, show(t))` is the identity.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import List, Set, Tuple

from splice.core.text import indent_of, is_blank

_TAB_OR_SPACES = re.compile(r"^[ \t]*")


def normalize(code: str, newline: str) -> List[str]:
    """Code as lines ending in the file's newline, without leading or trailing blank lines."""
    lines = [line.rstrip("\r\n") for line in re.split(r"(?<=\n)|(?<=\r)(?!\n)", code) if line != ""]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return [line + newline for line in lines]


def string_lines(lines: List[str]) -> Set[int]:
    """Indexes of lines that begin inside a multi-line string."""
    inside: Set[int] = set()
    if not any('"""' in line or "'''" in line or line.rstrip("\r\n").endswith("\\") for line in lines):
        return inside
    try:
        for tok in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0], tok.end[0]))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return inside


def dedent(lines: List[str]) -> Tuple[List[str], Set[int], str]:
    """Remove the common indentation of code lines; returns the lines, the untouched string lines, the prefix."""
    strings = string_lines(lines)
    code = [
        indent_of(line)
        for i, line in enumerate(lines)
        if i not in strings and not is_blank(line) and not line.lstrip().startswith("#")
    ]
    if not code:
        code = [indent_of(line) for i, line in enumerate(lines) if i not in strings and not is_blank(line)]
    prefix = code[0] if code else ""
    for ind in code[1:]:
        while not ind.startswith(prefix):
            prefix = prefix[:-1]
    kept: Set[int] = set()
    out = []
    for i, line in enumerate(lines):
        if is_blank(line) and not line.startswith(prefix):
            kept.add(i)  # a blank line with less whitespace than the code: as it was
            out.append(line)
        elif line.startswith(prefix):
            out.append(line[len(prefix) :])
        else:
            kept.add(i)  # a string or comment line left of the code: leave it exactly as it was
            out.append(line)
    return out, kept | {i for i in strings if i in kept}, prefix


def _unit(lines: List[str], skip: Set[int]) -> str:
    widths = sorted(
        {
            len(indent_of(line))
            for i, line in enumerate(lines)
            if i not in skip and not is_blank(line) and indent_of(line)
        }
    )
    if any(indent_of(line).startswith("\t") for line in lines):
        return "\t"
    return " " * (widths[0] if widths else 4)


def convert(lines: List[str], skip: Set[int], to_unit: str) -> List[str]:
    """Re-express leading indentation in the file's unit when the new code uses the other style (tabs/spaces)."""
    from_unit = _unit(lines, skip)
    if (from_unit == "\t") == (to_unit == "\t") or from_unit == to_unit:
        return lines
    out = []
    for i, line in enumerate(lines):
        ind = indent_of(line)
        if i in skip or not ind:
            out.append(line)
            continue
        width = len(ind.expandtabs(len(to_unit) if from_unit == "\t" else 8)) if from_unit == "\t" else len(ind)
        if from_unit == "\t":
            levels, rest = ind.count("\t"), ind.replace("\t", "")
            out.append(to_unit * levels + rest + line[len(ind) :])
        else:
            levels, rest = divmod(width, len(from_unit))
            out.append("\t" * levels + " " * rest + line[len(ind) :])
    return out


def reindent(code: str, indent: str, unit: str, newline: str) -> List[str]:
    """Code placed at `indent`: dedented, converted to the file's indentation style, re-indented."""
    lines = normalize(code, newline)
    lines, kept, _ = dedent(lines)
    lines = convert(lines, kept | string_lines(lines), unit)
    # blank lines stay empty unless they carried whitespace beyond the code's indentation (kept as it was)
    return [line if (i in kept or not line.strip("\r\n")) else indent + line for i, line in enumerate(lines)]


def dedented_text(lines: List[str]) -> str:
    """Lines as a standalone module (for parsing a chunk on its own)."""
    return "".join(dedent(lines)[0])
