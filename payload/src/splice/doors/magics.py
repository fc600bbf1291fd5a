"""The magics: %outline %show %find %refs %doc %test for exploring, %%splice and %splice_undo for editing,
%runcells for `# %%` scripts; and the switches (`config`) that %splice_config sets and the extension reads."""

from __future__ import annotations

import argparse
import shlex
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, List

from splice.core.errors import SpliceError


@dataclass
class Config:
    """Switches, changed with `%splice_config name=on|off`."""

    autoimport: bool = True
    exc_docs: bool = True
    elision: bool = True
    live: bool = True
    checks: str = ""  # stages to run after %%splice edits, e.g. "syntax,names,ruff" or "all"; "" for none


config = Config()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, never SystemExit inside a kernel
        raise SpliceError("%s: %s (try %%%s? for help)" % (self.prog, message, self.prog))


def _parser(name: str, doc: str) -> _Parser:
    return _Parser(prog=name, description=doc, add_help=False)


def _run(fn: Callable[[List[str]], str]) -> Callable[[str], None]:
    def magic(line: str) -> None:
        try:
            print(fn(shlex.split(line)))
        except SpliceError as exc:
            print("splice: %s: %s" % (type(exc).__name__, exc))
        except (OSError, LookupError, ValueError) as exc:
            print("splice: %s" % exc)

    magic.__doc__ = fn.__doc__
    return magic


def register(ip: Any) -> None:
    from splice import api
    from splice.explore.docs import doc
    from splice.explore.references import refs

    def outline_magic(argv: List[str]) -> str:
        """%outline PATH|MODULE|FILE::Class [more ...] [-d DEPTH] [--max-lines N] [--no-docs]: classes, functions,
        methods and sections, with lines (several targets: each under its name, one budget)."""
        p = _parser("outline", outline_magic.__doc__ or "")
        p.add_argument("target", nargs="+")
        p.add_argument("-d", "--depth", type=int, default=None)
        p.add_argument("--max-lines", type=int, default=60)
        p.add_argument("--no-docs", action="store_true")
        a = p.parse_args(argv)
        return api.outline(a.target, depth=a.depth, docs=not a.no_docs, max_lines=a.max_lines, door="magic")

    def show_magic(argv: List[str]) -> str:
        """%show TARGET [more ...] [-c N] [--raw] [--max-lines N]: source, numbered (path.py::Cls.meth, or a notebook
        name; several targets: each under its name, one budget)."""
        p = _parser("show", show_magic.__doc__ or "")
        p.add_argument("target", nargs="+")
        p.add_argument("-c", "--context", type=int, default=0)
        p.add_argument("--raw", action="store_true")
        p.add_argument("--max-lines", type=int, default=None)
        a = p.parse_args(argv)
        if a.raw:
            return api.show(a.target, context=a.context, namespace=ip.user_ns)
        return api.show_numbered(a.target, context=a.context, max_lines=a.max_lines, door="magic",
                                 namespace=ip.user_ns)

    def find_magic(argv: List[str]) -> str:
        """%find PATTERN [PATH|FILE::Qual] [-w] [-r] [-i] [-g GLOB] [-n MAX_LINES]: hits grouped by file and symbol;
        several patterns: %find -e PAT1 -e PAT2 [PATH], each under its pattern, one budget."""
        p = _parser("find", find_magic.__doc__ or "")
        p.add_argument("pattern", nargs="?")
        p.add_argument("path", nargs="?", default=".")
        p.add_argument("-e", "--regexp", action="append", default=[])
        p.add_argument("-w", "--word", action="store_true")
        p.add_argument("-r", "--regex", action="store_true")
        p.add_argument("-i", "--ignore-case", action="store_true")
        p.add_argument("-g", "--glob", default="*.py")
        p.add_argument("-n", "--max-lines", type=int)
        a = p.parse_args(argv)
        from splice.doors.cli import _patterns

        pattern, path = _patterns(a, "%find")
        return api.find(pattern, path, regex=a.regex, word=a.word, glob=a.glob, ignore_case=a.ignore_case,
                    max_lines=a.max_lines, door="magic")

    def refs_magic(argv: List[str]) -> str:
        """%refs path.py::NAME: where the symbol is used across its project."""
        p = _parser("refs", refs_magic.__doc__ or "")
        p.add_argument("target")
        return refs(p.parse_args(argv).target)

    def doc_magic(argv: List[str]) -> str:
        """%doc NAME: signature and first paragraph of the docstring (notebook names, modules, path.py::NAME)."""
        p = _parser("doc", doc_magic.__doc__ or "")
        p.add_argument("name")
        return doc(p.parse_args(argv).name, namespace=ip.user_ns)

    for name, fn in (("outline", outline_magic), ("show", show_magic), ("find", find_magic),
                     ("refs", refs_magic), ("doc", doc_magic)):
        ip.register_magic_function(_run(fn), "line", name)
    ip.register_magic_function(_run(_test_magic), "line", "test")


def _test_magic(argv: List[str]) -> str:
    """%test [TARGET ...] [--no-suspects] [-n MAX_FAILURES]: run tests (node ids, files, folders, or a library
    target's related tests), failures first in groups of alike ones (-n counts groups), each with its suspicious
    library lines."""
    from splice.testing.runner import test

    p = _parser("test", _test_magic.__doc__ or "")
    p.add_argument("target", nargs="*")
    p.add_argument("--no-suspects", action="store_true")
    p.add_argument("-n", "--max-failures", type=int, default=5)
    p.add_argument("--max-groups", type=int, default=3)
    a = p.parse_args(argv)
    report = test(a.target, suspects=not a.no_suspects, max_failures=a.max_failures, max_groups=a.max_groups)
    return report.for_command("%test", a.target).summary()


@contextmanager
def _live_rules() -> Iterator[None]:
    """The magics' live rule around an API call: off with `live=off` (else the API's own live step, as everywhere)."""
    from splice.notebook import live

    saved = live.ENABLED[0]
    live.ENABLED[0] = config.live
    try:
        yield
    finally:
        live.ENABLED[0] = saved


def split_old_new(cell: str) -> "tuple[str, str]":
    """The cell of `%%splice -e`: OLD, one line of `===` (or more `=`), NEW; aider's <<<<<<< SEARCH and
    >>>>>>> REPLACE lines around them are accepted too."""
    lines = cell.splitlines()
    if lines and lines[0].strip().startswith("<<<<<<<"):
        lines = lines[1:]
    if lines and lines[-1].strip().startswith(">>>>>>>"):
        lines = lines[:-1]
    seps = [i for i, line in enumerate(lines) if len(line.strip()) >= 3 and set(line.strip()) == {"="}]
    if len(seps) != 1:
        raise SpliceError("%%%%splice -e: the cell holds the old text, one line ===, then the new text (found %d "
                          "=== lines)" % len(seps))
    return "\n".join(lines[: seps[0]]), "\n".join(lines[seps[0] + 1 :])


def register_edit(ip: Any) -> None:
    """%%splice TARGET (replace), --append, --insert-before/--after; %splice --remove TARGET; %splice_undo."""
    from splice import api
    from splice.core.edit import Edit

    def report(edit: Edit) -> str:  # the API patched the running modules; its line is among the notes
        return str(edit)

    def splice_magic(line: str, cell: Any = None) -> None:
        """%%splice [-e|--append|--insert-before|--insert-after] [--force] [--keep-elided] [--dry-run]
        [--check STAGES|none] TARGET replaces the chunk with the cell (whole definition, or body without its def
        line); with -e the cell holds OLD, a line ===, then NEW: edit inside the chunk; %splice --remove TARGET.
        --check overrides `%splice_config checks=` for this edit (none: no checks).
        TARGET: path.py::Cls.meth, pkg.mod:func, or code defined in the notebook (Cls.meth, helper, In[7])."""
        p = _parser("splice", splice_magic.__doc__ or "")
        p.add_argument("target")
        mode = p.add_mutually_exclusive_group()
        for flag in ("--append", "--insert-before", "--insert-after", "--remove"):
            mode.add_argument(flag, action="store_true")
        mode.add_argument("-e", "--edit", action="store_true")
        p.add_argument("--force", action="store_true")
        p.add_argument("--keep-elided", action="store_true")
        p.add_argument("--dry-run", action="store_true")
        p.add_argument("--check", default=None)
        try:
            a = p.parse_args(shlex.split(line))
            if cell is None and not a.remove:
                raise SpliceError("%splice needs a cell body (%%splice TARGET) or --remove")
            kw = dict(force=a.force, dry_run=a.dry_run, check=a.check if a.check is not None else config.checks or None)
            with _live_rules():
                if a.remove:
                    edit = api.remove(a.target, **kw)
                elif a.edit:
                    edit = api.edit(a.target, *split_old_new(cell), **kw)
                elif a.append:
                    edit = api.append(a.target, cell, **kw)
                elif a.insert_before or a.insert_after:
                    edit = api.insert(a.target, cell, where="before" if a.insert_before else "after", **kw)
                else:
                    edit = api.replace(a.target, cell, keep_elided=a.keep_elided, **kw)
            print(report(edit))
        except SpliceError as exc:
            print("splice: %s: %s" % (type(exc).__name__, exc))
        except (OSError, LookupError, SyntaxError) as exc:
            print("splice: %s: %s" % (type(exc).__name__, exc))

    def splice_undo(line: str = "") -> None:
        """%splice_undo [PATH] [--steps N]: undo the newest edits (and update the running modules)."""
        p = _parser("splice_undo", splice_undo.__doc__ or "")
        p.add_argument("path", nargs="?")
        p.add_argument("--steps", type=int, default=1)
        try:
            a = p.parse_args(shlex.split(line))
            with _live_rules():  # each step patches the running modules back (its message says so)
                for message, _ in api.undo_steps(a.path, steps=a.steps):
                    print(message)
        except SpliceError as exc:
            print("splice: %s: %s" % (type(exc).__name__, exc))

    def runcells(line: str = "") -> None:
        """%runcells SCRIPT.py [--all]: run a `# %%` script cell by cell; again after an edit, only what changed
        and what reads it."""
        p = _parser("runcells", runcells.__doc__ or "")
        p.add_argument("script")
        p.add_argument("--all", action="store_true", help="run every cell")
        try:
            a = p.parse_args(shlex.split(line))
            from splice.notebook.cells import exec_in, report, run_script

            flags = getattr(getattr(ip, "compile", None), "flags", 0)
            execute = exec_in(ip.user_ns, a.script, transform=ip.transform_cell, flags=flags)
            print(report(a.script, run_script(a.script, execute, everything=a.all)))
        except SpliceError as exc:
            print("splice: %s: %s" % (type(exc).__name__, exc))
        except OSError as exc:
            print("splice: %s" % exc)

    ip.register_magic_function(runcells, "line", "runcells")
    ip.register_magic_function(splice_magic, "line_cell", "splice")
    ip.register_magic_function(splice_undo, "line", "splice_undo")
