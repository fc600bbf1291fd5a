"""The cheat sheets: `text()` is what the bundle prints on import (at most 6 lines, 200 o200k tokens: it is paid in
every conversation), `full()` what `%splice_help` and `splice.help()` print (≤ 22 lines, each an example)."""

SHORT = """\
splice: edit code by name, never rewrite a file. Code defined in cells, by name (live objects patched too):
  splice.edit("Cls.meth", "old text", "new text")   splice.replace("Cls.meth", code)   splice.undo("Cls.meth")
files: splice.edit("pkg/mod.py::Cls.meth", old, new)   %outline m.py   %show m.py::f m.py::Cls.g  (several at once)
splice.test("tests/")  (%test): failures grouped, then suspect lines as targets to show/edit
more (insert, append, remove, batch, find, refs, imports, checks): splice.help() or %splice_help
"""

FULL = """\
splice — edit code by name instead of rewriting it.  import splice
notebook: name code defined in cells; running objects are patched, instances made before see the change:
splice.edit("TextWrapper._wrap_chunks", "len(x) + 2", "len(x)")    old text once INSIDE the target: cheapest fix
splice.show("Cls.meth")  splice.replace("Cls.meth", code)  splice.undo("Cls.meth")  print(splice.show("In[7]"))
%%splice -e Cls.meth   (cell: old text, a line ===, new text)    %%splice Cls.meth   (cell: the new code)
files: "pkg/mod.py::Cls.meth"  "pkg.mod:func"  "mod.py::section:NAME"  "mod.py::imports"  "mod.py" (module)
  duplicates "f[0]" "f[1]";  property parts "Cls.x.setter";  overloads "f.overload[0]" "f.implementation"
explore: %outline m.py (then m.py::Cls)  %show m.py::Cls.meth  %find 'txt' [dir|m.py::Cls] -w  %refs m.py::f  %doc x
  several in one budget: %show a.py::f b.py::g  %outline a.py b.py  %find -e txt1 -e txt2 dir  splice.show([t1, t2])
  same in Python: splice.outline(p) .find(pat, dir) .refs(t) .doc(x); never print whole files
splice.edit("m.py::Cls.meth", "x + 1", "x + 2")    show/replace/undo as above; code with def line: whole method
splice.append("m.py::Cls", "def new(self): ...")   end of a class/function/section/module
splice.insert_after("m.py::helper", code)          also insert_before; indentation and blank lines handled
splice.remove("m.py::OLD")  splice.add_import("m.py", "from x import y")  also drop_import(p, "y"), imports(p)
splice.batch("m.py", [("edit", "f", old, new), ("remove", "g")])    several edits, all or nothing
splice.create("new.py", code)  splice.undo("m.py")  edits return an Edit; check=True: lint, types, related tests
splice.test("tests/")  (%test, splice test)        failures first, then suspect lines as targets to show/edit
rules: write only the chunk you change; never '# ... same as above' (refused: it would delete code);
  a result that would not parse is refused with the line and caret (force=True overrides).
%%splice m.py::Cls.meth  (also -e/--append/--insert-after/--remove)  %splice_undo   modules are patched live
%splice_help  %splice_config autoimport=off|exc_docs=off     (shell: python -m splice outline|show|find …)
"""


def text() -> str:
    """The short sheet (the bundle's import prints it through this entry point)."""
    return SHORT


def full() -> str:
    return FULL
