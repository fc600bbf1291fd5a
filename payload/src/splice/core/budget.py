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


def head_tail(text: str, max_lines: int = DEFAULT_LINES, max_chars: int = DEFAULT_CHARS) -> str:
    """Keep the start and the end of a long output (where the setup and the verdict are), say how much was cut.
    A line longer than half the budget is clipped, so one huge line still shows its start and its end."""
    lines = text.splitlines()
    if len(lines) <= max_lines and len(text) <= max_chars:
        return text
    half_lines, half_chars = max(max_lines // 2, 1), max_chars // 2
    head: List[str] = []
    used = 0
    for line in lines:
        if len(head) >= half_lines or (head and used + len(line) > half_chars):
            break
        head.append(line[:half_chars])
        used += len(head[-1]) + 1
    tail: List[str] = []
    used = 0
    for line in reversed(lines[len(head) :]):
        if len(tail) >= half_lines or (tail and used + len(line) > half_chars):
            break
        tail.append(line[-half_chars:] if len(line) > half_chars else line)
        used += len(tail[-1]) + 1
    tail.reverse()
    if not tail and len(lines[len(head) - 1]) > half_chars:  # the text ended inside the clipped line: its end too
        tail = [lines[len(head) - 1][-half_chars:]]
    kept = sum(len(x) + 1 for x in head + tail)
    cut_lines = max(len(lines) - len(head) - len(tail), 0)
    note = "… %s%d chars cut from the middle; print less, or a slice of it …" % (
        "%d line%s, " % (cut_lines, "" if cut_lines == 1 else "s") if cut_lines else "",
        max(len(text) + 1 - kept, 0),
    )
    return "\n".join(head + [note] + tail)
