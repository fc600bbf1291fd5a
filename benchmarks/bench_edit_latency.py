"""Latency of replacing one method in files of 100 to 20,000 lines, against the floor and real alternatives.

  floor   one ast.parse of the file
  splice  index + plan + splice + syntax check of the new chunk (text in, text out)
  splice+file  the same through splice.replace on a real file (read, hash, atomic write, undo journal)
  libcst  parse_module, a transformer swapping the FunctionDef, module.code
  rope    project + pymodule to find the method's lines, then a text splice

Medians of alternating rounds; results in docs/benchmarks/edit_latency.md. Run: python benchmarks/bench_edit_latency.py
"""

from __future__ import annotations

import ast
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "payload" / "src"))

import splice  # noqa: E402
from splice.core.edit import Doc, apply_splices, check_syntax, plan_replace  # noqa: E402

NEW = "def method_{i}(self, value):\n    total = value * 2\n    return total + {i}\n"


def make_file(lines: int) -> str:
    out = ['"""Generated module."""', "import os", "", ""]
    cls = 0
    while len(out) < lines:
        out += ["class Model%d:" % cls, '    """A model."""', ""]
        for m in range(8):
            out += [
                "    def method_%d(self, value):" % m,
                "        if value > %d:" % m,
                "            return value - %d" % m,
                "        return value + %d" % m,
                "",
            ]
        out += [""]
        cls += 1
    return "\n".join(out) + "\n"


def splice_text(text: str, target: str, code: str) -> str:
    doc = Doc.from_text(text)
    new, placed = apply_splices(doc, plan_replace(doc, doc.chunk(target), code))
    check_syntax(doc, new, placed)
    return "".join(new)


def libcst_replace(text: str, cls: str, meth: str, code: str) -> str:
    import libcst as cst

    module = cst.parse_module(text)
    new_fn = cst.parse_statement(code)

    class Swap(cst.CSTTransformer):
        def __init__(self) -> None:
            self.in_cls = False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            self.in_cls = node.name.value == cls
            return True

        def leave_FunctionDef(self, orig: cst.FunctionDef, updated: cst.FunctionDef):
            if self.in_cls and orig.name.value == meth:
                return new_fn.with_changes(leading_lines=orig.leading_lines)
            return updated

    return module.visit(Swap()).code


def rope_replace(folder: str, name: str, cls: str, meth: str, code: str) -> str:
    from rope.base import libutils
    from rope.base.project import Project

    project = Project(folder, ropefolder=None)
    try:
        resource = libutils.path_to_resource(project, os.path.join(folder, name))
        pymodule = project.get_pymodule(resource)
        scope = pymodule[cls].get_object()[meth].get_object().get_scope()
        start, end = scope.get_start(), scope.get_end()
        lines = resource.read().splitlines(keepends=True)
        indent = lines[start - 1][: len(lines[start - 1]) - len(lines[start - 1].lstrip())]
        new = [indent + line if line.strip() else line for line in code.splitlines(keepends=True)]
        return "".join(lines[: start - 1] + new + lines[end:])
    finally:
        project.close()


def main() -> None:
    rounds = int(os.environ.get("ROUNDS", "9"))
    sizes = [100, 1000, 5000, 20000]
    results = {}
    work = tempfile.mkdtemp(prefix="splice-latency-")
    os.environ["SPLICE_JOURNAL_DIR"] = os.path.join(work, "journal")
    for size in sizes:
        text = make_file(size)
        n_lines = text.count("\n")
        target_cls = "Model%d" % (text.count("class Model") // 2)
        meth = "method_3"
        code = NEW.format(i=3)
        path = os.path.join(work, "mod%d.py" % size)
        expected = splice_text(text, "%s.%s" % (target_cls, meth), code)
        assert libcst_replace(text, target_cls, meth, code).count("total + 3") == 1
        runs = {k: [] for k in ("ast.parse", "splice", "splice+file", "libcst", "rope")}
        for _ in range(rounds):
            t = time.perf_counter()
            ast.parse(text)
            runs["ast.parse"].append(time.perf_counter() - t)
            t = time.perf_counter()
            out = splice_text(text, "%s.%s" % (target_cls, meth), code)
            runs["splice"].append(time.perf_counter() - t)
            assert out == expected
            with open(path, "w") as f:
                f.write(text)
            t = time.perf_counter()
            splice.replace("%s::%s.%s" % (path, target_cls, meth), code)
            runs["splice+file"].append(time.perf_counter() - t)
            t = time.perf_counter()
            libcst_replace(text, target_cls, meth, code)
            runs["libcst"].append(time.perf_counter() - t)
            with open(path, "w") as f:
                f.write(text)
            t = time.perf_counter()
            rope_out = rope_replace(work, os.path.basename(path), target_cls, meth, code)
            runs["rope"].append(time.perf_counter() - t)
            assert "total + 3" in rope_out
        med = {k: statistics.median(v) for k, v in runs.items()}
        results[n_lines] = med
        print(n_lines, {k: "%.2f ms" % (v * 1e3) for k, v in med.items()}, file=sys.stderr)
    out = REPO / "docs" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "edit_latency.json").write_text(
        json.dumps({"python": sys.version.split()[0], "rounds": rounds, "median_seconds": results}, indent=1)
    )
    lines = [
        "# Method replace latency",
        "",
        "Generated by `python benchmarks/bench_edit_latency.py` (Python %s, %d rounds, medians). One method is "
        "replaced in the middle of a generated module; `splice` is text in, text out (index, plan, splice, "
        "syntax check); `splice+file` adds reading, hashing, the atomic write and the undo journal entry."
        % (sys.version.split()[0], rounds),
        "",
        "| lines | ast.parse (floor) | splice | × floor | splice+file | libcst | rope |",
        "|---|---|---|---|---|---|---|",
    ]
    for n, med in results.items():
        lines.append(
            "| %d | %.2f ms | %.2f ms | %.2f | %.2f ms | %.1f ms | %.1f ms |"
            % (
                n,
                med["ast.parse"] * 1e3,
                med["splice"] * 1e3,
                med["splice"] / med["ast.parse"],
                med["splice+file"] * 1e3,
                med["libcst"] * 1e3,
                med["rope"] * 1e3,
            )
        )
    (out / "edit_latency.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
