"""Every output has a size budget and says what it left out: never a silent cut."""

from __future__ import annotations

import json
import shlex
from typing import Any, Callable, List, Optional, Sequence, Tuple

from splice.core.errors import SpliceError

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


Render = Callable[[Optional[int]], str]


def share(parts: Sequence[Tuple[str, Render]], max_lines: Optional[int], default: int,
          rest: Callable[[List[str]], str], least: int = 3) -> str:
    """Several outputs in ONE line budget (`max_lines`, or `default` when not given), each under a line naming its
    target (`== a.py::f`): the reading counterpart of a batch of edits, one call instead of several.

    Each part is first rendered as its own call would print it (`render(max_lines)`); when together they are over
    the budget, parts smaller than an equal share stay whole and the others share what is left, each cut by its own
    renderer with its own '… N more' marker. Targets that would get fewer than `least` lines are not rendered: a
    closing line counts them and gives the one call (`rest` of their labels) that shows them. An error in one part
    (a name not found) is that part's one line; when every part fails, the first error is raised. One part: its
    text as is, no header."""
    if len(parts) == 1:
        return parts[0][1](max_lines)
    budget = max_lines if max_lines is not None else default
    keep = len(parts) if len(parts) * (least + 1) <= budget else max((budget - 1) // (least + 1), 1)
    errors: List[SpliceError] = []

    def render(i: int, lines: Optional[int]) -> str:
        try:
            return parts[i][1](lines).rstrip("\n")
        except SpliceError as exc:
            errors.append(exc)
            return "%s: %s" % (type(exc).__name__, exc)

    texts = [render(i, max_lines) for i in range(keep)]
    sizes = [len(t.splitlines()) for t in texts]
    room = budget - keep - (keep < len(parts))  # the header lines, and the closing line of targets not shown
    if sum(sizes) > room:  # an equal share each, what a small part leaves goes to the larger ones
        left, count = room, keep
        for i in sorted(range(keep), key=lambda j: sizes[j]):
            give = min(sizes[i], left // count)
            if give < sizes[i]:
                texts[i] = render(i, max(give - 1, 1))  # a cut part ends with its marker line
            left, count = left - give, count - 1
    if len(errors) >= keep:
        raise errors[0]
    out: List[str] = []
    for (label, _), text in zip(parts, texts):
        out += ["== " + label, text]
    if keep < len(parts):
        more = [label for label, _ in parts[keep:]]
        out.append("… %d more target%s not shown: %s" % (len(more), "" if len(more) == 1 else "s", rest(more)))
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
