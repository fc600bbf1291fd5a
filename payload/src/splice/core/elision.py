"""Spot `# ... (same as above)` and friends: code a model meant to keep but did not write."""

from __future__ import annotations

import re
from typing import List, Tuple

_WORDS = (
    r"unchanged|same as (?:above|before|original|existing)|rest of (?:the )?(?:code|class|file|function|method|body|"
    r"implementation|module)|(?:existing|previous|original|other) (?:code|methods?|functions?|implementation|members)"
    r"|remains? (?:the )?same|as before|omitted|not shown|no changes?|etc\.?$"
)
_MARKER = re.compile(r"(?:^|\s)(?:\.\.\.|…)|\b(?:%s)\b" % _WORDS, re.I)


def marker_lines(lines: List[str]) -> List[Tuple[int, str]]:
    """(index, text) of lines that stand in for omitted code: elision comments, `...  # existing code`."""
    found = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("#"):
            comment = stripped.lstrip("#").strip()
        elif stripped.startswith(("...", "pass")) and "#" in stripped:
            comment = stripped.split("#", 1)[1].strip()
        else:
            continue
        if comment and (comment.startswith(("...", "…")) or _MARKER.search(comment)):
            found.append((i, stripped))
    return found
