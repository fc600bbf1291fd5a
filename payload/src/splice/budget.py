"""Every output has a size budget and says what it left out: never a silent cut."""

from __future__ import annotations

from typing import List

DEFAULT_LINES = 60
DEFAULT_CHARS = 6000


def cut(lines: List[str], max_lines: int = DEFAULT_LINES, max_chars: int = DEFAULT_CHARS, hint: str = "") -> str:
    """Join lines within both budgets; when cut, end with '… N more (narrow with …)'."""
    out: List[str] = []
    used = 0
    for i, line in enumerate(lines):
        if len(out) >= max_lines or used + len(line) + 1 > max_chars:
            more = len(lines) - i
            tail = " (narrow with %s)" % hint if hint else ""
            out.append("… %d more line%s%s" % (more, "" if more == 1 else "s", tail))
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
