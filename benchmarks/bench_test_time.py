"""What do `splice test` and the suspects plugin cost against plain pytest, on real suites with planted failures?

Three libraries from their sdists (cached outside the repo, workdir.py, as bench_suspects keeps them), each with
planted bugs: click 8.1.8 (650 tests, 2 bugs), more-itertools 10.5.0 (670 tests, 2 bugs), boltons 24.0.0 (416
tests, 1 bug). Per round, interleaved and in a rotating order: plain `python -m pytest -q tests`; the same with the
plugin on (PYTEST_PLUGINS, as `%load_ext splice` sets it); `python -m splice test tests`; and the last two with
splice as it was before (BEFORE=<commit>; BEFORE=none leaves those two out, for a quicker look). The machine is
shared (2 cores, other engineers' work), so each command's CPU time (user + system of it and its children, from
getrusage) is the main measure and wall time is shown beside it; ratios are per round against that round's plain
run, then the median over rounds.

Writes docs/benchmarks/test_time.md and .json (test_time-py3.12.md for PYTHON=<a 3.12>).
Run: python benchmarks/bench_test_time.py (ROUNDS=5;
ONLY=click,boltons; PYTHON=<interpreter> to time another Python, which needs pytest installed).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_determinism import BEFORE as _BEFORE  # noqa: E402
from bench_determinism import source_at  # noqa: E402
from bench_suspects import WORK, planted  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "5"))
PYTHON = os.environ.get("PYTHON", sys.executable)
AFTER_SRC = str(REPO / "payload" / "src")
BEFORE = os.environ.get("BEFORE", _BEFORE)  # "none": no before columns

# name, requirement, folder, import path (PYTHONPATH), extra PYTEST_ADDOPTS, [(file, old, new)]
PROJECTS = [
    ("click", "click==8.1.8", "click-8.1.8", "src", "", [
        ("src/click/formatting.py", "max(widths.get(idx, 0), term_len(col))",
         "max(widths.get(idx, 0), term_len(col) + 1)"),
        ("src/click/utils.py", 'if word[-1] == ".":  # sentence end', 'if word[-1] == ",":  # sentence end'),
    ]),
    ("more-itertools", "more-itertools==10.5.0", "more-itertools-10.5.0", ".", "", [
        ("more_itertools/more.py", "    if len(window) < n:\n        yield tuple(window) + (",
         "    if len(window) <= n:\n        yield tuple(window) + ("),
        ("more_itertools/recipes.py", "return next(islice(iterable, n, None), default)",
         "return next(islice(iterable, n + 1, None), default)"),
    ]),
    ("boltons", "boltons==24.0.0", "boltons-24.0.0", ".", "-W ignore::DeprecationWarning", [
        ("boltons/dictutils.py", "return super().__getitem__(k)[-1]", "return super().__getitem__(k)[0]"),
    ]),
]


def prepare(req: str, folder: str, plants: List[Tuple[str, str, str]]) -> Path:
    return planted(req, folder, plants, WORK / "timing" / req.split("==")[0])


def timed(cmd: List[str], cwd: Path, env: Dict[str, str]) -> Tuple[float, float, str]:
    """(wall seconds, CPU seconds of the command and its children, output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def main() -> None:
    start = time.time()
    before_src = "" if BEFORE == "none" else source_at(BEFORE)
    results = {}
    only = os.environ.get("ONLY", "")
    for name, req, folder, imp, addopts, plants in PROJECTS:
        if only and name not in only.split(","):
            continue
        root = prepare(req, folder, plants)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "SPLICE_"))}
        base.update(PYTHONDONTWRITEBYTECODE="1")
        if addopts:
            base["PYTEST_ADDOPTS"] = addopts
        lib = str(root / imp)
        pytest_cmd = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(root), "tests"]
        splice_cmd = [PYTHON, "-m", "splice", "test", "tests"]

        def env(src: str, plugin: bool = False, base: Dict[str, str] = base, lib: str = lib) -> Dict[str, str]:
            e = dict(base, PYTHONPATH=os.pathsep.join([lib, src]))
            if plugin:
                e["PYTEST_PLUGINS"] = "splice.testing.pytest_suspects"
            return e

        variants = {
            "plain": (pytest_cmd, env(AFTER_SRC)),
            "plugin": (pytest_cmd, env(AFTER_SRC, plugin=True)),
            "splice test": (splice_cmd, env(AFTER_SRC)),
        }
        if before_src:
            variants["plugin before"] = (pytest_cmd, env(before_src, plugin=True))
            variants["splice test before"] = (splice_cmd, env(before_src))
        rounds: List[Dict[str, Tuple[float, float]]] = []
        summary = ""
        names = list(variants)
        for r in range(ROUNDS):
            got = {}
            for v in names[r % len(names):] + names[: r % len(names)]:  # rotating order
                cmd, e = variants[v]
                wall, cpu, out = timed(cmd, root, e)
                got[v] = (wall, cpu)
                if v == "plain":
                    summary = out.strip().splitlines()[-1] if out.strip() else ""
            rounds.append(got)
            print(name, r + 1, {k: "%.1f/%.1f" % w for k, w in got.items()}, flush=True)
        row = {"summary": summary, "rounds": rounds}
        for v in names:
            row[v] = {
                "wall": statistics.median(g[v][0] for g in rounds),
                "cpu": statistics.median(g[v][1] for g in rounds),
                "cpu_ratio": statistics.median(g[v][1] / g["plain"][1] for g in rounds),
                "wall_ratio": statistics.median(g[v][0] / g["plain"][0] for g in rounds),
            }
        results[name] = row
    out = REPO / "docs" / "benchmarks"
    py = subprocess.run([PYTHON, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True)
    stem = "test_time" if sys.executable == PYTHON else "test_time-py%s" % ".".join(py.stdout.split(".")[:2])
    (out / (stem + ".json")).write_text(json.dumps(results, indent=1))
    md = [
        "# `splice test` and the suspects plugin against plain pytest, on suites with failures",
        "",
        "Generated by `python benchmarks/bench_test_time.py` (Python %s, %d rounds, %d s in all). Each round runs, "
        "interleaved in a rotating order, plain `python -m pytest -q tests`, the same with the plugin on, "
        "`python -m splice test tests`, and the last two as splice was at %s. The 2-core machine was shared with "
        "other engineers' work, so the measure is CPU time (user + system of the command and its children); wall "
        "time beside it. Ratio: per round against that round's plain run, median over rounds. Goal: ≤ 1.5×."
        % (py.stdout.strip(), ROUNDS, time.time() - start, BEFORE if before_src else "— (not run: BEFORE=none)"),
        "",
        "| project | plain run | plain CPU | plugin | plugin before | splice test | splice test before |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in results.items():
        cells = ["%.2f× (wall %.2f×)" % (row[v]["cpu_ratio"], row[v]["wall_ratio"]) if v in row else "—"
                 for v in ("plugin", "plugin before", "splice test", "splice test before")]
        md.append("| %s | %s | %.1f s | %s |" % (name, row["summary"], row["plain"]["cpu"], " | ".join(cells)))
    (out / (stem + ".md")).write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
