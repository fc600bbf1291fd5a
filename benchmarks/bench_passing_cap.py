"""How many passing tests must the plugin's coverage run trace? Suspect quality against the count, quickly.

The plugin's case (a whole-suite run, untraced; then a second run of the failing tests and the passing tests
`choose_passing` picks, traced). For each scenario — the planted bugs of bench_test_time's projects, then MUTANTS
single-line mutants per project (bench_suspects' mutants, SEED) killed by a test in its call phase — the suite runs
once untraced, then once traced over the failing tests and EVERY passing test of their files. Each cap's choice is
then ranked over that one traced run's coverage of the tests it picks (per-test coverage does not depend on which
other tests ran, up to module state such as caches), so one traced run rates every cap. Reported: the share of bug
lines among the first 1 / 5 entries of a shown group, as the plugin prints them (a function's tied lines one entry).

Run: python benchmarks/bench_passing_cap.py (CAPS=25,50,100,200; MUTANTS=6; SEED=19; ONLY=click,boltons;
more-itertools fails 39 tests under execnet errors in a venv with pytest-xdist, so it was left out there).
Writes docs/benchmarks/passing_cap.md.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "payload" / "src"))

from bench_suspects import apply, mutants, rank_in_groups  # noqa: E402
from bench_test_time import PROJECTS, prepare  # noqa: E402

from splice.testing.failures import shapes  # noqa: E402
from splice.testing.runner import SpectrumRun, _report, choose_passing, run_pytest  # noqa: E402
from splice.testing.suspects import localize  # noqa: E402

CAPS = [int(c) for c in os.environ.get("CAPS", "25,50,100,200").split(",")]
MUTANTS = int(os.environ.get("MUTANTS", "6"))
SEED = int(os.environ.get("SEED", "19"))
LIBS = {"click": "src/click", "more-itertools": "more_itertools", "boltons": "boltons"}


def planted_lines(root: Path, plants: List[Tuple[str, str, str]]) -> List[Tuple[str, int]]:
    out = []
    for rel, _, new in plants:
        text = (root / rel).read_text()
        out.append((rel, text[: text.index(new)].count("\n") + 1))
    return out


def rate(root: Path, bugs: List[Tuple[str, int]], addopts: str) -> Optional[Dict[int, List[Optional[int]]]]:
    """{cap: each bug line's best entry position (None: not shown)}; None when no test failed in its call."""
    extra = addopts.split() if addopts else []
    data = run_pytest(["tests"], str(root), extra=extra, timeout=60)  # a mutant that loops is left out
    report = _report(data, str(root), "")
    if data.get("problem") or not any(f.when == "call" for f in report.failures):
        return None
    files = sorted({f.id.split("::")[0] for f in report.failures if f.when != "collect"})
    run = SpectrumRun(report, files, data, extra=extra, cap=10**6, timeout=60).result()
    if isinstance(run, str):
        print("  coverage run:", run)
        return None
    out: Dict[int, List[Optional[int]]] = {}
    for cap in CAPS + [10**6]:
        chosen = set(choose_passing(run.failing, data.get("tests", []), cap))
        passing = [t for t in run.passing if t in chosen]
        groups = localize(run.coverage, run.failing, passing, "ochiai", run.frames, shapes(report.failures, str(root)))
        out[cap] = [rank_in_groups(groups, bug, str(root)) for bug in bugs]
    return out


def main() -> None:
    start = time.time()
    only = os.environ.get("ONLY", "")
    rows: List[Tuple[str, str, Dict[int, List[Optional[int]]]]] = []
    for name, req, folder, imp, addopts, plants in PROJECTS:
        if only and name not in only.split(","):
            continue
        root = prepare(req, folder, plants)
        os.environ["PYTHONPATH"] = str(root / imp)
        got = rate(root, planted_lines(root, plants), addopts)
        if got:
            rows.append((name, "planted", got))
            print(name, "planted", got, flush=True)
        for rel, old, new in plants:  # the mutants run on the pristine code
            path = root / rel
            path.write_text(path.read_text().replace(new, old, 1))
        files = sorted((root / LIBS[name]).rglob("*.py"))
        candidates = [(f, m) for f in files for m in mutants(f)]
        random.Random(SEED).shuffle(candidates)
        done = 0
        for file, m in candidates:
            if done >= MUTANTS:
                break
            original = file.read_text(encoding="utf-8")
            try:
                before = apply(file, original, m)
                got = rate(root, [(file.relative_to(root).as_posix(), m[0])], addopts)
            finally:
                file.write_text(original, encoding="utf-8")
            if got:
                done += 1
                rows.append((name, "%s:%d %s" % (file.name, m[0], before[:40]), got))
                print(name, rows[-1][1], got, flush=True)
    md = [
        "# Passing tests traced beside the failures: suspect quality by count",
        "",
        "Generated by `python benchmarks/bench_passing_cap.py` (seed %d, %d mutants per project, %d s). Each scenario: "
        "the whole suite untraced, then one traced run of the failing tests and every passing test of their files; "
        "each cap ranks over the coverage of the tests `choose_passing` picks. Share of bug lines among the first "
        "k entries of a shown group (as the plugin prints them)." % (SEED, MUTANTS, time.time() - start),
        "",
        "| passing tests traced (cap) | bug lines | top-1 | top-5 | shown at all |",
        "|---|---|---|---|---|",
    ]
    for cap in CAPS + [10**6]:
        ranks = [r for _, _, got in rows for r in got[cap]]
        n = len(ranks)
        md.append("| %s | %d | %.0f%% | %.0f%% | %.0f%% |" % (
            "all of the failing files" if cap == 10**6 else cap, n,
            100 * sum(1 for r in ranks if r == 1) / max(n, 1),
            100 * sum(1 for r in ranks if r and r <= 5) / max(n, 1),
            100 * sum(1 for r in ranks if r) / max(n, 1)))
    md += ["", "| scenario | " + " | ".join(str(c) for c in CAPS) + " | all |", "|---" * (len(CAPS) + 2) + "|"]
    for name, what, got in rows:
        md.append("| %s %s | %s |" % (name, what.replace("|", "\\|"), " | ".join(
            ",".join(str(r) if r else "-" for r in got[c]) for c in CAPS + [10**6])))
    out = REPO / "docs" / "benchmarks" / "passing_cap.md"
    out.write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
