"""Related tests after an edit: the tests the tests stage selects vs the tests that actually execute the edited
function, on real projects from their sdists (issue 24).

For each project: the test suite runs once under `splice.test` (which records the coverage map in .splice/), and once
under an independent tracer (sys.settrace, through splice's pytest plugin) for the truth: the tests whose traced lines
fall inside each public function. Then, for every public function or method that some test executes, an edit is
simulated (its first and last lines change) and the tests stage's choice is asked for (`stages.related_choice`, the
map first, the import rule when the map cannot tell), and so is the import rule alone (`testrun.related_tests`, the
rule before the map). Recall = executing tests selected / executing tests; selection time per edit (median, p95).
The cost of recording: `splice.test` with the map vs plain pytest on the same suite (medians).

    python benchmarks/bench_related_tests.py [--repeat 3]

Results: docs/benchmarks/related_tests.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Dict, List, Set

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "payload" / "src"))

from workdir import WORK  # noqa: E402  (outside the repo: see workdir.py)

import splice  # noqa: E402
from splice.checks.stages import related_choice  # noqa: E402
from splice.core.edit import Doc  # noqa: E402
from splice.testing import runner as testrun  # noqa: E402
from splice.testing.linetrace import is_library  # noqa: E402
from splice.testing.runner import related_tests, run_pytest, test  # noqa: E402

# name, requirement, folder in the sdist, import path (PYTHONPATH), test folder
PROJECTS = [
    ("cachetools", "cachetools==8.0.2", "cachetools-8.0.2", "src", "tests"),
    ("toolz", "toolz==1.2.0", "toolz-1.2.0", ".", "toolz/tests"),
]


def fetch(req: str, folder: str) -> Path:
    """The sdist, downloaded once into .work/sdists (pip download --no-binary :all: --no-deps), extracted fresh."""
    sdists = WORK / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    name, version = req.split("==")
    found = [p for p in sdists.glob("*.tar.gz") if p.name.lower().startswith("%s-%s" % (name.lower(), version))]
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", req,
                        "-d", str(sdists)], check=True)
        found = [p for p in sdists.glob("*.tar.gz") if p.name.lower().startswith("%s-%s" % (name.lower(), version))]
    src = WORK / "src"
    subprocess.run(["rm", "-rf", str(src / folder)], check=True)
    with tarfile.open(found[0]) as tar:
        tar.extractall(src)
    return src / folder


def public_functions(root: Path) -> Dict[str, List[tuple]]:
    """{file (root-relative): [(qualname, header line, end line (0-based, exclusive), 1-based lines set)]}."""
    out: Dict[str, List[tuple]] = {}
    for path in sorted(root.rglob("*.py")):
        if not is_library(str(path), str(root)):
            continue
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        doc = Doc.from_text(path.read_text(encoding="utf-8"))
        try:
            chunks = list(doc.index.chunks.values())
        except SyntaxError:
            continue
        for c in chunks:
            if c.kind not in ("def", "async def") or any(p.startswith("_") for p in c.qualname.split(".")):
                continue
            lines = {n + 1 for s, e in c.spans for n in range(s, e)}
            out.setdefault(rel, []).append((c.qualname, c.header, c.end, lines))
    return out


def edited(text: str, header: int, end: int) -> str:
    lines = text.splitlines(keepends=True)
    for i in {header, end - 1}:
        body = lines[i].rstrip("\r\n")
        lines[i] = body + "  # edited" + lines[i][len(body):]
    return "".join(lines)


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(spec: tuple, repeat: int) -> dict:
    name, req, folder, import_path, tests_dir = spec
    root = fetch(req, folder)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(root / import_path), str(REPO / "payload" / "src")])
    os.chdir(root)
    plain = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", tests_dir]
    t_plain = timed(lambda: subprocess.run(plain, capture_output=True, cwd=root), repeat)

    def with_map() -> None:
        (root / ".splice" / "coverage.json").unlink(missing_ok=True)
        report = test([tests_dir], suspects=False)
        assert report.counts["passed"] > 0, str(report)

    t_map = timed(with_map, repeat)
    truth_run = run_pytest([tests_dir], str(root), trace="settrace")
    cov = truth_run["coverage"]
    all_tests = [r["id"] for r in truth_run["tests"]]
    by_file: Dict[str, List[str]] = {}
    for t in all_tests:
        by_file.setdefault(t.split("::")[0], []).append(t)
    rows = []
    for rel, funcs in public_functions(root).items():
        text = (root / rel).read_text(encoding="utf-8")
        for qual, header, end, lines in funcs:
            truth: Set[str] = {t for t, files in cov.items() if lines & set(files.get(rel, ()))}
            if not truth:
                continue
            ctx = splice.api._context("%s::%s" % (rel, qual))
            after = edited(text, header, end)
            start = time.perf_counter()
            _, files, only, how = related_choice(ctx, after, text)
            t_sel = time.perf_counter() - start
            chosen = set(only) if only is not None else {t for f in files for t in
                                                         by_file.get(os.path.relpath(f, root).replace(os.sep, "/"), [])}
            start = time.perf_counter()
            imported = related_tests(str(root / rel), str(root))
            t_imp = time.perf_counter() - start
            by_import = {t for f in imported for t in by_file.get(os.path.relpath(f, root).replace(os.sep, "/"), [])}
            with_old_rule = testrun._reexporting
            testrun._reexporting = lambda real, parts: []  # the rule before: the module's own name only
            try:
                old = related_tests(str(root / rel), str(root))
            finally:
                testrun._reexporting = with_old_rule
            by_old = {t for f in old for t in by_file.get(os.path.relpath(f, root).replace(os.sep, "/"), [])}
            rows.append(dict(target="%s::%s" % (rel, qual), truth=len(truth), map=len(truth & chosen),
                             chosen=len(chosen), import_hit=len(truth & by_import), imported=len(by_import),
                             old_hit=len(truth & by_old), from_map=only is not None, how=how, t_sel=t_sel,
                             t_import=t_imp))
    pairs = sum(r["truth"] for r in rows)

    def recall(key: str) -> float:
        return sum(r[key] for r in rows) / pairs if pairs else 0.0

    sel = sorted(r["t_sel"] for r in rows)
    imp = sorted(r["t_import"] for r in rows)
    return dict(
        project=name, requirement=req, tests=len(all_tests), functions=len(rows), pairs=pairs,
        recall_map=recall("map"), recall_import=recall("import_hit"), recall_old=recall("old_hit"),
        full_map=sum(r["map"] == r["truth"] for r in rows) / len(rows),
        full_import=sum(r["import_hit"] == r["truth"] for r in rows) / len(rows),
        from_map=sum(r["from_map"] for r in rows), mean_chosen=statistics.mean(r["chosen"] for r in rows),
        mean_imported=statistics.mean(r["imported"] for r in rows),
        sel_median_ms=1000 * statistics.median(sel), sel_p95_ms=1000 * sel[int(0.95 * (len(sel) - 1))],
        import_median_ms=1000 * statistics.median(imp),
        pytest_s=t_plain, splice_test_with_map_s=t_map,
        map_bytes=(root / ".splice" / "coverage.json").stat().st_size,
        misses=[r for r in rows if r["map"] < r["truth"]][:5],
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    results = [bench(p, args.repeat) for p in PROJECTS]
    out = REPO / "docs" / "benchmarks"
    (out / "related_tests.json").write_text(json.dumps(results, indent=1) + "\n")
    lines = [
        "# Related tests after an edit: coverage map vs import rule",
        "",
        "`python benchmarks/bench_related_tests.py --repeat %d` on Python %s, sdists from PyPI. For each public"
        " function or method that some test executes (truth: an independent sys.settrace run of the whole suite),"
        " an edit of its first and last lines is simulated and the tests stage's choice is asked for"
        " (`related_choice`: the"
        " coverage map recorded by one `splice.test` run, the import rule where the map cannot tell). Recall counts"
        " (function, executing test) pairs. Import rule: `related_tests` now (it also counts tests importing a"
        " package whose `__init__` imports towards the module); old rule: before that (the module's own name)."
        " The map is fresh (recorded on the code it is asked about): this measures how chunks and tests are matched,"
        " not how a map ages (a chunk whose text changed since is not used)."
        % (args.repeat, sys.version.split()[0]),
        "",
        "| project | tests | functions | recall, map (stage) | recall, import rule | recall, old rule | functions with"
        " every executing test, map / import | tests run per edit, map / import | selection ms, median (p95) |"
        " import rule ms | pytest s | splice.test + map s | map size |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            "| %s | %d | %d | %.1f%% | %.1f%% | %.1f%% | %.0f%% / %.0f%% | %.1f / %.1f | %.1f (%.1f) | %.1f | %.2f"
            " | %.2f | %d kB |"
            % (r["requirement"], r["tests"], r["functions"], 100 * r["recall_map"], 100 * r["recall_import"],
               100 * r["recall_old"],
               100 * r["full_map"], 100 * r["full_import"], r["mean_chosen"], r["mean_imported"], r["sel_median_ms"],
               r["sel_p95_ms"], r["import_median_ms"], r["pytest_s"], r["splice_test_with_map_s"],
               r["map_bytes"] // 1024)
        )
    lines += ["", "Misses of the map (first five per project, if any):", ""]
    for r in results:
        for m in r["misses"]:
            lines.append("- %s: %s — %d of %d executing tests selected (%s)" % (r["project"], m["target"], m["map"],
                                                                             m["truth"], m["how"]))
    (out / "related_tests.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
