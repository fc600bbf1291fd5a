"""Where the bootstrap template and the splice payload project are: packed inside the installed wheel, or in the
checkout this package runs from (an editable install). The wheel's copies are made by setup.py at build time."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

if sys.version_info >= (3, 11):
    import tomllib  # novermin
else:
    import tomli as tomllib

PACKAGE = Path(__file__).resolve().parent
PACKED = PACKAGE / "_data"  # bundler/_data/{templates,payload} inside a built wheel
CHECKOUT = PACKAGE.parent
# What build_project and setup.py leave out of a project copy: build leftovers never change a bundle.
IGNORED = ("build", "dist", "*.egg-info", "__pycache__", ".git", ".venv", "*.pyc")
DEFAULT_OUTPUT = Path("dist") / "splice_bootstrap.py"  # what `splice-bundle build` writes without -o


def template_path() -> Path:
    for folder in (PACKED, CHECKOUT):
        path = folder / "templates" / "bootstrap.py"
        if path.is_file():
            return path
    raise FileNotFoundError("bootstrap template missing from this splice-bundle install (looked in %s)" % PACKED)


def payload_dir() -> Optional[Path]:
    """The splice payload project, or None when this install carries none."""
    for folder in (PACKED, CHECKOUT):
        if (folder / "payload" / "pyproject.toml").is_file():
            return folder / "payload"
    return None


def project_version(project: Path) -> str:
    """The [project] version of a pyproject.toml ('?' when it is dynamic or absent)."""
    with open(project / "pyproject.toml", "rb") as f:
        return str(tomllib.load(f).get("project", {}).get("version", "?"))
