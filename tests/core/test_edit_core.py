"""The chunk-editing core: addressing, operations, nothing lost, errors that teach."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import splice
from splice.core import files
from splice.core.errors import Ambiguous, BadTarget, Conflict, ElidedCode, NotFound, SpliceError, WouldBreakSyntax

MOD = '''\
"""Module doc."""
from __future__ import annotations

import os
import sys

CONSTANT = 1
LIMIT: int = 10


# The main class.
@decorate
class Foo:
    """Foo doc."""

    attr = 3

    class Nested:
        def bar_method(self, x):
            return x + 1

    # helper comment
    @staticmethod
    def helper(a, b=2):
        """Add."""
        return a + b

    async def fetch(self):
        return await thing()

    @property
    def x(self):
        return self._x

    @x.setter
    def x(self, value):
        self._x = value

    @x.deleter
    def x(self):
        del self._x


def outer():
    def inner():
        return 1
    return inner


if sys.platform == "win32":
    def plat():
        return "win"
else:
    def plat():
        return "posix"


@overload
def conv(x: int) -> int: ...
@overload
def conv(x: str) -> str: ...
def conv(x):
    return x


if __name__ == "__main__":
    print(outer())
'''


@pytest.fixture()
def mod(tmp_path, monkeypatch):
    monkeypatch.setenv("SPLICE_JOURNAL_DIR", str(tmp_path / "journal"))
    path = tmp_path / "mod.py"
    path.write_text(MOD)
    return path


def t(path: Path, qual: str = "") -> str:
    return "%s::%s" % (path, qual) if qual else str(path)


# ------------------------------------------------------------------------------------------------------ addressing


def test_every_kind_of_symbol_is_addressable(mod):
    names = splice.chunks(str(mod))
    for q in [
        "imports",
        "CONSTANT",
        "LIMIT",
        "Foo",
        "Foo.attr",
        "Foo.Nested",
        "Foo.Nested.bar_method",
        "Foo.helper",
        "Foo.fetch",
        "Foo.x",
        "Foo.x.getter",
        "Foo.x.setter",
        "Foo.x.deleter",
        "outer",
        "outer.inner",
        "plat[0]",
        "plat[1]",
        "conv",
        "conv.overload[0]",
        "conv.overload[1]",
        "conv.implementation",
        "__main__",
    ]:
        assert q in names, q
    assert (
        splice.show(t(mod, "Foo.Nested.bar_method")) == "        def bar_method(self, x):\n            return x + 1\n"
    )
    assert splice.show(t(mod, "LIMIT")) == "LIMIT: int = 10\n"
    assert splice.show(t(mod, "imports")) == "from __future__ import annotations\n\nimport os\nimport sys\n"
    assert splice.show(t(mod, "__main__")).startswith('if __name__ == "__main__":')
    assert splice.show(t(mod, "Foo.fetch")).lstrip().startswith("async def fetch")


def test_chunk_includes_decorators_and_attached_comments(mod):
    shown = splice.show(t(mod, "Foo"))
    assert shown.startswith("# The main class.\n@decorate\nclass Foo:")
    helper = splice.show(t(mod, "Foo.helper"))
    assert helper.startswith("    # helper comment\n    @staticmethod\n")
    assert splice.show(t(mod, "Foo.x.setter")).startswith("    @x.setter\n")
    group = splice.show(t(mod, "Foo.x"))
    assert "@property" in group and "@x.setter" in group and "@x.deleter" in group


def test_module_target_by_dotted_name_without_importing(tmp_path, monkeypatch):
    pkg = tmp_path / "pkgx"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise RuntimeError('imported!')\n")
    (pkg / "mod.py").write_text("def f():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert splice.show("pkgx.mod:f") == "def f():\n    return 1\n"
    assert "pkgx" not in __import__("sys").modules


def test_ambiguous_lists_every_candidate_with_line_and_target(mod):
    with pytest.raises(Ambiguous) as err:
        splice.show(t(mod, "plat"))
    msg = str(err.value)
    assert "plat[0]" in msg and "plat[1]" in msg and "line" in msg and str(mod) + "::plat[1]" in msg
    assert err.value.candidates == ["plat[0]", "plat[1]"]


def test_not_found_suggests_closest_names_and_parent_outline(mod):
    with pytest.raises(NotFound) as err:
        splice.show(t(mod, "Foo.helpr"))
    msg = str(err.value)
    assert "Foo.helper" in msg and "Foo has:" in msg and "def fetch" in msg
    with pytest.raises(NotFound) as err:
        splice.show(t(mod, "bar_method"))
    assert "Foo.Nested.bar_method" in str(err.value)


def test_bad_targets_are_one_clear_line(mod):
    with pytest.raises(BadTarget) as err:
        splice.show("Foo.bar")
    assert "names no file" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(BadTarget):
        splice.show(t(mod, "Foo bar"))


# ------------------------------------------------------------------------------------------------------ operations


def test_replace_whole_method_at_any_indentation(mod):
    e = splice.replace(t(mod, "Foo.Nested.bar_method"), "def bar_method(self, x):\n    return x * 2\n")
    assert e.written and e.old_range == (19, 20) and "+            return x * 2" in e.diff
    text = mod.read_text()
    assert "        def bar_method(self, x):\n            return x * 2\n" in text
    assert text.replace("x * 2", "x + 1") == MOD  # every other byte kept


def test_replace_body_only(mod):
    splice.replace(t(mod, "Foo.helper"), '"""Add them."""\nreturn a + b + 0')
    shown = splice.show(t(mod, "Foo.helper"))
    assert shown == (
        '    # helper comment\n    @staticmethod\n    def helper(a, b=2):\n        """Add them."""\n'
        "        return a + b + 0\n"
    )


def test_replace_without_comment_keeps_attached_comment(mod):
    splice.replace(t(mod, "Foo.helper"), "@staticmethod\ndef helper(a, b=3):\n    return a - b")
    assert splice.show(t(mod, "Foo.helper")).startswith(
        "    # helper comment\n    @staticmethod\n    def helper(a, b=3)"
    )


def test_replace_from_the_def_line_keeps_decorators_and_comments(mod):
    splice.replace(t(mod, "Foo.helper"), "def helper(a, b=4):\n    return a * b")
    assert splice.show(t(mod, "Foo.helper")) == (
        "    # helper comment\n    @staticmethod\n    def helper(a, b=4):\n        return a * b\n"
    )
    splice.replace(t(mod, "Foo.x.getter"), "def x(self):\n    return 1")
    assert splice.show(t(mod, "Foo.x.getter")) == "    @property\n    def x(self):\n        return 1\n"
    splice.replace(t(mod, "Foo.helper"), "@classmethod\ndef helper(cls):\n    return 0")  # given ones replace them
    assert "@staticmethod" not in mod.read_text() and "    @classmethod\n    def helper(cls):" in mod.read_text()


def test_replace_property_group_and_part(mod):
    splice.replace(t(mod, "Foo.x.setter"), "@x.setter\ndef x(self, value):\n    self._x = int(value)")
    assert "int(value)" in splice.show(t(mod, "Foo.x.setter"))
    splice.replace(t(mod, "Foo.x"), "@property\ndef x(self):\n    return 0")
    assert splice.show(t(mod, "Foo.x")) == "    @property\n    def x(self):\n        return 0\n"
    assert "x.setter" not in mod.read_text()


def test_replace_conditional_duplicate_and_overload(mod):
    splice.replace(t(mod, "plat[1]"), 'def plat():\n    return "unix"')
    assert '    def plat():\n        return "unix"\n' in mod.read_text()
    splice.replace(t(mod, "conv.implementation"), "def conv(x):\n    return x * 1")
    assert "return x * 1" in mod.read_text() and mod.read_text().count("@overload") == 2


def test_scoped_edit_only_inside_target(tmp_path, monkeypatch):
    monkeypatch.setenv("SPLICE_JOURNAL_DIR", str(tmp_path / "j"))
    p = tmp_path / "m.py"
    p.write_text("def a():\n    x = compute(1)\n    return x\n\n\ndef b():\n    x = compute(1)\n    return x\n")
    e = splice.edit(t(p, "b"), "compute(1)", "compute(2)")
    assert p.read_text().count("compute(1)") == 1 and "compute(2)" in splice.show(t(p, "b"))
    assert e.old_range == (7, 7)  # exactly the changed line
    with pytest.raises(Ambiguous) as err:
        splice.edit(str(p), "x = compute", "y = compute")
    assert "lines 2, 7" in str(err.value)
    with pytest.raises(NotFound) as err:
        splice.edit(t(p, "a"), "compute(9)", "z")
    assert "closest lines" in str(err.value)


def test_scoped_edit_tolerates_indentation_of_old_text(mod):
    splice.edit(t(mod, "Foo.helper"), '"""Add."""\nreturn a + b', '"""Add."""\nreturn b + a')
    assert "        return b + a\n" in mod.read_text()


def test_remove_keeps_blank_lines_and_parseability(tmp_path, monkeypatch):
    monkeypatch.setenv("SPLICE_JOURNAL_DIR", str(tmp_path / "j"))
    p = tmp_path / "m.py"
    p.write_text("import os\n\n\ndef a():\n    pass\n\n\ndef b():\n    pass\n\n\ndef c():\n    pass\n")
    splice.remove(t(p, "b"))
    assert p.read_text() == "import os\n\n\ndef a():\n    pass\n\n\ndef c():\n    pass\n"
    splice.remove(t(p, "c"))
    assert p.read_text() == "import os\n\n\ndef a():\n    pass\n"
    q = tmp_path / "k.py"
    q.write_text("class K:\n    def only(self):\n        return 1\n\n\nx = 1\n")
    splice.remove(t(q, "K.only"))
    assert q.read_text() == "class K:\n    pass\n\n\nx = 1\n"


def test_append_and_insert_follow_blank_line_convention(mod):
    splice.append(t(mod, "Foo"), "def last(self):\n    return 1")
    assert "        del self._x\n\n    def last(self):\n        return 1\n\n\ndef outer" in mod.read_text()
    splice.insert(t(mod, "outer"), "def before_outer():\n    pass", where="before")
    assert "\n\n\ndef before_outer():\n    pass\n\n\ndef outer():" in mod.read_text()
    splice.insert(t(mod, "CONSTANT"), "OTHER = 2", where="after")
    assert "CONSTANT = 1\nOTHER = 2\nLIMIT" in mod.read_text()
    splice.append(str(mod), "def tail():\n    return 0")
    assert mod.read_text().endswith("    print(outer())\n\n\ndef tail():\n    return 0\n")
    splice.append(t(mod, "outer"), "inner.flag = True")
    assert "    return inner\n    inner.flag = True\n" in mod.read_text()


def test_imports_show_add_drop(mod):
    splice.add_import(str(mod), "import json\nimport os")
    block = splice.imports(str(mod))
    assert block.count("import os") == 1 and "import json" in block
    splice.drop_import(str(mod), "sys")
    assert "import sys" not in splice.imports(str(mod))
    p = mod.parent / "noimports.py"
    p.write_text('"""Doc."""\nX = 1\n')
    splice.add_import(str(p), "import re")
    assert p.read_text() == '"""Doc."""\n\nimport re\n\nX = 1\n'


def test_create_and_refuse_existing(tmp_path, monkeypatch):
    monkeypatch.setenv("SPLICE_JOURNAL_DIR", str(tmp_path / "j"))
    p = tmp_path / "new" / "fresh.py"
    e = splice.create(str(p), "def f():\n    return 1\n")
    assert e.written and p.read_text() == "def f():\n    return 1\n"
    with pytest.raises(SpliceError):
        splice.create(str(p), "x = 1")
    splice.undo(str(p))
    assert not p.exists()


def test_batch_is_atomic_with_original_positions(mod):
    before = mod.read_text()
    e = splice.batch(
        str(mod),
        [
            ("replace", "Foo.Nested.bar_method", "def bar_method(self, x):\n    return 0"),
            ("edit", "outer", "return 1", "return 2"),
            ("remove", "CONSTANT"),
            ("append", "Foo", "def added(self):\n    pass"),
        ],
    )
    text = mod.read_text()
    assert "return 0" in text and "return 2" in text and "CONSTANT" not in text and "def added" in text
    assert e.written
    mod.write_text(before)
    with pytest.raises(Conflict):
        splice.batch(str(mod), [("remove", "Foo"), ("replace", "Foo.helper", "return 0")])
    with pytest.raises(NotFound):
        splice.batch(str(mod), [("remove", "CONSTANT"), ("remove", "Nope")])
    assert mod.read_text() == before  # all or nothing


# ------------------------------------------------------------------------------------------------------ nothing lost


def test_syntax_error_refused_with_location_in_new_code(mod):
    before = mod.read_bytes()
    with pytest.raises(WouldBreakSyntax) as err:
        splice.replace(t(mod, "Foo.helper"), "def helper(a, b=2):\n    x = (1,\n    return a")
    msg = str(err.value)
    assert "new code" in msg and "^" in msg and "nothing was written" in msg
    assert mod.read_bytes() == before
    splice.replace(t(mod, "Foo.helper"), "def helper(a, b=2):\n    return (", force=True)
    assert "return (" in mod.read_text()


@pytest.mark.parametrize(
    "name,raw",
    [
        ("crlf", MOD.replace("\n", "\r\n").encode()),
        ("bom", b"\xef\xbb\xbf" + MOD.encode()),
        ("latin1", ("# -*- coding: latin-1 -*-\n" + MOD.replace("Foo doc.", "Foo d\u00e9j\u00e0.")).encode("latin-1")),
        ("no-final-newline", MOD.rstrip("\n").encode()),
        ("tabs", MOD.replace("    ", "\t").encode()),
    ],
)
def test_bytes_outside_the_chunk_survive(tmp_path, monkeypatch, name, raw):
    monkeypatch.setenv("SPLICE_JOURNAL_DIR", str(tmp_path / "j"))
    p = tmp_path / "m.py"
    p.write_bytes(raw)
    os.chmod(p, 0o640)
    new_method = "def bar_method(self, x):\n    return x + 1\n"  # same code, written with spaces and LF
    e = splice.replace(t(p, "Foo.Nested.bar_method"), new_method)
    assert p.read_bytes() == raw, name
    assert not e.changed
    splice.replace(t(p, "Foo.Nested.bar_method"), "def bar_method(self, x):\n    return x + 2\n")
    out = p.read_bytes()
    assert out.replace(b"x + 2", b"x + 1") == raw
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640
    if name == "tabs":
        assert b"\t\tdef bar_method(self, x):\n\t\t\treturn x + 2\n" in out
    if name == "crlf":
        assert b"\r\n" in out and b"\n" not in out.replace(b"\r\n", b"")
    splice.append(t(p, "Foo"), "def z(self):\n    return 1")
    splice.undo(str(p), steps=2)
    assert p.read_bytes() == raw


def test_edit_result_and_multilevel_undo_journal_outside_sources(tmp_path, monkeypatch):
    monkeypatch.delenv("SPLICE_JOURNAL_DIR", raising=False)
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    src = tmp_path / "src"
    src.mkdir()
    p = src / "m.py"
    p.write_text("def f():\n    return 1\n")
    versions = [p.read_text()]
    for i in range(2, 5):
        e = splice.replace(t(p, "f"), "return %d" % i)
        assert isinstance(e, splice.Edit) and e.before == versions[-1] and e.after == p.read_text()
        versions.append(p.read_text())
    journal = tmp_path / ".splice" / "journal"
    assert len(list(journal.glob("*.json"))) == 3 and (tmp_path / ".splice" / ".gitignore").read_text() == "*\n"
    assert sorted(os.listdir(src)) == ["m.py"]
    splice.undo(str(p))
    assert p.read_text() == versions[2]
    splice.undo(str(p), steps=2)
    assert p.read_text() == versions[0]
    with pytest.raises(SpliceError):
        splice.undo(str(p))


def test_changed_on_disk_is_detected(mod):
    loaded = files.load(str(mod))
    mod.write_text(MOD + "\nX = 2\n")
    with pytest.raises(Conflict):
        files.write_atomic(loaded.path, b"whatever", loaded.digest)
    assert mod.read_text().endswith("X = 2\n")
    splice.replace(t(mod, "CONSTANT"), "CONSTANT = 5")
    mod.write_text(mod.read_text() + "# edited by hand\n")
    with pytest.raises(Conflict):
        splice.undo(str(mod))
    assert mod.read_text().endswith("# edited by hand\n")


# ------------------------------------------------------------------------------------------------------ elision


def test_elided_class_replacement_is_refused_naming_lost_members(mod):
    before = mod.read_text()
    code = "class Foo:\n    attr = 4\n    # ... (same as above)\n"
    with pytest.raises(ElidedCode) as err:
        splice.replace(t(mod, "Foo"), code)
    msg = str(err.value)
    assert "Foo.helper" in msg and "Foo.fetch" in msg and "keep_elided" in msg
    assert mod.read_text() == before
    e = splice.replace(t(mod, "Foo"), code, keep_elided=True)
    text = mod.read_text()
    assert "attr = 4" in text and "def helper" in text and "def fetch" in text and "same as above" not in text
    assert any("kept from the old code" in n for n in e.notes)
    import ast

    ast.parse(text)


def test_elided_function_body_is_refused_but_stub_ellipsis_is_not(mod):
    with pytest.raises(ElidedCode):
        splice.replace(t(mod, "Foo.helper"), "def helper(a, b=2):\n    # rest unchanged\n    return a")
    splice.replace(t(mod, "Foo.fetch"), "async def fetch(self):\n    ...")
    assert "    async def fetch(self):\n        ...\n" in mod.read_text()


# ------------------------------------------------------------------------------------------------------ sections


SECTIONS = """\
import os

# section: setup
A = 1

# Section : inner
B = 2
# end section
# endsection


class K:
    # section: methods
    def m(self):
        return 1
    # endsection: methods
"""


def test_sections_nested_in_class_and_lenient_markers(tmp_path, monkeypatch):
    monkeypatch.setenv("SPLICE_JOURNAL_DIR", str(tmp_path / "j"))
    p = tmp_path / "s.py"
    p.write_text(SECTIONS)
    assert splice.show(t(p, "section:inner")) == "# Section : inner\nB = 2\n# end section\n"
    assert "A = 1" in splice.show(t(p, "section:SETUP"))
    splice.replace(t(p, "section:inner"), "B = 3\nC = 4")
    assert "# Section : inner\nB = 3\nC = 4\n# end section\n" in p.read_text()
    splice.append(t(p, "section:methods"), "def n(self):\n    return 2")
    assert "    def n(self):\n        return 2\n    # endsection: methods" in p.read_text()


def test_upper_case_markers_are_sections_too(tmp_path, monkeypatch):
    """The markers' case is free (`# SECTION: X` … `# ENDSECTION`), as their names' is, with any line ending."""
    monkeypatch.setenv("SPLICE_JOURNAL_DIR", str(tmp_path / "j"))
    for newline in ("\n", "\r\n", "\r"):
        p = tmp_path / "upper.py"
        p.write_bytes(newline.join(["import os", "# SECTION: CONFIG", "A = 1", "# ENDSECTION", "B = 2", ""]).encode())
        assert splice.show(t(p, "section:config")) == newline.join(["# SECTION: CONFIG", "A = 1", "# ENDSECTION", ""])
        splice.replace(t(p, "section:CONFIG"), "A = 3")
        after = ["import os", "# SECTION: CONFIG", "A = 3", "# ENDSECTION", "B = 2", ""]
        assert p.read_bytes() == newline.join(after).encode()
    # text whose lower case is longer ('İ' is two characters lower-cased) above the markers
    p.write_text('CITY = "%s"\n# section: setup\nx = 1\n# endsection\ny = 2\n' % ("İstanbul " * 20))
    assert splice.show(t(p, "section:setup")) == "# section: setup\nx = 1\n# endsection\n"


@pytest.mark.parametrize(
    "broken,expected",
    [
        ("# section: a\nx = 1\n", "never closed"),
        ("# section: a\nx = 1\n# endsection: b\n", "closes section 'a'"),
        ("x = 1\n# endsection\n", "without an open section"),
    ],
)
def test_broken_sections_are_clear_errors(tmp_path, broken, expected):
    p = tmp_path / "b.py"
    p.write_text(broken)
    with pytest.raises(SpliceError) as err:
        splice.show(t(p, "section:a"))
    assert expected in str(err.value)
    assert splice.show(t(p, "x")) == "x = 1\n"  # the rest of the file stays editable


def test_marker_inside_a_string_is_not_a_section(tmp_path):
    p = tmp_path / "d.py"
    p.write_text('DOC = """\n# section: fake\n"""\n')
    with pytest.raises(NotFound):
        splice.show(t(p, "section:fake"))


def test_dedent_keeps_string_lines_left_of_the_code(tmp_path, monkeypatch):
    monkeypatch.setenv("SPLICE_JOURNAL_DIR", str(tmp_path / "j"))
    p = tmp_path / "m.py"
    p.write_text("class A:\n    def f(self):\n        pass\n")
    code = '        def f(self):\n            return """\nleft\n            kept\n"""\n'
    splice.replace(t(p, "A.f"), code)
    assert p.read_text() == 'class A:\n    def f(self):\n        return """\nleft\n        kept\n"""\n'
