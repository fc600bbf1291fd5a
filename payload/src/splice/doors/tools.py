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
        out: Dict[str, Any] = {"type": "object", "properties": {p.name: p.schema() for p in self.params}}
        required = [p.name for p in self.params if p.required]
        return dict(out, required=required) if required else out

    def usage(self) -> str:
        return "%s %s" % (self.name, json.dumps(self.example))


# ---------------------------------------------------------------------------------------------------- running


def _check(args: Dict[str, Any], default: str = DEFAULT_CHECK) -> str:
    """The stages as the call names them: "none" and "" mean no checks wherever they reach (normalize_stages)."""
    return args.get("check", default)


def _outline(root: Root, a: Dict[str, Any]) -> str:
    for target in a["targets"]:
        if os.path.isdir(os.path.join(root.folder, target)) or target.endswith("/"):
            root.path(target)
        else:
            root.target(target)  # a file or FILE::Qual inside the root; a module name may be read wherever it is
    return api.outline(a["targets"], depth=a.get("depth"), max_lines=a.get("max_lines", DEFAULT_LINES), door="tool")


def _show(root: Root, a: Dict[str, Any]) -> str:
    for target in a["targets"]:
        root.target(target)
    return api.show_numbered(a["targets"], context=a.get("context", 0), max_lines=a.get("max_lines"), door="tool")


def _find(root: Root, a: Dict[str, Any]) -> str:
    path = root.path(a.get("path", "."))
    return api.find(
        a["patterns"],
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


# The edit tool's operations: the fields each needs besides `target`, and an example (the usage a wrong call gets).
# Chunk operations act on a target; file operations on a path (`target` names the file).
OPS: Dict[str, Tuple[Tuple[str, ...], Dict[str, Any]]] = {
    "edit": (("old", "new"), {"target": "app.py::Cart.total", "old": "i.price", "new": "i.price * i.qty"}),
    "replace": (("code",), {"op": "replace", "target": "app.py::Cart.total", "code": "return sum(self.items)"}),
    "insert_before": (("code",), {"op": "insert_before", "target": "app.py::helper", "code": "X = 1"}),
    "insert_after": (("code",), {"op": "insert_after", "target": "app.py::helper", "code": "def h2():\n    pass"}),
    "append": (("code",), {"op": "append", "target": "app.py::Cart", "code": "def clear(self):\n    pass"}),
    "remove": ((), {"op": "remove", "target": "app.py::old_helper"}),
    "create": (("code",), {"op": "create", "target": "pkg/new.py", "code": "def f():\n    return 1\n"}),
    "undo": ((), {"op": "undo", "target": "app.py"}),
    "check": ((), {"op": "check", "target": "app.py", "check": "all"}),
    "fix_imports": ((), {"op": "fix_imports", "target": "app.py"}),
    "batch": (("ops",), {"target": "app.py", "ops": [{"op": "edit", "target": "Cart.total", "old": "a", "new": "b"},
                                                     {"op": "remove", "target": "old_helper"}]}),
}
_FIELDS = ("old", "new", "code", "ops", "steps")
_CHUNK_OPS = ("edit", "replace", "insert_before", "insert_after", "append", "remove")


def _usage(op: str) -> str:
    return "edit " + json.dumps(OPS[op][1])


def _edit(root: Root, a: Dict[str, Any]) -> str:
    """One tool for every change, as the str_replace editors have it: `op` picks the operation, its fields are
    checked here so that a wrong call answers with that operation's usage."""
    op = a.get("op") or ("batch" if a.get("ops") is not None else "edit")
    if op not in OPS:
        raise BadCall("edit: op %r is not one of %s. e.g. %s" % (op, ", ".join(OPS), _usage("replace")))
    needs, _ = OPS[op]
    missing = [k for k in needs if a.get(k) is None]
    extra = [k for k in _FIELDS if k in a and k not in needs and not (op == "undo" and k == "steps")]
    if missing or extra:
        said = "needs %s" % ", ".join(map(repr, missing)) if missing else "takes no %s" % ", ".join(map(repr, extra))
        raise BadCall("edit op %s %s. e.g. %s" % (op, said, _usage(op)))
    target, check = a["target"], _check(a, "default" if op == "check" else DEFAULT_CHECK)
    if op in _CHUNK_OPS:
        root.target(target, write=True)
        if op == "edit":
            return str(api.edit(target, a["old"], a["new"], check=check))
        if op == "remove":
            return str(api.remove(target, check=check))
        return str(getattr(api, op)(target, a["code"], check=check))
    if op == "batch":
        return _batch(root, target, a["ops"], check)
    path = root.path(target if op == "create" else target.split("::", 1)[0], write=op != "check")
    if op == "create":
        return str(api.create(path, a["code"], check=check))
    if op == "undo":
        if a.get("steps", 1) < 1:
            raise BadCall("edit op undo: steps counts edits to undo, 1 or more")
        return "\n".join(api.undo(path, steps=a.get("steps", 1)))
    if op == "check":
        return "checks %s:\n%s" % (path, api.check(path, check))
    return str(api.fix_imports(path))


def _batch(root: Root, target: str, ops: List[Any], check: str) -> str:
    """Several chunk operations in one file, all or nothing: `target` is the file or a chunk in it; each op's target
    a name in the file (or the same file's full target). An op without a target acts on the call's target, and a
    name not found in the file is looked for inside the call's chunk (`total` with target app.py::Cart)."""
    file, _, qual = target.partition("::")
    path = root.path(file, write=True)
    plain = []
    for i, op in enumerate(ops):
        kind = op.get("op", "edit") if isinstance(op, dict) else None
        if kind not in _CHUNK_OPS:
            raise BadCall('edit ops[%d] needs "op": one of %s. e.g. %s' % (i, ", ".join(_CHUNK_OPS), _usage("batch")))
        fields = OPS[kind][0]
        bad = [k for k in fields if not isinstance(op.get(k), str)]
        if op.get("target") is not None and not isinstance(op["target"], str):
            bad.insert(0, "target")
        if bad:
            raise BadCall(
                "edit ops[%d] (%s) needs %s as string%s (no target: the call's). e.g. %s"
                % (i, kind, ", ".join(bad), "s" if len(bad) > 1 else "", _usage("batch"))
            )
        name = op.get("target") or qual
        if "::" in name:
            other, name = name.split("::", 1)
            if root.path(other, write=True) != path:
                raise BadCall("edit ops[%d]: %s is not in %s; ops edit one file, all or nothing" % (i, other, file))
        plain.append(dict(op, op=kind, target=name))
    return str(api.batch(path + ("::" + qual if qual else ""), plain, check=check))


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
    from splice.testing.runner import test

    targets = a.get("targets") or None
    for t in targets or ():
        path = t.split("::", 1)[0]
        if path.endswith((".py", "/")) or os.path.exists(os.path.join(root.folder, path)):
            root.path(path)
    report = test(targets, max_failures=a.get("max_failures", 5), suspects=a.get("suspects", True), root=root.folder)
    return str(report)


# ---------------------------------------------------------------------------------------------------- declaration
# Every word here is paid by every conversation of every agent that lists the tools (docs/benchmarks/mcp.md):
# descriptions say what a model cannot guess, a wrong call answers with the usage (`_checked`, `_edit`).

TARGET = Param("target", "string", required=True)
TARGETS = Param("targets", "array", required=True)
LINES = Param("max_lines", "integer")
S = "string"

TOOLS: Dict[str, Tool] = {
    t.name: t
    for t in [
        Tool(
            "outline",
            "Classes, functions, sections of files, folders or modules: each line starts with its exact target. "
            "Targets (all tools): path.py::Cls.meth, path.py::section:NAME, path.py::imports, path.py, pkg.mod:Name; "
            "duplicates f[1]. Several targets: one reply.",
            (TARGETS, Param("depth", "integer"), LINES),
            _outline,
            {"targets": ["app.py"]},
        ),
        Tool(
            "show",
            "Source of targets, numbered.",
            (TARGETS, Param("context", "integer"), LINES),
            _show,
            {"targets": ["app.py::Cart.total", "app.py::helper"]},
        ),
        Tool(
            "find",
            "Search a path (default root), grouped by file and enclosing symbol.",
            (Param("patterns", "array", required=True), Param("path", S), Param("regex", "boolean"),
             Param("word", "boolean"), LINES),
            _find,
            {"patterns": ["total("], "path": "src"},
        ),
        Tool("refs", "Where a target is used.", (TARGET,), _refs, {"target": "app.py::Cart.total"}),
        Tool("doc", "Signature and docstring of a target or dotted name.", (TARGET,), _doc, {"target": "json.dumps"}),
        Tool(
            "edit",
            "Change code; replies with diff and checks. op: edit (default: old text once inside target -> new), "
            "replace (code; from def line: whole definition, else body), insert_before, insert_after, append "
            "(end of class/function/module; path.py::imports adds imports), remove; on a file target: create, undo "
            "(steps), check, fix_imports. ops: [{op, target, old, new, code}] in the target's file, all or nothing; "
            "an op without target acts on the call's. "
            "check: syntax,names (default) | none | fast (+ruff,types) | default (+related tests) | all.",
            (TARGET, Param("op", S, choices=tuple(OPS)), Param("old", S), Param("new", S),
             Param("code", S), Param("ops", "array", items={"type": "object"}), Param("check", S),
             Param("steps", "integer")),
            _edit,
            OPS["edit"][1],
            True,
        ),
        Tool(
            "run",
            "Python in a persistent IPython kernel (cwd root): output, errors with docs, plots as images.",
            (Param("code", S), Param("timeout", "integer", "seconds, default 60"), Param("restart", "boolean")),
            _run,
            {"code": "from app import Cart\nCart().total()"},
            True,
        ),
        Tool(
            "test",
            "pytest: failures first, then suspect lines as targets.",
            (Param("targets", "array", "node ids, files, or a target's related tests; default all"),
             Param("max_failures", "integer"), Param("suspects", "boolean")),
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
        if p.kind == "array" and p.items is None and isinstance(value, str):
            value = [value]  # one target or pattern as a plain string
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


_CREATE = re.compile(r"create\((['\"])(.*?)\1, code\)")


def _as_tool_calls(text: str) -> str:
    """The library's hints name Python calls; through this door they are `edit` ops (no force: a broken result is
    refused, a file is overwritten by replacing its module target)."""
    text = text.replace(" or pass force=True", "")
    text = text.replace("or create(..., force=True) to overwrite", 'or replace it whole: {"op": "replace"} on the file')
    return _CREATE.sub(lambda m: 'edit {"op": "create", "target": %s, "code": …}' % json.dumps(m.group(2)), text)


def reply(name: str, args: object, root: Root) -> Output:
    """What the server replies (text, images, error flag). Never raises; a bug in splice is one line for the model
    and a traceback on stderr for the person who runs the server."""
    try:
        done = call(name, args, root)
        return done if isinstance(done, Output) else Output(done)
    except SpliceError as exc:  # the library's hints, said as tool calls
        text = "%s: %s" % (type(exc).__name__, _as_tool_calls(str(exc)))
    except re.error as exc:
        text = "BadCall: not a valid regular expression (%s); regex=false searches plain text" % exc
    except (OSError, UnicodeError, ValueError, LookupError, RecursionError) as exc:
        text = "%s: %s" % (type(exc).__name__, exc)
    except Exception as exc:  # noqa: BLE001 - the server keeps serving
        traceback.print_exc(file=sys.stderr)
        text = "InternalError: %s: %s (a bug in splice; the call did not finish)" % (type(exc).__name__, exc)
    return Output(text, error=True)
