"""The path one checked edit takes through splice: modules entered, climbs back up, returns to a module left before,
`files.project_root` computed, linter / type checker / pytest runs, and the wall time.

Each case runs in a fresh copy of a small project (a package, a test file, pyproject.toml with a ruff config): a
warm-up edit (imports done, mypy's cache made), one edit traced with `sys.setprofile` (tests/flowtrace.py), then
untraced edits back and forth for the wall time (median). Results are kept per label in docs/benchmarks/flow.json
and written as a table to docs/benchmarks/flow.md. Run: python benchmarks/flow_trace.py --label after [--rounds 9]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "payload" / "src"))
sys.path.insert(0, str(REPO / "tests"))

from flowtrace import describe, trace  # noqa: E402

import splice  # noqa: E402

OUT = REPO / "docs" / "benchmarks"
CART = ("{head}\n\ndef total(prices: list) -> int:\n    return sum(prices)\n\n\n"
        "def tax(amount: int) -> int:\n    return amount // 10\n")


def make_project(root: Path, head: str) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'shop'\n[tool.ruff.lint]\nselect = ['F', 'E']\n")
    pkg = root / "shop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "cart.py").write_text(CART.format(head=head))
    (root / "tests").mkdir()
    (root / "tests" / "test_cart.py").write_text(
        "from shop.cart import tax, total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n\n\n"
        "def test_tax():\n    assert tax(100) == 10\n")
    return pkg / "cart.py"


def edit_back_and_forth(path: str, n: int) -> object:
    old, new = ("// 10", "// 10 + 0") if n % 2 == 0 else ("// 10 + 0", "// 10")
    return splice.edit("%s::tax" % path, old, new, check=True)


def replace_back_and_forth(path: str, n: int) -> object:
    return splice.replace("%s::tax" % path, "return (amount * 1) // 10" if n % 2 == 0 else "return amount // 10",
                          check=True)


CASES: Dict[str, Dict] = {
    "edit": dict(title="`splice.edit(path::tax, old, new, check=True)` on a file with an old issue (an unused import)",
                 head="import os\n", call=edit_back_and_forth),
    "edit-clean": dict(title="the same edit on a file without issues", head='"""Cart."""\n',
                       call=edit_back_and_forth),
    "replace": dict(title="`splice.replace(path::tax, code, check=True)` on the file with the old issue",
                    head="import os\n", call=replace_back_and_forth),
}


def run_case(case: Dict, rounds: int) -> Dict:
    """One project per case: a warm-up edit (imports done, mypy's cache made), the traced edit, then timed edits
    back and forth (each changes the file, as an agent's edits do)."""
    root = Path(tempfile.mkdtemp(prefix="splice-flow-"))
    try:
        path = str(make_project(root, case["head"]))
        case["call"](path, 0)
        flow = trace(lambda: case["call"](path, 1))
        assert flow.result.written and flow.result.checks is not None, flow.result
        times: List[float] = []
        for n in range(rounds):
            start = time.perf_counter()
            case["call"](path, n)
            times.append(time.perf_counter() - start)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("\n".join(describe(flow)))
    return {
        "modules": len(flow.modules),
        "module_names": [m.replace("splice.", "") for m in flow.modules],
        "entries": sum(flow.entries.values()),
        "climbs": len(flow.climbs),
        "callbacks": len(flow.callbacks),
        "reentries": flow.reentries,
        "unit_reentries": flow.unit_reentries,
        "api_checks": flow.calls("splice.api", "splice.checks"),
        "checks_files": flow.calls("splice.checks", "splice.core.files"),
        "project_root": flow.root_calls,
        "tools": dict(flow.tools),
        "path": " → ".join(flow.path()),
        "median_ms": round(statistics.median(times) * 1e3),
        "checks": str(flow.result.checks),
    }


ROWS = [
    ("splice modules entered", lambda r: str(r["modules"])),
    ("module entries (a call into a module not on the stack)", lambda r: str(r["entries"])),
    ("climbs into a higher layer (returns and callbacks)", lambda r: str(r["climbs"])),
    ("of them callbacks (a lower layer calling up)", lambda r: str(r["callbacks"])),
    ("returns to a module control had left", lambda r: str(r["reentries"])),
    ("… to a layer unit it had left (core, a family, api)", lambda r: str(r["unit_reentries"])),
    ("api's calls into checks", lambda r: ", ".join(r["api_checks"])),
    ("checks' calls into core.files", lambda r: ", ".join(r["checks_files"]) or "none"),
    ("`files.project_root` computed", lambda r: str(r["project_root"])),
    ("ruff runs", lambda r: str(r["tools"].get("ruff", 0))),
    ("mypy runs", lambda r: str(r["tools"].get("mypy", 0))),
    ("pytest runs", lambda r: str(r["tools"].get("pytest", 0))),
    ("wall time, median", lambda r: "%d ms" % r["median_ms"]),
]


def write_doc(data: Dict) -> None:
    labels = list(data["runs"])
    lines = [
        "# One checked edit, followed through the code",
        "",
        "Generated by `python benchmarks/flow_trace.py --label LABEL` (%s). Each case runs in a fresh copy of a "
        "small project (a package `shop` with `cart.py`, `tests/test_cart.py` importing it, pyproject.toml with a "
        "ruff config): a warm-up edit, then one edit traced with `sys.setprofile` (tests/flowtrace.py), then "
        "timed edits back and forth (mypy's cache warm, as in an agent's session). Control belongs to "
        "the splice module of the innermost splice frame; a climb is a step from a lower layer (core < checks, "
        "notebook… < api < doors) into a higher one, by a return or a callback; a return to a module left is a "
        "step back into a module that had control before. Wall time: median of %s untraced edits, related tests "
        "included." % (data["env"], data["rounds"]),
        "",
        "Reading the numbers: the module-level counts include the core's own indexing (core.locate and core.text "
        "take turns per line) and generator yields (core.walk's file walk hands each file back to the related-tests "
        "search), so they move little with the flow; the layer-unit count leaves moves inside one unit (the core, a "
        "family) out. The api's calls into checks and the checks' calls into core.files show the flow itself.",
        "",
    ]
    for key, case in CASES.items():
        heads = ["%s (%s)" % (lab, data["runs"][lab]["commit"]) if data["runs"][lab].get("commit") else lab
                 for lab in labels]
        lines += ["## " + case["title"], "", "| | " + " | ".join(heads) + " |",
                  "|---|" + "---|" * len(labels)]
        for name, cell in ROWS:
            lines.append("| %s | %s |" % (name, " | ".join(cell(data["runs"][lab][key]) for lab in labels)))
        lines.append("")
        for lab in labels:
            run = data["runs"][lab][key]
            lines += ["%s — modules: %s" % (lab, ", ".join(run["module_names"])), ""]
        last = data["runs"][labels[-1]][key]
        lines += ["Checks reported (%s):" % labels[-1], "", "```", last["checks"], "```", ""]
    lines += ["## Where control went (%s, first case)" % labels[-1], "", "```"]
    path = data["runs"][labels[-1]]["edit"]["path"].split(" → ")
    lines += [" → ".join(path[i:i + 8]) for i in range(0, len(path), 8)]
    lines += ["```", ""]
    (OUT / "flow.md").write_text("\n".join(lines))


def _commit() -> str:
    """The checkout's commit, with "+" when its work tree has changes ("" outside git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True)
    except OSError:
        return ""
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "") if head.returncode == 0 else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="now", help="the column these numbers go in (e.g. before, after)")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--doc-only", action="store_true", help="write flow.md again from flow.json, run nothing")
    args = parser.parse_args()
    store = OUT / "flow.json"
    data = json.loads(store.read_text()) if store.exists() else {"runs": {}}
    if args.doc_only:
        write_doc(data)
        return
    os.environ.pop("SPLICE_JOURNAL_DIR", None)  # the journal finds its folder like a user's edit does
    results = {}
    for key, case in CASES.items():
        print("==", key)
        results[key] = run_case(case, args.rounds)
    data["runs"][args.label] = dict(results, commit=_commit())
    data["rounds"] = args.rounds
    data["env"] = "Python %s, %s" % (sys.version.split()[0], sys.platform)
    store.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    write_doc(data)
    print("wrote", OUT / "flow.md")


if __name__ == "__main__":
    main()
