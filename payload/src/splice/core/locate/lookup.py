"""From a name the user wrote to one chunk, or an error that teaches: the candidates with their lines when the
name is ambiguous; the closest names and what the parent (or the module) has when there is none."""

from __future__ import annotations

import difflib
import re
from typing import List

from splice.core.errors import Ambiguous, BadTarget, NotFound, SpliceError
from splice.core.locate.chunk import INDEXED, Chunk, Table, plain

_TARGET = re.compile(r"^(section:.+|cell:.+|[A-Za-z_<][\w<>]*(\[\d+\])?(\.[A-Za-z_]\w*(\[\d+\])?)*)$")


def check_target(qualname: str) -> str:
    """The name stripped, or BadTarget when it cannot be a qualified name."""
    if not _TARGET.match(qualname.strip()):
        raise BadTarget(
            "not a qualified name: %r (write Class.method, func, CONSTANT, section:NAME, imports)" % qualname
        )
    return qualname.strip()


def resolve(table: Table, qualname: str, path: str = "") -> Chunk:
    """The chunk named exactly, or the one whose name is the same without `[i]` indices; sections by any case."""
    q = qualname.strip()
    if q in ("", "<module>"):
        return table.chunks["<module>"]
    if q.lower().startswith("section:"):
        if table.section_problems:
            raise SpliceError("%s: sections are broken: %s" % (path or "file", "; ".join(table.section_problems)))
        q = "section:" + q.split(":", 1)[1].strip()
        lowered = {k.lower(): k for k in table.chunks if k.startswith("section:")}
        q = lowered.get(q.lower(), q)
    if q in table.chunks:
        return table.chunks[q]
    want = plain(q)
    matches = [c for c in table.chunks.values() if plain(c.qualname) == want and _indices_agree(q, c.qualname)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise Ambiguous(_ambiguous_message(q, matches, path), [m.qualname for m in matches])
    raise NotFound(_not_found_message(table, q, path))


def _indices_agree(user: str, qualname: str) -> bool:
    """The indices the user gave ('f[1]') must be in the candidate at the same component."""
    u, c = user.split("."), qualname.split(".")
    if len(u) != len(c):
        return False
    return all(INDEXED.search(a) is None or a == b for a, b in zip(u, c))


def _ambiguous_message(q: str, matches: List[Chunk], path: str) -> str:
    where = (path + "::") if path else ""
    lines = ["%r matches %d definitions%s; name one:" % (q, len(matches), " in " + path if path else "")]
    for m in matches:
        lines.append("  %s%s  (%s, line %d)" % (where, m.qualname, m.kind, m.line))
    return "\n".join(lines)


def _not_found_message(table: Table, q: str, path: str) -> str:
    names = [k for k in table.chunks if k != "<module>"]
    close = difflib.get_close_matches(q, names, n=4, cutoff=0.5)
    tail = plain(q).rsplit(".", 1)[-1]
    close += [k for k in names if plain(k).rsplit(".", 1)[-1] == tail and k not in close][:4]
    msg = ["no %r in %s" % (q, path or "this module")]
    if close:
        msg.append("closest: " + ", ".join("%s (line %d)" % (k, table.chunks[k].line) for k in close[:6]))
    parent = q
    while "." in parent:
        parent = parent.rsplit(".", 1)[0]
        try:
            chunk = resolve(table, parent, path)
        except SpliceError:
            continue
        msg.append("%s has: %s" % (chunk.qualname, _brief(table, chunk.children)))
        break
    else:
        msg.append("top level: %s" % _brief(table, table.top))
    return "\n".join(msg)


def _brief(table: Table, names: List[str], budget: int = 12) -> str:
    """`kind name` of each, up to `budget`, then how many more."""
    items = [
        "%s %s" % (table.chunks[n].kind, n.rsplit(".", 1)[-1] if not n.startswith("section:") else n) for n in names
    ]
    if not items:
        return "(nothing addressable)"
    more = len(items) - budget
    return ", ".join(items[:budget]) + ("  … %d more (see outline)" % more if more > 0 else "")
