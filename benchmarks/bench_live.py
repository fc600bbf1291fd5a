"""Live patching on real libraries (issue 29): edit every function and method of a library through `splice.edit`
while it is imported, then run the library's own test suite in that same process — the counts must equal those of
an untouched run. Three libraries with their suites, from their sdists: attrs (classes with `__slots__`, made by
decorators), click (decorators, registries of commands and parameters), more-itertools (plain functions, closures).

Modes, each in a fresh process on a fresh copy of the library:
- untouched: the suite alone;
- comment: a comment added to each def line (`splice.edit(f"{file}::{qualname}", def_line, def_line + "  # …")`);
- code: `None; ` put before the first statement of each function body, a real change of every function's code that
  does not change what it does, so every function is patched (new code object, holders searched, caches cleared);
- sample: a real change to a sample of functions and methods (they return a marker): a `from … import` copy taken
  before the edit, and an instance made before it for methods, must run the new code.
The patch time per edit is the time splice.notebook.live spends (median, max). `--before REF` runs the comment mode
with the live.py of that commit too (the engine before issue 29).

Writes docs/benchmarks/live.md and live.json. Run: python benchmarks/bench_live.py [--before REF] [--only NAME]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

REPO = Path(__file__).resolve().parents[1]
from workdir import WORK  # noqa: E402  (outside the repo: see workdir.py)

SRC = REPO / "payload" / "src"

# name, requirement, folder in the sdist, import root (relative), packages, test folder, pytest args
PROJECTS = [
    ("attrs", "attrs==24.2.0", "attrs-24.2.0", "src", ["attr", "attrs"], "tests",
     ["-p", "no:cacheprovider", "--ignore=tests/test_mypy.yml", "--ignore=tests/test_pyright.py"]),
    ("click", "click==8.1.8", "click-8.1.8", "src", ["click"], "tests", ["-p", "no:cacheprovider"]),
    ("more-itertools", "more-itertools==10.5.0", "more-itertools-10.5.0", ".", ["more_itertools"], "tests",
     ["-p", "no:cacheprovider"]),
]
SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Expr, ast.Raise, ast.Assert, ast.Pass,
          ast.Import, ast.ImportFrom, ast.Delete)
MARK = "splice-live-bench"


def sdist(req: str, folder: str) -> Path:
    """The sdist, downloaded once into .work/sdists, extracted into .work/live (the pristine copy)."""
    sdists = WORK / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    name, version = req.split("==")
    found = [p for p in sdists.glob("*.tar.gz") if p.name.lower().replace("_", "-").startswith(
        "%s-%s" % (name.lower(), version))]
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", req,
                        "-d", str(sdists)], check=True)
        found = [p for p in sdists.glob("*.tar.gz") if p.name.lower().startswith(name.lower())]
    dest = WORK / "live"
    if not (dest / folder).is_dir():
        with tarfile.open(found[0]) as tar:
            tar.extractall(dest)
    return dest / folder


# ---------------------------------------------------------------------------------------------------- the child


class Counter:
    """A pytest plugin counting outcomes as pytest's summary line does."""

    def __init__(self) -> None:
        self.counts: Dict[str, int] = {}

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or report.outcome != "passed":
            key = "xfailed" if hasattr(report, "wasxfail") and report.skipped else report.outcome
            if report.when != "call" and report.outcome == "failed":
                key = "error"
            self.counts[key] = self.counts.get(key, 0) + 1

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.counts["collection error"] = self.counts.get("collection error", 0) + 1


def targets(root: Path, import_root: str, packages: List[str]) -> List[Tuple[Path, Any, List[str], ast.AST]]:
    """(file, chunk, file lines, def node) for every function and method splice can name in the packages."""
    from splice.core.edit import Doc

    out = []
    for pkg in packages:
        for path in sorted((root / import_root / pkg).rglob("*.py")):
            text = path.read_text()
            doc = Doc.from_text(text, str(path))
            nodes = {n.lineno: n for n in ast.walk(ast.parse(text)) if isinstance(n, (ast.FunctionDef,
                                                                                       ast.AsyncFunctionDef))}
            for chunk in doc.index.chunks.values():
                if chunk.kind in ("def", "async def") and chunk.scope in ("module", "class") and chunk.line in nodes:
                    out.append((path, chunk, text.splitlines(), nodes[chunk.line]))
    return out


def edit_for(mode: str, chunk: Any, lines: List[str], node: Any) -> Tuple[str, str]:
    """(old, new) text for one function, or ("", "") when this mode has no safe edit for it."""
    if mode == "comment":
        line = lines[chunk.line - 1].strip()
        if line.endswith("\\") or "#" in line or '"""' in line or "'''" in line:
            return "", ""
        return line, line + "  # " + MARK
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body or not isinstance(body[0], SIMPLE) or body[0].lineno == node.lineno:
        return "", ""
    stmt = body[0]
    line = lines[stmt.lineno - 1]
    if line[:stmt.col_offset].strip() or line.rstrip().endswith("\\"):
        return "", ""
    text = line.strip()
    if mode == "sample":
        return text, "return %r; %s" % (MARK, text)
    return text, "None; " + text


def child(name: str, mode: str, workdir: str) -> None:
    """One run: import the library, edit (mode), run its suite in this process; print one JSON line."""
    import importlib
    import pkgutil

    import pytest

    project = next(p for p in PROJECTS if p[0] == name)
    _, _, _, import_root, packages, tests, args = project
    root = Path(workdir)
    os.chdir(root)
    sys.path.insert(0, str(root / import_root))
    for pkg in packages:
        mod = importlib.import_module(pkg)
        for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
            try:
                importlib.import_module(info.name)
            except Exception:  # noqa: BLE001 - an optional part (a missing extra): no running module, no live step
                pass
    import splice
    from splice.notebook import live

    spent: List[float] = []
    real = live.patch_file

    def timed(*a: Any, **k: Any) -> Any:
        start = time.perf_counter()
        try:
            return real(*a, **k)
        finally:
            spent.append(time.perf_counter() - start)

    live.patch_file = timed  # type: ignore[assignment]
    result: Dict[str, Any] = {"mode": mode, "edits": 0, "skipped": 0, "refused": [], "lines": {}}  # refused: other
    if mode in ("comment", "code"):
        for path, chunk, lines, node in targets(root, import_root, packages):
            old, new = edit_for(mode, chunk, lines, node)
            if not old:
                result["skipped"] += 1
                continue
            try:
                edit = splice.edit("%s::%s" % (path, chunk.qualname), old, new)
            except splice.SpliceError:
                result["skipped"] += 1
                continue
            result["edits"] += 1
            for note in edit.notes:
                if note.startswith("live:"):
                    kind = ("nothing to patch" if note.endswith("nothing to patch") else "not patched"
                            if ": not patched" in note else "rebound in the module only"
                            if "rebound in the module only" in note else "patched"
                            if ": patched " in note else "other")
                    result["lines"][kind] = result["lines"].get(kind, 0) + 1
                    if not (note.startswith("live: %s: patched " % note.split(": ")[1]) or
                            note.endswith("nothing to patch")):
                        result["refused"].append(note)
    if mode == "sample":
        result.update(sample(root, import_root, packages))
    result["patch_ms"] = [round(s * 1000, 3) for s in spent]
    counter = Counter()
    if mode != "sample":
        code = pytest.main([tests, "-q", "--no-header", "-o", "addopts="] + args, plugins=[counter])
        result["exit"] = int(code)
    result["counts"] = counter.counts
    print("RESULT " + json.dumps(result), flush=True)


def sample(root: Path, import_root: str, packages: List[str], every: int = 7) -> Dict[str, Any]:
    """A real change to every `every`-th function: its `from … import` copy and, for a method, an instance made
    before the edit (when the class can be made without arguments) must run the new code (return the marker)."""
    import inspect

    import splice

    checked, reached, instances, failures = 0, 0, 0, []
    chosen = [t for t in targets(root, import_root, packages) if edit_for("sample", t[1], t[2], t[3])[0]][::every]
    for path, chunk, lines, node in chosen:
        rel = path.relative_to(root / import_root).with_suffix("")
        modname = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        module = sys.modules.get(modname)
        if module is None:  # not imported here (click's Windows console module): no live step to check
            continue
        parts = chunk.qualname.split(".")
        if parts[-1] in ("getter", "setter", "deleter"):
            continue
        copy = getattr(module, parts[0], None)  # what `from module import Name` bound before the edit
        if copy is None:
            continue
        instance = None
        if isinstance(copy, type) and len(parts) == 2 and not inspect.isabstract(copy):
            try:
                instance = copy()
            except Exception:  # noqa: BLE001 - a class that needs arguments: the copy alone is checked
                instance = None
        target: Any = copy
        for part in parts[1:]:
            target = inspect.getattr_static(target, part, None)
        if not _functions(target, parts[-1]):  # a function nested in another: no name reaches it from outside
            continue
        old, new = edit_for("sample", chunk, lines, node)
        edit = splice.edit("%s::%s" % (path, chunk.qualname), old, new)
        checked += 1
        fns = _functions(target, parts[-1])
        ok = bool(fns) and all(MARK in fn.__code__.co_consts for fn in fns)
        if ok and instance is not None and len(parts) == 2:
            bound = inspect.getattr_static(type(instance), parts[1], None)
            ok = bound is target
            instances += 1
        if ok:
            reached += 1
        else:
            failures.append("%s::%s %s" % (modname, chunk.qualname, [n for n in edit.notes if "live" in n]))
        splice.undo(str(path))
    return {"checked": checked, "reached": reached, "instances": instances, "failures": failures[:10]}


def _functions(obj: Any, name: str) -> List[Any]:
    """The function named `name` an object holds (itself, or through a decorator's wrapper)."""
    import types

    out, seen = [], set()
    todo = [obj]
    while todo:
        o = todo.pop()
        if o is None or id(o) in seen:
            continue
        seen.add(id(o))
        if isinstance(o, types.FunctionType):
            out.append(o)
            todo.append(o.__dict__.get("__wrapped__"))
            continue
        for attr in ("__func__", "fget", "__wrapped__", "func", "callback"):
            todo.append(getattr(o, attr, None))
    return [f for f in out if f.__code__.co_name == name][:1]


# ---------------------------------------------------------------------------------------------------- the parent


def run(name: str, folder: Path, mode: str, pythonpath: Path) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        work = Path(tmp) / folder.name
        shutil.copytree(folder, work)
        env = dict(os.environ, PYTHONPATH=str(pythonpath), SPLICE_JOURNAL_DIR=str(Path(tmp) / "journal"))
        env.pop("PYTEST_PLUGINS", None)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--child", name, mode, str(work)], env=env, cwd=tmp,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
    found = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if not found:
        return {"mode": mode, "crashed": (proc.stdout + proc.stderr)[-2000:], "seconds": seconds}
    out = json.loads(found[-1][len("RESULT "):])
    out["seconds"] = round(seconds, 1)
    return out


def engine_at(ref: str, dest: Path) -> Path:
    """A copy of this worktree's payload with notebook/live.py as it was at `ref` (the engine before)."""
    shutil.copytree(SRC, dest, ignore=shutil.ignore_patterns("__pycache__"))
    old = subprocess.run(["git", "show", "%s:payload/src/splice/notebook/live.py" % ref], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    (dest / "splice" / "notebook" / "live.py").write_text(old)
    return dest


def counts_text(counts: Dict[str, int], crashed: str = "") -> str:
    if crashed:
        last = [ln.strip() for ln in crashed.strip().splitlines() if ln.strip()][-1]
        return "the process died before the suite ended: `%s`" % last[:160]
    return ", ".join("%d %s" % (v, k) for k, v in sorted(counts.items())) or "nothing ran"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs=3)
    ap.add_argument("--before", default="")
    ap.add_argument("--only", default="")
    ap.add_argument("--cases-only", action="store_true", help="run the cases again, keep the libraries' results")
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    sys.path.insert(0, str(REPO / "benchmarks"))
    if a.cases_only:
        stored = json.loads((REPO / "docs" / "benchmarks" / "live.json").read_text())
        libraries = stored.get("libraries", stored)
        write(libraries, a.before or stored.get("before", ""), run_cases())
        return
    results: Dict[str, Dict[str, Any]] = {}
    before_src = engine_at(a.before, Path(tempfile.mkdtemp()) / "src") if a.before else None
    for name, req, folder, *_ in PROJECTS:
        if a.only and a.only != name:
            continue
        root = sdist(req, folder)
        res = results[name] = {}
        for mode in ("untouched", "comment", "code", "sample"):
            res[mode] = run(name, root, mode, SRC)
            print(name, mode, {k: v for k, v in res[mode].items() if k not in ("patch_ms", "refused")}, flush=True)
        if before_src is not None:
            res["before"] = run(name, root, "comment", before_src)
            print(name, "before", {k: v for k, v in res["before"].items() if k != "patch_ms"}, flush=True)
    write(summarize(results), a.before, run_cases())


def summarize(results: Dict[str, Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """The results as stored in live.json: the patch times as median and max."""
    out: Dict[str, Dict[str, Any]] = {}
    for name, res in results.items():
        out[name] = {}
        for mode, r in res.items():
            row = {k: v for k, v in r.items() if k != "patch_ms"}
            if r.get("patch_ms"):
                row["patches"] = len(r["patch_ms"])
                row["patch_ms_median"] = round(statistics.median(r["patch_ms"]), 2)
                row["patch_ms_max"] = round(max(r["patch_ms"]), 1)
            out[name][mode] = row
    return out


def write(results: Dict[str, Dict[str, Any]], before: str, cases: Dict[str, Any]) -> None:
    rows, timing, samples = [], [], []
    for name, res in results.items():
        base = res["untouched"].get("counts", {})
        for mode in ("comment", "code", "before"):
            r = res.get(mode)
            if r is None:
                continue
            same = "yes" if r.get("counts") == base and not r.get("crashed") else "**no**"
            label = {"comment": "comment on each def line", "code": "`None; ` before each body",
                     "before": "comment on each def line, engine before (%s)" % before}[mode]
            edits = "%d (%d skipped)" % (r.get("edits", 0), r.get("skipped", 0)) if "edits" in r else "?"
            rows.append("| %s | %s | %s | %s | %s | %s |" % (
                name, label, edits, counts_text(r.get("counts", {}), r.get("crashed", "")), counts_text(base), same))
            if mode != "before" and "patch_ms_median" in r:  # one live step per edit
                lines = ", ".join("%d %s" % (v, k) for k, v in sorted(r.get("lines", {}).items()))
                timing.append("| %s | %s | %d | %.2f | %.1f | %s |" % (
                    name, label, r.get("patches", r.get("edits", 0)), r["patch_ms_median"], r["patch_ms_max"], lines))
        s = res.get("sample", {})
        samples.append("| %s | %d | %d | %d |" % (name, s.get("checked", 0), s.get("reached", 0),
                                                   s.get("instances", 0)))
    from live_cases import table

    md = [
        "# Live patching on real libraries",
        "",
        "Generated by `python benchmarks/bench_live.py%s` (Python %s). Each library is imported (every submodule),"
        " every function and method splice can name is edited through `splice.edit` while imported, then the "
        "library's own test suite runs in that same process (`pytest.main`). The counts must equal an untouched "
        "run's. Each run is a fresh process on a fresh copy of the sdist. Functions whose edit would not be safe "
        "text for that mode (a body on the def line, a docstring-only body, a compound first statement) are "
        "skipped." % (" --before %s" % before if before else "", sys.version.split()[0]),
        "",
        "| library | edit of every function | edits | suite after the edits | untouched suite | same |",
        "|---|---|---|---|---|---|",
    ] + rows + ([
        "",
        "The engine before (%s) re-ran every touched top-level statement, the class body included, and copied "
        "every member over the running class: on attrs a method edit replaced the slot descriptors of "
        "attrs' own `Factory` class, and the next `attr.ib(factory=…)` (a pytest plugin imports trio, which uses "
        "attrs) raised the TypeError above; on click, whose classes and decorators were re-run the same way, "
        "174 tests failed. Plain functions (more-itertools) came through." % before] if before else []) + [
        "",
        "## A real change reaches the running objects",
        "",
        "Every 7th function or method returns a marker after the edit; checked: the object a `from … import` bound"
        " before the edit runs the new code, and for methods of classes that can be made without arguments, an "
        "instance made before the edit finds the same patched function.",
        "",
        "| library | changed | reached (copy and instance) | of them with an instance |",
        "|---|---|---|---|",
    ] + samples + [
        "",
        "## Patch time per edit (the live step alone, ms)",
        "",
        "The time `splice.notebook.live` takes after each write: the diff (only the touched top-level statements "
        "parsed again), the plan, the heap search for other holders of the old code, the apply. A comment-only edit "
        "costs the diff alone. When a function is patched, most of the time is one pass over the heap "
        "(`gc.get_referrers`, tens of ms with pytest and the library loaded) that finds other functions running the "
        "old code (closures a factory made, copies) and `lru_cache` wrappers holding it. The max is the first edit "
        "of a large file (its whole text parsed once; later edits reuse the tree).",
        "",
        "| library | edit | edits | median | max | live lines |",
        "|---|---|---|---|---|---|",
    ] + timing + [
        "",
        "## The issue's everyday cases, three live reloaders",
        "",
        "`benchmarks/live_cases.py`: each case in a fresh process — a module written and imported, objects made, "
        "one change to the file, then a check that the running program does what the new code says and kept what it"
        " had (registries filled once, state kept, the objects taken before the edit). splice through `splice.edit`;"
        " IPython %s's autoreload through `superreload` (what `%%autoreload 2` runs); jurigged through "
        "`CodeFile.refresh` (what its file watcher runs). The last case must be refused: splice says `not patched "
        "(Color: its Enum members changed (BLUE))` and changes nothing." % cases.get("ipython", "?"),
        "",
    ] + (table(cases["results"]) if cases.get("results") else ["(not run)"]) + [""]
    (REPO / "docs" / "benchmarks" / "live.md").write_text("\n".join(md))
    out = {"libraries": results, "cases": cases}
    (REPO / "docs" / "benchmarks" / "live.json").write_text(json.dumps(out, indent=1) + "\n")


def run_cases() -> Dict[str, Any]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from live_cases import run_all

    try:
        import IPython

        version = IPython.__version__
    except ImportError:
        version = "?"
    return {"ipython": version, "results": run_all()}


if __name__ == "__main__":
    main()
