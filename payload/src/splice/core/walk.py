"""Which files of a project to look at: one walk for find, outline, refs and the related-tests lookup.

VCS folders, caches, virtual environments (not the standard library's `venv` package) and splice's own temporary
files are skipped, and so is what `.gitignore` ignores (the subset of its rules that matters for finding code), so
every reader sees the same files.
"""

from __future__ import annotations

import fnmatch
import os
import re
from typing import Iterator, List, Optional, Pattern, Tuple

SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox",
             "node_modules", ".eggs", ".splice", ".ipynb_checkpoints"}
ENV_NAMES = {".venv", "venv"}  # skipped as environments unless a Python package (the standard library's `venv`)
TEMP_MARK = ".splice-tmp-"  # in the name of every temporary file splice makes beside a user's file


def is_environment(folder: str, name: str) -> bool:
    """A virtual environment (pyvenv.cfg) or conda environment, or a folder named like one that is no package."""
    if os.path.exists(os.path.join(folder, "pyvenv.cfg")) or os.path.isdir(os.path.join(folder, "conda-meta")):
        return True
    return name in ENV_NAMES and not os.path.exists(os.path.join(folder, "__init__.py"))


class _GitIgnore:
    """The subset of .gitignore that matters for finding code: globs, **, anchored paths, dir-only, negation."""

    def __init__(self, base: str, lines: List[str]) -> None:
        self.base = base
        self.rules: List[Tuple[Pattern[str], bool, bool]] = []
        for raw in lines:
            line = raw.rstrip("\n").rstrip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            line = line[1:] if negate else line
            dir_only = line.endswith("/")
            line = line.strip("/") if dir_only else line
            anchored = "/" in line.lstrip("/") or line.startswith("/")
            line = line.lstrip("/")
            rx = ""
            i = 0
            while i < len(line):
                if line.startswith("**/", i):
                    rx, i = rx + "(?:.*/)?", i + 3
                elif line.startswith("**", i):
                    rx, i = rx + ".*", i + 2
                elif line[i] == "*":
                    rx, i = rx + "[^/]*", i + 1
                elif line[i] == "?":
                    rx, i = rx + "[^/]", i + 1
                else:
                    rx, i = rx + re.escape(line[i]), i + 1
            full = ("^" if anchored else "^(?:.*/)?") + rx + "$"
            self.rules.append((re.compile(full), negate, dir_only))

    def ignored(self, path: str, is_dir: bool) -> Optional[bool]:
        rel = os.path.relpath(path, self.base).replace(os.sep, "/")
        verdict = None
        for rx, negate, dir_only in self.rules:
            if dir_only and not is_dir:
                continue
            if rx.match(rel):
                verdict = not negate
        return verdict


def _read_gitignore(folder: str) -> Optional[_GitIgnore]:
    try:
        with open(os.path.join(folder, ".gitignore"), encoding="utf-8", errors="replace") as f:
            return _GitIgnore(folder, f.readlines())
    except OSError:
        return None


def iter_files(root: str, glob: str = "*.py") -> Iterator[str]:
    """Files under root matching glob, skipping VCS folders, caches, virtualenvs and what .gitignore ignores."""
    if os.path.isfile(root):
        yield root
        return
    stack: List[Tuple[str, List[_GitIgnore]]] = [(root, [])]
    while stack:
        folder, ignores = stack.pop()
        own = _read_gitignore(folder)
        rules = ignores + [own] if own else ignores
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            is_dir = entry.is_dir(follow_symlinks=False)
            if TEMP_MARK in entry.name:
                continue
            if is_dir and (entry.name in SKIP_DIRS or is_environment(entry.path, entry.name)):
                continue
            if rules:
                verdict = None
                for rule in rules:
                    v = rule.ignored(entry.path, is_dir)
                    verdict = v if v is not None else verdict
                if verdict:
                    continue
            if is_dir:
                subdirs.append(entry.path)
            elif entry.is_file(follow_symlinks=False) and fnmatch.fnmatch(entry.name, glob):
                yield entry.path
        stack.extend((d, rules) for d in reversed(subdirs))
