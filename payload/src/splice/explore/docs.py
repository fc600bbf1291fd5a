"""`doc`: the signature and the docstring's first paragraph, for a live object or a name in a file."""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Dict, List, Optional

from splice.core.budget import clip, cut


def first_paragraph(text: Optional[str]) -> str:
    if not text:
        return ""
    para = inspect.cleandoc(text).strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in para.splitlines())


def signature(obj: Any) -> str:
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__name__
    try:
        return "%s%s" % (name, inspect.signature(obj))
    except (TypeError, ValueError):
        return name


def describe(obj: Any, max_lines: int = 12) -> str:
    """Signature, first paragraph of the docstring, and for classes and modules their public members."""
    is_value = not (inspect.isclass(obj) or inspect.ismodule(obj) or callable(obj))
    kind = "class" if inspect.isclass(obj) else "module" if inspect.ismodule(obj) else (
        "function" if not is_value else type(obj).__name__)
    if is_value:
        lines = ["%s value %s" % (kind, clip(repr(obj), 100))]
    else:
        lines = ["%s %s" % (kind, signature(obj) if kind != "module" else obj.__name__)]
    para = first_paragraph(type(obj).__doc__ if is_value else inspect.getdoc(obj))
    if para:
        lines.append("  " + clip(para, 300))
    if kind in ("class", "module"):
        members = [n for n in dir(obj) if not n.startswith("_")]
        if members:
            lines.append("  members: " + clip(", ".join(members), 300))
    return cut(lines, max_lines)


def resolve_name(name: str, namespace: Optional[Dict[str, Any]] = None) -> Any:
    """A dotted name from a namespace (the notebook's), builtins, or an importable module; no arbitrary eval."""
    parts = name.strip().split(".")
    if namespace is not None and parts[0] in namespace:
        obj = namespace[parts[0]]
        for p in parts[1:]:
            obj = getattr(obj, p)
        return obj
    import builtins

    if len(parts) == 1 and hasattr(builtins, parts[0]):
        return getattr(builtins, parts[0])
    for cut_at in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut_at]))
        except ImportError:
            continue
        for p in parts[cut_at:]:
            obj = getattr(obj, p)
        return obj
    raise LookupError("cannot resolve %r: not in the namespace, builtins, or an importable module" % name)


def doc(name_or_object: Any, namespace: Optional[Dict[str, Any]] = None) -> str:
    """Docs for a live object, `path.py::Name` / `pkg.mod:Name` (read from the file, nothing run), or a dotted
    name (from the namespace, builtins or an import)."""
    if not isinstance(name_or_object, str):
        return describe(name_or_object)
    text = name_or_object.strip()
    if "::" in text or text.endswith(".py") or (":" in text and not text.startswith(("section:",))):
        return _from_file(text)
    try:
        return describe(resolve_name(text, namespace))
    except (LookupError, AttributeError) as exc:
        return "no docs: %s" % exc


def _from_file(target: str) -> str:
    import ast

    from splice.core.files import load_doc
    from splice.core.targets import parse_target

    t = parse_target(target)
    doc_ = load_doc(t.path)[0]
    if not t.qualname:
        return "module %s\n  %s" % (t.path, clip(first_paragraph(ast.get_docstring(doc_.index.tree)), 300))
    chunk = doc_.chunk(t.qualname)
    lines: List[str] = ["%s  (%s line %d)" % (doc_.index.signature(chunk), t.path, chunk.line)]
    node = chunk.node
    text = ast.get_docstring(node) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else ""
    if text:
        lines.append("  " + clip(first_paragraph(text), 300))
    if chunk.children:
        lines.append("  members: " + clip(", ".join(c.rsplit(".", 1)[-1] for c in chunk.children), 300))
    return "\n".join(lines)
