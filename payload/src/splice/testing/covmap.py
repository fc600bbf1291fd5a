"""Which tests run which code: a per-test coverage map kept in the project's `.splice/coverage.json`, so the tests
stage after an edit runs the tests that execute the changed chunk rather than the tests that import its module.

`record(root, {test: {file: [lines]}})` folds one run's per-test line coverage into the map (pytest-testmon keeps
per-test fingerprints the same way): lines are kept per chunk (the innermost function or class holding them), each
chunk with a fingerprint of its text, and a test run again replaces what it ran before. `select` reads the map for
the chunks an edit changed, and uses a chunk only while its text is the one recorded; a missing, corrupt or foreign
map, or a chunk whose text changed since, leaves the choice to the import rule with one line saying why.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Set, Tuple

from splice.core.errors import Conflict
from splice.core.files import replace_atomic, splice_folder
from splice.core.lock import held

if TYPE_CHECKING:
    from splice.core.edit import Doc

FORMAT = "splice-covmap/1"
NAME = os.path.join(".splice", "coverage.json")
_KINDS = ("def", "async def", "class", "property", "overloaded")
Map = Dict[str, object]


@dataclass
class Selection:
    """The tests the map chose for a change, and how it chose them (one line); `tests` None: the map cannot tell."""

    tests: Optional[List[str]]
    how: str
    chunks: List[str] = field(default_factory=list)


def map_path(root: str) -> str:
    return os.path.join(root, NAME)


def tracer() -> Optional[str]:
    """The tracer a run records the map with when that is cheap (coverage's C tracer, or sys.monitoring on 3.12+
    without it; `linetrace.best`); None under plain sys.settrace, which would slow the run too much to do it on every
    run."""
    from splice.testing.linetrace import best

    choice = best()
    return None if choice == "settrace" else choice


# ---------------------------------------------------------------------------------------------------- chunks


def _fingerprint(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def chunk_table(text: str, doc: "Optional[Doc]" = None) -> Tuple[List[Optional[str]], Dict[str, str]]:
    """(the innermost function or class of each 0-based line, or None; each such chunk's fingerprint). `doc`: the
    text's Doc when the caller has it parsed already."""
    from splice.core.edit import Doc

    if doc is None:
        doc = Doc.from_text(text)
    owner: List[Optional[str]] = [None] * len(doc.lines)
    prints: Dict[str, str] = {}
    try:
        chunks = [c for c in doc.index.chunks.values() if c.kind in _KINDS]
    except SyntaxError:
        return owner, prints
    for chunk in sorted(chunks, key=lambda c: -sum(e - s for s, e in c.spans)):  # outer first, inner overwrite
        for start, end in chunk.spans:
            owner[start:end] = [chunk.qualname] * (end - start)
        prints[chunk.qualname] = _fingerprint("".join("".join(doc.lines[s:e]) for s, e in chunk.spans))
    return owner, prints


# ---------------------------------------------------------------------------------------------------- storage


def load(root: str) -> Tuple[Optional[Map], str]:
    """(the map, "") or (None, why it is not used: missing, corrupt, or made for another folder or format)."""
    path = map_path(root)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return None, "no coverage map yet"
    except (OSError, ValueError, UnicodeError) as exc:
        return None, "coverage map %s ignored: unreadable (%s)" % (NAME, type(exc).__name__)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None, "coverage map %s ignored: not a %s file" % (NAME, FORMAT)
    if data.get("root") != os.path.realpath(root):
        return None, "coverage map %s ignored: made for %s" % (NAME, data.get("root"))
    if not isinstance(data.get("tests"), list) or not isinstance(data.get("files"), dict):
        return None, "coverage map %s ignored: missing its tests or files" % NAME
    return data, ""


def _rel(file: str, root: str) -> Optional[str]:
    full = file if os.path.isabs(file) else os.path.join(root, file)
    rel = os.path.relpath(os.path.realpath(full), os.path.realpath(root))
    return None if rel.startswith("..") else rel.replace(os.sep, "/")


def record(root: str, coverage: Dict[str, Dict[str, Iterable[int]]]) -> str:
    """Fold one run's per-test line coverage ({test id: {file (root-relative or absolute): [1-based lines]}}) into
    the map: the tests in it replace their old entries; a chunk whose text changed since keeps only the tests of this
    run. Returns "" or the one line saying why the map could not be written. The one call a runner needs."""
    if not coverage:
        return ""
    try:  # one writer at a time (a splice.test and a plain pytest can finish together): no run's entries lost
        with held(map_path(root) + ".lock", "the coverage map"):
            return _fold(root, coverage)
    except (OSError, Conflict) as exc:
        return "coverage map not saved: %s" % exc


Table = Tuple[List[Optional[str]], Dict[str, str]]


def _cached_table(text: str, entry: object) -> Optional[Table]:
    """The chunk table a map stored for a file whose text has the same fingerprint (what a run over unchanged code
    would parse again), or None."""
    if not isinstance(entry, dict) or entry.get("sha") != _fingerprint(text):
        return None
    try:
        owner: List[Optional[str]] = [None] * int(entry["n"])  # type: ignore[call-overload]
        for qual, start, end in entry["spans"]:  # type: ignore[union-attr]  # outer first, as chunk_table wrote them
            owner[start:end] = [qual] * (end - start)
        return owner, {str(k): str(v) for k, v in entry["prints"].items()}  # type: ignore[union-attr]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _table_entry(text: str, table: Table) -> Dict[str, object]:
    owner, prints = table
    spans: List[list] = []
    for i, qual in enumerate(owner):
        if qual is None:
            continue
        if spans and spans[-1][0] == qual and spans[-1][2] == i:
            spans[-1][2] = i + 1
        else:
            spans.append([qual, i, i + 1])
    return {"sha": _fingerprint(text), "n": len(owner), "spans": spans, "prints": prints}


def _fold(root: str, coverage: Dict[str, Dict[str, Iterable[int]]]) -> str:
    data, _ = load(root)
    files: Dict[str, Dict[str, list]] = {}
    old_tests: List[str] = []
    cached: Dict[str, object] = {}
    if data is not None:
        files = data["files"]  # type: ignore[assignment]
        old_tests = data["tests"]  # type: ignore[assignment]
        cached = data.get("tables") if isinstance(data.get("tables"), dict) else {}  # type: ignore[assignment]
    entries: Dict[str, Dict[str, object]] = {}
    runs: Dict[str, Dict[str, Set[str]]] = {}  # file -> chunk -> test ids (the whole map, as names)
    prints: Dict[str, Dict[str, str]] = {}
    again = {i for i, t in enumerate(old_tests) if t in coverage}  # run again: their old entries give way
    for rel, chunks in files.items():
        if not isinstance(chunks, dict):
            continue
        for qual, rec in chunks.items():
            try:
                sha, ids = rec
                names = {old_tests[i] for i in ids if i not in again}
            except (TypeError, ValueError, IndexError):
                continue
            runs.setdefault(rel, {})[qual] = names
            prints.setdefault(rel, {})[qual] = sha
    tables: Dict[str, Tuple[List[Optional[str]], Dict[str, str]]] = {}
    rels: Dict[str, Optional[str]] = {}  # every test names the same few files: resolve each once
    for test, per_file in coverage.items():
        for file, lines in per_file.items():
            rel = rels[file] if file in rels else rels.setdefault(file, _rel(file, root))
            if rel is None:
                continue
            if rel not in tables:
                try:
                    with open(os.path.join(root, rel), encoding="utf-8") as f:
                        text = f.read()
                    table = _cached_table(text, cached.get(rel)) or chunk_table(text)
                    tables[rel] = table
                    entries[rel] = _table_entry(text, table)
                except (OSError, UnicodeError):
                    tables[rel] = ([], {})
                owner, now = tables[rel]
                kept = runs.setdefault(rel, {})
                for qual in list(kept):
                    if now.get(qual) != prints.get(rel, {}).get(qual):
                        kept[qual] = set()  # its text changed since: only this run's tests stand for it
                prints[rel] = dict(now)
            owner = tables[rel][0]
            for line in lines:
                qual = owner[line - 1] if 0 < line <= len(owner) else None
                if qual is not None:
                    runs[rel].setdefault(qual, set()).add(test)
    unchanged = {rel: e for rel, e in cached.items() if rel in runs and rel not in entries}
    _save(root, runs, prints, {**unchanged, **entries})
    return ""


def _save(
    root: str,
    runs: Dict[str, Dict[str, Set[str]]],
    prints: Dict[str, Dict[str, str]],
    tables: Optional[Dict[str, object]] = None,
) -> None:
    """The map on disk; `tables`: each file's chunk table with its text's fingerprint, so the next run over the same
    text skips the parse."""
    tests = sorted({t for chunks in runs.values() for ids in chunks.values() for t in ids})
    index = {t: i for i, t in enumerate(tests)}
    files = {
        rel: {q: [prints[rel].get(q, ""), sorted(index[t] for t in ids)] for q, ids in sorted(chunks.items()) if ids}
        for rel, chunks in sorted(runs.items())
    }
    data = {"format": FORMAT, "root": os.path.realpath(root), "tests": tests, "files": {k: v for k, v in files.items()
                                                                                          if v}}
    if tables:
        data["tables"] = {rel: tables[rel] for rel in sorted(tables) if rel in data["files"]}
    splice_folder(root)
    replace_atomic(map_path(root), json.dumps(data, separators=(",", ":")).encode("utf-8"))


# ---------------------------------------------------------------------------------------------------- selection


def changed_lines(before: str, after: str) -> Tuple[int, int]:
    """0-based [first, end) lines of `before` that an edit to `after` changed (first == end: lines inserted there)."""
    from splice.core.text import common_ends, split_lines

    a, b = split_lines(before), split_lines(after)
    lo, hi = common_ends(a, b)
    return lo, len(a) - hi


def select(root: str, path: str, before: str, lines: Optional[Tuple[int, int]] = None,
           doc: "Optional[Doc]" = None) -> Selection:
    """The tests that ran the chunks of `before` (the file's text the map is asked about; `doc` its Doc if parsed)
    touched by `lines` (0-based [first, end); None: the whole file). tests None when the map cannot tell, and `how`
    says why."""
    data, why = load(root)
    if data is None:
        return Selection(None, why)
    rel = _rel(path, root)
    entry = data["files"].get(rel) if rel else None  # type: ignore[union-attr]
    owner, now = chunk_table(before, doc)
    first, end = lines if lines is not None else (0, len(owner))
    if end <= first:  # an insertion: the chunks around it
        first, end = max(first - 1, 0), first + 1
    touched = list(dict.fromkeys(q for q in owner[first:end] if q is not None))
    if not touched:
        return Selection(None, "the change is outside any function or class (the map knows chunks)")
    shown = _names(touched)
    if not isinstance(entry, dict):
        return Selection(None, "no test in the last run's coverage runs %s" % shown, touched)
    stale = [q for q in touched if q in entry and entry[q][0] != now.get(q)]
    if stale:
        return Selection(None, "the coverage map is older than %s's text" % _names(stale), touched)
    tests: Set[str] = set()
    names = data["tests"]
    for q in touched:
        if q in entry:
            tests.update(names[i] for i in entry[q][1] if 0 <= i < len(names))  # type: ignore[index]
    if not tests:
        return Selection(None, "no test in the last run's coverage runs %s" % shown, touched)
    found = sorted(tests)
    return Selection(found, "%d test%s %s, from the last run's coverage"
                     % (len(found), " that runs" if len(found) == 1 else "s that run", shown), touched)


def _names(quals: List[str], most: int = 3) -> str:
    return ", ".join(quals[:most]) + (" +%d more" % (len(quals) - most) if len(quals) > most else "")
