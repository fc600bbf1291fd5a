"""Code defined in notebook cells as edit targets: a bare name (`Cls.meth`, `helper`) or `In[7]` names a cell's text.

When an IPython shell runs, the cell that defined a class or function is the document: its current text (IPython's
cached cell source, or splice's last version of it) is planned against exactly like a file, and the result is patched
into the running namespace by `splice.notebook.live` (definition by definition: a changed method is that one function
patched in place, so instances made before see the change and nothing else is touched). Each version is registered in
linecache as `<splice In[7] vN>` (its own name, so the line numbers of every version stay right), which is what
tracebacks and `inspect.getsource` read. The cell itself is never rewritten: the reply names the call that prints its
new text.
"""

from __future__ import annotations

import difflib
import linecache
import os
import re
import sys
import time
import types
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from splice.core.errors import NotFound, SpliceError
from splice.core.targets import _DOTTED, Target

_CELL = re.compile(r"^In\[(\d+)\]$")
_VERSION = re.compile(r"^<splice In\[(\d+)\] v\d+>$")
_INPUT = re.compile(r"^<ipython-input-(\d+)-")


@dataclass(frozen=True)
class CellTarget(Target):
    """A chunk of a notebook cell: `path` is the cell's label (`In[7]`), `text` the cell's current source."""

    text: str = ""

    def __str__(self) -> str:
        return "%s (%s)" % (self.qualname, self.path) if self.qualname else self.path


@dataclass
class _Cell:
    """splice's versions of one cell: the current text and, for undo, the texts before each edit."""

    text: str
    history: List[Tuple[str, str, float]] = field(default_factory=list)  # (text before, what was done, time)
    version: int = 0


_cells: Dict[str, _Cell] = {}  # label ("In[7]") -> versions


def shell() -> Any:
    """The running IPython shell, or None (IPython is never imported here)."""
    ipython = sys.modules.get("IPython")
    try:
        return ipython.get_ipython() if ipython is not None else None
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------------- resolving


def claim(target: str, path: Optional[str] = None) -> Optional[CellTarget]:
    """The notebook cell a bare target names (`Cls.meth`, `helper`, `In[7]`), or None: then it is a file target."""
    ip = shell()
    t = target.strip()
    if ip is None or path is not None:
        return None
    m = _CELL.match(t)
    if m:
        return CellTarget(t, "", _cell_text(ip, int(m.group(1))))
    if not _DOTTED.match(t) or t.endswith((".py", ".pyi", ".pyw")) or os.path.isfile(t):
        return None
    parts = t.split(".")
    root = ip.user_ns.get(parts[0])
    code = _code_of(root)
    top = getattr(root, "__qualname__", "").split(".")[0]
    number = _number(ip, code.co_filename) if code is not None else None
    text = ""
    if code is not None and number is not None:
        text = _cell_text(ip, number) if "In[%d]" % number in _cells else "".join(linecache.getlines(code.co_filename))
    in_cells = code is not None and not os.path.isfile(code.co_filename)
    if (number is None or not _defines(text, top)) and (in_cells or isinstance(root, type) and _main(root)):
        number, text = _from_history(ip, top)  # a class without methods; or IPYKERNEL_CELL_NAME names all cells alike
    if number is None:
        return None
    return CellTarget("In[%d]" % number, ".".join([root.__qualname__] + parts[1:]), text)


def _main(obj: Any) -> bool:
    """Defined at the top of `__main__` (a cell) or nested in such a definition, not inside a function."""
    return getattr(obj, "__module__", None) == "__main__" and "<locals>" not in getattr(obj, "__qualname__", "<")


def _code_of(obj: Any) -> Optional[types.CodeType]:
    """The code of a function, or of the first method of a class, defined in `__main__` (a cell)."""
    while not isinstance(obj, type) and callable(getattr(obj, "__wrapped__", None)):  # functools.wraps, lru_cache
        obj = obj.__wrapped__
    if not _main(obj):
        return None
    if isinstance(obj, types.FunctionType):
        return obj.__code__
    if isinstance(obj, type):
        for value in obj.__dict__.values():
            value = getattr(value, "__func__", value.fget if isinstance(value, property) else value)
            if isinstance(value, (types.FunctionType, type)) and getattr(value, "__qualname__", "").startswith(
                obj.__qualname__ + "."
            ):
                code = _code_of(value)
                if code is not None:
                    return code
    return None


def _number(ip: Any, filename: str) -> Optional[int]:
    """The execution number of the cell a code object was compiled from (None: not a cell)."""
    for rx in (_VERSION, _INPUT):
        m = rx.match(filename)
        if m:
            return int(m.group(1))
    return getattr(getattr(ip, "compile", None), "_filename_map", {}).get(filename)


def _defines(text: str, name: str) -> bool:
    return re.search(r"^(?:async[ \t]+def|def|class)[ \t]+%s\b" % re.escape(name), text, re.M) is not None


def _history(ip: Any) -> List[str]:
    return list(getattr(getattr(ip, "history_manager", None), "input_hist_parsed", None) or [])


def _from_history(ip: Any, name: str) -> Tuple[Optional[int], str]:
    hist = _history(ip)
    for n in range(len(hist) - 1, 0, -1):
        if _defines(hist[n], name):
            return n, _cell_text(ip, n)
    return None, ""


def _cell_text(ip: Any, number: int) -> str:
    label = "In[%d]" % number
    if label in _cells:
        return _cells[label].text
    hist = _history(ip)
    if 0 < number < len(hist):
        return hist[number]
    raise NotFound("no cell %s (cells run so far: In[1] to In[%d])" % (label, len(hist) - 1))


def not_found(target: str, path: Optional[str]) -> Optional[NotFound]:
    """In a notebook, the error for a bare name nothing defines: the closest names the cells define (else None)."""
    ip = shell()
    t = target.strip()
    if ip is None or path is not None or not _DOTTED.match(t):
        return None
    ns = ip.user_ns
    root_name = t.split(".")[0]
    root = ns.get(root_name)
    if root is not None:
        kind = type(root)
        if _code_of(kind) is not None:
            return NotFound(
                "%r is a %s instance; name its class: %s"
                % (root_name, kind.__name__, t.replace(root_name, kind.__name__, 1))
            )
        rest = t[len(root_name) :]
        if isinstance(root, types.ModuleType):
            where = "%s:%s" % (root.__name__, rest.lstrip(".")) if rest else root.__name__
        elif getattr(root, "__module__", "__main__") != "__main__":
            where = "%s:%s%s" % (root.__module__, getattr(root, "__qualname__", root_name), rest)
        else:
            return NotFound(
                "%r is a %s, not a class or function whose cell splice can find" % (root_name, kind.__name__)
            )
        return NotFound("%r was not defined in a cell; its file's target is %s" % (root_name, where))
    hidden = getattr(ip, "user_ns_hidden", {})
    defined = sorted(n for n, v in ns.items() if n not in hidden and not n.startswith("_") and _code_of(v))
    close = difflib.get_close_matches(root_name, defined, n=5, cutoff=0.5)
    lines = ["no %r in the notebook or on sys.path" % t]
    if close:
        lines.append("closest: " + ", ".join(close))
    elif defined:
        lines.append("cells define: " + ", ".join(defined[:12]) + (" …" if len(defined) > 12 else ""))
    lines.append("a file target is path.py::%s" % t)
    return NotFound("\n".join(lines))


# ---------------------------------------------------------------------------------------------------- patching


def _register(label: str, version: int, text: str) -> str:
    """The linecache name of one version of a cell (mtime None: checkcache never evicts it)."""
    name = "<splice %s v%d>" % (label, version)
    linecache.cache[name] = (len(text), None, text.splitlines(keepends=True), name)
    return name


def _run(
    ip: Any, label: str, version: int, before: str, after: str, old_range: Tuple[int, int], new_range: Tuple[int, int]
) -> str:
    """Bring the notebook's running objects from `before` to `after`, definition by definition (splice.notebook.live):
    the reply's live line. New code that raises changes nothing and refuses the edit (SpliceError)."""
    from splice.notebook.live import patch_namespace

    filename = _register(label, version, after)
    flags = getattr(getattr(ip, "compile", None), "flags", 0)  # __future__ imports of earlier cells
    report = patch_namespace(ip.user_ns, before, after, filename, "notebook", flags,
                             reload_call='get_ipython().run_cell(splice.show("%s"))' % label)
    if report.error:
        linecache.cache.pop(filename, None)
        raise SpliceError("%s: %s; nothing was patched and the edit is not kept" % (label, report.error))
    return report.summary()


def commit(target: CellTarget, edit: Any) -> Any:
    """Patch a planned edit of a cell into the running notebook and keep the version (the Edit, with notes)."""
    label = target.path
    cell = _cells.get(label) or _Cell(edit.before)
    edit.notes.append(_run(shell(), label, cell.version + 1, edit.before, edit.after, edit.old_range, edit.new_range))
    cell.history.append((edit.before, "%s of %s" % (edit.op, target.qualname or label), time.time()))
    cell.text, cell.version = edit.after, cell.version + 1
    _cells[label] = cell
    edit.written = True
    edit.notes.append('%s still shows the old text: print(splice.show("%s")) prints the new one' % (label, label))
    return edit


def undo_label(target: Optional[str], since: float) -> Optional[str]:
    """The cell whose newest edit `undo(target)` means: the cell a notebook name lives in, a cell an undone name
    was edited in, or (no target) the cell edited last when that was after `since` (the newest file edit)."""
    if shell() is None:
        return None
    if target is None:
        newest = max(((c.history[-1][2], label) for label, c in _cells.items() if c.history), default=None)
        return newest[1] if newest and newest[0] > since else None
    found = claim(target)
    if found is not None:
        return found.path
    for label, cell in _cells.items():
        if any(what.endswith(" of " + target.strip()) for _, what, _ in cell.history):
            return label
    return None


def undo(label: str) -> str:
    """Restore the text before the cell's newest splice edit, and patch the running objects back."""
    cell = _cells.get(label)
    if cell is None or not cell.history:
        raise SpliceError("nothing to undo in %s" % label)
    from splice.notebook.live import changed_ranges

    before, what, _ = cell.history[-1]
    old_range, new_range = changed_ranges(cell.text, before)
    live = _run(shell(), label, cell.version + 1, cell.text, before, old_range, new_range)
    cell.history.pop()
    cell.text, cell.version = before, cell.version + 1
    return "undid %s (%s); %s" % (what, label, live)
