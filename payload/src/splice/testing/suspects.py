"""Spectrum-based fault localization: which library lines do failing tests run that passing tests do not?

Pure functions over per-test line coverage (test -> set of (file, line)). Failures explained by one line are grouped
first (two bugs' failures mixed would drown each other's lines), then each group's lines are ranked by Ochiai or DStar
(Pearson et al., ICSE 2017), ties broken by lines the group's tracebacks pass through, then by fewer passing tests.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

Line = Tuple[str, int]  # (file relative to the project root, line number)
Coverage = Dict[str, Set[Line]]


def ochiai(ef: int, ep: int, nf: int) -> float:
    return ef / math.sqrt(nf * (ef + ep)) if ef else 0.0


def dstar(ef: int, ep: int, nf: int) -> float:
    """DStar with * = 2; a line run by every failing test and no passing one scores infinity."""
    rest = ep + nf - ef
    return ef * ef / rest if rest else (math.inf if ef else 0.0)


FORMULAS: Dict[str, Callable[[int, int, int], float]] = {"ochiai": ochiai, "dstar": dstar}


@dataclass
class Group:
    """Failures that look alike, and the lines ranked for them."""

    tests: List[str]
    ranked: List[Tuple[Line, float]] = field(default_factory=list)
    passing: int = 0


def passing_counts(cov: Coverage, passing: Sequence[str]) -> Counter:
    """How many passing tests run each line: the same for every group, so counted once."""
    ep: Counter = Counter()
    for t in passing:
        ep.update(cov.get(t, ()))
    return ep


def rank(
    cov: Coverage,
    failing: Sequence[str],
    passing: Sequence[str],
    formula: str = "ochiai",
    hints: Optional[Counter] = None,
    counts: Optional[Counter] = None,
) -> List[Tuple[Line, float]]:
    """Lines run by at least one failing test, most suspicious first. `counts`: `passing_counts(cov, passing)` when
    the caller has it."""
    score = FORMULAS[formula]
    ef: Counter = Counter()
    for t in failing:
        ef.update(cov.get(t, ()))
    ep = counts if counts is not None else passing_counts(cov, passing)
    hints = hints or Counter()
    scored = [(line, score(ef[line], ep[line], len(failing))) for line in ef]
    scored.sort(key=lambda s: (-s[1], -hints[s[0]], ep[s[0]], s[0]))
    return scored


def natural(test: str) -> tuple:
    """A test id's stable sort key: digits compare as numbers (`[2]` before `[10]`), never run or dict order."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", test) if p)


def group_failures(
    cov: Coverage, failing: Sequence[str], passing: Sequence[str], counts: Optional[Counter] = None
) -> List[List[str]]:
    """Failures explained by one line share a group: rank the failures left, take those that run the top line, repeat.

    One fault makes failures that all run its line, however different they are otherwise; a second fault's failures
    do not run the first one's line, so they stay for the next round.
    """
    counts = passing_counts(cov, passing) if counts is None else counts
    left = list(failing)
    groups = []
    while left:
        ranked = rank(cov, left, passing, counts=counts)
        top = ranked[0][0] if ranked else None
        group = [t for t in left if top in cov.get(t, ())] or left[:1]
        groups.append(group)
        left = [t for t in left if t not in group]
    return groups


def _explained(cov: Coverage, tests: Sequence[str], passing: Sequence[str], counts: Counter) -> bool:
    """Whether one of the lines tied at the top of `tests`' ranking runs in every one of them."""
    ranked = rank(cov, tests, passing, counts=counts)
    best = ranked[0][1] if ranked else None
    return any(all(line in cov.get(t, ()) for t in tests) for line, score in ranked if score == best)


def group_by_shape(cov: Coverage, shapes: Sequence[Sequence[str]], passing: Sequence[str],
                   counts: Optional[Counter] = None) -> List[List[str]]:
    """Failures grouped first by what they look like (`shapes`: the same exception from one parametrized test, or
    raised at the same library line), then by coverage: a shape whose best lines no failure of it all runs splits as
    `group_failures` does; then, as there, the most suspicious line of the failures left takes every shape whose
    failures all run it, and so on. Only the failing tests' own coverage and a passing set
    chosen by rule decide, so the groups are the same on every run of the same code. `counts`: as in `rank`."""
    counts = passing_counts(cov, passing) if counts is None else counts
    split: List[List[str]] = []
    for shape in shapes:
        tests = sorted((t for t in shape if cov.get(t)), key=natural)
        if not tests:
            continue
        if len(tests) == 1 or _explained(cov, tests, passing, counts):
            split.append(tests)
        else:
            split += [sorted(g, key=natural) for g in group_failures(cov, tests, passing, counts)]
    split.sort(key=lambda g: natural(g[0]))
    groups: List[List[str]] = []
    while split:  # as group_failures, with a shape as the unit: the top line of what is left takes every shape that
        ranked = rank(cov, [t for g in split for t in g], passing, counts=counts)  # runs it in all its failures
        top = ranked[0][0] if ranked else None
        taken = [g for g in split if all(top in cov.get(t, ()) for t in g)] or split[:1]
        groups.append(sorted((t for g in taken for t in g), key=natural))
        split = [g for g in split if g not in taken]
    return groups


def localize(
    cov: Coverage,
    failing: Sequence[str],
    passing: Sequence[str],
    formula: str = "ochiai",
    frames: Optional[Mapping[str, Iterable[Line]]] = None,
    shapes: Optional[Sequence[Sequence[str]]] = None,
) -> List[Group]:
    """Group the failures, then rank each group's lines against all passing tests (other groups' failures left out).

    `shapes`: the failures grouped by what they look like (failures.shapes); without them, by coverage alone.
    `frames`: the library lines of each failure's traceback, to break ties between equally suspicious lines.
    Groups come most suspicious first, ties by size and then by their first test id: never by run or dict order.
    """
    failing = sorted((t for t in failing if cov.get(t)), key=natural)
    kept = set(failing)
    counts = passing_counts(cov, passing)  # once: grouping ranks many times against the same passing tests
    if shapes is None:
        groups = group_failures(cov, failing, passing, counts)
    else:
        shapes = [[t for t in s if t in kept] for s in shapes]
        shaped = {t for s in shapes for t in s}
        groups = group_by_shape(cov, list(shapes) + [[t] for t in failing if t not in shaped], passing, counts)
    out = []
    for tests in groups:
        hints: Counter = Counter()
        for t in tests:
            hints.update(set((frames or {}).get(t, ())))
        out.append(Group(tests, rank(cov, tests, passing, formula, hints, counts), len(passing)))
    if shapes is not None:
        out.sort(key=lambda g: (-(g.ranked[0][1] if g.ranked else 0.0), -len(g.tests), natural(g.tests[0])))
    return out


# ---------------------------------------------------------------------------------------------------- as targets


def enclosing(path: str, line: int, cache: Dict[str, object]) -> str:
    """`path::Qual.name` of the innermost class/function holding `line` (just `path` at module level)."""
    from splice.core.files import load_doc

    if path not in cache:
        try:
            cache[path] = load_doc(path)[0].index  # the parse a following splice.show / edit of the suspect reuses
        except Exception:  # unreadable or unparsable now: name the file only
            cache[path] = None
    index = cache[path]
    best = None
    for chunk in getattr(index, "chunks", {}).values():
        if (
            chunk.kind in ("def", "async def", "class")
            and chunk.header <= line - 1 < chunk.end
            and (best is None or chunk.header >= best.header)
        ):
            best = chunk
    return "%s::%s" % (path, best.qualname) if best else path


@dataclass
class Suspect:
    """One entry of the output: a line, or the lines of one function tied at the same score."""

    target: str  # path::Qual.name, a target splice.show / splice.edit take
    lines: List[int]
    score: float
    text: str = ""  # of the first line

    def __str__(self) -> str:
        if len(self.lines) == 1:
            return "%s  L%d  %s" % (self.target, self.lines[0], self.text)
        return "%s  L%d-%d (%d tied)  %s" % (self.target, min(self.lines), max(self.lines), len(self.lines), self.text)


def suspects_of(group: Group, root: str, top: int = 5, cache: Optional[Dict[str, object]] = None) -> List[Suspect]:
    """The group's top entries; lines of one function tied at the same score are one entry (a block that only failing
    tests run is a place to look at, not five separate guesses)."""
    import linecache

    cache = {} if cache is None else cache
    out: List[Suspect] = []
    for (file, line), score in group.ranked:
        full = file if os.path.isabs(file) else os.path.join(root, file)
        target = enclosing(full, line, cache).replace(full, file, 1)
        if out and out[-1].target == target and out[-1].score == score:
            out[-1].lines.append(line)
            continue
        if len(out) == top:
            break
        out.append(Suspect(target, [line], score, linecache.getline(full, line).strip()[:100]))
    return out
