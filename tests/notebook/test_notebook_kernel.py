"""Code defined in notebook cells, edited by bare name through the Python API, in a real kernel (issue 18)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from helpers import REPO, Kernel

pytestmark = pytest.mark.slow  # real kernels

pytest.importorskip("ipykernel")

WRAPPER = '''\
class TextWrapper:
    """Wraps text."""

    def __init__(self, width=10):
        self.width = width

    def _wrap_chunks(self, text, indent=""):
        width = self.width - len(indent) + 2
        return [indent + text[i:i + width] for i in range(0, len(text), width)]

    def fill(self, text):
        return "\\n".join(self._wrap_chunks(text))


tw = TextWrapper(3)
'''


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    work = tmp_path_factory.mktemp("nb")
    env = dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src"), SPLICE_JOURNAL_DIR=str(work / "journal"))
    k = Kernel(Path(sys.executable), env, work)
    r = k.execute("%load_ext splice\nimport splice, inspect")
    assert r.error is None, r.traceback
    yield k, work
    k.close()


def out(k: Kernel, code: str) -> str:
    r = k.execute(code)
    assert r.error is None, r.traceback
    return r.stdout + "".join(o.get("text/plain", "") for o in r.outputs)


def splice_frames(text: str) -> list:
    return re.findall(r"splice/\w+\.py|api\.py|targets\.py|notebook\.py", text)


def test_edit_again_show_undo_replace_of_a_cell_method(kernel):
    k, _ = kernel
    out(k, WRAPPER)
    reply = out(k, 'splice.edit("TextWrapper._wrap_chunks", "len(indent) + 2", "len(indent)")')
    label = re.search(r"\((In\[\d+\])\)", reply).group(1)
    assert reply.startswith("ok edit TextWrapper._wrap_chunks (%s): L8-8 → L8-8" % label)
    assert "live: notebook: patched TextWrapper._wrap_chunks" in reply
    assert '%s still shows the old text: print(splice.show("%s"))' % (label, label) in reply
    assert (
        "-        width = self.width - len(indent) + 2" in reply
        and "+        width = self.width - len(indent)" in reply
    )
    assert out(k, "print(tw.fill('abcdefg'))") == "abc\ndef\ng\n"  # the instance made before the edit
    assert "width = self.width - len(indent)\n" in out(k, "print(inspect.getsource(TextWrapper._wrap_chunks))")

    out(k, 'splice.edit("TextWrapper._wrap_chunks", "text[i:i + width]", "text[i:i + width].upper()")')
    shown = out(k, 'print(splice.show("TextWrapper._wrap_chunks"))')
    assert "len(indent)\n" in shown and ".upper()" in shown  # the second edit built on the first
    assert out(k, "print(tw.fill('abcdefg'))") == "ABC\nDEF\nG\n"
    assert ".upper()" in out(k, "print(inspect.getsource(tw._wrap_chunks))")
    cell = out(k, 'print(splice.show("%s"))' % label)
    assert cell.startswith("class TextWrapper:") and ".upper()" in cell and "tw = TextWrapper(3)" in cell

    assert "undid edit of TextWrapper._wrap_chunks (%s)" % label in out(
        k, 'print(splice.undo("TextWrapper._wrap_chunks"))'
    )
    assert out(k, "print(tw.fill('abcdefg'))") == "abc\ndef\ng\n"
    assert ".upper()" not in out(k, "print(inspect.getsource(TextWrapper._wrap_chunks))")

    out(k, "splice.replace(\"TextWrapper.fill\", \"return ' | '.join(self._wrap_chunks(text, '>'))\")")
    assert out(k, "print(tw.fill('abcd'), type(tw) is TextWrapper)") == ">ab | >cd True\n"
    assert "%show" not in out(k, "%show TextWrapper.fill") and "return ' | '.join(" in out(k, "%show TextWrapper.fill")


def test_nested_class_and_a_function_used_by_another_cell(kernel):
    k, _ = kernel
    out(k, "class Outer:\n    class Inner:\n        def meth(self):\n            return 'old'\n\ninner = Outer.Inner()")
    reply = out(k, 'splice.edit("Outer.Inner.meth", "\'old\'", "\'new\'")')
    assert "patched Outer" in reply and out(k, "print(inner.meth())") == "new\n"

    out(k, "def helper(x):\n    return x + 1\n\nkeep = helper")
    out(k, "def use(x):\n    return helper(x) * 10")
    out(k, 'splice.edit("helper", "x + 1", "x + 2")')
    assert out(k, "print(use(1), keep is helper, keep(0))") == "30 True 2\n"
    out(k, "import functools\n\n\n@functools.lru_cache()\ndef cached(x):\n    return x + 1")
    out(k, 'splice.edit("cached", "x + 1", "x + 5")')  # a wrapper: its __wrapped__ says where the code is
    assert out(k, "print(cached(1))") == "6\n"
    reply = out(k, 'splice.insert_after("helper", "def twice(x):\\n    return 2 * helper(x)")')
    assert "added twice" in reply and out(k, "print(twice(1))") == "6\n"
    reply = out(k, 'splice.append("Outer.Inner", "def other(self):\\n    return self.meth() * 2")')
    assert "added Outer.Inner.other" in reply
    assert out(k, "print(inner.other())") == "newnew\n"
    out(k, 'splice.remove("Outer.Inner.other")')
    assert out(k, "print(hasattr(inner, 'other'))") == "False\n"
    out(k, 'splice.batch("helper", [("edit", "helper", "x + 2", "x + 3"), ("edit", "twice", "2 *", "3 *")])')
    assert out(k, "print(use(1), twice(1))") == "40 12\n"
    assert out(k, "print(splice.undo()[0])").startswith("undid batch of In[")  # the newest edit: that cell's
    assert out(k, "print(use(1))") == "30\n"


def test_cell_magic_edit_form_on_notebook_code(kernel):
    k, _ = kernel
    out(k, "def greet(name):\n    return 'hello ' + name")
    reply = out(k, "%%splice -e greet\n'hello '\n===\n'hi '\n")
    assert reply.startswith("ok edit greet (In[") and out(k, "print(greet('bo'))") == "hi bo\n"
    reply = out(k, "%%splice -e greet\n'hi '\n")
    assert reply.startswith("splice: SpliceError: %%splice -e: the cell holds the old text, one line ===")
    reply = out(k, "%%splice greet\nreturn name.upper()\n")
    assert reply.startswith("ok replace greet") and out(k, "print(greet('bo'))") == "BO\n"
    assert "undid replace of greet" in out(k, "%splice_undo greet")
    assert out(k, "print(greet('bo'))") == "hi bo\n"


def test_unknown_names_and_failing_calls_print_short_errors_without_splice_frames(kernel):
    k, _ = kernel
    out(k, "class Basket:\n    def count(self):\n        return 1")
    for call, first, hint in [
        ('splice.edit("Baskett.count", "1", "2")', "NotFound: no 'Baskett.count' in the notebook", "closest: Basket"),
        ('splice.show("Basket.cont")', "NotFound: no 'Basket.cont' in In[", "closest: Basket.count"),
        ('splice.edit("Basket.count", "return 1", "return (")', "WouldBreakSyntax: edit refused", "return ("),
        ('splice.edit("Basket.count", "nothing", "x")', "NotFound", "Basket.count"),
    ]:
        r = k.execute(call)
        assert r.error is not None and r.stdout == ""
        lines = r.traceback.splitlines()
        assert 1 <= len(lines) <= 3 and lines[0].startswith(first) and hint in r.traceback, r.traceback
        assert not splice_frames(r.traceback) and "[splice] docs" not in r.traceback
    out(k, "from textwrap import TextWrapper as Imported\nbasket = Basket()")
    r = k.execute('splice.show("Imported.fill")')
    assert (
        r.traceback == "NotFound: 'Imported' was not defined in a cell; its file's target is textwrap:TextWrapper.fill"
    )
    r = k.execute('splice.show("basket.count")')
    assert r.traceback == "NotFound: 'basket' is a Basket instance; name its class: Basket.count"
    r = k.execute('splice.edit(3, "a", "b")')  # not a SpliceError: the user's line, no splice frame, no splice docs
    assert r.error["ename"] == "AttributeError" and not splice_frames(r.traceback)
    assert "raise" not in r.traceback and "target.strip()" not in r.traceback
    r = k.execute("x = 1; %outline m.py")  # a SyntaxError in the cell: no docs for IPython's compile()
    assert r.error["ename"] == "SyntaxError" and "[splice] docs" not in r.traceback


def test_file_targets_still_resolve_in_a_notebook(kernel):
    k, work = kernel
    (work / "shop.py").write_text("def total(items):\n    return sum(items)\n")
    out(k, "import json")
    reply = out(k, 'splice.edit("shop.py::total", "sum(items)", "sum(items) + 1")')
    assert reply.startswith("ok edit shop.py::total") and "sum(items) + 1" in (work / "shop.py").read_text()
    r = k.execute('splice.show("json.nope")')
    assert "'json' was not defined in a cell; its file's target is json:nope" in r.traceback
    (work / "use.py").write_text("from shop import total\n\ntotal([1])\n")
    lines = out(k, "%%refs %s::total" % (work / "shop.py")).splitlines()  # paths as written: absolute
    assert str(work / "use.py") in lines and str(work / "shop.py") in lines
    lines = out(k, "%refs shop.py::total").splitlines()  # relative, to where they were given
    assert "use.py" in lines and "shop.py" in lines
    (work / "many.py").write_text("".join("X%d = 'NEEDLE'\n" % i for i in range(80)))
    lines = out(k, "%find NEEDLE many.py").splitlines()
    assert len(lines) <= 61 and lines[-1] == "… 40 not in full: %find NEEDLE many.py --max-lines 81 shows all"
    assert len(out(k, "%find NEEDLE many.py -n 81").splitlines()) == 80


def test_one_name_for_every_cell_and_a_class_without_methods(tmp_path):
    """IPYKERNEL_CELL_NAME gives every cell the same compiled name: the input history says which cell it was."""
    env = dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src"), IPYKERNEL_CELL_NAME="<IPY-INPUT>")
    k = Kernel(Path(sys.executable), env, tmp_path)
    try:
        out(k, "%load_ext splice\nimport splice")
        out(k, "class Config:\n    limit = 1\n\n\nclass A:\n    def f(self):\n        return 1\n\n\na = A()")
        out(k, "y = 2")  # the newest cell, under the same name
        assert out(k, 'splice.edit("A.f", "return 1", "return 2")').startswith("ok edit A.f (In[2])")
        out(k, 'splice.edit("Config", "limit = 1", "limit = 5")')
        assert out(k, "print(a.f(), Config.limit)") == "2 5\n"
    finally:
        k.close()


def test_cell_code_keeps_slots_and_state_adds_super_and_refuses_enum_members(kernel):
    """Issue 29 on code defined in a cell: a method edit patches that function only; what cannot apply in place
    changes nothing and names the call that runs the cell's new text."""
    k, _ = kernel
    out(k, "import enum\n\n\nclass Slot:\n    __slots__ = ('v',)\n    count = 0\n\n    def __init__(self, v):\n"
           "        self.v = v\n        Slot.count += 1\n\n    def get(self):\n        return self.v\n\n\n"
           "class Color(enum.Enum):\n    RED = 1\n\n\nclass Kid(Slot):\n    __slots__ = ()\n\n    def get(self):\n"
           "        return 0\n\n\ns = Slot(3)\nkid = Kid(4)")
    reply = out(k, 'splice.edit("Slot.get", "return self.v", "return self.v * 2")')
    assert "live: notebook: patched Slot.get;" in reply, reply
    assert out(k, "print(s.get(), Slot(5).get(), Slot.count)") == "6 10 3\n"  # slots and class state intact
    reply = out(k, 'splice.edit("Kid.get", "return 0", "return super().get() + 1")')
    assert "patched Kid.get" in reply and out(k, "print(kid.get())") == "9\n"
    reply = out(k, 'splice.edit("Color", "RED = 1", "RED = 1\\n    BLUE = 2")')
    assert "live: notebook: not patched (Color: its Enum members changed (BLUE)" in reply, reply
    assert 'get_ipython().run_cell(splice.show("In[' in reply
    assert out(k, "print(list(Color), Color(1) is Color.RED)") == "[<Color.RED: 1>] True\n"
