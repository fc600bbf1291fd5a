"""Small holes found while making writes reliable: the imports of a module with no statement, environments in the
file walk (and the standard library's `venv` package, which is none), `python -m splice` beside a local json.py."""

from __future__ import annotations

import os
import subprocess
import sys
import venv

from helpers import REPO
from splice.core.walk import iter_files
from splice.explore.docs import doc
from splice.explore.search import find

SRC = str(REPO / "payload" / "src")


def test_doc_of_the_imports_of_a_module_without_statements_answers(tmp_path):
    (tmp_path / "only_doc.py").write_text('"""Just a docstring."""\n')
    (tmp_path / "blank.py").write_text("")
    assert doc("%s::imports" % (tmp_path / "only_doc.py")).startswith("(no imports yet)  (")
    assert doc("%s::imports" % (tmp_path / "blank.py")).startswith("(no imports yet)  (")
    (tmp_path / "one.py").write_text("import os\n")
    assert doc("%s::imports" % (tmp_path / "one.py")).startswith("import os  (")


def test_the_walk_skips_environments_but_not_a_package_named_venv(tmp_path):
    (tmp_path / "app.py").write_text("X = 1\n")
    made = tmp_path / "env1"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(str(made))  # a real environment, any name
    (made / "lib" / "inside.py").write_text("X = 1\n")
    for name in (".venv", "venv"):  # named like one, no pyvenv.cfg: still an environment, not a package
        (tmp_path / name / "lib").mkdir(parents=True)
        (tmp_path / name / "lib" / "site.py").write_text("X = 1\n")
    (tmp_path / "tools" / "venv").mkdir(parents=True)  # a package named venv, like the standard library's
    (tmp_path / "tools" / "venv" / "__init__.py").write_text("X = 1\n")
    found = sorted(os.path.relpath(p, tmp_path) for p in iter_files(str(tmp_path), "*.py"))
    assert found == ["app.py", os.path.join("tools", "venv", "__init__.py")]


def test_find_reaches_the_standard_librarys_venv_package():
    stdlib = os.path.dirname(os.path.dirname(venv.__file__))
    out = find("class EnvBuilder", os.path.join(stdlib, "venv"))
    assert "EnvBuilder" in out
    hits = [p for p in iter_files(stdlib, "__init__.py") if os.path.basename(os.path.dirname(p)) == "venv"]
    assert hits == [venv.__file__]


def test_python_m_splice_is_not_shadowed_by_a_json_py_in_the_working_folder(tmp_path):
    for name in ("json", "typing", "ast"):
        (tmp_path / (name + ".py")).write_text("raise SystemExit('the local %s.py was imported')\n" % name)
    (tmp_path / "mymod.py").write_text("X = 1\n")
    env = dict(os.environ, PYTHONPATH=SRC)
    proc = subprocess.run([sys.executable, "-m", "splice", "show", "mymod::X", "--json"], capture_output=True,
                          text=True, cwd=str(tmp_path), env=env)
    assert proc.returncode == 0 and "X = 1" in proc.stdout, proc.stdout + proc.stderr  # a module in the folder: found
    other = subprocess.run([sys.executable, "-c", "import json"], capture_output=True, text=True, cwd=str(tmp_path))
    assert "the local json.py was imported" in other.stderr  # the folder does shadow for a plain script


def test_import_splice_works_in_a_deleted_working_folder(tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    code = "import os; os.chdir(%r); os.rmdir(%r); import splice; print(splice.__name__)" % (str(gone), str(gone))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ,
                          PYTHONPATH=SRC))
    assert proc.returncode == 0 and proc.stdout.strip() == "splice", proc.stderr
