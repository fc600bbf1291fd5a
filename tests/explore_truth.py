"""Ground truth for `find`: the AST index's innermost class/function under the chunk rule (shared by tests)."""

from __future__ import annotations

import subprocess
from typing import Dict, List, Set, Tuple

from splice.core.edit import Doc
from splice.core.locate import plain
from splice.core.text import Source


def innermost_defs(path: str) -> Dict[int, str]:
    """1-based line -> plain qualified name of the innermost class/def chunk containing it."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    doc = Doc(Source(text), path)
    out: Dict[int, str] = {}
    best: Dict[int, int] = {}
    for q, c in doc.index.chunks.items():
        if c.kind not in ("class", "def", "async def") or c.parts:
            continue
        name = plain(q)
        parts = name.split(".")
        if c.parent and doc.index.chunks[c.parent].parts:  # a property/overload part: the group's name
            parts = parts[:-1]
        for line in range(c.start + 1, c.end + 1):
            if line not in best or c.end - c.start < best[line]:
                best[line] = c.end - c.start
                out[line] = ".".join(parts)
    return out


def grep_hits(pattern: str, folder: str, extra: List[str] = ()) -> Set[Tuple[str, int]]:
    proc = subprocess.run(["grep", "-rnH", "-F", *extra, "--include=*.py", "--exclude-dir=__pycache__", "-e",
                           pattern, folder], capture_output=True)
    hits = set()
    for line in proc.stdout.decode("utf-8", "replace").split("\n"):
        if not line:
            continue
        path, num, _ = line.split(":", 2)
        hits.add((path, int(num)))
    return hits
