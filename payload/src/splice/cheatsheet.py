"""The cheat sheet printed when the bundle loads and by %splice_help: at most 20 lines, every line an example."""

CHEATSHEET = """\
splice — edit code by name instead of rewriting files.  import splice
targets: "pkg/mod.py::Cls.meth"  "pkg.mod:func"  "mod.py::section:NAME"  "mod.py::imports"  "mod.py" (module)
  duplicates "f[0]" "f[1]";  property parts "Cls.x.setter";  overloads "f.overload[0]" "f.implementation"
explore: %outline m.py   %show m.py::Cls.meth   %find 'text' [dir] -w   %refs m.py::f   %doc json.dumps
  same in Python: splice.outline(p) .find(pat, dir) .refs(t) .doc(x); never print whole files
splice.show("m.py::Cls.meth")                      exact source of one chunk (also numbered=True, context=3)
splice.replace("m.py::Cls.meth", code)             code with def line: whole method; without: just the body
splice.edit("m.py::Cls.meth", "x + 1", "x + 2")    old text must occur once INSIDE the target: cheapest fix
splice.append("m.py::Cls", "def new(self): ...")   end of a class/function/section/module
splice.insert_after("m.py::helper", code)          also insert_before; indentation and blank lines handled
splice.remove("m.py::OLD_CONSTANT")                removes it and its blank lines
splice.add_import("m.py", "from x import y")       also drop_import("m.py", "y"), imports("m.py")
splice.batch("m.py", [("edit", "f", old, new), ("remove", "g")])    several edits, all or nothing
splice.create("new.py", code)   splice.undo("m.py", steps=1)   every edit returns an Edit with a diff
splice.test("tests/")  (%test, splice test)        failures first, then suspect lines as targets to show/edit
rules: write only the chunk you change; never '# ... same as above' (refused: it would delete code);
  a result that would not parse is refused with the line and caret (force=True overrides).
%%splice m.py::Cls.meth   (cell = new code; also --append/--insert-after/--remove; Cls.meth for notebook code)
  running objects are patched in place: no need to re-run cells or redefine classes; %splice_undo
%splice_help  %splice_config autoimport=off|exc_docs=off     (shell: python -m splice outline|show|find …)
"""


def text() -> str:
    return CHEATSHEET
