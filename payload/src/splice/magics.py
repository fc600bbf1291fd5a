"""Line magics for exploring without dumping files: %outline %show %find %refs %doc (and %splice_help)."""

from __future__ import annotations

import argparse
import inspect
import shlex
from typing import Any, Callable, List

from splice.errors import SpliceError


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
    from splice.docs import doc
    from splice.outline import outline
    from splice.references import refs
    from splice.search import find

    def outline_magic(argv: List[str]) -> str:
        """%outline PATH_OR_MODULE [-d DEPTH] [--no-docs]: classes, functions, methods and sections, with lines."""
        p = _parser("outline", outline_magic.__doc__ or "")
        p.add_argument("target")
        p.add_argument("-d", "--depth", type=int, default=2)
        p.add_argument("--no-docs", action="store_true")
        a = p.parse_args(argv)
        return outline(a.target, depth=a.depth, docs=not a.no_docs)

    def show_magic(argv: List[str]) -> str:
        """%show TARGET [-c N] [--raw]: one symbol's source, numbered (path.py::Cls.meth, or a notebook name)."""
        from splice import api

        p = _parser("show", show_magic.__doc__ or "")
        p.add_argument("target")
        p.add_argument("-c", "--context", type=int, default=0)
        p.add_argument("--raw", action="store_true")
        a = p.parse_args(argv)
        if "::" not in a.target and ":" not in a.target and not a.target.endswith(".py"):
            return _live_source(ip, a.target)
        if a.raw:
            return api.show(a.target, context=a.context)
        return api.show_numbered(a.target, context=a.context)

    def find_magic(argv: List[str]) -> str:
        """%find PATTERN [PATH] [-w] [-r] [-i] [-g GLOB]: hits grouped by file and enclosing symbol."""
        p = _parser("find", find_magic.__doc__ or "")
        p.add_argument("pattern")
        p.add_argument("path", nargs="?", default=".")
        p.add_argument("-w", "--word", action="store_true")
        p.add_argument("-r", "--regex", action="store_true")
        p.add_argument("-i", "--ignore-case", action="store_true")
        p.add_argument("-g", "--glob", default="*.py")
        a = p.parse_args(argv)
        return find(a.pattern, a.path, regex=a.regex, word=a.word, glob=a.glob, ignore_case=a.ignore_case)

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


def _live_source(ip: Any, name: str) -> str:
    """Source of a class/function defined in the notebook (IPython keeps cell sources for inspect)."""
    from splice.docs import resolve_name

    obj = resolve_name(name, ip.user_ns)
    try:
        lines, start = inspect.getsourcelines(obj)
    except (OSError, TypeError) as exc:
        raise SpliceError("no source for %s: %s" % (name, exc)) from None
    width = len(str(start + len(lines)))
    return "\n".join("%*d  %s" % (width, start + i, line.rstrip("\n")) for i, line in enumerate(lines))
