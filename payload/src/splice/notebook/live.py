"""Live patching: after an edit, the running program runs the new code, and nothing the edit did not change is touched.

One engine for every door (file edits through the API, the magics and `%%splice`, cell code, the MCP run kernel):

- **Per definition.** Old and new source are compared definition by definition (`livediff`). A changed method is
  patched as that one function: no class body runs again, so no metaclass, `__init_subclass__` or class decorator
  runs again, slot descriptors, Enum members, dataclass machinery and class-level state stay the same objects.
- **Identity kept.** The running function gets the new `__code__` (and defaults, annotations, docstring when they
  changed), so every holder of it — `from m import f` copies, decorator wrappers closing over it, `__wrapped__`
  chains, `partial`, `property`, classmethod/staticmethod, registries, subclasses — runs the new code. Other functions
  sharing the old code object (closures a factory made before the edit) are found through the garbage collector, as
  jurigged does; `lru_cache` wrappers around the function have their cache cleared. A method that starts to use
  `super()` gets a new function with the running class in its `__class__` cell; the old object forwards to it.
- **The new code is built in isolation**: the def alone, inside empty classes named as its enclosing ones (right
  qualname, name mangling and `__class__` cell), executed against a copy of the class namespace, so defaults naming
  class constants work and nothing reaches the running program before everything is planned.
- **All or nothing.** What cannot be applied in place (a class's bases or decorators, `__slots__`, Enum members,
  dataclass/attrs/NamedTuple fields, a class made by a custom metaclass, closures over other variables) refuses the
  whole edit and the reply says what still runs and the call that brings it in line. New code that raises while it
  is applied rolls back everything applied before it.
"""

from __future__ import annotations

import ast
import gc
import os
import sys
import threading
import types
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from splice.core.text import _PARSE, common_ends, parse
from splice.notebook.livediff import (
    Change,
    bound_names,
    diff_module,
    diff_scope,
    first_line,
    header,
    moved_after,
    region,
    uses_of,
)

# Names a class body sets on its own that are no member of the class.
_BODY_NAMES = {"__module__", "__qualname__", "__classcell__", "__classdictcell__", "__firstlineno__",
               "__static_attributes__"}


class Unsafe(Exception):
    """The edit cannot be applied in place: nothing of it is applied."""


class NewCodeFailed(Exception):
    """The new code raised while it was applied: everything applied before was rolled back."""


@dataclass
class PatchReport:
    module: str
    patched: List[str] = field(default_factory=list)  # functions given the new code, in place
    added: List[str] = field(default_factory=list)
    removed: List[str] = field(default_factory=list)
    rebound: List[str] = field(default_factory=list)  # module-level names bound to a new object
    reset: List[str] = field(default_factory=list)  # class attributes bound to a new value
    notes: List[str] = field(default_factory=list)  # what else the program should know (threads, names still used)
    refused: Optional[str] = None  # why nothing was applied
    error: Optional[str] = None  # the new code raised: nothing was applied
    reload_call: str = ""  # the call that brings the program in line with the file

    def __post_init__(self) -> None:
        if not self.reload_call:
            self.reload_call = "importlib.reload(sys.modules[%r])" % self.module

    def summary(self) -> str:
        if self.error:
            return "live: %s: not patched: %s; the program still runs the old code (none of this edit)" % (
                self.module, self.error)
        if self.refused:
            return "live: %s: not patched (%s): the program still runs the old code; %s brings it in line" % (
                self.module, self.refused, self.reload_call)
        parts = []
        for label, names in (("patched", self.patched), ("added", self.added), ("removed", self.removed),
                             ("rebound", self.reset)):
            if names:
                parts.append("%s %s" % (label, _few(names)))
        if self.rebound:
            parts.append("%s rebound in the module only (copies made by `from %s import …` keep the old value; %s "
                         "runs the module again)" % (_few(self.rebound), self.module, self.reload_call))
        parts += self.notes
        return "live: %s: %s" % (self.module, "; ".join(parts) or "nothing to patch")


def _few(names: List[str], most: int = 8) -> str:
    names = list(dict.fromkeys(names))
    return ", ".join(names[:most]) + (" … %d more" % (len(names) - most) if len(names) > most else "")


# ---------------------------------------------------------------------------------------------------- a transaction


class _Tx:
    """Changes to the running program, each with its undo, so a failure halfway puts everything back."""

    _MISSING = object()

    def __init__(self) -> None:
        self.undo: List[Callable[[], None]] = []

    def setattr(self, obj: Any, name: str, value: Any) -> None:
        old = obj.__dict__.get(name, self._MISSING) if isinstance(obj, type) else getattr(obj, name, self._MISSING)
        setattr(obj, name, value)
        self.undo.append(lambda: delattr(obj, name) if old is self._MISSING else setattr(obj, name, old))

    def delattr(self, obj: Any, name: str) -> None:
        old = obj.__dict__[name]
        delattr(obj, name)
        self.undo.append(lambda: setattr(obj, name, old))

    def setitem(self, d: Dict[str, Any], key: str, value: Any) -> None:
        old = d.get(key, self._MISSING)
        d[key] = value
        self.undo.append(lambda: d.pop(key, None) if old is self._MISSING else d.__setitem__(key, old))

    def delitem(self, d: Dict[str, Any], key: str) -> None:
        old = d.pop(key)
        self.undo.append(lambda: d.__setitem__(key, old))

    def set_cell(self, cell: Any, value: Any) -> None:
        old = cell.cell_contents
        cell.cell_contents = value
        self.undo.append(lambda: setattr(cell, "cell_contents", old))

    def snapshot(self, d: Dict[str, Any]) -> None:
        """Put a whole namespace back on rollback (before code runs in it)."""
        saved = dict(d)

        def restore() -> None:
            for key in [k for k in d if k not in saved]:
                del d[key]
            for key, value in saved.items():
                if d.get(key, self._MISSING) is not value:
                    d[key] = value

        self.undo.append(restore)

    def rollback(self) -> None:
        for fn in reversed(self.undo):
            try:
                fn()
            except Exception:  # noqa: BLE001 - put back all that can be
                pass
        self.undo.clear()


# ---------------------------------------------------------------------------------------------------- building code


def _compile(tree: ast.Module, filename: str, flags: int) -> types.CodeType:
    with _PARSE:  # compiling a tree converts it like ast.parse does (gh-106905)
        return compile(tree, filename, "exec", flags, dont_inherit=True)


def _wrapped_in_classes(node: ast.stmt, path: Tuple[str, ...]) -> ast.Module:
    """`node` inside empty classes named as its enclosing ones (qualname, name mangling, the `__class__` cell)."""
    body: List[ast.stmt] = [node]
    for name in reversed(path):
        cls = ast.ClassDef(name=name, bases=[], keywords=[], body=body, decorator_list=[])
        if sys.version_info >= (3, 12):
            cls.type_params = []  # type: ignore[attr-defined]
        body = [ast.copy_location(cls, node)]
    module = ast.Module(body=body, type_ignores=[])
    return ast.fix_missing_locations(module)


def _class_body_code(code: types.CodeType, path: Tuple[str, ...]) -> types.CodeType:
    for name in path:
        found = [c for c in code.co_consts if isinstance(c, types.CodeType) and c.co_name == name]
        if len(found) != 1:
            raise Unsafe("%s: its new code could not be compiled on its own" % ".".join(path))
        code = found[0]
    return code


def run_in_scope(node: ast.stmt, path: Tuple[str, ...], namespace: Dict[str, Any], owner: Optional[type],
                 filename: str, flags: int) -> Dict[str, Any]:
    """Run one statement as the module or class body around it would, without touching either: in a class, against
    a copy of the running class's namespace (defaults naming class constants, `x.setter` of a running property),
    its `__class__` cell holding the running class. The names it bound, and their new values."""
    code = _compile(_wrapped_in_classes(node, path), filename, flags)
    if not path:
        scratch: Dict[str, Any] = {}
        exec(code, namespace, scratch)
        return scratch
    assert owner is not None
    body = _class_body_code(code, path)
    scratch = dict(owner.__dict__)
    if isinstance(scratch.get("__annotations__"), dict):
        scratch["__annotations__"] = dict(scratch["__annotations__"])
    before = dict(scratch)
    exec(body, namespace, scratch)
    cell = scratch.get("__classcell__")
    if cell is not None:
        cell.cell_contents = owner
    return {k: v for k, v in scratch.items() if k not in _BODY_NAMES and before.get(k, _Tx._MISSING) is not v}


def _strip_decorators(node: ast.stmt, keep_class_cell: bool) -> ast.stmt:
    """A copy of a def without its decorators (they ran when the function was made; they must not run again); with
    `keep_class_cell`, a never-run reference to `__class__` keeps the cell the running function has."""
    import copy

    out = copy.copy(node)
    out.decorator_list = []  # type: ignore[attr-defined]
    if keep_class_cell:
        ref = ast.If(test=ast.Constant(value=False), body=[ast.Expr(value=ast.Name(id="__class__", ctx=ast.Load()))],
                     orelse=[])
        last = node.body[-1]  # type: ignore[attr-defined]
        out.body = list(node.body) + [ast.fix_missing_locations(ast.copy_location(ref, last))]  # type: ignore
        for n in ast.walk(out.body[-1]):  # type: ignore[attr-defined]
            ast.copy_location(n, last)
    return out


# ---------------------------------------------------------------------------------------------------- running objects


def _functions_in(value: Any, name: str, depth: int = 4) -> List[types.FunctionType]:
    """The functions named `name` a running member holds: itself, through staticmethod/classmethod, property
    accessors, partial/partialmethod, `__wrapped__` chains, bound methods, closure cells of decorator wrappers and
    the attributes of decorator-made objects (a click Command's callback)."""
    found: List[types.FunctionType] = []
    seen: Set[int] = set()

    def visit(obj: Any, level: int) -> None:
        if obj is None or id(obj) in seen or level > depth:
            return
        seen.add(id(obj))
        if isinstance(obj, types.FunctionType):
            if obj.__code__.co_name == name:
                found.append(obj)
            for cell in obj.__closure__ or ():
                try:
                    visit(cell.cell_contents, level + 1)
                except ValueError:  # an empty cell
                    pass
            visit(obj.__dict__.get("__wrapped__"), level + 1)
            return
        if isinstance(obj, (type, types.ModuleType, str, bytes, int, float)):
            return
        for attr in ("__func__", "fget", "fset", "fdel", "func", "__wrapped__"):
            try:
                visit(getattr(obj, attr, None) if not isinstance(obj, dict) else None, level + 1)
            except Exception:  # noqa: BLE001 - an attribute that runs code and fails
                pass
        attrs = getattr(obj, "__dict__", None)
        if isinstance(attrs, dict):
            for value in list(attrs.values()):
                if isinstance(value, types.FunctionType) or hasattr(value, "__wrapped__"):
                    visit(value, level + 1)

    visit(value, 0)
    return found


def _all_functions(value: Any, depth: int = 3) -> List[types.FunctionType]:
    """Every function a member holds (a class: all of its members', nested classes included)."""
    out: List[types.FunctionType] = []
    if depth < 0 or value is None:
        return out
    if isinstance(value, type):
        for member in list(value.__dict__.values()):
            out += _all_functions(member, depth - 1)
        return out
    if isinstance(value, types.FunctionType):
        return [value] + _all_functions(value.__dict__.get("__wrapped__"), depth - 1)
    if isinstance(value, (types.ModuleType, str, bytes, int, float, tuple, list, dict)):
        return out
    for attr in ("__func__", "fget", "fset", "fdel", "func", "__wrapped__"):
        try:
            inner = getattr(value, attr, None)
        except Exception:  # noqa: BLE001 - an attribute that runs code and fails
            continue
        if inner is not None and inner is not value:
            out += _all_functions(inner, depth - 1)
    return out


def _shifted(code: types.CodeType, delta: int) -> types.CodeType:
    """The same code, `delta` lines further (its line table is relative to its first line; nested code too)."""
    consts = tuple(_shifted(c, delta) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_firstlineno=code.co_firstlineno + delta, co_consts=consts)


def _caches_in(value: Any) -> List[Any]:
    """The lru_cache/cache wrappers along a member's `__wrapped__` chain (their cache goes with the old code)."""
    out = []
    for _ in range(8):
        if value is None:
            break
        if callable(getattr(value, "cache_clear", None)) and hasattr(value, "__wrapped__"):
            out.append(value)
        value = getattr(value, "__func__", None) or getattr(value, "fget", None) or getattr(value, "__wrapped__", None)
    return out


def _nested_pairs(old: types.CodeType, new: types.CodeType) -> List[Tuple[types.CodeType, types.CodeType]]:
    """Code objects of the functions defined inside a function, old paired with new by name and order."""
    pairs = []
    olds = [c for c in old.co_consts if isinstance(c, types.CodeType)]
    news = [c for c in new.co_consts if isinstance(c, types.CodeType)]
    for name in dict.fromkeys(c.co_name for c in olds):
        a = [c for c in olds if c.co_name == name]
        b = [c for c in news if c.co_name == name]
        for x, y in zip(a, b):
            pairs.append((x, y))
            pairs += _nested_pairs(x, y)
    return pairs


_SCRATCH: "weakref.WeakSet[types.FunctionType]" = weakref.WeakSet()  # functions made only to take their code
_FORWARD: Dict[int, types.FunctionType] = {}  # old function -> the new one it calls (a method that now has super())


def _forwarder(old: types.FunctionType, key: int) -> types.CodeType:
    text = ("def %s(*args, **kwargs):\n    return __import__('splice.notebook.live', fromlist=['_FORWARD'])"
            "._FORWARD[%d](*args, **kwargs)\n" % (old.__code__.co_name, key))
    code = compile(text, old.__code__.co_filename, "exec", dont_inherit=True)
    return next(c for c in code.co_consts if isinstance(c, types.CodeType))


# ---------------------------------------------------------------------------------------------------- the planner


class _Scope:
    """A module's namespace or a running class, with the changes that go to it."""

    def __init__(self, namespace: Dict[str, Any], owner: Optional[type], path: Tuple[str, ...]):
        self.namespace, self.owner, self.path = namespace, owner, path

    def mangled(self, name: str) -> str:
        """The name a class body stores `name` under (`__x` in class A is `_A__x`)."""
        if self.owner is None or not name.startswith("__") or name.endswith("__"):
            return name
        return "_%s%s" % (self.owner.__name__.lstrip("_"), name)

    def get(self, name: str) -> Any:
        return (self.owner.__dict__ if self.owner is not None else self.namespace).get(self.mangled(name))

    def label(self, name: str) -> str:
        if self.owner is not None and name.startswith("_%s__" % self.owner.__name__.lstrip("_")):
            name = name[len(self.owner.__name__.lstrip("_")) + 1:]
        return ".".join(self.path + (name,))

    def set(self, tx: _Tx, name: str, value: Any) -> None:
        if self.owner is None:
            tx.setitem(self.namespace, name, value)
            return
        tx.setattr(self.owner, name, value)
        hook = getattr(type(value), "__set_name__", None)
        if hook is not None:
            hook(value, self.owner, name)

    def delete(self, tx: _Tx, name: str) -> bool:
        where = self.owner.__dict__ if self.owner is not None else self.namespace
        if name not in where:
            return False
        if self.owner is None:
            tx.delitem(self.namespace, name)
        else:
            tx.delattr(self.owner, name)
        return True


Step = Callable[[_Tx], None]


class _Planner:
    def __init__(self, namespace: Dict[str, Any], filename: str, flags: int, new_tree: ast.Module,
                 report: PatchReport):
        self.namespace, self.filename, self.flags = namespace, filename, flags
        self.new_tree, self.report = new_tree, report
        self.steps: List[Step] = []
        self.old_codes: Set[types.CodeType] = set()
        self.later: List[Step] = []  # removals, after everything new is in place

    # -- scopes

    def scope(self, path: Tuple[str, ...]) -> _Scope:
        owner: Optional[type] = None
        where: Dict[str, Any] = self.namespace
        for i, name in enumerate(path):
            value = where.get(name)
            if not isinstance(value, type):
                what = "not in the running program" if value is None else "a %s there" % type(value).__name__
                raise Unsafe("%s: %s, not a class" % (".".join(path[:i + 1]), what))
            owner, where = value, dict(value.__dict__)
        return _Scope(self.namespace, owner, path)

    # -- the plan

    def plan(self, changes: List[Change]) -> None:
        for change in changes:
            if change.action == "moved":
                self.plan_moved(change)
                continue
            if change.kind == "class" and change.action == "header":
                self.refuse_header(change)
            scope = self.scope(change.path)
            if change.kind == "function" and change.action == "changed":
                self.plan_function(scope, change)
            elif change.kind == "function" and change.action == "redecorated":
                self.plan_function(scope, change, redecorate=True)
            elif change.action == "added":
                self.plan_added(scope, change)
            else:
                self.plan_removed(scope, change, changes)
        self.steps += self.later

    def plan_moved(self, change: Change) -> None:
        """An unchanged definition on other lines: its code objects say the new lines (tracebacks, inspect), the
        code itself stays. Code compiled from another text (a cell's earlier version) keeps its lines."""
        try:
            scope = self.scope(change.path)
        except Unsafe:
            return
        old, new = change.old, change.new
        if change.shift:
            start, end, delta = change.start, change.end, change.shift
        else:
            assert old is not None and new is not None
            start, end = first_line(old), old.end_lineno  # type: ignore[attr-defined]
            delta = first_line(new) - start
        fns = [fn for fn in _all_functions(scope.get(change.name))
               if fn.__code__.co_filename == self.filename and start <= fn.__code__.co_firstlineno <= end]

        def apply(tx: _Tx) -> None:
            shifted: Dict[int, types.CodeType] = {}
            for fn in fns:
                code = fn.__code__
                if id(code) not in shifted:
                    shifted[id(code)] = _shifted(code, delta)
                tx.setattr(fn, "__code__", shifted[id(code)])

        if fns:
            self.steps.append(apply)

    def refuse_header(self, change: Change) -> None:
        old, new = header(change.old), header(change.new)  # type: ignore[arg-type]
        what = next(k for k in old if old[k] != new[k])
        raise Unsafe("%s: its %s changed" % (change.qualname, what))

    def check_class_statement(self, scope: _Scope, node: ast.stmt, names: Sequence[str]) -> None:
        """Class-level statements that made the class what it is cannot change in place."""
        cls = scope.owner
        if cls is None or not names:
            return
        label = ".".join(scope.path)
        if "__slots__" in names:
            raise Unsafe("%s: its __slots__ changed" % label)
        import enum

        if isinstance(cls, enum.EnumMeta):
            members = [n for n in names if not (n.startswith("_") and n.endswith("_"))]
            if members:
                raise Unsafe("%s: its Enum members changed (%s): an Enum's members are made with the class"
                             % (label, ", ".join(members)))
            return
        if "__dataclass_fields__" in cls.__dict__ and isinstance(node, ast.AnnAssign):
            raise Unsafe("%s: its dataclass fields changed (%s)" % (label, ", ".join(names)))
        if "__attrs_attrs__" in cls.__dict__:
            raise Unsafe("%s: its attrs fields changed (%s)" % (label, ", ".join(names)))
        if issubclass(cls, tuple) and hasattr(cls, "_fields") and isinstance(node, ast.AnnAssign):
            raise Unsafe("%s: its NamedTuple fields changed (%s)" % (label, ", ".join(names)))
        import abc

        meta = type(cls)
        if meta not in (type, abc.ABCMeta):
            raise Unsafe("%s: its metaclass %s made it from its class body (%s changed)"
                         % (label, meta.__name__, ", ".join(names)))

    # -- functions

    def running(self, scope: _Scope, change: Change) -> List[types.FunctionType]:
        """The running functions that this def made."""
        member = scope.get(change.name)
        found = _functions_in(member, change.name)
        if change.branches:  # under if/try/with: only the function this very def made (by its first line)
            start = first_line(change.old)  # type: ignore[arg-type]
            mine = [fn for fn in found if fn.__code__.co_firstlineno == start]
            if mine or all(fn.__code__.co_firstlineno in change.branches for fn in found):
                return mine  # none: another branch's def is the one that ran
            raise Unsafe("%s: defined under a condition, and the running one cannot be told apart"
                         % scope.label(change.name))
        if not found and member is None and scope.owner is None:
            return []
        codes: Dict[types.CodeType, List[types.FunctionType]] = {}
        for fn in found:
            codes.setdefault(fn.__code__, []).append(fn)
        if len(codes) > 1:  # a property's getter and setter: the one this def made (by line, else by order)
            start = first_line(change.old)  # type: ignore[arg-type]
            exact = [c for c in codes if c.co_firstlineno == start]
            ordered = sorted(codes, key=lambda c: c.co_firstlineno)
            if exact:
                codes = {exact[0]: codes[exact[0]]}
            elif len(ordered) == change.count:
                codes = {ordered[change.index]: codes[ordered[change.index]]}
            else:
                raise Unsafe("%s: %d running functions of that name, the def is one of %d"
                             % (scope.label(change.name), len(ordered), change.count))
        return [fn for fns in codes.values() for fn in fns]

    def plan_function(self, scope: _Scope, change: Change, redecorate: bool = False) -> None:
        label = scope.label(change.name)
        olds = self.running(scope, change)
        if not olds and redecorate:
            self.plan_added(scope, change, rebinding=True)
            return
        if not olds and change.branches:
            return  # this def's branch did not run: nothing runs its code
        if not olds:
            olds = self.by_line(change)
        if not olds:
            if scope.get(change.name) is None:
                self.plan_added(scope, change)  # a def the running program never ran: run it now
                return
            raise Unsafe("%s: the running %s holds no function made by this def"
                         % (label, type(scope.get(change.name)).__name__))
        old_code = olds[0].__code__
        had_cell = "__class__" in old_code.co_freevars
        made = run_in_scope(_strip_decorators(change.new, had_cell), scope.path,  # type: ignore[arg-type]
                            self.namespace, scope.owner, self.filename, self.flags)
        new_fn = next((v for v in made.values() if isinstance(v, types.FunctionType)), None)
        if new_fn is None:
            raise Unsafe("%s: its new code did not make a function" % label)
        _SCRATCH.add(new_fn)  # its code goes to the running function; itself is no holder of it
        new_code = new_fn.__code__
        if old_code.co_freevars != new_code.co_freevars and not (
                old_code.co_freevars == () and new_code.co_freevars == ("__class__",)):
            raise Unsafe("%s: it closes over other variables (%s)" % (label, ", ".join(new_code.co_freevars)))
        pairs = [(old_code, new_code)] + _nested_pairs(old_code, new_code)
        self.old_codes.update(p[0] for p in pairs)
        by_old = {id(a): b for a, b in pairs}
        targets, caches = self.holders(olds, [p[0] for p in pairs], by_old)
        for fn in targets:
            if fn.__code__ is not old_code and fn.__code__.co_freevars != by_old[id(fn.__code__)].co_freevars:
                raise Unsafe("%s: closures made before by %s close over other variables now"
                             % (label, fn.__qualname__))
        old_node, new_node = change.old, change.new
        args_changed = ast.dump(old_node.args) != ast.dump(new_node.args)  # type: ignore[union-attr]
        notes_changed = args_changed or ast.dump(old_node.returns or ast.Pass()) != ast.dump(  # type: ignore
            new_node.returns or ast.Pass())  # type: ignore[union-attr]
        doc_changed = ast.get_docstring(old_node, clean=False) != ast.get_docstring(  # type: ignore[arg-type]
            new_node, clean=False)  # type: ignore[arg-type]
        forward = old_code.co_freevars != new_code.co_freevars  # now uses super(): a new function object
        caches += _caches_in(scope.get(change.name))
        member = scope.get(change.name)

        def apply(tx: _Tx) -> None:
            for fn in targets:
                code = by_old[id(fn.__code__)]
                if fn in olds:
                    if forward:
                        continue
                    if args_changed:
                        tx.setattr(fn, "__defaults__", new_fn.__defaults__)
                        tx.setattr(fn, "__kwdefaults__", new_fn.__kwdefaults__)
                    if notes_changed:
                        tx.setattr(fn, "__annotations__", dict(new_fn.__annotations__))
                    if doc_changed:  # a docstring set at run time stays, unless the edit changed the docstring
                        tx.setattr(fn, "__doc__", new_fn.__doc__)
                tx.setattr(fn, "__code__", code)
            if forward:
                self.forward(tx, scope, change.name, member, olds, new_fn)
            for cache in dict.fromkeys(caches):
                cache.cache_clear()

        self.steps.append(apply)
        if redecorate:
            self.plan_added(scope, change, rebinding=True)
        else:
            self.report.patched.append(label + (" (a new function: it now uses super())" if forward else ""))

    def by_line(self, change: Change) -> List[types.FunctionType]:
        """The functions this def made, found on the heap by file, name and line: the name now holds something else
        (a test's monkeypatch, a wrapper that keeps the function out of reach)."""
        start = first_line(change.old)  # type: ignore[arg-type]
        return [o for o in gc.get_objects() if isinstance(o, types.FunctionType) and o.__code__.co_name == change.name
                and o.__code__.co_firstlineno == start and o.__code__.co_filename == self.filename]

    def holders(self, olds: List[types.FunctionType], codes: List[types.CodeType], by_old: Dict[int, Any]
                ) -> Tuple[List[types.FunctionType], List[Any]]:
        """Every function running one of the old code objects (copies, closures made by factories), and the
        lru_cache wrappers holding the old functions: one pass over the heap."""
        targets: List[types.FunctionType] = list(olds)
        caches: List[Any] = []
        for ref in gc.get_referrers(*codes, *olds):
            if isinstance(ref, types.FunctionType) and id(ref.__code__) in by_old and ref not in targets \
                    and ref not in _SCRATCH:
                targets.append(ref)
            elif not isinstance(ref, (dict, list, tuple, types.FunctionType)) and hasattr(ref, "cache_clear") \
                    and getattr(ref, "__wrapped__", None) in olds:
                caches.append(ref)
        return targets, caches

    def forward(self, tx: _Tx, scope: _Scope, name: str, member: Any, olds: List[types.FunctionType],
                new_fn: types.FunctionType) -> None:
        """A method that now uses super() needs a `__class__` cell its old object lacks: the new function takes the
        old one's place in the class (and in decorator wrappers), and the old one calls the new one."""
        old = olds[0]
        name = scope.mangled(name)
        new_fn.__qualname__, new_fn.__module__ = old.__qualname__, old.__module__
        new_fn.__dict__.update(old.__dict__)
        if member is old:
            scope.set(tx, name, new_fn)
        elif isinstance(member, (staticmethod, classmethod)) and member.__func__ is old:
            scope.set(tx, name, type(member)(new_fn))
        elif isinstance(member, property):
            for part, make in (("fget", member.getter), ("fset", member.setter), ("fdel", member.deleter)):
                if getattr(member, part) is old:
                    scope.set(tx, name, make(new_fn))
        for ref in gc.get_referrers(old):
            if type(ref).__name__ == "cell":
                tx.set_cell(ref, new_fn)
            elif isinstance(ref, types.FunctionType) and ref.__dict__.get("__wrapped__") is old:
                tx.setitem(ref.__dict__, "__wrapped__", new_fn)
        key = id(old)
        _FORWARD[key] = new_fn
        tx.undo.append(lambda: _FORWARD.pop(key, None))
        tx.setattr(old, "__code__", _forwarder(old, key))

    # -- other statements

    def plan_added(self, scope: _Scope, change: Change, rebinding: bool = False) -> None:
        """A new statement or definition (or one whose decorators changed): it runs when applied, in its scope."""
        node = change.new
        assert node is not None
        names = bound_names(node)
        if change.kind == "statement":
            self.check_class_statement(scope, node, names)
        where = "%s (line %d)" % (scope.label(change.name) if change.name else ", ".join(names) or "a statement",
                                  node.lineno)
        report = self.report

        def apply(tx: _Tx) -> None:
            try:
                if scope.owner is None:
                    before = dict(self.namespace)
                    tx.snapshot(self.namespace)
                    exec(_compile(ast.Module(body=[node], type_ignores=[]), self.filename, self.flags),
                         self.namespace)
                    bound = {k: v for k, v in self.namespace.items() if before.get(k, _Tx._MISSING) is not v}
                else:
                    bound = run_in_scope(node, scope.path, self.namespace, scope.owner, self.filename, self.flags)
            except Exception as exc:
                raise NewCodeFailed("the new code of %s raised %s: %s" % (where, type(exc).__name__, exc)) from exc
            for name, value in bound.items():
                if scope.owner is not None:
                    existed = name in scope.owner.__dict__
                    scope.set(tx, name, value)
                    if not existed:
                        report.added.append(scope.label(name))
                    elif rebinding:
                        report.patched.append(scope.label(name) + " (its decorators ran again)")
                    else:
                        report.reset.append(scope.label(name))
                elif name in before and not name.startswith("__"):
                    report.rebound.append(name)
                elif name not in before:
                    report.added.append(name)

        self.steps.append(apply)

    def plan_removed(self, scope: _Scope, change: Change, changes: List[Change]) -> None:
        node = change.old
        assert node is not None
        names = [change.name] if change.name else bound_names(node)
        if change.kind == "statement":
            self.check_class_statement(scope, node, names)
        still = set()  # names the scope's new code binds again
        for other in changes:
            if other.path == change.path and other.new is not None:
                still.update(bound_names(other.new))
        body = self.scope_body(change.path)
        for stmt in body:
            still.update(bound_names(stmt))
        gone = [n for n in names if n not in still]
        report = self.report

        def apply(tx: _Tx) -> None:
            for name in gone:
                if scope.delete(tx, scope.mangled(name)):
                    report.removed.append(scope.label(name))
                    used = uses_of(_settled(self.new_tree), name)
                    if used:
                        report.notes.append("%s is removed but the new code still uses it (line %s): that code "
                                            "raises when it runs" % (scope.label(name), ", ".join(map(str, used[:3]))))

        self.later.append(apply)

    def scope_body(self, path: Tuple[str, ...]) -> List[ast.stmt]:
        body = self.new_tree.body
        for name in path:
            cls = next((s for s in body if isinstance(s, ast.ClassDef) and s.name == name), None)
            if cls is None:
                return []
            body = cls.body
        return body


# ---------------------------------------------------------------------------------------------------- entry points


def _future_flags(tree: ast.Module) -> int:
    import __future__

    flags = 0
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            for alias in stmt.names:
                flags |= getattr(getattr(__future__, alias.name, None), "compiler_flag", 0)
        elif not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            break
    return flags


def patch_namespace(namespace: Dict[str, Any], old_text: str, new_text: str, filename: str, module: str,
                    flags: int = 0, reload_call: str = "") -> PatchReport:
    """Bring a running namespace (a module's, a notebook's) from old_text to new_text, definition by definition, all
    or nothing. The report says what was patched, or why nothing was. flags: compiler flags to add (a notebook's
    `__future__` imports from earlier cells)."""
    report = PatchReport(module, reload_call=reload_call)
    with _PATCHING:  # one edit at a time reaches the program (an MCP server edits from threads)
        try:
            changes, new_tree = _diff(old_text, new_text, filename)
        except SyntaxError as exc:
            report.refused = "its code does not parse: %s" % exc
            return report
        if not changes:
            return report
        return _plan_and_apply(namespace, changes, filename, _future_flags(new_tree) | flags, new_tree, report)


def _diff(old_text: str, new_text: str, filename: str) -> Tuple[List[Change], ast.Module]:
    """The changes, and the new text's tree. Only the top-level statements the edit touched are parsed again: the
    old tree (cached from the edit before) gives the rest, its statements after the edit moved by the lines added."""
    old_tree = _parsed(old_text, filename)
    with _TREES_LOCK:
        cached = _TREES.get((filename, new_text))
    old_lines, new_lines = old_text.splitlines(True), new_text.splitlines(True)
    if cached is not None or not old_tree.body:
        new_tree = _settled(cached or _parsed(new_text, filename))
        return diff_module(_settled(old_tree), new_tree, old_text, new_text), new_tree
    body = old_tree.body
    i, j, a, b = region(body, old_lines, new_lines)
    delta = len(new_lines) - len(old_lines)
    try:
        part = parse("".join(new_lines[a - 1:b + delta]), filename)
    except SyntaxError:  # the edit reaches beyond its statements (an opened bracket): the whole text
        new_tree = _parsed(new_text, filename)
        return diff_module(_settled(old_tree), new_tree, old_text, new_text), new_tree
    ast.increment_lineno(part, a - 1)
    for stmt in body[i:j]:
        _settle(stmt)
    for stmt in body[j:]:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            _settle(stmt)  # moved_after looks at the functions under if/try/with
    changes = diff_scope(body[i:j], part.body, old_lines, new_lines)
    for change in changes:  # a top-level name defined outside the region too (@overload stubs): which one ran
        if not change.path and change.kind == "function" and change.old is not None and not change.branches:
            same = tuple(first_line(s) for s in body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                         and s.name == change.name)
            change.branches = same if len(same) > 1 else ()
    after = body[j:]
    if delta:
        changes += moved_after(after, delta)
        with _TREES_LOCK:  # its statements after the edit are moved in place: it is no longer the old text's
            _TREES.pop((filename, old_text), None)
        for stmt in after:  # its own lines now; those inside it when an edit reaches it (_settle)
            _move_own(stmt, delta)
            stmt._splice_shift = getattr(stmt, "_splice_shift", 0) + delta  # type: ignore[attr-defined]
    new_tree = ast.Module(body=body[:i] + part.body + after, type_ignores=[])
    with _TREES_LOCK:
        _TREES[(filename, new_text)] = new_tree
        while len(_TREES) > 8:
            _TREES.popitem(last=False)
    return changes, new_tree


_PATCHING = threading.RLock()


def _move_own(stmt: ast.stmt, delta: int) -> None:
    """Move a statement's own first and last lines (and its decorators'): what finding a region reads."""
    for node in [stmt] + list(getattr(stmt, "decorator_list", [])):
        node.lineno += delta
        if getattr(node, "end_lineno", None) is not None:
            node.end_lineno += delta  # type: ignore[operator]


def _settle(stmt: ast.stmt) -> None:
    """Give every node of a statement the lines its own were moved to (moving a large file's statements on every
    edit that adds a line would cost more than parsing it)."""
    pending = getattr(stmt, "_splice_shift", 0)
    if pending:
        _move_own(stmt, -pending)
        ast.increment_lineno(stmt, pending)
        stmt._splice_shift = 0  # type: ignore[attr-defined]


def _settled(tree: ast.Module) -> ast.Module:
    for stmt in tree.body:
        _settle(stmt)
    return tree


def _plan_and_apply(namespace: Dict[str, Any], changes: List[Change], filename: str, flags: int,
                    new_tree: ast.Module, report: PatchReport) -> PatchReport:
    planner = _Planner(namespace, filename, flags, new_tree, report)
    try:
        planner.plan(changes)
    except Unsafe as exc:
        report.refused = str(exc)
        return _cleared(report)
    except Exception as exc:  # the new code raised while it was built (a default value, an annotation)
        report.error = "the new code raised %s: %s" % (type(exc).__name__, exc)
        return _cleared(report)
    tx = _Tx()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)  # other threads wait until the whole edit is in (or rolled back)
    try:
        for step in planner.steps:
            step(tx)
    except Exception as exc:
        tx.rollback()
        report.error = str(exc) if isinstance(exc, NewCodeFailed) else "%s: %s" % (type(exc).__name__, exc)
        return _cleared(report)
    finally:
        sys.setswitchinterval(interval)
    report.notes += _busy_threads(planner.old_codes)
    return report


_TREES: "OrderedDict[Tuple[str, str], ast.Module]" = OrderedDict()  # the last texts parsed (never changed in place)
_TREES_LOCK = threading.Lock()


def _parsed(text: str, filename: str) -> ast.Module:
    """The tree of a text, parsed once: an edit's new text is the next edit's old one (and an undo's)."""
    key = (filename, text)
    with _TREES_LOCK:
        tree = _TREES.get(key)
        if tree is not None:
            _TREES.move_to_end(key)
            return tree
    tree = parse(text, filename)
    with _TREES_LOCK:
        _TREES[key] = tree
        while len(_TREES) > 8:
            _TREES.popitem(last=False)
    return tree


def _cleared(report: PatchReport) -> PatchReport:
    for names in (report.patched, report.added, report.removed, report.rebound, report.reset, report.notes):
        names.clear()
    return report


def _busy_threads(codes: Set[types.CodeType]) -> List[str]:
    """Threads that are inside old code right now: their running calls end with it, their next ones run the new."""
    if not codes:
        return []
    busy = []
    me = sys._getframe()
    for ident, frame in sys._current_frames().items():
        f = frame
        while f is not None:
            if f.f_code in codes and f is not me:
                busy.append("%s (thread %d)" % (f.f_code.co_name, ident))
                break
            f = f.f_back
    if not busy:
        return []
    return ["%s: running calls finish with the old code, new calls run the new" % ", ".join(busy[:3])]


def changed_ranges(old: str, new: str) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """1-based line ranges that differ (common first and last lines trimmed)."""
    a, b = old.splitlines(), new.splitlines()
    lo, hi = common_ends(a, b)
    return (lo + 1, len(a) - hi), (lo + 1, len(b) - hi)


def modules_for(path: str) -> List[types.ModuleType]:
    real = os.path.realpath(path)
    base = os.path.basename(real)
    out = []
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if f and isinstance(f, str) and os.path.basename(f) == base and os.path.realpath(f) == real:
            out.append(mod)
    return out


def patch_file(path: str, old_text: str, new_text: str, old_range: Any = None, new_range: Any = None,
               reload: bool = False) -> List[PatchReport]:
    """Update every imported module loaded from `path` (none imported: nothing to do)."""
    return [patch_namespace(m.__dict__, old_text, new_text, m.__file__ or path, m.__name__) for m in modules_for(path)]


# ---------------------------------------------------------------------------------------------------- after a write

ENABLED = [True]  # off while a magic runs under `%splice_config live=off` (the magics' _live_rules)
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
    registered remote ones. One line per module: what was patched, or that nothing was, why, and the call that
    brings the program in line; nothing when no interpreter has imported the file."""
    if not ENABLED[0] or old_text == new_text or not path.endswith(".py"):
        return []
    if old_range is None or new_range is None:
        old_range, new_range = changed_ranges(old_text, new_text)
    lines = [r.summary() for r in patch_file(path, old_text, new_text)]
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


def _unwrap(member: Any) -> Tuple[Optional[types.FunctionType], Any]:
    """The plain function inside a member (function, staticmethod, classmethod), and how to wrap it again."""
    if isinstance(member, types.FunctionType):
        return member, None
    if isinstance(member, (staticmethod, classmethod)) and isinstance(member.__func__, types.FunctionType):
        return member.__func__, type(member)
    return None, None


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
