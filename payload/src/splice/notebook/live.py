"""Live patching: after an edit, the running program sees the new code without redefining what did not change.

Only the top-level statements the edit touched are executed again, in the module's own namespace (no module-wide
side effects). Functions keep their identity (new `__code__`, defaults, annotations, docstring); classes keep theirs
(members replaced on the existing class, so existing instances see them; `super()` keeps working because new methods
get a `__class__` cell pointing at the old class). Where in-place patching would be wrong — a changed closure, a
changed base, metaclass or `__slots__`, a dataclass whose fields changed — the module is reloaded instead and the
report says why.
"""

from __future__ import annotations

import ast
import importlib
import os
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from splice.core.text import common_ends, parse

_SKIP_ATTRS = {"__dict__", "__weakref__", "__module__", "__qualname__"}


class Unsafe(Exception):
    """In-place patching would leave the program inconsistent: reload instead."""


@dataclass
class PatchReport:
    module: str
    patched: List[str] = field(default_factory=list)
    added: List[str] = field(default_factory=list)
    removed: List[str] = field(default_factory=list)
    reloaded: Optional[str] = None  # the reason, when the module was reloaded instead
    error: Optional[str] = None
    rebound: List[str] = field(default_factory=list)  # values (constants): new in the module, not in copies of them
    unpatched: List[str] = field(default_factory=list)  # "Name (why)": rebound to a new object, old one left as is

    def summary(self) -> str:
        if self.error:
            return "live: %s not updated: %s" % (self.module, self.error)
        if self.reloaded:
            return "live: reloaded %s (%s)" % (self.module, self.reloaded)
        parts = []
        for label, names in (("patched", self.patched), ("added", self.added), ("removed", self.removed)):
            if names:
                parts.append("%s %s" % (label, _few(names)))
        if self.rebound:
            parts.append("%s rebound in the module only (copies made by `from %s import …` keep the old value)"
                         % (_few(self.rebound), self.module))
        if self.unpatched:
            parts.append("could not patch %s: the module has the new one, instances and `from … import` copies made "
                         "before keep the old" % _few(self.unpatched))
        if self.rebound or self.unpatched:
            parts.append("importlib.reload(sys.modules[%r]) runs the module again" % self.module)
        return "live: %s: %s" % (self.module, "; ".join(parts) or "nothing to patch")


def _few(names: List[str], most: int = 8) -> str:
    return ", ".join(names[:most]) + (" …" if len(names) > most else "")


# ---------------------------------------------------------------------------------------------------- objects


def _cell(value: Any) -> Any:
    return types.CellType(value) if hasattr(types, "CellType") else (lambda: value).__closure__[0]  # type: ignore


def patch_function(old: types.FunctionType, new: types.FunctionType, owner: Optional[type] = None) -> bool:
    """Give `old` the behaviour of `new`, keeping its identity; True when the code (or its lines) changed."""
    if old.__code__.co_freevars != new.__code__.co_freevars:
        raise Unsafe("%s: its closure changed" % old.__qualname__)
    for name in new.__code__.co_freevars:
        if name != "__class__":
            raise Unsafe("%s: it closes over %r" % (old.__qualname__, name))
    changed = old.__code__ != new.__code__ or old.__defaults__ != new.__defaults__
    old.__code__ = new.__code__
    old.__defaults__ = new.__defaults__
    old.__kwdefaults__ = new.__kwdefaults__
    old.__annotations__ = dict(new.__annotations__)
    old.__doc__ = new.__doc__
    old.__dict__.update({k: v for k, v in new.__dict__.items() if k != "__wrapped__"})
    return changed


def rebind(fn: types.FunctionType, owner: type) -> types.FunctionType:
    """A new function whose `__class__` cell (used by super()) points at `owner`."""
    if "__class__" not in fn.__code__.co_freevars:
        return fn
    pairs = zip(fn.__code__.co_freevars, fn.__closure__ or ())
    cells = tuple(_cell(owner) if n == "__class__" else c for n, c in pairs)
    out = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, cells)
    out.__kwdefaults__, out.__annotations__, out.__doc__ = fn.__kwdefaults__, fn.__annotations__, fn.__doc__
    out.__qualname__ = fn.__qualname__
    out.__dict__.update(fn.__dict__)
    return out


def _unwrap(member: Any) -> Tuple[Optional[types.FunctionType], Any]:
    """The plain function inside a member (function, staticmethod, classmethod), and how to wrap it again."""
    if isinstance(member, types.FunctionType):
        return member, None
    if isinstance(member, (staticmethod, classmethod)) and isinstance(member.__func__, types.FunctionType):
        return member.__func__, type(member)
    return None, None


def _check_class(old: type, new: type) -> None:
    if tuple(b.__qualname__ for b in old.__bases__) != tuple(b.__qualname__ for b in new.__bases__):
        raise Unsafe("%s: its bases changed" % old.__qualname__)
    if type(old) is not type(new) and type(old).__qualname__ != type(new).__qualname__:
        raise Unsafe("%s: its metaclass changed" % old.__qualname__)
    if old.__dict__.get("__slots__") != new.__dict__.get("__slots__"):
        raise Unsafe("%s: its __slots__ changed" % old.__qualname__)
    old_fields = old.__dict__.get("__dataclass_fields__")
    new_fields = new.__dict__.get("__dataclass_fields__")
    if old_fields is not None or new_fields is not None:
        sig = lambda fs: [(n, str(f.type), repr(f.default)) for n, f in (fs or {}).items()]  # noqa: E731
        if sig(old_fields) != sig(new_fields):
            raise Unsafe("%s: its dataclass fields changed" % old.__qualname__)


def patch_class(old: type, new: type, report: List[str], prefix: str = "") -> None:
    """Replace members of `old` by those of `new` in place (recursively for nested classes)."""
    _check_class(old, new)
    name = prefix + old.__name__
    for attr, value in new.__dict__.items():
        if attr in _SKIP_ATTRS or attr in ("__dataclass_fields__", "__dataclass_params__"):
            continue
        current = old.__dict__.get(attr)
        new_fn, wrapper = _unwrap(value)
        old_fn, old_wrapper = _unwrap(current)
        if new_fn is not None and old_fn is not None and wrapper is old_wrapper:
            try:
                if patch_function(old_fn, new_fn, old):
                    report.append("%s.%s" % (name, attr))
                continue
            except Unsafe:
                pass  # a new function with the right __class__ cell instead
        if isinstance(value, type) and isinstance(current, type) and value.__qualname__.endswith(current.__name__):
            patch_class(current, value, report, name + ".")
            continue
        if new_fn is not None:
            fn = rebind(new_fn, old)
            value = wrapper(fn) if wrapper else fn
        elif isinstance(value, property):
            value = property(*(rebind(f, old) if isinstance(f, types.FunctionType) else f
                               for f in (value.fget, value.fset, value.fdel)), value.__doc__)
        if attr == "__doc__":
            try:
                old.__doc__ = value
            except (AttributeError, TypeError):
                pass
            continue
        try:
            same = current is not None and type(current) is type(value) and bool(current == value)
        except Exception:
            same = False
        setattr(old, attr, value)
        if new_fn is not None or not same:
            report.append("%s.%s%s" % (name, attr, " (added)" if current is None else ""))
    for attr in list(old.__dict__):
        if attr not in new.__dict__ and attr not in _SKIP_ATTRS and not attr.startswith("__"):
            delattr(old, attr)
            report.append("%s.%s (removed)" % (name, attr))


# ---------------------------------------------------------------------------------------------------- modules


def _top_level(tree: ast.Module, lines: Tuple[int, int]) -> List[ast.stmt]:
    lo, hi = lines
    return [s for s in tree.body if s.lineno <= hi and (s.end_lineno or s.lineno) >= lo]  # type: ignore[attr-defined]


def _defined(stmts: List[ast.stmt]) -> Set[str]:
    names: Set[str] = set()
    for s in stmts:
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(s.name)
        elif isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = s.targets if isinstance(s, ast.Assign) else [s.target]
            for t in targets:
                for node in ast.walk(t):
                    if isinstance(node, ast.Name):
                        names.add(node.id)
        elif isinstance(s, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in s.names)
        elif isinstance(s, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            names |= _defined([c for c in ast.walk(s) if isinstance(c, ast.stmt) and c is not s])
    return names


def modules_for(path: str) -> List[types.ModuleType]:
    real = os.path.realpath(path)
    base = os.path.basename(real)
    out = []
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if f and isinstance(f, str) and os.path.basename(f) == base and os.path.realpath(f) == real:
            out.append(mod)
    return out


def apply_to_namespace(namespace: Dict[str, Any], old_text: str, new_text: str, filename: str,
                       old_range: Tuple[int, int], new_range: Tuple[int, int], report: PatchReport,
                       flags: int = 0, strict: bool = True) -> None:
    """Execute the touched top-level statements of new_text in `namespace`, patching old objects in place.

    flags: compiler flags to add (a notebook's `__future__` imports from earlier cells). strict: raise Unsafe where
    in-place patching would be wrong; else leave the new object bound, note it in `report.unpatched` and go on."""
    new_tree = parse(new_text, filename)
    old_tree = parse(old_text, filename)
    old_stmts = _top_level(old_tree, (old_range[0], max(old_range[1], old_range[0])))
    if new_range[1] >= new_range[0]:
        new_stmts = _top_level(new_tree, new_range)
    else:  # lines removed: the statement around the gap that still defines a touched name (a method's class)
        gap = _top_level(new_tree, (new_range[0] - 1, new_range[0]))
        new_stmts = [s for s in gap if _defined([s]) & _defined(old_stmts)]
    before = {n: namespace[n] for n in _defined(new_stmts) | _defined(old_stmts) if n in namespace}
    if new_stmts:
        code = compile(ast.Module(body=new_stmts, type_ignores=[]), filename, "exec", _future_flags(new_tree) | flags,
                       dont_inherit=True)  # the module's own __future__ imports, never splice's
        exec(code, namespace)
    for name in sorted(_defined(new_stmts)):
        new = namespace.get(name)
        old = before.get(name)
        if old is None:
            report.added.append(name)
        elif isinstance(old, types.FunctionType) and isinstance(new, types.FunctionType):
            try:
                if patch_function(old, new):
                    report.patched.append(name)
            except Unsafe as exc:
                if strict:
                    raise
                report.unpatched.append("%s (%s)" % (name, str(exc).split(": ", 1)[-1]))
                continue
            namespace[name] = old
        elif isinstance(old, type) and isinstance(new, type) and old is not new:
            try:
                patch_class(old, new, report.patched)
            except Unsafe as exc:
                if strict:
                    raise
                report.unpatched.append("%s (%s)" % (name, str(exc).split(": ", 1)[-1]))
                continue
            namespace[name] = old
        elif old is not new and not _equal(old, new):
            (report.patched if strict or callable(new) else report.rebound).append(name)
    for name in sorted(_defined(old_stmts) - _defined(new_stmts) - _defined_elsewhere(new_tree, new_stmts)):
        if name in namespace:
            del namespace[name]
            report.removed.append(name)


def _future_flags(tree: ast.Module) -> int:
    import __future__

    flags = 0
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            for alias in stmt.names:
                feature = getattr(__future__, alias.name, None)
                flags |= getattr(feature, "compiler_flag", 0)
        elif not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            break
    return flags


def _equal(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


def _defined_elsewhere(tree: ast.Module, touched: List[ast.stmt]) -> Set[str]:
    return _defined([s for s in tree.body if s not in touched])


def changed_ranges(old: str, new: str) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """1-based line ranges that differ (common first and last lines trimmed)."""
    a, b = old.splitlines(), new.splitlines()
    lo, hi = common_ends(a, b)
    return (lo + 1, len(a) - hi), (lo + 1, len(b) - hi)


def patch_file(path: str, old_text: str, new_text: str, old_range: Tuple[int, int],
               new_range: Tuple[int, int], reload: bool = True) -> List[PatchReport]:
    """Update every imported module loaded from `path` (none imported: nothing to do). Where patching in place would
    be wrong, the module is reloaded (`reload`), or the report says what was not patched and the call that reloads."""
    reports = []
    for module in modules_for(path):
        report = PatchReport(module.__name__)
        try:
            apply_to_namespace(module.__dict__, old_text, new_text, module.__file__ or path, old_range, new_range,
                               report, strict=reload)
        except Unsafe as exc:
            report = PatchReport(module.__name__, reloaded=str(exc))
            try:
                importlib.reload(module)
            except Exception as err:  # the file is written; the running module is not
                report.error = "%s: %s" % (type(err).__name__, err)
        except Exception as exc:
            report.error = "%s: %s" % (type(exc).__name__, exc)
        reports.append(report)
    return reports


# ---------------------------------------------------------------------------------------------------- after a write

ENABLED = [True]  # off while a magic runs under `%splice_config live=off` (the magics' _live_rules)
RELOAD = [False]  # True while a magic edits: reload a module that cannot be patched in place (the magics' rule)
Remote = Callable[[str, str, str, Tuple[int, int], Tuple[int, int]], List[str]]
_REMOTES: List[Remote] = []  # other interpreters to reach (the MCP server's `run` kernel registers itself)


def add_remote(reach_fn: Remote) -> None:
    if reach_fn not in _REMOTES:
        _REMOTES.append(reach_fn)


def remove_remote(reach_fn: Remote) -> None:
    if reach_fn in _REMOTES:
        _REMOTES.remove(reach_fn)


def reach(path: str, old_text: str, new_text: str, old_range: Optional[Tuple[int, int]] = None,
          new_range: Optional[Tuple[int, int]] = None) -> List[str]:
    """After a file was written (an edit, an undo): patch the modules loaded from it in this interpreter and in the
    registered remote ones. One line per module patched, or saying what could not be and the call that reloads;
    nothing when no interpreter has imported the file."""
    if not ENABLED[0] or old_text == new_text or not path.endswith(".py"):
        return []
    if old_range is None or new_range is None:
        old_range, new_range = changed_ranges(old_text, new_text)
    lines = [r.summary() for r in patch_file(path, old_text, new_text, old_range, new_range, reload=RELOAD[0])]
    for remote in list(_REMOTES):
        try:
            lines += remote(path, old_text, new_text, old_range, new_range)
        except Exception as exc:  # noqa: BLE001 - the file is written; a remote that fails is one line
            lines.append("live: the run kernel was not updated (%s: %s)" % (type(exc).__name__, exc))
    return lines


def remote_patch(path: str, old_text: str, new_text: str, old_range: Tuple[int, int],
                 new_range: Tuple[int, int]) -> None:
    """What a remote interpreter runs (sent by the process that wrote the file): print its `reach` lines."""
    for line in reach(path, old_text, new_text, old_range, new_range):
        print(line)


# ---------------------------------------------------------------------------------------------------- sources


def source_of(obj: Any) -> Tuple[List[str], int]:
    """(lines, first line number) of a function or class, also for classes defined in a notebook cell, which
    inspect cannot find before Python 3.13: the class is looked up in the cell its methods were compiled from."""
    import inspect
    import linecache

    try:
        return inspect.getsourcelines(obj)
    except (OSError, TypeError):
        if not isinstance(obj, type):
            raise
    from splice.core.edit import Doc

    for value in obj.__dict__.values():
        fn, _ = _unwrap(value)
        if fn is None and isinstance(value, property):
            fn = value.fget if isinstance(value.fget, types.FunctionType) else None
        if fn is None:
            continue
        filename = fn.__code__.co_filename
        lines = linecache.getlines(filename)
        if not lines:
            continue
        doc = Doc.from_text("".join(lines))
        line = fn.__code__.co_firstlineno - 1
        for chunk in doc.index.chunks.values():
            if chunk.kind == "class" and chunk.name == obj.__name__ and chunk.start <= line < chunk.end:
                return doc.lines[chunk.header:chunk.end], chunk.header + 1
    raise OSError("no source found for %s" % getattr(obj, "__qualname__", obj))
