"""`# section: NAME` … `# endsection` regions: lenient in what they accept, precise about what is wrong."""

from __future__ import annotations

import bisect
import io
import itertools
import re
import tokenize
from dataclasses import dataclass
from typing import List, Optional, Set, Tuple

START = re.compile(r"^[ \t]*#[ \t]*section[ \t]*:[ \t]*(?P<name>[^\s#][^#]*?)[ \t]*$", re.I)
END = re.compile(r"^[ \t]*#[ \t]*end[ \t_-]*section\b[ \t]*:?[ \t]*(?P<name>[^#]*?)[ \t]*$", re.I)
CELL = re.compile(r"^#[ \t]*%%")


@dataclass
class Section:
    name: str
    start: int  # line index of the start marker
    end: int  # line index of the end marker
    indent: str
    parent: Optional[str]


def is_marker(line: str) -> bool:
    body = line.rstrip("\r\n")
    return bool(START.match(body) or END.match(body) or CELL.match(body))


def _string_lines(text: str) -> Set[int]:
    """Line indexes that lie inside a multi-line string (a marker there is text, not a marker)."""
    inside: Set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0], tok.end[0]))  # 0-based: lines after the opening one
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return inside


def _marker_lines(lines: List[str], text: str) -> List[int]:
    """Indexes of the lines that hold the word "section" in any case (`# SECTION: x` is a marker too): searches of
    the lower-cased text in C, not a test per line; most files have no such line at all."""
    low = text.lower()
    pos = low.find("section")
    if pos < 0:
        return []
    if len(low) != len(text):  # a character whose lower case is longer ('İ'): the offsets differ, test each line
        return [i for i, line in enumerate(lines) if "section" in line.lower()]
    ends = list(itertools.accumulate(len(line) for line in lines))  # the offset just past each line
    out: List[int] = []
    while 0 <= pos < len(text):
        i = bisect.bisect_right(ends, pos)
        out.append(i)
        pos = low.find("section", ends[i])
    return out


def find_sections(lines: List[str]) -> Tuple[List[Section], List[str]]:
    """All sections, outermost first by position, and the problems found (unterminated, mismatched)."""
    text = "".join(lines)
    candidates = [i for i in _marker_lines(lines, text)
                  if START.match(lines[i].rstrip("\r\n")) or END.match(lines[i].rstrip("\r\n"))]
    if not candidates:
        return [], []
    strings = _string_lines(text)
    sections: List[Section] = []
    problems: List[str] = []
    stack: List[Tuple[str, int, str]] = []
    for i in candidates:
        if i in strings:
            continue
        body = lines[i].rstrip("\r\n")
        m = START.match(body)
        if m:
            stack.append((m.group("name").strip(), i, body[: len(body) - len(body.lstrip())]))
            continue
        m = END.match(body)
        if not m:
            continue
        name = m.group("name").strip()
        if not stack:
            problems.append("line %d: '# endsection' without an open section" % (i + 1))
            continue
        open_name, start, indent = stack[-1]
        if name and name.lower() != open_name.lower():
            problems.append(
                "line %d: '# endsection: %s' closes section %r opened at line %d" % (i + 1, name, open_name, start + 1)
            )
            continue
        stack.pop()
        sections.append(Section(open_name, start, i, indent, stack[-1][0] if stack else None))
    for name, start, _ in stack:
        problems.append("line %d: section %r is never closed (add '# endsection')" % (start + 1, name))
    sections.sort(key=lambda s: s.start)
    return sections, problems
