"""Switching the suspects plugin on for the pytests a process starts. This folder goes on PYTHONPATH; the only module
other interpreters can import from it is `splice_suspects`, the stdlib-only shim PYTEST_PLUGINS names.

Stdlib only and no pytest import: `%load_ext splice` and the bundle's import call `enable()`.
"""

from __future__ import annotations

import os
from typing import Any, MutableMapping, Optional

SHIM = "splice_suspects"  # the plugin's name for PYTEST_PLUGINS and `-p no:splice_suspects`
SHIM_DIR = os.path.dirname(os.path.abspath(__file__))


def _append(environ: MutableMapping[str, str], key: str, value: str, sep: str) -> None:
    parts = [p for p in environ.get(key, "").split(sep) if p.strip()]
    if value not in (p.strip() for p in parts):
        environ[key] = sep.join(parts + [value])


def enable(environ: Optional[MutableMapping[str, Any]] = None) -> None:
    """Make pytests started from this process end with the suspects: this folder appended to PYTHONPATH and the
    shim's name to PYTEST_PLUGINS (both idempotent, what was there kept, first)."""
    environ = os.environ if environ is None else environ
    _append(environ, "PYTHONPATH", SHIM_DIR, os.pathsep)
    _append(environ, "PYTEST_PLUGINS", SHIM, ",")
