"""The stdlib round-trip property, shared by the test suite and benchmarks/stdlib_roundtrip.py.

For every addressable symbol of a module: replacing it with its own `show` leaves the text byte-identical;
removing it leaves text that parses and in which every unrelated symbol's `show` is unchanged.
"""

from __future__ import annotations

import ast
import gc
import sysconfig
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from splice.core.edit import Doc, apply_splices, check_syntax, plan_remove, plan_replace
from splice.core.errors import SpliceError
from splice.core.locate import plain
from splice.core.locate.index import Index
from splice.core.text import Source, split_lines


def stdlib_files() -> List[Path]:
    lib = Path(sysconfig.get_paths()["stdlib"])
    skip = ("site-packages", "test", "tests", "idle_test", "lib2to3/tests")
    return sorted(p for p in lib.rglob("*.py") if not any(part in skip for part in p.relative_to(lib).parts))


def _shows(lines: List[str], index: Index) -> Dict[str, str]:
    return {q: "\n".join("".join(lines[s:e]) for s, e in c.spans) for q, c in index.chunks.items()}


def _related(doc: Doc, a: str, b: str) -> bool:
    """Chunks whose text may rightly change when `a` is removed: ancestors, descendants, same-named, overlapping."""
    pa, pb = plain(a), plain(b)
    if pa == pb or pa.startswith(pb + ".") or pb.startswith(pa + ".") or b in ("<module>", "imports", "__main__"):
        return True
    ca, cb = doc.index.chunks[a], doc.index.chunks[b]
    return any(s1 < e2 and s2 < e1 for s1, e1 in ca.spans for s2, e2 in cb.spans)


def addressable(qualname: str, chunk) -> bool:
    """The symbols the property is checked on: every chunk but the module itself and an empty imports block."""
    return not (qualname == "<module>" or (chunk.kind == "imports" and chunk.start == chunk.end))


def symbols(path: Path) -> int:
    """How many symbols check_file tries in a file (0 if it does not parse)."""
    try:
        doc = Doc(Source.decode(path.read_bytes()), str(path))
        return sum(addressable(q, c) for q, c in doc.index.chunks.items())
    except (SpliceError, SyntaxError, UnicodeDecodeError, ValueError):
        return 0


def check_file(path: Path, removals: bool = True, part: Tuple[int, int] = (0, 1)) -> Tuple[int, List[str], bool]:
    """(symbols tried, failures, skipped-because-unparseable). part=(i, n): only every n-th symbol from the i-th, so
    that one big file can be checked in n pieces side by side; the n pieces together try every symbol once."""
    raw = path.read_bytes()
    try:
        source = Source.decode(raw)
        ast.parse(source.text)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return 0, [], True
    doc = Doc(source, str(path))
    failures: List[str] = []
    tried = 0
    before = _shows(doc.lines, doc.index)
    for k, (q, chunk) in enumerate(list(doc.index.chunks.items())):
        if k % part[1] != part[0] or not addressable(q, chunk):
            continue
        tried += 1
        shown = before[q]
        try:
            if chunk.parts:
                new_lines, placed = apply_splices(
                    doc, plan_replace(doc, chunk, "".join("".join(doc.lines[s:e]) for s, e in chunk.spans))
                )
                ok = True  # groups: the whole group replaced by its parts joined; parse check below
            else:
                new_lines, placed = apply_splices(doc, plan_replace(doc, chunk, shown))
                ok = "".join(new_lines) == source.text
            if not ok:
                failures.append("%s::%s replace-with-show changed the file" % (path, q))
            check_syntax(doc, new_lines, placed)
        except SpliceError as exc:
            failures.append("%s::%s replace: %s" % (path, q, str(exc).splitlines()[0]))
        if not removals:
            continue
        try:
            new_lines, placed = apply_splices(doc, plan_remove(doc, chunk))
            text = "".join(new_lines)
            tree = ast.parse(text)
            # the index of the new text from that one parse, as Doc.index builds it (parsing twice doubled the time)
            lines = split_lines(text)
            after = _shows(lines, Index(lines, tree))
            for other, old_show in before.items():
                # the same test as "unrelated, still there, and changed", cheapest first: a changed text is rare
                if other in after and after[other] != old_show and not _related(doc, q, other):
                    failures.append("%s::%s remove changed %s" % (path, q, other))
                    break
        except SyntaxError as exc:
            failures.append("%s::%s remove does not parse: line %s %s" % (path, q, exc.lineno, exc.msg))
        except SpliceError as exc:
            failures.append("%s::%s remove: %s" % (path, q, str(exc).splitlines()[0]))
    return tried, failures, False


def _check(job: Tuple[Path, Tuple[int, int]]) -> Tuple[int, List[str], bool]:
    """One job in a pool worker, with the cyclic garbage collector off: the checks make no cycles (a collection
    after a whole file finds nothing), but the collector ran after every 700 of the millions of syntax-tree nodes
    that the parses allocate, about a sixth of the time."""
    gc.disable()
    try:
        return check_file(job[0], part=job[1])
    finally:
        gc.enable()


def run(
    files: List[Path], workers: int = 2, parts: Optional[Dict[Path, Tuple[int, int]]] = None
) -> Tuple[int, List[str], int]:
    """Check many files in parallel: (symbols tried, failures, files skipped); `parts` checks a file in pieces (see
    check_file). The largest files go first, one at a time, so that no worker is left with a big one at the end;
    failures come back in the order of `files`. The workers are fresh interpreters (spawned): in a process that
    holds a test session's objects, such as a pytest worker, the same checks took 1.5 times as long, most of it
    garbage collection."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    parts = parts or {}
    jobs = [(p, parts.get(p, (0, 1))) for p in files]
    jobs.sort(key=lambda j: j[0].stat().st_size // j[1][1], reverse=True)
    with ProcessPoolExecutor(max(1, workers), mp_context=multiprocessing.get_context("spawn")) as pool:
        done = dict(zip([p for p, _ in jobs], pool.map(_check, jobs)))
    total, fails, skipped = 0, [], 0
    for path in files:
        n, fl, sk = done[path]
        total, skipped = total + n, skipped + sk
        fails += fl
    return total, fails, skipped
