"""Failures of a test run, grouped: one representative per group of alike failures, the others by id, the group's
suspects under it. One rendering for `splice.test` (a few lines a group) and the pytest plugin (one line a group).

Groups come from fault localization when it ran (failures explained by one line: `suspects.group_failures`); the
failures it did not rank (no coverage, collection errors, no suspects asked) group by what they look like: the same
exception from the same parametrized test, or raised at the same library line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from splice.core.budget import clip
from splice.testing.linetrace import is_library
from splice.testing.root import caller_id

MESSAGE_LINES = 4
_NOISE = re.compile(r" object at 0x[0-9a-f]+>|^\s*(Use -v to get|Omitting \d+ identical|Full diff:)")
_DIFF = re.compile(r"^\s*(?:[-?] |\+ (?!\s*(?:where|and)\b))")


def message_lines(message: str) -> List[str]:
    """The exception's lines without what repeats the first: reprs with addresses, and pytest's diff when the
    first line already shows both values whole (it abbreviates long ones with '...')."""
    lines = [m for m in message.splitlines() if m.strip()] or [""]
    keep_diff = "..." in lines[0]
    return lines[:1] + [m for m in lines[1:] if not _NOISE.search(m) and (keep_diff or not _DIFF.match(m))]


@dataclass
class Failure:
    id: str
    outcome: str  # failed | error
    when: str  # setup | call | teardown | collect
    exc: str = ""
    message: str = ""
    line: int = 0  # the test's own failing line
    text: str = ""
    frames: List[List[Any]] = field(default_factory=list)  # [file, line], outermost first
    pos: int = 0  # the line the test is defined at (0: unknown), for an order that is not the run's
    params: List[int] = field(default_factory=list)  # a parametrized case's indices in its parametrize lists

    def key(self) -> tuple:
        """Stable order: file, where the test is defined, the case's place in its parametrize lists, then the id
        with its numbers as numbers — the order the code gives, not the order a run happened to take."""
        from splice.testing.suspects import natural

        return (self.id.split("::")[0], self.pos, natural(self.id.split("[")[0]), self.params, natural(self.id))

    def library_frames(self, root: str) -> List[tuple]:
        return [(f, n) for f, n in self.frames if is_library(os.path.join(root, f), root)]

    def head(self, root: str = "") -> str:
        """`FAILED id`, the id as the caller's folder sees it when the run's `root` is given."""
        shown = caller_id(self.id, root) if root else self.id
        head = "%s %s" % ("FAILED" if self.outcome == "failed" else "ERROR", shown)
        if self.when == "collect":
            head = "ERROR collecting %s" % shown
        elif self.when != "call":
            head += " (%s)" % self.when
        return head

    def exception(self) -> str:
        """The exception's first line with its values, e.g. `AssertionError: assert 2 == 4`."""
        first = message_lines(self.message)[0]
        return "%s: %s" % (self.exc, first) if self.exc and first else self.exc or first

    def lines(self, root: str) -> List[str]:
        head = self.head(root)
        if self.text:
            file = caller_id(self.id.split("::")[0] if self.line else self.frames[-1][0], root)
            head += " — %s:%d: %s" % (file, self.line or self.frames[-1][1], clip(self.text, 100))
        msg = message_lines(self.message)
        body = [self.exception()] + msg[1:]
        if len(body) > MESSAGE_LINES:
            body = body[: MESSAGE_LINES - 1] + ["… %d more lines" % (len(body) - MESSAGE_LINES + 1)]
        lib = self.library_frames(root)
        if lib and self.when != "collect":
            body[0] += "  (raised at %s:%d)" % (caller_id(lib[-1][0], root), lib[-1][1])
        return [head] + ["  " + clip(b, 160) for b in body]


@dataclass
class FailGroup:
    """Alike failures: the first is the representative; `ranked` is the suspects.Group when localization ran."""

    failures: List[Failure]
    ranked: Any = None

    @property
    def first(self) -> Failure:
        return self.failures[0]

    def alike(self, width: int = 160) -> str:
        """`+N alike: id, [param], ::other …` — the other ids, sharing what they repeat of the one before."""
        rest = [f.id for f in self.failures[1:]]
        if not rest:
            return ""
        excs = sorted({f.exc for f in self.failures[1:] if f.exc and f.exc != self.first.exc})
        also = " (also %s)" % ", ".join(excs) if excs else ""
        return "+%d alike: %s%s" % (len(rest), compact_ids(rest, width, self.first.id), also)

    def line(self, width: int = 200, root: str = "") -> str:
        """The group in one line: representative id (as the caller sees it when the run's `root` is given), the
        exception, `+N alike` (the pytest plugin's form)."""
        more = "  +%d alike" % (len(self.failures) - 1) if len(self.failures) > 1 else ""
        shown = caller_id(self.first.id, root) if root else self.first.id
        return clip("%s — %s" % (shown, clip(self.first.exception(), 110)), width - len(more)) + more


def compact_ids(ids: Sequence[str], width: int = 240, before: str = "") -> str:
    """Node ids in a short form: a parametrized case after its sibling is `[param]`, a test after one of its file
    `::name`; cut at `width` characters with `… N more`."""
    out: List[str] = []
    used = 0
    prev_file, prev_func = _split(before)[:2] if before else ("", "")
    first = _split(before) if before else ("", "", "")
    for i, node in enumerate(ids):
        file, func, param = _split(node)
        if file == prev_file and func == prev_func and param:
            piece = differs(first[2], param) if first[:2] == (file, func) else param
        elif file == prev_file:
            piece = "::" + node.split("::", 1)[1]
        else:
            piece = node
        if out and used + len(piece) + 2 > width:
            out.append("… %d more" % (len(ids) - i))
            break
        out.append(piece)
        used += len(piece) + 2
        prev_file, prev_func = file, func
    return ", ".join(out)


def differs(shown: str, param: str) -> str:
    """A parametrized case's `[id]` as what differs from `shown` (the group's representative): the `-`-separated
    parts they share become `…`, e.g. `[standard-rate-de-goods]` beside `[standard-rate-fr-goods]` is `[…-fr-…]`.
    The whole id when that is no shorter."""
    import difflib

    a, b = shown[1:-1].split("-"), param[1:-1].split("-")
    if not shown or len(a) < 2 or len(b) < 2:
        return param
    pieces: List[str] = []
    for tag, _, _, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            if not pieces or pieces[-1] != "…":
                pieces.append("…")
        elif j2 > j1:
            pieces.append("-".join(b[j1:j2]))
    short = "[%s]" % "-".join(pieces)
    return short if len(short) < len(param) and short != "[…]" else param


def _split(node: str) -> Tuple[str, str, str]:
    file, _, name = node.partition("::")
    func, bracket, param = name.partition("[")
    return file, func, (bracket + param) if bracket else ""


def group(failures: Sequence[Failure], ranked: Sequence[Any] = (), root: str = "") -> List[FailGroup]:
    """Failures into groups: those localization ranked first, in its order (the group whose top line is the most
    suspicious of all first), then the others in the order their first failure ran. `ranked`: suspects.Group objects
    (their `tests` decide the groups of the failures they hold)."""
    failures = sorted(failures, key=Failure.key)  # the same groups and order whatever order the tests ran in
    by_id = {f.id: f for f in failures}
    order = {f.id: i for i, f in enumerate(failures)}
    groups: List[FailGroup] = []
    placed = set()
    for g in ranked:
        members = sorted((by_id[t] for t in g.tests if t in by_id), key=lambda f: order[f.id])
        if members:
            groups.append(FailGroup(members, g))
            placed.update(f.id for f in members)
    keys: Dict[tuple, FailGroup] = {}
    for f in failures:
        if f.id in placed:
            continue
        mine = _keys(f, root)
        found = next((keys[k] for k in mine if k in keys), None)
        if found is None:
            found = FailGroup([f])
            groups.append(found)
        else:
            found.failures.append(f)
        for k in mine:
            keys.setdefault(k, found)
    ranked_groups = [g for g in groups if g.ranked is not None]  # most suspicious line first, as localization found
    return ranked_groups + sorted((g for g in groups if g.ranked is None), key=lambda g: order[g.first.id])


def shapes(failures: Sequence[Failure], root: str) -> List[List[str]]:
    """The failures' ids grouped by what they look like (`_keys`: one parametrized test's same exception, or the
    same library line raising it), before any coverage: what `suspects.localize` starts its groups from."""
    out: List[List[str]] = []
    keys: Dict[tuple, List[str]] = {}
    for f in sorted(failures, key=Failure.key):
        if f.when == "collect":
            continue
        mine = _keys(f, root)
        found = next((keys[k] for k in mine if k in keys), None)
        if found is None:
            found = []
            out.append(found)
        found.append(f.id)
        for k in mine:
            keys.setdefault(k, found)
    return out


def _keys(f: Failure, root: str) -> List[tuple]:
    """What makes two unranked failures alike: the same exception from one parametrized test, or raised at the same
    library line. A collection error is alike nothing."""
    if f.when == "collect":
        return [("collect", f.id)]
    keys: List[tuple] = [("test", f.exc, f.when, f.id.split("[")[0])]
    lib = f.library_frames(root) if root else []
    if lib:
        keys.append(("raised", f.exc, tuple(lib[-1])))
    return keys


def suspect_lines(g: FailGroup, root: str, top: int, cache: Optional[Dict[str, object]] = None) -> List[str]:
    from splice.testing.suspects import suspects_of

    if g.ranked is None:
        return []
    return [clip(str(s), 200) for s in suspects_of(g.ranked, root, top, cache)]
