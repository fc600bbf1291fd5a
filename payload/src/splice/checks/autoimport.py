"""Missing imports in files: for each undefined name, the imports that would define it; the unambiguous ones are
added to the import block (merged into an existing `from X import` line, or placed in their group)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from splice.checks.resolve import candidates
from splice.checks.stages import names_check
from splice.core.files import load


@dataclass
class ImportPlan:
    add: List[str] = field(default_factory=list)
    ambiguous: Dict[str, List[str]] = field(default_factory=dict)
    unresolved: List[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        if self.add:
            parts.append("added: " + "; ".join(self.add))
        if self.ambiguous:
            parts.append("ambiguous: " + "; ".join("%s (%s)" % (n, " | ".join(c[:4])) for n, c in
                                                   self.ambiguous.items()))
        if self.unresolved:
            parts.append("no import found for: " + ", ".join(self.unresolved))
        return "imports: " + ("; ".join(parts) if parts else "nothing missing")


def package_candidates(path: str, name: str) -> List[str]:
    """`from .mod import name` for sibling modules of the file's package that define `name` at top level."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.exists(os.path.join(folder, "__init__.py")):
        return []
    from splice.core.edit import Doc
    from splice.core.errors import SpliceError

    out = []
    for entry in sorted(os.listdir(folder)):
        full = os.path.join(folder, entry)
        if not entry.endswith(".py") or os.path.samefile(full, path):
            continue
        try:
            doc = Doc(load(full).source, full)
            if name in doc.index.top:
                mod = entry[:-3]
                out.append("from . import %s" % name if mod == "__init__" else "from .%s import %s" % (mod, name))
        except (SpliceError, OSError):
            continue
    return out


def plan_imports(path: str, text: Optional[str] = None) -> ImportPlan:
    if text is None:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    found, _ = names_check(text, path)
    plan = ImportPlan()
    for name in dict.fromkeys(d.message.split("'")[1] for d in found if d.code == "F821" and "'" in d.message):
        options = package_candidates(path, name) or candidates(name)
        if len(options) == 1:
            plan.add.append(options[0])
        elif options:
            plan.ambiguous[name] = options
        else:
            plan.unresolved.append(name)
    return plan
