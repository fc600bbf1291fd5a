"""The agent door's tools, declared once: the MCP server lists them, `splice tools` prints them as MCP, OpenAI or
Anthropic schemas, `splice call` runs one from a shell. Each tool is a thin layer over the library (same targets,
same budgets, same text as the CLI); this module adds only argument checking with teaching errors and the root
confinement. Stdlib only: function-calling harnesses need no `mcp` package.
"""

from __future__ import annotations

import json
import os
import re
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from splice import api
from splice.core.budget import DEFAULT_LINES
from splice.core.errors import BadTarget, SpliceError
from splice.doors.confine import Root
from splice.doors.kernel import Output

DEFAULT_CHECK = "syntax,names"
_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list}


class BadCall(BadTarget):
    """The arguments do not fit the tool: wrong type, missing or unknown."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # string | integer | boolean | array (of strings, unless `items` says otherwise)
    doc: str = ""
    required: bool = False
    choices: Tuple[str, ...] = ()
    items: Optional[Dict[str, Any]] = None

    def schema(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"type": self.kind}
        if self.kind == "array":
            out["items"] = self.items or {"type": "string"}
        if self.choices:
            out["enum"] = list(self.choices)
        if self.doc:
            out["description"] = self.doc
        return out


@dataclass(frozen=True)
class Tool:
    name: str
    doc: str
    params: Tuple[Param, ...]
    run: Callable[[Root, Dict[str, Any]], Any] = field(repr=False)  # str, or kernel.Output (images, error flag)
    example: Dict[str, Any] = field(default_factory=dict)  # for errors and docs, not sent in the schema
    writes: bool = False

    def schema(self) -> Dict[str, Any]:
        return {
            "type": "object",
            "properties": {p.name: p.schema() for p in self.params},
            "required": [p.name for p in self.params if p.required],
        }

    def usage(self) -> str:
        return "%s %s" % (self.name, json.dumps(self.example))


# ---------------------------------------------------------------------------------------------------- running


def _check(args: Dict[str, Any]) -> object:
    stages = args.get("check", DEFAULT_CHECK)
    return None if stages.strip() in ("", "none") else stages


def _outline(root: Root, a: Dict[str, Any]) -> str:
    from splice.explore.outline import outline

    target = a["target"]
    if os.path.isdir(os.path.join(root.folder, target)) or target.endswith("/"):
        root.path(target)
    else:
        root.target(target)  # a file or FILE::Qual inside the root; a module name may be read wherever it is
    return outline(target, depth=a.get("depth"), max_lines=a.get("max_lines", DEFAULT_LINES), door="tool")


def _show(root: Root, a: Dict[str, Any]) -> str:
    root.target(a["target"])
    return api.show_numbered(a["target"], context=a.get("context", 0))


def _find(root: Root, a: Dict[str, Any]) -> str:
    from splice.explore.search import find

    path = root.path(a.get("path", "."))
    return find(
        a["pattern"],
        path,
        regex=a.get("regex", False),
        word=a.get("word", False),
        max_lines=a.get("max_lines"),
        door="tool",
    )


def _refs(root: Root, a: Dict[str, Any]) -> str:
    from splice.explore.references import refs

    root.target(a["target"])
    return refs(a["target"], root=root.allowed[0] if root.allowed else root.folder)


def _doc(root: Root, a: Dict[str, Any]) -> str:
    """From source only: a dotted name becomes `module:Qual` of its longest importable module; nothing is run."""
    import builtins

    from splice.core.targets import find_module_file
    from splice.explore.docs import doc

    target = a["target"].strip()
    if "::" not in target and ":" not in target and not target.endswith(".py"):
        parts = target.split(".")
        if len(parts) == 1 and hasattr(builtins, target):
            return doc(target)
        for cut in range(len(parts), 0, -1):
            try:
                find_module_file(".".join(parts[:cut]))
            except SpliceError:
                continue
            target = ".".join(parts[:cut]) + (":" + ".".join(parts[cut:]) if parts[cut:] else "")
            break
        else:
            raise BadTarget("no module for %r on sys.path: write path.py::Name or pkg.mod:Name" % target)
    root.target(target)
    return doc(target)


def _edit_op(verb: str) -> Callable[[Root, Dict[str, Any]], str]:
    def run(root: Root, a: Dict[str, Any]) -> str:
        root.target(a["target"], write=True)
        kw = dict(check=_check(a))
        if verb == "edit":
            return str(api.edit(a["target"], a["old"], a["new"], **kw))
        if verb == "remove":
            return str(api.remove(a["target"], **kw))
        if verb == "insert":
            return str(api.insert(a["target"], a["code"], where=a.get("where", "after"), **kw))
        return str(getattr(api, verb)(a["target"], a["code"], **kw))

    return run


_OP_FIELDS = {
    "replace": ("code",),
    "append": ("code",),
    "insert_before": ("code",),
    "insert_after": ("code",),
    "edit": ("old", "new"),
    "remove": (),
}


def _batch(root: Root, a: Dict[str, Any]) -> str:
    path = root.path(a["path"], write=True)
    for i, op in enumerate(a["ops"]):
        kind = op.get("op") if isinstance(op, dict) else None
        if kind not in _OP_FIELDS:
            raise BadCall(
                'batch: ops[%d] needs "op": one of %s, e.g. %s'
                % (i, ", ".join(_OP_FIELDS), json.dumps(TOOLS["batch"].example))
            )
        for key in ("target",) + _OP_FIELDS[kind]:
            if not isinstance(op.get(key), str):
                raise BadCall(
                    "batch: ops[%d] (%s) needs %r as a string; it takes %s"
                    % (i, kind, key, ", ".join(("target",) + _OP_FIELDS[kind]))
                )
    return str(api.batch(path, a["ops"], check=_check(a)))


def _undo(root: Root, a: Dict[str, Any]) -> str:
    if a.get("steps", 1) < 1:
        raise BadCall("undo: steps counts edits to undo, 1 or more")
    return "\n".join(api.undo(root.path(a["path"], write=True), steps=a.get("steps", 1)))


def _create(root: Root, a: Dict[str, Any]) -> str:
    return str(api.create(root.path(a["path"], write=True), a["code"], check=_check(a)))


def _checks(root: Root, a: Dict[str, Any]) -> str:
    path = root.path(a["path"])
    return "checks %s:\n%s" % (path, api.check(path, a.get("stages", "default")))


def _imports(root: Root, a: Dict[str, Any]) -> str:
    add, drop, fix = a.get("add", []), a.get("drop", []), a.get("fix", False)
    path = root.path(a["path"], write=bool(add or drop or fix))
    done = [str(api.add_import(path, s)) for s in add] + [str(api.drop_import(path, n)) for n in drop]
    if fix:
        done.append(str(api.fix_imports(path)))
    return "\n".join(done) if done else api.imports(path)


def _run(root: Root, a: Dict[str, Any]) -> Output:
    from splice.doors import kernel

    k = kernel.session(root.folder)
    restarted = k.restart() if a.get("restart") else ""
    if not a.get("code"):
        if restarted:
            return Output(restarted)
        raise BadCall("run needs 'code' (or restart: true). e.g. %s" % TOOLS["run"].usage())
    if a.get("timeout", 60) < 1:
        raise BadCall("run: timeout is in seconds, 1 or more")
    out = k.run(a["code"], timeout=a.get("timeout", 60))
    if restarted:
        out.text = restarted + "\n" + out.text
    return out


def _test(root: Root, a: Dict[str, Any]) -> str:
    from splice.checks.testrun import test

    targets = a.get("targets") or None
    for t in targets or ():
        path = t.split("::", 1)[0]
        if path.endswith((".py", "/")) or os.path.exists(os.path.join(root.folder, path)):
            root.path(path)
    report = test(targets, max_failures=a.get("max_failures", 5), suspects=a.get("suspects", True), root=root.folder)
    return str(report)


# ---------------------------------------------------------------------------------------------------- declaration

TARGET = Param("target", "string", required=True)
CODE = Param("code", "string", required=True)
CHECK = Param(
    "check",
    "string",
    "checks in the reply: syntax,names (default); none; fast (+ruff,types); default (+related tests)",
)
PATH = Param("path", "string", "file", required=True)

TOOLS: Dict[str, Tool] = {
    t.name: t
    for t in [
        Tool(
            "outline",
            "Classes, functions, methods, sections of a file, module or folder: each line starts with the "
            "exact target, then lines and signature. Targets (all tools): path.py::Class.method, path.py::func, "
            "path.py::section:NAME, path.py::imports, path.py (module), pkg.mod:Name (read-only outside the root); "
            "duplicates name[1]; Cls.prop.setter. Chunks include decorators and their own comments.",
            (
                Param("target", "string", "file, folder or module", required=True),
                Param("depth", "integer"),
                Param("max_lines", "integer"),
            ),
            _outline,
            {"target": "app.py"},
        ),
        Tool(
            "show",
            "One chunk's source, numbered.",
            (TARGET, Param("context", "integer", "lines around")),
            _show,
            {"target": "app.py::Cart.total"},
        ),
        Tool(
            "find",
            "Search text (regex optional) grouped by file and enclosing symbol.",
            (
                Param("pattern", "string", required=True),
                Param("path", "string", "default: root"),
                Param("regex", "boolean"),
                Param("word", "boolean"),
                Param("max_lines", "integer"),
            ),
            _find,
            {"pattern": "total(", "path": "src"},
        ),
        Tool("refs", "Where a symbol is used in the root.", (TARGET,), _refs, {"target": "app.py::Cart.total"}),
        Tool(
            "doc",
            "Signature and docstring of a target or dotted name, from source.",
            (TARGET,),
            _doc,
            {"target": "json.dumps"},
        ),
        Tool(
            "edit",
            "Replace old text that occurs once inside the chunk (indentation-tolerant). No need to show "
            "first. Every edit tool replies with the diff and the checks.",
            (TARGET, Param("old", "string", required=True), Param("new", "string", required=True), CHECK),
            _edit_op("edit"),
            {"target": "app.py::Cart.total", "old": "i.price", "new": "i.price * i.qty"},
            True,
        ),
        Tool(
            "replace",
            "Replace a chunk: code from its def/class line (decorators kept unless given) replaces the "
            "definition, other code the body.",
            (TARGET, CODE, CHECK),
            _edit_op("replace"),
            {"target": "app.py::Cart.total", "code": "return sum(i.price for i in self.items)"},
            True,
        ),
        Tool(
            "insert",
            "Insert code before or after a chunk.",
            (TARGET, CODE, Param("where", "string", choices=("before", "after")), CHECK),
            _edit_op("insert"),
            {"target": "app.py::helper", "code": "def helper2():\n    return 2", "where": "after"},
            True,
        ),
        Tool(
            "append",
            "Append code to the end of a class, function, section, module or imports.",
            (TARGET, CODE, CHECK),
            _edit_op("append"),
            {"target": "app.py::Cart", "code": "def clear(self):\n    self.items = []"},
            True,
        ),
        Tool("remove", "Remove a chunk.", (TARGET, CHECK), _edit_op("remove"), {"target": "app.py::old_helper"}, True),
        Tool(
            "batch",
            "Several edits to one file, all or nothing. op: replace|edit|remove|append|insert_before|"
            "insert_after; target: name in the file.",
            (
                PATH,
                Param(
                    "ops",
                    "array",
                    required=True,
                    items={
                        "type": "object",
                        "properties": {k: {"type": "string"} for k in ("op", "target", "code", "old", "new")},
                        "required": ["op", "target"],
                    },
                ),
                CHECK,
            ),
            _batch,
            {
                "path": "app.py",
                "ops": [
                    {"op": "edit", "target": "Cart.total", "old": "i.price", "new": "i.cost"},
                    {"op": "remove", "target": "old_helper"},
                ],
            },
            True,
        ),
        Tool(
            "undo",
            "Undo a file's newest splice edits.",
            (PATH, Param("steps", "integer")),
            _undo,
            {"path": "app.py"},
            True,
        ),
        Tool(
            "create",
            "Create a new file.",
            (PATH, CODE, CHECK),
            _create,
            {"path": "pkg/new.py", "code": "def f():\n    return 1\n"},
            True,
        ),
        Tool(
            "check",
            "Checks on a file: syntax, names, ruff, types, tests (new issues apart from old).",
            (PATH, Param("stages", "string", "default (syntax,names,ruff,types), all (+tests), or a list")),
            _checks,
            {"path": "app.py", "stages": "all"},
        ),
        Tool(
            "imports",
            "A file's import block; add or drop imports, or fix adds missing ones.",
            (PATH, Param("add", "array", "statements"), Param("drop", "array", "names"), Param("fix", "boolean")),
            _imports,
            {"path": "app.py", "add": ["from decimal import Decimal"]},
            True,
        ),
        Tool(
            "run",
            "Run Python in a persistent IPython kernel (cwd: root; names persist; splice extension): stdout, "
            "stderr, result, error with docs; plots as images.",
            (
                Param("code", "string"),
                Param("timeout", "integer", "seconds (default 60), then interrupt"),
                Param("restart", "boolean", "fresh kernel first"),
            ),
            _run,
            {"code": "from app import Cart\nCart().total()"},
            True,
        ),
        Tool(
            "test",
            "pytest: failures first with their lines, passes counted, suspect code lines ranked.",
            (
                Param("targets", "array", "node ids, files, or a target (its related tests); default all"),
                Param("max_failures", "integer"),
                Param("suspects", "boolean", "default true"),
            ),
            _test,
            {"targets": ["tests/test_app.py::test_total"]},
        ),
    ]
}


def schemas(fmt: str = "mcp") -> List[Dict[str, Any]]:
    """The tool list for MCP (`tools/list`), OpenAI function calling or Anthropic tool use."""
    out = []
    for t in TOOLS.values():
        if fmt == "mcp":
            out.append(
                {
                    "name": t.name,
                    "description": t.doc,
                    "inputSchema": t.schema(),
                    "annotations": {"readOnlyHint": not t.writes},
                }
            )
        elif fmt == "openai":
            out.append(
                {"type": "function", "function": {"name": t.name, "description": t.doc, "parameters": t.schema()}}
            )
        elif fmt == "anthropic":
            out.append({"name": t.name, "description": t.doc, "input_schema": t.schema()})
        else:
            raise BadCall("unknown format %r: mcp, openai or anthropic" % fmt)
    return out


def _checked(tool: Tool, args: object) -> Dict[str, Any]:
    if not isinstance(args, dict):
        raise BadCall("%s takes a JSON object of arguments, e.g. %s" % (tool.name, tool.usage()))
    params = {p.name: p for p in tool.params}
    unknown = [k for k in args if k not in params]
    if unknown:
        raise BadCall(
            "%s has no argument %s; it takes %s. e.g. %s"
            % (tool.name, ", ".join(map(repr, unknown)), ", ".join(params), tool.usage())
        )
    missing = [p.name for p in tool.params if p.required and args.get(p.name) is None]
    if missing:
        raise BadCall("%s needs %s. e.g. %s" % (tool.name, ", ".join(map(repr, missing)), tool.usage()))
    out = {}
    for name, value in args.items():
        p = params[name]
        if value is None:
            continue
        ok = isinstance(value, _TYPES[p.kind]) and not (p.kind == "integer" and isinstance(value, bool))
        if ok and p.kind == "array" and p.items is None:
            ok = all(isinstance(v, str) for v in value)
        if ok and p.choices:
            ok = value in p.choices
        if not ok:
            want = (
                " or ".join(map(repr, p.choices))
                if p.choices
                else ("an array of strings" if p.kind == "array" and p.items is None else "a " + p.kind)
            )
            raise BadCall(
                "%s: %r must be %s, not %s. e.g. %s" % (tool.name, name, want, json.dumps(value)[:60], tool.usage())
            )
        out[name] = value
    return out


def call(name: str, args: object, root: Root) -> Any:
    """Run one tool call: str, or kernel.Output for `run`; errors are SpliceError with the text to show (bad
    arguments: BadCall)."""
    tool = TOOLS.get(name)
    if tool is None:
        raise BadCall("no tool %r; tools: %s" % (name, ", ".join(TOOLS)))
    return tool.run(root, _checked(tool, args))


def enter_root(folder: str) -> Root:
    """Serve `folder`: relative paths and module names are read from it, and undo steps are kept inside it (in
    <root>/.splice/journal) when the project's journal would lie outside."""
    from splice.core.files import project_root

    real = os.path.realpath(folder)
    if not os.path.isdir(real):
        raise BadCall("root %s is not a folder" % folder)
    os.chdir(real)
    if real not in sys.path:
        sys.path.insert(0, real)
    if not os.environ.get("SPLICE_JOURNAL_DIR") and os.path.realpath(project_root(os.path.join(real, "x.py"))) != real:
        os.environ["SPLICE_JOURNAL_DIR"] = os.path.join(real, ".splice", "journal")
    return Root(real)


def run_call(name: str, args: object, root: Root) -> Tuple[str, bool]:
    """(text, is_error): what `splice call` prints."""
    out = reply(name, args, root)
    return out.text, out.error


def reply(name: str, args: object, root: Root) -> Output:
    """What the server replies (text, images, error flag). Never raises; a bug in splice is one line for the model
    and a traceback on stderr for the person who runs the server."""
    try:
        done = call(name, args, root)
        return done if isinstance(done, Output) else Output(done)
    except SpliceError as exc:  # the library's hint to force a broken result has no counterpart in the tools
        text = "%s: %s" % (type(exc).__name__, str(exc).replace(" or pass force=True", ""))
    except re.error as exc:
        text = "BadCall: not a valid regular expression (%s); regex=false searches plain text" % exc
    except (OSError, UnicodeError, ValueError, LookupError, RecursionError) as exc:
        text = "%s: %s" % (type(exc).__name__, exc)
    except Exception as exc:  # noqa: BLE001 - the server keeps serving
        traceback.print_exc(file=sys.stderr)
        text = "InternalError: %s: %s (a bug in splice; the call did not finish)" % (type(exc).__name__, exc)
    return Output(text, error=True)
