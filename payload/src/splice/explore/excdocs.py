"""After an uncaught exception: the docs the model needs next, in at most 15 lines.

Computed from the innermost frame of user code: the signature and one-line doc of each callable on the failing line,
close attribute names for an AttributeError, candidates (names in scope, imports) for a NameError, the expected
signature for a call TypeError. Nothing is called: names are looked up with getattr chains only.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import inspect
import linecache
import os
import re
import types
from typing import Any, Dict, List, Optional

from splice.core import PACKAGE_DIR
from splice.core.budget import clip, cut
from splice.explore.docs import first_paragraph, signature

MAX_LINES = 15


_SPLICE = PACKAGE_DIR + os.sep


def is_splice(filename: str) -> bool:
    """Code of splice itself: never shown to the user, never documented."""
    return os.path.abspath(filename).startswith(_SPLICE)


def without_splice(tb: Optional[types.TracebackType]) -> Optional[types.TracebackType]:
    """The traceback without splice's own frames (a failing splice call shows the user's line, not splice's)."""
    kept = []
    while tb is not None:
        if not is_splice(tb.tb_frame.f_code.co_filename):
            kept.append(tb)
        tb = tb.tb_next
    out = None
    for t in reversed(kept):
        out = types.TracebackType(out, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return out


def _user_frame(tb: Optional[types.TracebackType]) -> Optional[types.FrameType]:
    """The innermost frame of the user's own code: not splice, site-packages or the stdlib. None when there is no
    such frame (a SyntaxError in the cell is raised in IPython's compile): then no docs, never the machinery's."""
    frame = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if "site-packages" not in name and "/lib/python" not in name and not name.startswith("<frozen") and not (
            is_splice(name)
        ):
            frame = tb
        tb = tb.tb_next
    return frame.tb_frame if frame is not None else None


def _line_of(frame: types.FrameType, tb: Optional[types.TracebackType]) -> str:
    lineno = frame.f_lineno
    while tb is not None:
        if tb.tb_frame is frame:
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return linecache.getline(frame.f_code.co_filename, lineno, frame.f_globals).strip()


def _lookup(expr: ast.AST, frame: types.FrameType) -> Any:
    """Evaluate a Name/Attribute chain in the frame with getattr only (no calls)."""
    if isinstance(expr, ast.Name):
        for ns in (frame.f_locals, frame.f_globals, vars(builtins)):
            if expr.id in ns:
                return ns[expr.id]
        raise LookupError(expr.id)
    if isinstance(expr, ast.Attribute):
        return getattr(_lookup(expr.value, frame), expr.attr)
    raise LookupError("not a plain name")


def _calls(line: str) -> List[ast.Call]:
    try:
        tree = ast.parse(line.rstrip(":").strip())
    except SyntaxError:
        try:
            tree = ast.parse("(" + line.rstrip(":").strip() + ")")
        except SyntaxError:
            return []
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _one_liner(obj: Any) -> str:
    doc = first_paragraph(inspect.getdoc(obj))
    return clip(doc.split(". ")[0], 90) if doc else ""


def block(etype: type, value: BaseException, tb: Optional[types.TracebackType],
          candidates: Optional[Any] = None) -> str:
    """The doc block for an exception, or "" when there is nothing useful to add."""
    frame = _user_frame(tb)
    if frame is None:
        return ""
    line = _line_of(frame, tb)
    out: List[str] = []
    seen = set()
    called_names: Dict[str, Any] = {}
    for call in _calls(line):
        try:
            obj = _lookup(call.func, frame)
        except (LookupError, AttributeError):
            continue
        if id(obj) in seen or not callable(obj):
            continue
        seen.add(id(obj))
        label = ast.get_source_segment(line, call.func) if hasattr(ast, "get_source_segment") else None
        called_names[getattr(obj, "__name__", "")] = obj
        doc = _one_liner(obj)
        out.append("%s%s" % (clip(signature(obj), 110), ("  — " + doc) if doc else ""))
        if label and len(out) >= 4:
            break
    if isinstance(value, AttributeError):
        out += _attribute(value, line, frame)
    elif isinstance(value, NameError):
        out += _name(value, frame, candidates)
    elif isinstance(value, TypeError):
        out += _type_error(value, called_names)
    if not out:
        return ""
    return cut(["[splice] docs for the failing line: %s" % clip(line, 80)] + ["  " + o for o in out], MAX_LINES)


def _attribute(value: AttributeError, line: str, frame: types.FrameType) -> List[str]:
    name = getattr(value, "name", None)
    obj = getattr(value, "obj", None)
    if name is None:
        m = re.search(r"has no attribute '(\w+)'", str(value))
        name = m.group(1) if m else None
        if name:
            m2 = re.search(r"([\w.]+)\.%s\b" % re.escape(name), line)
            if m2:
                try:
                    obj = _lookup(ast.parse(m2.group(1), mode="eval").body, frame)
                except (LookupError, AttributeError, SyntaxError):
                    obj = None
    if name and obj is None:  # Python < 3.10 and an expression we cannot look up: the type the message names
        m3 = re.match(r"'([\w.]+)' object has no attribute", str(value))
        if m3:
            obj = getattr(builtins, m3.group(1), None) or frame.f_globals.get(m3.group(1))
    if not name or obj is None:
        return []
    attrs = [a for a in dir(obj) if not a.startswith("__")]
    close = difflib.get_close_matches(name, attrs, n=5, cutoff=0.5)
    kind = type(obj).__name__ if not isinstance(obj, (type, types.ModuleType)) else getattr(obj, "__name__", "")
    if close:
        return ["%s has no %r; close: %s" % (kind, name, ", ".join(close))]
    public = [a for a in attrs if not a.startswith("_")]
    return ["%s has no %r; it has: %s" % (kind, name, clip(", ".join(public), 200))]


def _name(value: NameError, frame: types.FrameType, candidates: Optional[Any]) -> List[str]:
    name = getattr(value, "name", None)
    if name is None:
        m = re.search(r"name '(\w+)' is not defined", str(value))
        name = m.group(1) if m else None
    if not name:
        return []
    scope = set(frame.f_locals) | set(frame.f_globals) | set(dir(builtins))
    out = []
    close = difflib.get_close_matches(name, [s for s in scope if not s.startswith("__")], n=5, cutoff=0.6)
    if close:
        out.append("%r is not defined; close names in scope: %s" % (name, ", ".join(close)))
    imports = candidates(name) if candidates else []
    if imports:
        out.append("%r could come from: %s" % (name, " | ".join(imports[:5])))
    return out


def _type_error(value: TypeError, called: Dict[str, Any]) -> List[str]:
    m = re.match(r"([\w.]+)\(\) (got an unexpected|missing|takes|got multiple)", str(value))
    if not m:
        return []
    fname = m.group(1).split(".")[-1]
    obj = called.get(fname)
    if obj is None:
        return []
    try:
        params = list(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return []
    out = ["expected: %s" % clip(signature(obj), 120)]
    bad = re.search(r"unexpected keyword argument '(\w+)'", str(value))
    if bad:
        close = difflib.get_close_matches(bad.group(1), params, n=3, cutoff=0.5)
        if close:
            out.append("%r is not a parameter; did you mean %s" % (bad.group(1), " or ".join(close)))
    return out
