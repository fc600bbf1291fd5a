"""An edit planned on a text that another writer changed before it could be written: planned again by name on the
current text and applied only where it replaces exactly the lines it replaced before, so edits of different chunks
all land and an edit never overwrites a change it did not see."""

from __future__ import annotations

from typing import Callable, Dict, List, Sequence

from splice.core.edit import Doc, Splice
from splice.core.errors import Conflict, SpliceError

SHOWN = 4  # changed names a message lists before "and N more"


def changed_chunks(old: Doc, new: Doc) -> List[str]:
    """The innermost names whose text differs between the two texts (edited, added or gone), in the new file's order;
    "lines outside any named chunk" when none does."""
    def texts(doc: Doc) -> Dict[str, str]:
        return {q: "".join("".join(doc.lines[a:b]) for a, b in c.spans)
                for q, c in doc.index.chunks.items() if q != "<module>"}

    try:
        a, b = texts(old), texts(new)
    except SpliceError:
        return ["the file"]
    changed = [q for q in b if a.get(q) != b[q]] + [q for q in a if q not in b]
    inner = [q for q in changed if not any(o.startswith(q + ".") for o in changed)]
    return inner or ["lines outside any named chunk"]


def describe(names: List[str]) -> str:
    more = len(names) - SHOWN
    return ", ".join(names[:SHOWN]) + (" and %d more" % more if more > 0 else "")


def same_ground(old: Doc, planned: Sequence[Splice], new: Doc, fresh: Sequence[Splice]) -> bool:
    """Whether the fresh splices replace, one for one, the very lines the planned ones replaced."""
    if len(planned) != len(fresh):
        return False
    by_start = lambda s: (s.start, s.end)  # noqa: E731
    return all(old.lines[p.start:p.end] == new.lines[f.start:f.end]
               for p, f in zip(sorted(planned, key=by_start), sorted(fresh, key=by_start)))


def replan(
    old: Doc, planned: Sequence[Splice], new: Doc, plan: Callable[[Doc], List[Splice]], what: str
) -> List[Splice]:
    """`plan` run on the current text `new`, when it replaces what it replaced in `old`; else Conflict naming what
    the other writer changed (nothing is written)."""
    try:
        fresh = plan(new)
    except SpliceError as exc:
        raise no_longer_applies(old, new, what, exc) from None
    if not same_ground(old, planned, new, fresh):
        raise Conflict("%s changed on disk since this call read it: another writer changed %s, which this edit would "
                       "overwrite; nothing was written (show it again and redo the edit)"
                       % (what, describe(changed_chunks(old, new))))
    return fresh


def no_longer_applies(old: Doc, new: Doc, what: str, exc: SpliceError) -> Conflict:
    """The Conflict for an edit that, planned again on the current text, fails (`exc`: gone, ambiguous, no parse)."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return Conflict("%s changed on disk since this call read it (another writer changed %s) and the edit no longer "
                    "applies: %s; nothing was written (show it again and redo the edit)"
                    % (what, describe(changed_chunks(old, new)), reason))


def reapplied(old: Doc, new: Doc) -> str:
    return "re-applied on the current file (another writer changed %s meanwhile)" % describe(changed_chunks(old, new))
