"""splice: address a class, function, method or section by name and change just that chunk."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

from splice.api import (  # noqa: E402
    add_import,
    append,
    batch,
    check,
    chunks,
    create,
    drop_import,
    edit,
    fix_imports,
    imports,
    insert,
    insert_after,
    insert_before,
    remove,
    replace,
    show,
    undo,
)
from splice.docs import doc  # noqa: E402
from splice.edit import Edit  # noqa: E402
from splice.errors import (  # noqa: E402
    Ambiguous,
    BadTarget,
    Conflict,
    ElidedCode,
    NotFound,
    SpliceError,
    WouldBreakSyntax,
)
from splice.outline import outline  # noqa: E402
from splice.references import refs  # noqa: E402
from splice.search import find  # noqa: E402
from splice.testrun import test  # noqa: E402

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


def load_ipython_extension(ip: Any) -> None:
    from splice.ipython import load_ipython_extension as load

    load(ip)


def unload_ipython_extension(ip: Any) -> None:
    from splice.ipython import unload_ipython_extension as unload

    unload(ip)
