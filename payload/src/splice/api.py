"""The Python API: name a chunk, change just that chunk. Thin layer over the pure planners in `edit`."""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from splice.core import files
from splice.core.budget import DEFAULT_LINES, call_for
from splice.core.context import FileContext
from splice.core.edit import (
    Doc,
    Edit,
    Splice,
    plan_add_import,
    plan_append,
    plan_drop_import,
    plan_edit,
    plan_insert,
    plan_remove,
    plan_replace,
    planned,
    with_imports,
)
from splice.core.errors import BadTarget, NotFound, SpliceError
from splice.core.reindent import normalize
from splice.core.targets import Target, parse_target
from splice.notebook import cellsource as notebook

Op = Union[Tuple, dict]
SHOW_LINES = 200  # the budget of a numbered show (one target or several together)


def _doc(target: Target) -> Tuple[Doc, Optional[files.Loaded]]:
    if isinstance(target, notebook.CellTarget):
        return Doc.from_text(target.text, target.path), None
    return files.load_doc(target.path)


def _context(target: str, path: Optional[str] = None) -> FileContext:
    """Resolve once: the target, its file read (Doc and hash), the project on first need."""
    return _file_context(_target(target, path))


def _file_context(t: Target) -> FileContext:
    return FileContext(t, *_doc(t))


def _commit(
    op: str,
    ctx: FileContext,
    splices: List[Splice],
    force: bool,
    dry_run: bool,
    notes: Optional[List[str]] = None,
    check: object = None,
    auto_import: bool = False,
    replan: Optional[Callable[[Doc], List[Splice]]] = None,
) -> Edit:
    """The one way every edit goes: plan the new text, (add imports), write it, check it, report.

    `replan` plans the same edit on another text: when another writer changed the file since it was read, the write
    (under the file's lock) plans again on the current text and applies it if it replaces the same lines, else
    refuses (Conflict); without it a changed file is refused. The checks run once, after the write, on the text
    written and against the text before it: an edit that fails them stays written. Stage names are validated before
    anything is written."""
    stages: Tuple[str, ...] = ()
    if check:
        from splice.checks.stages import normalize_stages

        stages = normalize_stages(check)
    cell = isinstance(ctx.target, notebook.CellTarget)

    def build(doc: Doc, splices: List[Splice]) -> Edit:
        result = planned(op, str(ctx.target), doc, splices, force, notes or ())
        if splices and auto_import and not cell:
            from splice.checks.autoimport import plan_imports

            plan = plan_imports(ctx.target.path, result.after)
            with_imports(result, doc, plan.add)
            if plan.add or plan.ambiguous or plan.unresolved:
                result.notes.append(plan.summary())
        return result

    result = build(ctx.doc, splices)
    if not splices:
        return result
    if cell and (auto_import or stages):
        result.notes.append("checks and auto_import run on files; a notebook cell gets its imports when it runs")
    if dry_run or not result.changed:
        if not result.changed:
            result.notes.append("no change")
        return result
    if cell:  # notebook code: patched into the running objects; not written
        return notebook.commit(ctx.target, result)

    def again(doc: Doc) -> str:
        nonlocal result
        from splice.core import rebase  # only when another writer changed the file meanwhile

        fresh = rebase.replan(ctx.doc, splices, doc, replan, str(ctx.target))  # type: ignore[arg-type]
        try:
            result = build(doc, fresh)
        except SpliceError as exc:  # the two writers' changes together would not parse
            raise rebase.no_longer_applies(ctx.doc, doc, str(ctx.target), exc) from None
        result.notes.append(rebase.reapplied(ctx.doc, doc) if result.changed else "no change: the file already has it")
        return result.after

    ctx.write(result.after, op, again if replan is not None else None)
    result.written = True
    result.notes += _reach(ctx.target.path, result.before, result.after, result.old_range, result.new_range)
    if stages:
        from splice.checks.stages import run_checks

        before = result.before if ctx.loaded is not None else None
        result.checks = run_checks(ctx, stages, result.after, before, suite=check not in (True, "default"))
    return result


def _reach(path: str, before: str, after: str, old_range=None, new_range=None) -> List[str]:  # noqa: ANN001
    """The written file reaches the running code: modules loaded from it here (and in the `run` kernel) are patched
    (splice.notebook.live); one line each, nothing when none is imported."""
    from splice.notebook.live import reach

    return reach(path, before, after, old_range, new_range)


def _op(
    op: str,
    target: str,
    path: Optional[str],
    plan: Callable[[Doc, Target], List[Splice]],
    force: bool,
    dry_run: bool,
    check: object,
    auto_import: bool,
) -> Edit:
    """Resolve the target, plan against its file, commit: the shape every chunk operation shares."""
    ctx = _context(target, path)
    return _commit(op, ctx, plan(ctx.doc, ctx.target), force, dry_run, check=check, auto_import=auto_import,
                   replan=lambda doc: plan(doc, ctx.target))


def _target(target: str, path: Optional[str]) -> Target:
    """Files by path or module; in a notebook, first the bare names of code defined in cells
    (splice.notebook.cellsource)."""
    found = notebook.claim(target, path)
    if found is not None:
        return found
    try:
        return parse_target(target, path)
    except (BadTarget, NotFound):
        error = notebook.not_found(target, path)
        if error is None:
            raise
        raise error from None


Render = Callable[[Optional[int]], str]


def several(
    parts: Sequence[Tuple[str, Render]], max_lines: Optional[int], default: int, rest: Callable[[List[str]], str]
) -> str:
    """Several reads in ONE line budget (`max_lines`, else `default`), each part under a line naming it: the reading
    counterpart of `batch`, written once for `show`, `outline` and `find` in every door.

    Each part is rendered first as its own call would print it (`render(max_lines)`); when together they are over the
    budget, parts that fit an equal share stay whole and the others share what is left, each rendered again within
    its lines (cut with its own '… N more' marker). Parts that would get fewer than 3 lines are not rendered: one
    closing line gives the call (`rest` of their labels) that shows them. An error in one part (a name not found) is
    that part's text; when every part fails, the first error is raised. One part: its text as is, no header."""
    from splice.core.budget import allot, joined, kept

    if len(parts) == 1:
        return parts[0][1](max_lines)
    budget = max_lines if max_lines is not None else default
    keep = kept(len(parts), budget)
    errors: List[SpliceError] = []

    def render(i: int, lines: Optional[int]) -> str:
        try:
            return parts[i][1](lines).rstrip("\n")
        except SpliceError as exc:
            errors.append(exc)
            return "%s: %s" % (type(exc).__name__, exc)

    texts = [render(i, max_lines) for i in range(keep)]
    sizes = [len(t.splitlines()) for t in texts]
    room = budget - keep - (keep < len(parts))  # the lines naming the parts, and the closing call
    if sum(sizes) > room:
        for i, lines in enumerate(allot(sizes, room)):
            if lines < sizes[i]:
                texts[i] = render(i, max(lines - 1, 1))  # a cut part ends with its marker line
    if len(errors) >= keep:
        raise errors[0]
    left_out = [label for label, _ in parts[keep:]]
    return joined([label for label, _ in parts[:keep]], texts, left_out, rest(left_out) if left_out else "")


def _listed(items: Union[str, Sequence[str]], what: str) -> List[str]:
    out = [items] if isinstance(items, str) else list(items)
    if not out or not all(isinstance(t, str) for t in out):
        raise BadTarget("%s takes a string or a list of strings, e.g. ['a.py::f', 'b.py::Cls.g']" % what)
    return out


def _live(name: str, namespace: Optional[Dict[str, object]]) -> Optional[Tuple[List[str], int]]:
    """(lines, first line) of a live object named in `namespace` (a notebook's) when the name is no target: not a
    path, not `mod:Qual`, not code splice knows from a cell."""
    if namespace is None or "::" in name or ":" in name or name.endswith(".py") or notebook.claim(name) is not None:
        return None
    from splice.explore.docs import resolve_name
    from splice.notebook.live import source_of

    obj = resolve_name(name, namespace)
    try:
        return source_of(obj)
    except (OSError, TypeError) as exc:
        raise SpliceError("no source for %s: %s" % (name, exc)) from None


def show(
    target: Union[str, Sequence[str]],
    *,
    path: Optional[str] = None,
    context: int = 0,
    numbered: bool = False,
    namespace: Optional[Dict[str, object]] = None,
) -> str:
    """The source of one chunk exactly as in the file (with `context` lines around it, optionally numbered).
    A list of targets: each chunk under a line naming it (`== a.py::f`), whole; a name not found is its one line.
    `namespace` (a notebook's): a name that is no target is a live object, its source shown."""
    if not isinstance(target, str):
        parts = [(t, lambda b, t=t: show(t, path=path, context=context, numbered=numbered, namespace=namespace))
                 for t in _listed(target, "show")]
        return several(parts, None, 10**9, lambda more: call_for("python", "show", more))
    live = _live(target, namespace)
    if live is not None:
        return "".join(live[0])
    t = _target(target, path)
    doc, _ = _doc(t)
    chunk = doc.chunk(t.qualname)
    spans = chunk.spans
    pieces = []
    for start, end in spans:
        lo, hi = max(start - context, 0), min(end + context, len(doc.lines))
        lines = doc.lines[lo:hi]
        if numbered:
            width = len(str(hi))
            lines = ["%*d  %s" % (width, lo + i + 1, line) for i, line in enumerate(lines)]
        pieces.append("".join(lines))
    return "…\n".join(pieces)


def outline(
    target: Union[str, Sequence[str]],
    depth: Optional[int] = None,
    docs: bool = True,
    max_lines: int = DEFAULT_LINES,
    door: str = "python",
) -> str:
    """`explore.outline.outline` of a file, module, folder or `FILE::Qual`; several: each under its target, all
    within the one budget (`several`)."""
    from splice.explore.outline import outline as one

    parts = [(t, lambda b, t=t: one(t, depth, docs, b if b is not None else max_lines, door))
             for t in _listed(target, "outline")]
    return several(parts, max_lines, max_lines, lambda more: call_for(door, "outline", more, depth=depth))


def find(
    pattern: Union[str, Sequence[str]],
    path: str = ".",
    regex: bool = False,
    word: bool = False,
    glob: str = "*.py",
    ignore_case: bool = False,
    max_lines: Optional[int] = None,
    door: str = "python",
) -> str:
    """`explore.search.find` of one pattern; several: each search under its pattern, all within the one budget."""
    from splice.explore.search import find as one

    flags = dict(regex=regex, word=word, glob=glob, ignore_case=ignore_case)
    parts = [(p, lambda b, p=p: one(p, path, max_lines=b, door=door, **flags)) for p in _listed(pattern, "find")]
    given = {k: v for k, v in flags.items() if v != FIND_DEFAULTS[k]}
    return several(parts, max_lines, DEFAULT_LINES, lambda more: call_for(door, "find", more, path=path, **given))


FIND_DEFAULTS = {"regex": False, "word": False, "glob": "*.py", "ignore_case": False}


def check(path: str, stages: object = True, keep_going: bool = False) -> "object":
    """Run the checks on a file as it is. stages: True for syntax,names,ruff,types and the related tests (within a
    time budget); "fast" without tests; "all" with the whole suite when no test is related; or a list."""
    from splice.checks.stages import run_checks

    ctx = _file_context(Target(path, ""))
    return run_checks(ctx, stages, ctx.text, keep_going=keep_going, suite=stages not in (True, "default"))


def fix_imports(path: str, *, dry_run: bool = False) -> Edit:
    """Add the unambiguous imports for the file's undefined names; the note lists ambiguous ones."""
    from splice.checks.autoimport import plan_imports

    ctx = _file_context(Target(path, "imports"))
    plan = plan_imports(path, ctx.text)
    splices = plan_add_import(ctx.doc, "\n".join(plan.add)) if plan.add else []
    return _commit("fix_imports", ctx, splices, False, dry_run, [plan.summary()])


def show_numbered(
    target: Union[str, Sequence[str]],
    *,
    path: Optional[str] = None,
    context: int = 0,
    max_lines: Optional[int] = None,
    door: str = "python",
    namespace: Optional[Dict[str, object]] = None,
) -> str:
    """The chunk with line numbers, within a budget (what the CLI, `%show` and the show tool print). A list of
    targets: each under a line naming it, all within the one budget (`several`); `door` ("python", "cli", "magic",
    "tool") words the call that shows what a cut left out; `namespace` as for `show`."""
    from splice.explore.outline import show_numbered as numbered

    def again(items: List[str], n: Optional[int]) -> str:  # splice.show (raw) has no budget: the whole text
        return call_for(door, "show", items, context=context or None, max_lines=None if door == "python" else n)

    def one(name: str, budget: Optional[int]) -> str:
        live = _live(name, namespace)
        if live is not None:
            lines, start = live
            width = len(str(start + len(lines)))
            return "\n".join("%*d  %s" % (width, start + i, line.rstrip("\n")) for i, line in enumerate(lines))
        t = _target(name, path)
        doc, _ = _doc(t)
        return numbered(doc, doc.chunk(t.qualname), context, budget or SHOW_LINES, lambda n: again([name], n))

    parts = [(t, lambda b, t=t: one(t, b)) for t in _listed(target, "show")]
    return several(parts, max_lines, SHOW_LINES, lambda more: again(more, None))


def replace(
    target: str,
    code: str,
    *,
    path: Optional[str] = None,
    force: bool = False,
    keep_elided: bool = False,
    dry_run: bool = False,
    check: object = None,
    auto_import: bool = False,
) -> Edit:
    """Replace a chunk. Code with its def/class line replaces the whole definition; without it, the body.

    `force` writes even if the result does not parse and skips the elision guard; `keep_elided` fills members a
    class replacement elided (`# ... (same as above)`) from the old class.
    """
    ctx = _context(target, path)
    doc, qual = ctx.doc, ctx.target.qualname
    notes: List[str] = []
    if not qual:  # the whole file: nothing to plan again if it changed
        splices = [Splice(0, len(doc.lines), normalize(code, doc.newline), standalone=False)]
        return _commit("replace", ctx, splices, force, dry_run, notes, check=check, auto_import=auto_import)
    splices = plan_replace(doc, doc.chunk(qual), code, keep_elided=keep_elided, force=force, notes=notes)
    return _commit("replace", ctx, splices, force, dry_run, notes, check=check, auto_import=auto_import,
                   replan=lambda d: plan_replace(d, d.chunk(qual), code, keep_elided=keep_elided, force=force))


def remove(
    target: str,
    *,
    path: Optional[str] = None,
    force: bool = False,
    dry_run: bool = False,
    check: object = None,
    auto_import: bool = False,
) -> Edit:
    """Remove a chunk and the blank lines that separated it; an emptied block gets `pass`."""
    return _op(
        "remove",
        target,
        path,
        lambda doc, t: plan_remove(doc, doc.chunk(t.qualname)),
        force,
        dry_run,
        check,
        auto_import,
    )


def append(
    target: str,
    code: str,
    *,
    path: Optional[str] = None,
    force: bool = False,
    dry_run: bool = False,
    check: object = None,
    auto_import: bool = False,
) -> Edit:
    """Append code at the end of a class, function or `__main__` body, a section, the module, or the imports."""
    return _op(
        "append",
        target,
        path,
        lambda doc, t: plan_append(doc, doc.chunk(t.qualname), code),
        force,
        dry_run,
        check,
        auto_import,
    )


def insert(
    target: str,
    code: str,
    *,
    where: str = "after",
    path: Optional[str] = None,
    force: bool = False,
    dry_run: bool = False,
    check: object = None,
    auto_import: bool = False,
) -> Edit:
    """Insert code before or after a chunk, at its indentation, with the file's blank-line convention."""
    return _op(
        "insert_" + where,
        target,
        path,
        lambda doc, t: plan_insert(doc, doc.chunk(t.qualname), code, where),
        force,
        dry_run,
        check,
        auto_import,
    )


def insert_before(target: str, code: str, **kw) -> Edit:
    return insert(target, code, where="before", **kw)


def insert_after(target: str, code: str, **kw) -> Edit:
    return insert(target, code, where="after", **kw)


def edit(
    target: str,
    old: str,
    new: str,
    *,
    path: Optional[str] = None,
    force: bool = False,
    dry_run: bool = False,
    check: object = None,
    auto_import: bool = False,
) -> Edit:
    """Scoped search/replace: `old` must occur exactly once inside the target chunk (the module for a file)."""
    ctx = _context(target, path)

    def plan(doc: Doc) -> List[Splice]:
        if not ctx.target.qualname:
            from splice.core.locate import Chunk

            chunk = Chunk("<module>", "module", "<module>", 0, len(doc.lines), "")
        else:
            chunk = doc.chunk(ctx.target.qualname)
        return plan_edit(doc, chunk, old, new)

    return _commit("edit", ctx, plan(ctx.doc), force, dry_run, check=check, auto_import=auto_import, replan=plan)


def create(
    path: str, code: str, *, force: bool = False, dry_run: bool = False, check: object = None, auto_import: bool = False
) -> Edit:
    """Write a new file (refused if it exists, unless force)."""
    if os.path.exists(path) and not force:
        raise SpliceError("%s exists; edit it by name, or create(..., force=True) to overwrite" % path)
    doc = Doc.from_text("", path)
    lines = normalize(code, "\n")
    t = Target(path, "")
    splices = [Splice(0, 0, lines, standalone=False)]
    loaded = files.load(path) if os.path.exists(path) else None
    if loaded is not None:
        doc = Doc(loaded.source, path)
        splices = [Splice(0, len(doc.lines), lines, standalone=False)]
    if path and os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    ctx = FileContext(t, doc, loaded)
    return _commit("create", ctx, splices, force, dry_run, check=check, auto_import=auto_import)


def imports(path: str) -> str:
    """The module's import block."""
    return show("imports", path=path)


def add_import(path: str, statement: str, *, dry_run: bool = False) -> Edit:
    """Add `import x` / `from x import y` lines to the import block, skipping ones already there."""
    ctx = _file_context(Target(path, "imports"))
    return _commit("add_import", ctx, plan_add_import(ctx.doc, statement), False, dry_run,
                   replan=lambda doc: plan_add_import(doc, statement))


def drop_import(path: str, name: str, *, dry_run: bool = False) -> Edit:
    """Drop one imported name from the import block."""
    ctx = _file_context(Target(path, "imports"))
    return _commit("drop_import", ctx, plan_drop_import(ctx.doc, name), False, dry_run,
                   replan=lambda doc: plan_drop_import(doc, name))


_PLANNERS: dict = {
    "replace": lambda doc, c, a, kw: plan_replace(doc, c, a[0], keep_elided=kw.get("keep_elided", False)),
    "remove": lambda doc, c, a, kw: plan_remove(doc, c),
    "append": lambda doc, c, a, kw: plan_append(doc, c, a[0]),
    "insert_before": lambda doc, c, a, kw: plan_insert(doc, c, a[0], "before"),
    "insert_after": lambda doc, c, a, kw: plan_insert(doc, c, a[0], "after"),
    "edit": lambda doc, c, a, kw: plan_edit(doc, c, a[0], a[1]),
}


def batch(
    path: str,
    ops: Iterable[Op],
    *,
    force: bool = False,
    dry_run: bool = False,
    check: object = None,
    auto_import: bool = False,
) -> Edit:
    """Several edits to one file, located in the original and written at once (all or nothing).

    ops: tuples like ("replace", "Foo.bar", code), ("edit", "Foo.baz", old, new), ("remove", "OLD"),
    ("append", "Foo", code), ("insert_after", "helper", code), or dicts {"op": ..., "target": ..., ...}.
    `path` may be a target (`app.py::Cart.total`): a dict op without its own "target" acts on that chunk, and an
    op target not found in the file is looked for inside it (`total` in `app.py::Cart` is `Cart.total`).
    """
    default = ""
    if "::" in path and not os.path.exists(path):
        path, default = path.split("::", 1)
    cell = notebook.claim(path)
    t = notebook.CellTarget(cell.path, "", cell.text) if cell is not None else Target(path, "")
    ctx = _file_context(t)
    ops = list(ops)
    names = []

    def chunk(doc: Doc, qual: str) -> Any:
        try:
            return doc.chunk(qual)
        except NotFound as exc:
            if not default or not qual or qual == default or qual.startswith(default + "."):
                raise
            try:
                return doc.chunk(default + "." + qual)
            except NotFound:
                raise exc from None

    def plan(doc: Doc) -> List[Splice]:
        splices: List[Splice] = []
        for op in ops:
            if isinstance(op, dict):
                kind, qual = op["op"], op.get("target") or default
                args = [op[k] for k in ("code", "old", "new") if k in op]
                kw = op
            else:
                kind, qual, args, kw = op[0], op[1], list(op[2:]), {}
            if kind not in _PLANNERS:
                raise BadTarget("unknown batch op %r; use one of %s" % (kind, ", ".join(_PLANNERS)))
            found = chunk(doc, qual)
            splices += _PLANNERS[kind](doc, found, args, kw)
            if doc is ctx.doc:
                names.append("%s %s" % (kind, qual if found.qualname == "<module>" else found.qualname))
        return splices

    edit_ = _commit("batch", ctx, plan(ctx.doc), force, dry_run, check=check, auto_import=auto_import, replan=plan)
    edit_.notes.insert(0, "; ".join(names))
    return edit_


def undo_steps(
    path: Optional[str] = None, *, steps: int = 1, force: bool = False
) -> Iterator[Tuple[str, Optional[Dict]]]:
    """Undo the newest edits one at a time: (what was undone, the file's journal entry or None for a notebook cell).
    Modules loaded from the file are patched back (the message says so); `undo` keeps the messages."""
    folder = files.journal_dir(path or os.path.join(os.getcwd(), "x.py"))
    for _ in range(steps):
        label = notebook.undo_label(path, files.newest_time(folder) if path is None else 0.0)
        if label is not None:
            yield notebook.undo(label), None
            continue
        entry = files.undo_one(folder, path, force=force)
        dropped = entry.get("dropped", 0)
        more = " (dropped %d unfinished edit%s first: stopped before its text reached the file)" % (
            dropped, "s" if dropped > 1 else "") if dropped else ""
        message = "undid %s of %s%s" % (entry["op"], entry["target"], more)
        before = (entry.get("current") or b"").decode("utf-8", "replace")
        after = ""
        if os.path.exists(entry["path"]):
            with open(entry["path"], encoding="utf-8", errors="replace") as f:
                after = f.read()
        yield "; ".join([message] + _reach(entry["path"], before, after)), entry


def undo(path: Optional[str] = None, *, steps: int = 1, force: bool = False) -> List[str]:
    """Undo the newest edits (of `path`, when given) from the project's journal; returns what was undone.

    In a notebook, `path` may name cell code (`Cls.meth`, `In[7]`): its cell's newest edit is undone in the live
    objects; without `path`, the newest edit of a file or a cell."""
    return [message for message, _ in undo_steps(path, steps=steps, force=force)]


def chunks(path: str) -> List[str]:
    """Every addressable qualified name in a file, in order (the targets `show`/`replace` accept)."""
    doc, _ = _doc(Target(path, ""))
    return [q for q in doc.index.chunks if q != "<module>"]
