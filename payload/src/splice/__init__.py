"""splice: address a class, function, method or section by name and change just that chunk.

The package's front: the public API (`splice.edit`, `splice.outline`, …) from `splice.api` and the families, and the
IPython entry point (`%load_ext splice` hands over to `splice.doors.ipython`). Layers, lowest first (a module imports
only its own layer and lower ones; docs/architecture.md has the picture):

- `splice.core`: one document, text in and text out: chunks by name, the operations, targets, the file layer.
- `splice.testing`: test runs that point at the bug (runner, failure groups, suspects, coverage map, pytest plugin).
- families over those, side by side: `splice.explore` (outline, find, refs, doc), `splice.checks` (checks after an
  edit, imports), `splice.notebook` (code in cells, live patching, `# %%` scripts), `splice.decode` (local models).
- `splice.api`: the library's calls, composed from the families.
- `splice.doors`: the command line, the agent tools and MCP server, the IPython extension and magics.
"""

from __future__ import annotations

import os as _os
import sys as _sys


def _python_m_splice() -> bool:
    """Whether this import is `python -m splice…` locating its module (only then is argv[0] "-m"): its runpy frame
    names the module."""
    if _sys.argv[:1] != ["-m"]:
        return False
    frame = _sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "_run_module_as_main":
            name = frame.f_locals.get("mod_name")
            return isinstance(name, str) and name.split(".")[0] == "splice"
        frame = frame.f_back
    return False


def _working_folder_first() -> bool:
    try:
        return _sys.path[0] in ("", _os.getcwd())
    except (IndexError, OSError):  # no path, or the working folder was deleted
        return False


if _python_m_splice() and _working_folder_first():
    # `python -m` puts the working folder first: a json.py there would stand in for the standard library's in
    # everything splice imports. Last, the folder still holds the user's own modules for targets by module name.
    _sys.path.append(_sys.path.pop(0))

from typing import TYPE_CHECKING, Any  # noqa: E402

from splice._version import __version__ as __version__  # noqa: E402

# The public names load on first use (PEP 562): a process that imports only a part of splice (the pytest plugins,
# the test runs' subprocesses) does not pay for the whole API (~60 ms a process).
_LAZY = {
    **dict.fromkeys(
        ["add_import", "append", "batch", "check", "chunks", "create", "drop_import", "edit", "find", "fix_imports",
         "imports", "insert", "insert_after", "insert_before", "outline", "remove", "replace", "show", "undo"],
        "splice.api",
    ),
    "Edit": "splice.core.edit",
    **dict.fromkeys(
        ["Ambiguous", "BadTarget", "Conflict", "ElidedCode", "NotFound", "SpliceError", "WouldBreakSyntax"],
        "splice.core.errors",
    ),
    "doc": "splice.explore.docs",
    "refs": "splice.explore.references",
    "test": "splice.testing.runner",
}

if TYPE_CHECKING:
    from splice.api import (
        add_import,
        append,
        batch,
        check,
        chunks,
        create,
        drop_import,
        edit,
        find,
        fix_imports,
        imports,
        insert,
        insert_after,
        insert_before,
        outline,
        remove,
        replace,
        show,
        undo,
    )
    from splice.core.edit import Edit
    from splice.core.errors import (
        Ambiguous,
        BadTarget,
        Conflict,
        ElidedCode,
        NotFound,
        SpliceError,
        WouldBreakSyntax,
    )
    from splice.explore.docs import doc
    from splice.explore.references import refs
    from splice.testing.runner import test


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module 'splice' has no attribute %r" % name)
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later lookups are plain attribute reads
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Ambiguous",
    "BadTarget",
    "Conflict",
    "Edit",
    "ElidedCode",
    "NotFound",
    "SpliceError",
    "WouldBreakSyntax",
    "check",
    "doc",
    "fix_imports",
    "find",
    "outline",
    "refs",
    "add_import",
    "append",
    "batch",
    "chunks",
    "create",
    "drop_import",
    "edit",
    "imports",
    "insert",
    "insert_after",
    "insert_before",
    "remove",
    "replace",
    "show",
    "test",
    "undo",
]


def help() -> None:  # noqa: A001 - splice.help(), as the sheet printed on import says; not in __all__
    """Print the full cheat sheet: every edit, read and check call with an example."""
    from splice.doors.cheatsheet import full

    print(full(), end="")


def load_ipython_extension(ip: Any) -> None:
    from splice.doors.ipython import load_ipython_extension as load

    load(ip)


def unload_ipython_extension(ip: Any) -> None:
    from splice.doors.ipython import unload_ipython_extension as unload

    unload(ip)
