"""One target syntax for every command (paths before module names), and outlines that reach class members."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import splice
from helpers import REPO
from splice.core.budget import DEFAULT_LINES
from splice.core.targets import parse_target
from splice.explore.outline import CHARS_PER_LINE, outline
from splice.explore.search import find

LIB = sysconfig.get_paths()["stdlib"]
OLD_SIG = "def parse_known_args(self, args=None, namespace=None):"
NEW_SIG = "def parse_known_args(self, args=None, namespace=None, local_copy=True):"


@pytest.fixture()
def shadow(tmp_path, monkeypatch):
    """A folder holding its own argparse.py (the stdlib's, with a marker parameter), cwd of the test."""
    folder = tmp_path / "proj"
    folder.mkdir()
    text = Path(LIB, "argparse.py").read_text(encoding="utf-8")
    assert text.count(OLD_SIG) == 1
    (folder / "argparse.py").write_text(text.replace(OLD_SIG, NEW_SIG), encoding="utf-8")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("SPLICE_JOURNAL_DIR", str(tmp_path / "journal"))
    return folder


def console(folder: Path, tmp: Path):
    """Run the CLI as the installed `splice` script runs: from a script in another folder (so the current folder
    is not on sys.path)."""
    runner = tmp / "bin" / "splice_runner.py"
    runner.parent.mkdir(exist_ok=True)
    runner.write_text(
        "import sys\nsys.path.insert(0, %r)\nfrom splice.doors.cli import main\nmain()\n"
        % str(REPO / "payload" / "src")
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(runner), *args], capture_output=True, text=True, cwd=folder, env=env)

    return run


def within_budget(text: str, max_lines: int = DEFAULT_LINES) -> bool:
    return len(text.splitlines()) <= max_lines and len(text) <= max_lines * CHARS_PER_LINE


@pytest.mark.slow
def test_a_path_on_disk_wins_over_the_stdlib_module_in_every_command(shadow, tmp_path):
    run = console(shadow, tmp_path)
    r = run("outline", "argparse.py::ArgumentParser")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("argparse.py::ArgumentParser  L") and "local_copy=True" in r.stdout
    assert run("outline", "argparse").stdout.startswith(str(shadow / "argparse.py"))
    assert "local_copy" in run("outline", "argparse::ArgumentParser").stdout  # MODULE::Qual: cwd first too
    assert "local_copy" in run("show", "argparse.py::ArgumentParser.parse_known_args").stdout
    assert "local_copy" in run("doc", "argparse.py::ArgumentParser.parse_known_args").stdout
    assert "local_copy" in run("doc", "argparse:ArgumentParser.parse_known_args").stdout
    r = run("find", "local_copy", "argparse.py::ArgumentParser")
    assert r.stdout.strip().startswith("ArgumentParser.parse_known_args  ") and r.stdout.count("\n") == 1
    assert run("find", "local_copy", "argparse.py::HelpFormatter").stdout.startswith("no hits")
    assert run("find", "local_copy", "argparse").stdout.strip().startswith("ArgumentParser.parse_known_args  ")
    r = run("refs", "argparse.py::ArgumentParser.parse_known_args")
    assert r.returncode == 0 and "argparse.py" in r.stdout and "typeshed" not in r.stdout and LIB not in r.stdout
    r = run(
        "edit", "argparse.py::ArgumentParser.parse_known_args", "--old", "local_copy=True", "--new", "local_copy=False"
    )
    assert r.returncode == 0, r.stderr
    assert "local_copy=False" in (shadow / "argparse.py").read_text()
    assert "local_copy" not in Path(LIB, "argparse.py").read_text()


def test_library_takes_the_same_forms(shadow):
    assert parse_target("argparse:ArgumentParser").path == str(shadow / "argparse.py")  # cwd before sys.path
    assert parse_target("argparse.py::ArgumentParser").path == "argparse.py"
    assert parse_target("argparse::ArgumentParser.parse_args").qualname == "ArgumentParser.parse_args"
    assert parse_target(".", folders=True).path == "."
    assert "local_copy" in splice.outline("argparse.py::ArgumentParser")
    assert "local_copy" in splice.show("argparse:ArgumentParser.parse_known_args")
    lines = find("namespace", "argparse.py::ArgumentParser.parse_known_args").splitlines()
    assert lines[0].startswith("  ArgumentParser.parse_known_args  ") and len(lines) > 2
    assert all(re.match(r"    \d+: ", line) for line in lines[1:])  # one run of hits: no other symbol
    assert find("namespace", "argparse.py::ArgumentParser.parse_known_args", max_lines=100).count("\n") < 20


def test_default_outline_of_a_big_file_says_what_it_cut_and_the_call_that_shows_it(shadow):
    out = outline("argparse.py")
    assert within_budget(out)
    assert "ArgumentParser  L" in out and "[29 members]" in out and "parse_known_args" not in out
    note = out.splitlines()[-1]
    assert (
        note.startswith("… left out to fit: ")
        and " entries marked [N members]; " in note
        and "one: splice.outline('argparse.py::ArgumentParser')" in note
    )
    members = outline("argparse.py::ArgumentParser")  # the call the note names: one more call reaches members
    assert within_budget(members)
    assert "ArgumentParser.parse_known_args  L" in members and "local_copy=True" in members
    cli = outline("argparse.py", door="cli").splitlines()[-1]
    assert "one: splice outline argparse.py::ArgumentParser (29 members)" in cli
    assert "all: splice outline argparse.py --depth 2 --max-lines " in cli
    assert "one: %outline argparse.py::ArgumentParser " in outline("argparse.py", door="magic")


def test_a_depth_or_budget_given_by_the_user_takes_effect(shadow):
    default = outline("argparse.py")
    deeper = outline("argparse.py", depth=2)
    assert deeper != default and within_budget(deeper)
    assert "HelpFormatter.__init__(self, prog" in deeper  # members shown, several a line
    last = deeper.splitlines()[-1]
    assert last.startswith("… ") and "more lines" in last and "depth=2, max_lines=" in last
    wanted = int(last.split("max_lines=")[-1].rstrip(")"))
    full = outline("argparse.py", depth=2, max_lines=wanted)  # the call the marker names shows all of it
    assert within_budget(full, wanted) and "ArgumentParser.parse_known_args(self, args=None" in full
    roomy = outline("argparse.py", max_lines=200)  # a bigger budget: two levels, one a line, with docstrings
    assert within_budget(roomy, 200) and "  ArgumentParser.parse_known_args  L" in roomy and "  — " in roomy
    shallow = outline("argparse.py", depth=1, max_lines=200)
    assert "[29 members]" in shallow and "ArgumentParser.parse_args" not in shallow


def test_members_of_a_huge_class_fit_one_call(tmp_path):
    body = "".join("    def method_%03d(self, value, *, flag=False):\n        return value\n\n" % i for i in range(150))
    p = tmp_path / "big.py"
    p.write_text("class Big:\n    '''Many methods.'''\n\n" + body)
    out = outline("%s::Big" % p)
    assert within_budget(out)
    assert all("Big.method_%03d(self, value, *, flag=False) L" % i in out for i in range(150))
    assert "… entries packed several a line to fit" in out


def test_outline_of_a_section_or_function_target(tmp_path):
    p = tmp_path / "m.py"
    p.write_text(
        "# section: api\nclass Cart:\n    def total(self):\n        return 0\n# endsection\n\n\n"
        "def outer(x):\n    def inner(y):\n        return y\n\n    return inner(x)\n"
    )
    out = outline("%s::section:api" % p)
    assert "Cart  L2-4  class" in out and "  Cart.total  L3-4  (self)" in out
    assert outline(str(p)).count("Cart.total") == 1  # a file's outline lists a section's code once, not under it
    q = tmp_path / "k.py"
    q.write_text(
        "class K:\n    # section: io\n    def read(self):\n        pass\n    # endsection\n\n"
        "    def other(self):\n        pass\n"
    )
    out = outline("%s::section:io" % q)
    assert "K.read  L3-4  (self)" in out and "K.other" not in out
    assert "outer.inner  L9-10  (y)" in outline("%s::outer" % p)
    with pytest.raises(splice.NotFound):
        outline("%s::Nope" % p)
