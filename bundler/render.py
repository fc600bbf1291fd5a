"""The bootstrap template: filling it in, and loading it as the one reader of bundles (inspect/verify/extract)."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
from types import ModuleType
from typing import Dict, Optional

from bundler.resources import template_path

HEADER_LINE = "BUNDLE = {}  # @@BUNDLE@@ (the bundler writes the manifest here)"
LINE_CHARS = 1020  # base64 characters per payload comment line

_runtime: Optional[ModuleType] = None


def template_text() -> str:
    return template_path().read_text(encoding="utf-8")


def runtime() -> ModuleType:
    """The template imported as a module: with an empty BUNDLE its import has no side effects."""
    global _runtime
    if _runtime is None:
        spec = importlib.util.spec_from_file_location("_splice_bootstrap_runtime", template_path())
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _runtime = module
    return _runtime


def header(manifest: Dict, payload: bytes) -> Dict:
    meta = dict(manifest)
    meta["sha256"] = hashlib.sha256(payload).hexdigest()
    meta["size"] = len(payload)
    meta["b64_len"] = len(base64.b64encode(payload))
    return meta


def render(meta: Dict, payload: bytes) -> str:
    """The bundle's text: template with the manifest line filled in, then the payload as comment lines."""
    text = template_text()
    if HEADER_LINE not in text:
        raise ValueError("template has no manifest placeholder line")
    text = text.replace(HEADER_LINE, "BUNDLE = %r  # @@BUNDLE@@" % (meta,), 1)
    b64 = base64.b64encode(payload).decode("ascii")
    lines = ["#" + b64[i : i + LINE_CHARS] for i in range(0, len(b64), LINE_CHARS)]
    return text.rstrip("\n") + "\n\n" + runtime().PAYLOAD_MARKER + "\n" + "\n".join(lines) + "\n"
