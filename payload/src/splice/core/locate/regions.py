"""Chunks marked by comments rather than syntax: `# section: NAME` … `# endsection` regions and `# %%` cells."""

from __future__ import annotations

from typing import Dict, List, Tuple

from splice.core.cellmarks import cell_starts
from splice.core.locate.chunk import Chunk
from splice.core.sections import find_sections
from splice.core.text import is_blank


def section_chunks(lines: List[str]) -> Tuple[List[Chunk], List[str]]:
    """`section:NAME` chunks (`section:NAME[i]` when the name repeats), and what is wrong with the markers."""
    sections, problems = find_sections(lines)
    seen: Dict[str, int] = {}
    for s in sections:
        seen[s.name] = seen.get(s.name, 0) + 1
    counts: Dict[str, int] = {}
    chunks = []
    for s in sections:
        name = s.name
        if seen[name] > 1:
            name = "%s[%d]" % (name, counts.get(s.name, 0))
            counts[s.name] = counts.get(s.name, 0) + 1
        chunks.append(Chunk(
            "section:" + name,
            "section",
            s.name,
            s.start,
            s.end + 1,
            s.indent,
            header=s.start,
            line=s.start + 1,
            body_start=s.start + 1,
            body_end=s.end,
            body_indent=s.indent,
        ))
    return chunks, problems


def cell_chunks(lines: List[str]) -> List[Tuple[Chunk, str]]:
    """`# %%` cells as `cell[i]` (0-based; text before the first marker is cell 0), each with its marker's name
    ("" when unnamed); the blank lines between cells belong to none."""
    if "%%" not in "".join(lines) or not any(line.startswith("#") and "%%" in line for line in lines):
        return []  # the join first: one search in C instead of a test per line, in the common case of no `%%` at all
    found = cell_starts(lines)
    if found[-1][0] < 0:  # no marker outside a string: not a script of cells
        return []
    starts = [m for m, _, _ in found]
    cells = []
    for n, (m, _, name) in enumerate(found):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        while end > m + 1 and is_blank(lines[end - 1]):
            end -= 1
        start = max(m, 0)
        chunk = Chunk("cell[%d]" % n, "cell", name or "cell[%d]" % n, start, end, "", header=start,
                      line=start + 1, body_start=m + 1, body_end=end, body_indent="")
        cells.append((chunk, name))
    return cells
