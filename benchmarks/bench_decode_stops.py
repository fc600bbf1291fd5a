"""How right is the early stop? Checked on every Python 3.8–3.13 found here (the check is stdlib-only and asks the
running interpreter's own parser, so each version is its own experiment).

- Valid code: every character prefix of top-level functions and classes from that interpreter's standard library must
  pass (any stop there is a false stop). The REPL's test, `codeop.compile_command`, the real alternative, is run on
  the same prefixes: how often it raises on code that is only unfinished.
- Broken code: one wrong token inserted at a random token boundary (only where the whole result no longer compiles);
  where does the check stop, counted in characters after the end of the inserted token (<= 0: at or inside it)?

Writes docs/benchmarks/decode-stops.md. Run: python benchmarks/bench_decode_stops.py [--chunks 120 --mutations 400]
"""

from __future__ import annotations

import argparse
import codeop
import io
import json
import os
import random
import statistics
import subprocess
import sys
import sysconfig
import time
import tokenize
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "payload" / "src"))
WRONG = [")", "]", ":", "=", "def", "return", "1", "x", ",", "else", "import", "in", "lambda", ".", "class", "not",
         "pass", "yield", "*", "if"]


def _chunks(limit: int, rng: random.Random) -> list:
    """Top-level functions and classes of the standard library, cut as splice cuts them (its own index)."""
    from splice.core.edit import Doc

    lib = Path(sysconfig.get_paths()["stdlib"])
    found = []
    for path in sorted(lib.rglob("*.py")):
        if "site-packages" in path.parts or "test" in path.parts or "tests" in path.parts:
            continue
        try:
            doc = Doc.from_text(path.read_text("utf-8"), str(path))
            index = doc.index
        except Exception:  # undecodable or unparseable files: not samples
            continue
        for name in index.top:
            chunk = index.chunks[name]
            if chunk.kind in ("def", "async def", "class") and not chunk.indent:  # not inside a module-level `if`
                text = "".join(doc.lines[chunk.start: chunk.end])
                if 200 < len(text) < 2500:
                    found.append(text)
    rng.shuffle(found)
    return found[:limit]


def _codeop_raises(code: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            codeop.compile_command(code, "<c>", "exec")
            return False
        except (SyntaxError, ValueError, OverflowError):
            return True


def _mutate(text: str, rng: random.Random):
    """(broken text, end of the inserted token) or None."""
    toks = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER,
                              tokenize.COMMENT)]
    lines = io.StringIO(text).readlines()
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    t = rng.choice(toks)
    pos = starts[t.end[0] - 1] + t.end[1]
    wrong = " " + rng.choice(WRONG)
    broken = text[:pos] + wrong + text[pos:]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(broken, "<m>", "exec", dont_inherit=True)
        return None  # still valid: not a broken program
    except SyntaxError:
        return broken, pos + len(wrong)


def measure(n_chunks: int, n_mutations: int, seed: int) -> dict:
    from splice.decode.core import EarlyStop

    rng = random.Random(seed)
    chunks = _chunks(max(n_chunks, 60), rng)
    prefixes = false_stops = codeop_false = 0
    costs = []
    examples = []
    for text in chunks[:n_chunks]:
        stop = EarlyStop(check_names=False)
        for i in range(1, len(text) + 1):
            prefixes += 1
            t = time.perf_counter()
            reason = stop.check(text[:i])
            costs.append(time.perf_counter() - t)
            if reason is not None:
                false_stops += 1
                examples.append("%r: %s" % (text[max(0, i - 50):i], reason))
                break
            codeop_false += _codeop_raises(text[:i])
    delays = []
    missed = 0
    for _ in range(n_mutations):
        made = None
        while made is None:
            made = _mutate(rng.choice(chunks), rng)
        broken, end = made
        stop = EarlyStop(check_names=False)
        stop.check(broken[: end - 8])  # feed the lexer up to near the insertion
        for i in range(max(1, end - 8), len(broken) + 2):
            code = broken[:i] if i <= len(broken) else broken + "\n"
            if stop.check(code) is not None:
                delays.append(i - end)
                break
        else:
            missed += 1
    return {
        "python": sys.version.split()[0], "chunks": n_chunks, "prefixes": prefixes, "false_stops": false_stops,
        "false_examples": examples[:3], "codeop_false": codeop_false, "check_us": statistics.median(costs) * 1e6,
        "check_p90_us": sorted(costs)[int(len(costs) * 0.9)] * 1e6, "mutations": n_mutations, "missed": missed,
        "at_token": sum(d <= 0 for d in delays), "within_10": sum(d <= 10 for d in delays),
        "median_delay": statistics.median(delays) if delays else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=120)
    ap.add_argument("--mutations", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one", action="store_true", help="measure under this interpreter only, print JSON")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure(args.chunks, args.mutations, args.seed)))
        return
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    exes = [sys.executable]
    for minor in ("3.8", "3.9", "3.10", "3.12", "3.13"):
        found = sorted(root.glob(minor + ".*/bin/python" + minor))
        if found:
            exes.append(str(found[-1]))
    rows = []
    for exe in exes:
        env = dict(os.environ)
        env.pop("PYENV_VERSION", None)
        out = subprocess.run([exe, __file__, "--one", "--chunks", str(args.chunks), "--mutations",
                              str(args.mutations), "--seed", str(args.seed)], capture_output=True, text=True,
                             env=env, check=True).stdout
        rows.append(json.loads(out))
        print(rows[-1])
    rows.sort(key=lambda r: tuple(int(x) for x in r["python"].split(".")))
    lines = ["# Local-model helpers: is the early stop right?", "",
             "Generated by `python benchmarks/bench_decode_stops.py` (seed %d). Per Python: %d top-level functions and "
             "classes of that interpreter's standard library (200–2,500 characters), every character prefix checked "
             "(valid code: any stop is a false stop; the REPL's `codeop.compile_command` on the same prefixes for "
             "comparison); then %d broken programs, one wrong token (%s) inserted at a random token boundary where "
             "the result no longer compiles — where does the check stop, in characters after the inserted token?"
             % (args.seed, args.chunks, args.mutations, " ".join("`%s`" % w for w in WRONG)), "",
             "| Python | prefixes | false stops | codeop raises on | broken: stopped at the token | within 10 chars "
             "| median delay | never stopped | check, median / p90 |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        n = r["mutations"]
        lines.append("| %s | %d | %d | %d (%.0f%%) | %.0f%% | %.0f%% | %s | %d | %.0f / %.0f µs |" % (
            r["python"], r["prefixes"], r["false_stops"], r["codeop_false"], 100 * r["codeop_false"] / r["prefixes"],
            100 * r["at_token"] / n, 100 * r["within_10"] / n, "%g" % r["median_delay"], r["missed"], r["check_us"],
            r["check_p90_us"]))
    for r in rows:
        for ex in r["false_examples"]:
            lines.append("- false stop on %s: %s" % (r["python"], ex))
    lines += ["", "A stop after the inserted token is not always the check's fault: an extra `(` or `[` is only wrong "
              "once the code that follows cannot sit inside it, and `x` after a name may start `x if … else …`. "
              "\"Never stopped\": errors that only the compiler stage after the parser raises (a starred expression "
              "where none may stand), which the parser-based check does not see."]
    out = REPO / "docs" / "benchmarks" / "decode-stops.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
