"""Every output has a size budget and says what it left out: never a silent cut."""

from __future__ import annotations

import json
import shlex
from typing import Any, List, Sequence

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


def kept(parts: int, budget: int, least: int = 3) -> int:
    """How many of several parts one budget shows: each needs a line naming it and at least `least` lines, and one
    line is kept for the call that shows the rest when some are left out."""
    if parts * (least + 1) <= budget:
        return parts
    return max((budget - 1) // (least + 1), 1)


def allot(sizes: Sequence[int], room: int) -> List[int]:
    """Lines for each part within `room`: an equal share each, what a smaller part leaves going to the larger ones
    (a part that fits its share gets its size)."""
    give = list(sizes)
    left, count = room, len(sizes)
    for i in sorted(range(len(sizes)), key=lambda j: sizes[j]):
        give[i] = min(sizes[i], left // count)
        left, count = left - give[i], count - 1
    return give


def joined(labels: Sequence[str], texts: Sequence[str], left_out: Sequence[str], rest: str) -> str:
    """Each part under a line naming it (`== a.py::f`), then the parts left out counted with `rest`, their call."""
    out: List[str] = []
    for label, text in zip(labels, texts):
        out += ["== " + label, text]
    if left_out:
        n = len(left_out)
        out.append("… %d more target%s not shown: %s" % (n, "" if n == 1 else "s", rest))
    return "\n".join(out)


def call_for(door: str, name: str, items: Sequence[str], **opts: Any) -> str:
    """The one call of `name` (show, outline, find) on several targets (find: patterns) through the door the user
    came by ("python", "cli", "magic", "tool"); options that are None are left out."""
    given = [(k, v) for k, v in opts.items() if v is not None and k != "path"]
    path = opts.get("path")
    if door == "tool":
        args = [("patterns" if name == "find" else "targets", list(items))] + ([("path", path)] if path else [])
        return "%s %s" % (name, json.dumps(dict(args + given)))
    if door in ("cli", "magic"):
        words = ["-e %s" % shlex.quote(x) for x in items] if name == "find" else [shlex.quote(x) for x in items]
        words += [shlex.quote(path)] if path else []
        flags = "".join(" --%s%s" % (k.replace("_", "-"), "" if v is True else " " + shlex.quote(str(v)))
                        for k, v in given)
        return "%s %s%s" % ("splice " + name if door == "cli" else "%" + name, " ".join(words), flags)
    args = [repr(list(items))] + ([repr(path)] if path else []) + ["%s=%r" % kv for kv in given]
    return "splice.%s(%s)" % (name, ", ".join(args))
