"""`# %%` cell markers (the percent format of Jupytext, VS Code and Spyder): where cells start and what they are called.

Shared by the chunk index (`cell[2]`, `cell:NAME` targets) and the script runner in `splice.notebook.cells`.
"""

from __future__ import annotations

import re
from typing import List, Tuple

from splice.core.sections import _string_lines

MARKER = re.compile(r"^#[ \t]*%%(?P<rest>.*)$")


def marker_info(rest: str) -> Tuple[str, str]:
    """(kind, name) from the text after `%%`: `[markdown]`, `[md]`, `[raw]` set the kind; `[NAME]` or text names it."""
    kind, name = "code", rest.strip()
    m = re.search(r"\[(\w[\w .-]*)\]", name)
    if m:
        tag = m.group(1).strip()
        if tag.lower() in ("markdown", "md"):
            kind = "markdown"
        elif tag.lower() == "raw":
            kind = "raw"
        else:
            name = tag
        if kind != "code":
            name = (name[: m.start()] + name[m.end():]).strip()
    return kind, name


def cell_starts(lines: List[str]) -> List[Tuple[int, str, str]]:
    """Each cell as (its marker's line, kind, name): the text before the first marker is a code cell of its own
    (marker line -1) when it holds anything, and a script with no marker is that one cell."""
    marks = marker_lines(lines)
    lead = [] if marks and not "".join(lines[: marks[0]]).strip() else [-1]
    return [(m,) + (("code", "") if m < 0 else marker_info(MARKER.match(lines[m].rstrip("\r\n")).group("rest")))
            for m in lead + marks]  # type: ignore[union-attr]


def marker_lines(lines: List[str]) -> List[int]:
    """0-based indexes of the `# %%` lines that are not inside a string."""

    found = [i for i, line in enumerate(lines) if MARKER.match(line.rstrip("\r\n"))]
    if found:
        inside = _string_lines("".join(lines))
        found = [i for i in found if i not in inside]
    return found
