"""Linear `# %%` scripts: incremental runs in a real kernel, cells as edit targets, notebook round trips."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import splice
from helpers import REPO, Kernel
from splice.notebook.cells import convert, defs_uses, parse_cells

SCRIPT = """\
# %% [load]
open("runs.log", "a").write("a\\n")
x = 1

# %% [prep]
open("runs.log", "a").write("b\\n")
y = x + 1

# %% [markdown]
# Notes about the model.

# %% [const]
open("runs.log", "a").write("c\\n")
z = 10

# %% [model]
open("runs.log", "a").write("d\\n")
w = z * 2

# %% [score]
open("runs.log", "a").write("e\\n")
v = w + 1
v

# %% [other]
open("runs.log", "a").write("f\\n")
u = y + 1
"""


@pytest.mark.slow
def test_incremental_runs_in_a_kernel(tmp_path):
    (tmp_path / "script.py").write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src"), SPLICE_JOURNAL_DIR=str(tmp_path / "j"))
    k = Kernel(Path(sys.executable), env, tmp_path)
    try:
        assert k.execute("%load_ext splice").error is None
        r = k.execute("%runcells script.py")
        assert r.stdout.splitlines()[0] == "script.py: 6 cells ran, 0 skipped"
        assert "cell[5] score: ok (first run) → 21" in r.stdout
        assert (tmp_path / "runs.log").read_text().split() == list("abcdef")
        (tmp_path / "runs.log").write_text("")
        r = k.execute("%runcells script.py")
        assert "0 cells ran, 6 skipped" in r.stdout and (tmp_path / "runs.log").read_text() == ""
        splice.replace("%s::cell:model" % (tmp_path / "script.py"), 'open("runs.log", "a").write("d\\n")\nw = z * 3')
        r = k.execute("%runcells script.py")
        assert (tmp_path / "runs.log").read_text().split() == ["d", "e"]  # the edited cell and the one reading w
        assert "cell[4] model: ok (changed)" in r.stdout and "cell[5] score: ok (reads w) → 31" in r.stdout
        assert "cell[0] load: skipped (unchanged)" in r.stdout and "cell[6] other: skipped (unchanged)" in r.stdout
        splice.replace("%s::cell[3]" % (tmp_path / "script.py"), "z = 1 / 0")
        r = k.execute("%runcells script.py")
        assert "cell[3] const: error (changed) — ZeroDivisionError: division by zero (script.py line 13)" in r.stdout
        assert "cell[4] model: not run (an earlier cell failed)" in r.stdout
        splice.replace("%s::cell[3]" % (tmp_path / "script.py"), "z = 5")
        r = k.execute("%runcells script.py")
        assert "cell[3] const: ok (changed)" in r.stdout and "cell[4] model: ok (reads z)" in r.stdout
    finally:
        k.close()


def test_cells_are_edit_targets(tmp_path, monkeypatch):
    monkeypatch.setenv("SPLICE_JOURNAL_DIR", str(tmp_path / "j"))
    p = tmp_path / "s.py"
    p.write_text(SCRIPT)
    assert splice.show("%s::cell:prep" % p).startswith("# %% [prep]\n")
    splice.append("%s::cell:load" % p, "x2 = 2")
    assert 'x = 1\nx2 = 2\n\n# %% [prep]' in p.read_text()
    splice.remove("%s::cell:other" % p)
    assert "[other]" not in p.read_text() and p.read_text().endswith("v\n")
    names = [c.name for c in parse_cells(p.read_text())]
    assert names == ["load", "prep", "", "const", "model", "score"]


def test_def_use_analysis():
    defs, uses = defs_uses("import numpy as np\ndf['x'] = f(a)\nitems.append(b)\nfor i in range(3):\n    t = i\n")
    assert {"np", "df", "items", "i", "t"} <= defs and {"f", "a", "b"} <= uses and "range" in uses


def test_notebook_round_trip_and_cli(tmp_path):
    src = tmp_path / "s.py"
    src.write_text(SCRIPT)
    nb = tmp_path / "s.ipynb"
    convert(str(src), str(nb))
    data = json.loads(nb.read_text())
    assert [c["cell_type"] for c in data["cells"]] == ["code", "code", "markdown", "code", "code", "code", "code"]
    assert "".join(data["cells"][2]["source"]) == "Notes about the model."
    data["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["kept\n"]}]
    nb.write_text(json.dumps(data))
    back = tmp_path / "back.py"
    convert(str(nb), str(back))
    assert back.read_text() == SCRIPT
    convert(str(back), str(nb), keep_outputs=True)
    assert json.loads(nb.read_text())["cells"][1]["outputs"][0]["text"] == ["kept\n"]
    env = dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src"))
    r = subprocess.run([sys.executable, "-m", "splice", "cells", "run", "s.py"], capture_output=True, text=True,
                       cwd=tmp_path, env=env)
    assert r.returncode == 0 and "6 cells ran" in r.stdout and "score: ok (first run) → 21" in r.stdout
