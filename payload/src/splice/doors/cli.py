"""`splice` on the command line, for agents that only have a shell. Stdlib argparse; same targets as the API."""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from splice import api
from splice.core.edit import Edit
from splice.core.errors import BadTarget, SpliceError

CHECKS_FAILED = 8  # the edit was written (and kept) or the file checked, and a check found problems

EPILOG = """\
targets:  path/to/mod.py::Class.method   pkg.mod:func   path.py (the module)   path.py::section:NAME
          path.py::imports   path.py::__main__   duplicates: name[0] name[1]   property parts: Cls.x.setter
          (a path on disk always wins over a module name; every command takes every form)
new code: --code 'TEXT', --code-file FILE, or standard input.

examples:
  splice outline app.py                 splice outline app.py::Cart         splice find 'total(' app.py::Cart
  splice show app.py::Cart.total        splice refs app.py::Cart.total      splice doc json.dumps
  splice show app.py::Cart.total app.py::helper     splice find -e total -e price src    (several: one budget)
  splice replace app.py::Cart.total <<'EOF'
  def total(self):
      return sum(i.price for i in self.items)
  EOF
  splice edit app.py::Cart.total --old 'i.price' --new 'i.price * i.qty'
  splice append app.py::Cart --code-file new_method.py
  splice insert app.py::helper --after --code 'def helper2():\\n    pass'
  splice imports app.py --add 'from decimal import Decimal'      splice imports app.py --fix
  splice replace app.py::Cart.total --check --code-file new.py   (verdict per stage, related tests included)
  splice edit app.py::Cart.total --old 'x' --new 'y' --check --no-tests      (--check all: whole suite if none related)
  splice check app.py --stages names,ruff,tests
  splice undo app.py

exit codes: 0 done, 1 other error; refused, nothing written: 2 bad target or usage, 3 not found, 4 ambiguous,
            5 would break syntax, 6 conflict (file changed on disk, overlapping edits), 7 elided code refused;
            8 checks found problems (after an edit: the edit IS written and kept; `splice undo FILE` reverts it).
"""


def _code(args: argparse.Namespace) -> str:
    if getattr(args, "code", None) is not None:
        return args.code.replace("\\n", "\n") if "\n" not in args.code else args.code
    if getattr(args, "code_file", None):
        with open(args.code_file, encoding="utf-8") as f:
            return f.read()
    if sys.stdin is None or sys.stdin.isatty():
        raise SpliceError("no new code: pass --code, --code-file, or pipe it on standard input")
    return sys.stdin.read()


def _stages(check: object, no_tests: bool) -> object:
    """--no-tests: the asked (or default) stages without the tests."""
    if not no_tests:
        return check
    from splice.checks.stages import normalize_stages

    return [s for s in normalize_stages(check or "default") if s != "tests"]


def _write_opts(args: argparse.Namespace) -> dict:
    check = _stages(args.check, args.no_tests)
    return dict(force=args.force, dry_run=args.dry_run, check=check, auto_import=args.auto_import)


def _patterns(args: argparse.Namespace, head: str = "splice find") -> "tuple[object, str]":
    """find's pattern(s) and path: with -e, the one positional word is the path (grep's way)."""
    if not args.regexp:
        if args.pattern is None:
            raise BadTarget("find needs a pattern: %s PATTERN [PATH], or -e PATTERN (repeatable) [PATH]" % head)
        return args.pattern, args.path
    if args.pattern is not None and args.path != ".":
        raise BadTarget("find with -e takes one PATH, not %r and %r" % (args.pattern, args.path))
    path = args.pattern if args.pattern is not None else args.path
    return (args.regexp[0] if len(args.regexp) == 1 else args.regexp), path


def _emit(result: object, as_json: bool) -> None:
    if isinstance(result, Edit):
        if as_json:
            data = {
                k: getattr(result, k)
                for k in ("op", "target", "path", "old_range", "new_range", "diff", "written", "notes")
            }
            if result.checks is not None:
                data["checks"] = {"ok": result.checks.ok, "stages": [s.line() for s in result.checks.stages]}
            print(json.dumps(data, indent=1))
        else:
            print(result)
    elif isinstance(result, list):
        print(json.dumps(result) if as_json else "\n".join(result))
    else:
        text = str(result)
        print(json.dumps({"text": text}) if as_json else text, end="" if text.endswith("\n") else "\n")


def _version() -> str:
    """`splice X.Y.Z (Python A.B.C, path/to/splice)`: which splice answers, for which interpreter, from where."""
    import os
    import platform

    from splice._version import __version__

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return "splice %s (Python %s, %s)" % (__version__, platform.python_version(), here)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="splice",
        description="Edit code by name: one class, function, method or section at a time.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--version", action="version", version=_version(), help="print splice's version and exit")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")

    def add(name: str, help_: str, code: bool = False, write: bool = True) -> argparse.ArgumentParser:
        sp = sub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=EPILOG,
            parents=[common],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sp.add_argument("target", help="what to act on (see targets below)")
        if code:
            sp.add_argument("--code", help="the new code (\\n for newlines)")
            sp.add_argument("--code-file", help="read the new code from this file")
        if write:
            sp.add_argument("--force", action="store_true", help="write even if the result does not parse")
            sp.add_argument("--dry-run", action="store_true", help="show the diff, write nothing")
            sp.add_argument("--check", nargs="?", const="default", default=None, metavar="STAGES",
                            help="after writing, run checks: syntax,names,ruff,types and the related tests within "
                                 "a time budget (default), 'fast' (no tests), 'all' (whole suite if none related), "
                                 "'none' (no checks)")
            sp.add_argument("--no-tests", action="store_true", help="checks without the tests (implies --check)")
            sp.add_argument("--auto-import", action="store_true", help="add unambiguous imports for new names")
        return sp

    s = add("show", "print chunks' source, numbered (--raw: exactly as in the file); several targets: one budget",
            write=False)
    s.add_argument("more", nargs="*", help="more targets, each shown under its name within the one budget")
    s.add_argument("-n", "--numbered", action="store_true", help="with line numbers (the default)")
    s.add_argument("--raw", action="store_true", help="the exact text, no numbers, no budget")
    s.add_argument("-C", "--context", type=int, default=0, help="lines of context around it")
    s.add_argument("--max-lines", type=int, default=None, help="budget for the numbered view (default 200)")
    o = sub.add_parser("outline", help="classes, functions, methods, sections with lines and signatures",
                       parents=[common])
    o.add_argument("target", nargs="+", help="a file, a module name, a package folder, or FILE::Class for one class; "
                   "several: each under its name within the one budget")
    o.add_argument("-d", "--depth", type=int, default=None, help="levels to show (default: 2 when they fit)")
    o.add_argument("--no-docs", action="store_true", help="leave out docstring first lines")
    o.add_argument("--max-lines", type=int, default=60)
    f = sub.add_parser("find", help="search, grouped by file and enclosing symbol", parents=[common])
    f.add_argument("pattern", nargs="?", help="the text (or give one or more -e PATTERN)")
    f.add_argument("path", nargs="?", default=".")
    f.add_argument("-e", "--regexp", action="append", default=[], metavar="PATTERN",
                   help="a pattern (repeatable: each search under its pattern within the one budget)")
    f.add_argument("-r", "--regex", action="store_true")
    f.add_argument("-w", "--word", action="store_true")
    f.add_argument("-i", "--ignore-case", action="store_true")
    f.add_argument("-g", "--glob", default="*.py")
    f.add_argument("--max-lines", type=int, help="line budget (default 60, and no larger than grep)")
    rf = sub.add_parser("refs", help="where a symbol is used across its project", parents=[common])
    rf.add_argument("target")
    rf.add_argument("--root", help="project folder (default: the nearest with .git/pyproject.toml)")
    rf.add_argument("--max-lines", type=int, default=60)
    dc = sub.add_parser("doc", help="signature and docstring of a name or path.py::Name", parents=[common])
    dc.add_argument("target")
    r = add("replace", "replace a chunk (with its def/class line: all of it; without: its body)", code=True)
    r.add_argument("--keep-elided", action="store_true", help="keep class members the new code elides")
    add("remove", "remove a chunk")
    add("append", "append to the end of a class, function, section, module or the imports", code=True)
    i = add("insert", "insert beside a chunk", code=True)
    side = i.add_mutually_exclusive_group(required=True)
    side.add_argument("--before", action="store_true")
    side.add_argument("--after", action="store_true")
    add("create", "create a new file (target: its path)", code=True)
    e = add("edit", "replace text that occurs exactly once inside the target chunk")
    e.add_argument("--old", required=True, help="text to find (once, inside the target)")
    e.add_argument("--new", required=True, help="replacement text")
    u = sub.add_parser("undo", help="undo the newest edits of a file (or of the project)", parents=[common])
    u.add_argument("target", nargs="?", help="the file (default: any file of the current project)")
    u.add_argument("--steps", type=int, default=1)
    u.add_argument("--force", action="store_true", help="undo even if the file changed since")
    c = sub.add_parser("chunks", help="list every target in a file", parents=[common])
    c.add_argument("target")
    im = sub.add_parser("imports", help="show the import block, or add/drop imports", parents=[common])
    im.add_argument("target")
    im.add_argument("--add", action="append", default=[], help="an import statement to add (repeatable)")
    im.add_argument("--drop", action="append", default=[], help="an imported name to drop (repeatable)")
    im.add_argument("--fix", action="store_true", help="add unambiguous imports for undefined names")
    cl = sub.add_parser("cells", help="run a `# %%` script cell by cell, or convert it to/from .ipynb",
                        parents=[common])
    cl.add_argument("action", choices=["run", "convert"])
    cl.add_argument("target", help="the script (run), or the source file (convert)")
    cl.add_argument("dest", nargs="?", help="convert: the destination (.ipynb or .py)")
    cl.add_argument("--keep-outputs", action="store_true", help="convert to .ipynb: keep outputs of unchanged cells")
    ck = sub.add_parser("check", help="run the checks on a file: syntax, names, ruff, types, tests", parents=[common])
    ck.add_argument("target")
    ck.add_argument("--stages", default="default",
                    help="comma list of syntax,names,ruff,types,tests; default (related tests within a budget), "
                         "fast (no tests), all, or none")
    ck.add_argument("--no-tests", action="store_true", help="leave the tests out")
    ck.add_argument("--keep-going", action="store_true", help="do not stop at the first failing stage")
    _agent_parsers(sub)
    _add_test_parser(sub, common)
    return p


def _agent_parsers(sub: "argparse._SubParsersAction") -> None:
    """`splice mcp|tools|call`: the agent door (docs/agents.md); the tools are declared once in splice.doors.tools."""
    m = sub.add_parser("mcp", help="serve the tools over MCP stdio (needs the extra splice[mcp])")
    m.add_argument("--root", default=".", help="the folder the agent may edit (default: the current one)")
    m.add_argument("--python", help="the interpreter of the run tool's kernel (default: this one; needs ipykernel)")
    t = sub.add_parser("tools", help="print the tool schemas (MCP, OpenAI function calling, Anthropic tool use)")
    t.add_argument("--format", choices=["mcp", "openai", "anthropic"], default="mcp")
    c = sub.add_parser("call", help="run one tool call: splice call edit '{\"target\": ..., \"old\": ...}'")
    c.add_argument("name")
    c.add_argument("arguments", nargs="?", default="{}", help="a JSON object (default {}; - reads standard input)")
    c.add_argument("--root", default=".", help="the folder the call may edit (default: the current one)")


def _run_agent(args: argparse.Namespace) -> int:
    from splice.doors import tools

    if args.cmd == "tools":
        print(json.dumps(tools.schemas(args.format), indent=1, ensure_ascii=False))
        return 0
    try:
        root = tools.enter_root(args.root)
    except SpliceError as exc:
        print("splice: %s" % exc, file=sys.stderr)
        return exc.exit_code
    if args.cmd == "mcp":
        try:
            from splice.doors.mcp_server import serve
        except ImportError as exc:
            print("splice mcp needs the mcp package (%s): pip install 'splice[mcp]'" % exc, file=sys.stderr)
            return 1
        from splice.doors.kernel import use_python

        use_python(args.python)
        serve(root)
        return 0
    raw = sys.stdin.read() if args.arguments == "-" else args.arguments
    try:
        arguments = json.loads(raw)
    except ValueError as exc:
        print("splice: arguments are not JSON (%s): %s" % (exc, raw[:80]), file=sys.stderr)
        return 2
    try:
        text, is_error = tools.run_call(args.name, arguments, root)
    finally:
        from splice.doors.kernel import shutdown_all

        shutdown_all()
    print(text, file=sys.stderr if is_error else sys.stdout)
    return 1 if is_error else 0


def _add_test_parser(sub: "argparse._SubParsersAction", common: argparse.ArgumentParser) -> None:
    from splice.testing.runner import TIMEOUT
    from splice.testing.suspects import FORMULAS

    t = sub.add_parser("test", help="run tests, failures first, then the suspicious library lines", parents=[common])
    t.add_argument("target", nargs="*", help="node ids, test files or folders, or a library target (its related "
                   "tests); none: the whole suite (from a folder above projects: each project's, from its root)")
    t.add_argument("--no-suspects", action="store_true", help="skip the second run that ranks suspicious lines")
    t.add_argument("--max-failures", type=int, default=5, help="groups of alike failures shown")
    t.add_argument("--max-groups", type=int, default=3, help="groups whose suspects are listed")
    t.add_argument("--top", type=int, default=5, help="suspicious lines per group of failures")
    t.add_argument("--formula", choices=sorted(FORMULAS), default="ochiai")
    t.add_argument("--timeout", type=float, default=TIMEOUT)


def _run_test(args: argparse.Namespace) -> int:
    from splice.testing.runner import test

    report = test(args.target, suspects=not args.no_suspects, max_failures=args.max_failures, top=args.top,
                  max_groups=args.max_groups, formula=args.formula, timeout=args.timeout)
    report.for_command("splice test", args.target)
    text = report.summary()
    print(json.dumps({"text": text, "ok": report.ok}) if args.json else text)
    return 0 if report.ok else 1


def run(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.cmd:
        parser.print_help()
        return 2
    if args.cmd in ("mcp", "tools", "call"):
        return _run_agent(args)
    try:
        result: object
        if args.cmd == "show":
            targets = [args.target] + args.more if args.more else args.target
            if args.raw:
                result = api.show(targets, context=args.context)
            else:
                result = api.show_numbered(targets, context=args.context, max_lines=args.max_lines, door="cli")
        elif args.cmd == "outline":
            result = api.outline(args.target, depth=args.depth, docs=not args.no_docs, max_lines=args.max_lines,
                                 door="cli")
        elif args.cmd == "find":
            pattern, path = _patterns(args)
            result = api.find(pattern, path, regex=args.regex, word=args.word, glob=args.glob,
                          ignore_case=args.ignore_case, max_lines=args.max_lines, door="cli")
        elif args.cmd == "refs":
            from splice.explore.references import refs

            result = refs(args.target, root=args.root, max_lines=args.max_lines)
        elif args.cmd == "doc":
            from splice.explore.docs import doc

            result = doc(args.target)
        elif args.cmd == "replace":
            result = api.replace(args.target, _code(args), keep_elided=args.keep_elided, **_write_opts(args))
        elif args.cmd == "remove":
            result = api.remove(args.target, **_write_opts(args))
        elif args.cmd == "append":
            result = api.append(args.target, _code(args), **_write_opts(args))
        elif args.cmd == "insert":
            where = "before" if args.before else "after"
            result = api.insert(args.target, _code(args), where=where, **_write_opts(args))
        elif args.cmd == "create":
            result = api.create(args.target, _code(args), **_write_opts(args))
        elif args.cmd == "edit":
            result = api.edit(args.target, args.old, args.new, **_write_opts(args))
        elif args.cmd == "cells":
            from splice.notebook import cells

            if args.action == "convert":
                if not args.dest:
                    raise SpliceError("cells convert needs SRC and DEST (script.py notebook.ipynb, or back)")
                result = cells.convert(args.target, args.dest, keep_outputs=args.keep_outputs)
            else:
                ns = {"__name__": "__main__", "__file__": args.target}
                results = cells.run_script(args.target, cells.exec_in(ns, args.target), everything=True)
                print(cells.report(args.target, results))
                return 0 if all(r.status != "error" for r in results) else 1
        elif args.cmd == "check":
            report = api.check(args.target, _stages(args.stages, args.no_tests), keep_going=args.keep_going)
            print("checks %s:\n%s" % (args.target, report))
            return 0 if report.ok else CHECKS_FAILED
        elif args.cmd == "test":
            return _run_test(args)
        elif args.cmd == "undo":
            result = api.undo(args.target, steps=args.steps, force=args.force)
        elif args.cmd == "chunks":
            result = api.chunks(args.target)
        else:  # imports
            result = api.imports(args.target)
            for stmt in args.add:
                result = api.add_import(args.target, stmt)
            for name in args.drop:
                result = api.drop_import(args.target, name)
            if args.fix:
                result = api.fix_imports(args.target)
    except SpliceError as exc:
        print("splice: %s: %s" % (type(exc).__name__, exc), file=sys.stderr)
        return exc.exit_code
    except (OSError, UnicodeDecodeError) as exc:
        print("splice: %s" % exc, file=sys.stderr)
        return 1
    _emit(result, args.json)
    checks = getattr(result, "checks", None)
    return CHECKS_FAILED if checks is not None and not checks.ok else 0


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
