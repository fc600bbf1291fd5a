"""The cheat sheet printed when the bundle loads and by %splice_help: at most 20 lines."""

CHEATSHEET = """\
splice — edit code by name instead of rewriting files. Targets: path.py::Cls.meth | pkg.mod:func | path.py::section:NAME
  %splice_help                         this sheet
"""


def text() -> str:
    return CHEATSHEET
