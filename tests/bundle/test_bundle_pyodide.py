"""A bundle for the pyodide target, imported in real Pyodide (the npm package, under Node, offline): a packed
wheel imports, splice edits a function by name and undoes it. Nothing in the bootstrap may need subprocesses,
threads or file locks there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import made_once, run_offline, splice_bundle

pytestmark = pytest.mark.slow

PYODIDE_NPM = "pyodide@314"  # CPython 3.14, platform pyemscripten_2026_0_wasm32: the pyodide profile
RUNNER = r"""
import { readFileSync } from "node:fs";
const [, , dir, bundle, code] = process.argv;
const { loadPyodide } = await import(dir + "/pyodide.mjs");
const py = await loadPyodide({ indexURL: dir + "/" });
py.FS.mkdirTree("/home/pyodide/bundles");
py.FS.writeFile("/home/pyodide/bundles/" + bundle.split("/").pop(), readFileSync(bundle));
try {
  console.log(String(py.runPython(code)));
} catch (e) {
  console.log("PYTHON ERROR " + String(e.message));
  process.exit(3);
}
"""

SESSION = r"""
import contextlib, io, json, os, sys
sys.path.insert(0, "/home/pyodide/bundles")
status = io.StringIO()
with contextlib.redirect_stderr(status):
    import wasm_bundle as B
import splice, tabulate
os.makedirs("/home/pyodide/work", exist_ok=True)
app = "/home/pyodide/work/app.py"
with open(app, "w") as f:
    f.write("def total(items):\n    return sum(items)\n\n\ndef other():\n    return 1\n")
edit = str(splice.edit(app + "::total", "sum(items)", "sum(items) * 2"))
edited = open(app).read()
undo = str(splice.undo(app))
json.dumps(dict(
    status=status.getvalue(), info=B.info(), table=tabulate.tabulate([["a", 1]]), edit=edit, edited=edited,
    undo=undo, restored=open(app).read(), tags=B.sys_tags()[:3],
))
"""


@pytest.fixture(scope="session")
def pyodide_dir() -> Path:
    """The pyodide npm package, installed once into a cache folder (the registry is reachable where tests run)."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are needed to run Pyodide")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "splice-tests" / "pyodide-314"
    found = cache / "node_modules" / "pyodide"
    if not (found / "pyodide.mjs").exists():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = ["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(cache), PYODIDE_NPM]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
    return found


@pytest.fixture(scope="session")
def wasm_bundle(tmp_path_factory, wheelhouse) -> Path:
    def build(folder: Path) -> None:
        out = str(folder / "wasm_bundle.py")
        proc = splice_bundle("build", "tabulate", "--find-links", str(wheelhouse), "--target", "pyodide", "-o", out)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    return made_once(tmp_path_factory, "wasm", build) / "wasm_bundle.py"


def test_bundle_imports_and_edits_in_pyodide(tmp_path, pyodide_dir, wasm_bundle):
    runner = tmp_path / "run.mjs"
    runner.write_text(RUNNER)
    proc = run_offline(["node", runner, pyodide_dir, wasm_bundle, SESSION], dict(os.environ), timeout=180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["tags"][0] == "cp314-cp314-pyemscripten_2026_0_wasm32"  # the stdlib tags, computed in WebAssembly
    assert got["info"]["target"] == "pyodide" and got["info"]["cold"] is True and got["info"]["mode"] == "unpack"
    assert got["status"].startswith("wasm_bundle: ready (splice 0.1.0, tabulate 0.9.0; extracted in")
    assert got["table"] == "-  -\na  1\n-  -"
    assert got["edit"].startswith("ok edit /home/pyodide/work/app.py::total")
    assert got["edited"] == "def total(items):\n    return sum(items) * 2\n\n\ndef other():\n    return 1\n"
    assert got["restored"] == "def total(items):\n    return sum(items)\n\n\ndef other():\n    return 1\n"
