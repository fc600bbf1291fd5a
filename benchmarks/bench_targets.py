"""Several targets in one bundle against one bundle per target, measured in one run.

Set: the splice payload + a compiled package + a pure one (pinned so each target resolves the same pure wheel).
  size: a 2-target bundle vs the two single-target bundles together (goal ≤ 0.8×), for chatgpt + chatgpt-legacy
        and chatgpt + aarch64, with markupsafe (small binary) and msgpack (a binary 10× larger) as the compiled one
  cold: the first import (fresh cache, new process, no background compile) of the 2-target bundle vs the
        single-target bundle on each target this machine runs (chatgpt: CPython 3.11; chatgpt-legacy: 3.8 from
        pyenv); aarch64 cannot run here. Alternating rounds, the fastest of each (the machine is shared). Goal:
        within 10%.
Writes docs/benchmarks/targets.md and targets.json.

    python benchmarks/bench_targets.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work" / "targets"
DOCS = REPO / "docs" / "benchmarks"
SETS = {"markupsafe": ["markupsafe==2.1.5", "tabulate==0.9.0"], "msgpack": ["msgpack==1.1.1", "tabulate==0.9.0"]}
PAIRS = [("chatgpt", "chatgpt-legacy"), ("chatgpt", "aarch64")]
RUNNABLE = {"chatgpt": "3.11", "chatgpt-legacy": "3.8"}


def sh(cmd, env=None, cwd=None):
    proc = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit("failed: %s\n%s%s" % (" ".join(map(str, cmd)), proc.stdout[-2000:], proc.stderr[-2000:]))
    return proc


def build(reqs, targets, out: Path) -> Path:
    args = [sys.executable, "-m", "bundler", "build", *reqs, "-o", out]
    for t in targets:
        args += ["--target", t]
    sh(args, cwd=REPO)
    return out


def pyenv_python(minor: str) -> Path:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(root.glob(minor + ".*"))
    if not found:
        raise SystemExit("Python %s not found under pyenv" % minor)
    return found[-1] / "bin" / "python"


def cold_import(py: Path, bundle: Path, imports: str, cache: Path) -> tuple:
    """One first import in a new process: verify, pick the target, extract, install, import the packages.
    Returns CPU seconds (user + system): of the whole process, and of the bundle's import in it. CPU time, not
    wall time: other sessions on this shared machine stretch wall time by 2-3x from one run to the next."""
    if cache.exists():
        shutil.rmtree(cache)
    env = dict(os.environ, SPLICE_CACHE_DIR=str(cache), SPLICE_NO_COMPILE="1", SPLICE_QUIET="1")
    env.pop("PYTHONPATH", None)
    code = (
        "import sys, time; sys.path.insert(0, %r); t = time.process_time(); import %s as B; "
        "t = time.process_time() - t; %s; print(t)" % (str(bundle.parent), bundle.stem, imports)
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = sh([py, "-c", code], env).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, float(out.split()[-1])


def in_process(bundles: dict, target: str, rounds: int) -> dict:
    """Fastest seconds (of alternating rounds) to decode + verify the payload and unpack the target's wheels into a
    fresh folder, per bundle, measured in this process with the bootstrap's own functions: no process start-up, and
    the minimum is the figure least moved by other load on a shared machine."""
    sys.path.insert(0, str(REPO))
    from bundler.cli import _read_bundle
    from bundler.render import runtime

    rt = runtime()
    loaded = {}
    for kind, bundle in bundles.items():
        text, meta = _read_bundle(bundle)
        loaded[kind] = (text, meta, next(t for t in meta["targets"] if t["name"] == target))
    times = {kind: [] for kind in bundles}
    for r in range(rounds):
        for kind in sorted(bundles, reverse=bool(r % 2)):
            text, meta, chosen = loaded[kind]
            with tempfile.TemporaryDirectory(dir=WORK) as tmp:
                start = time.process_time()
                rt.unpack(rt.decode_payload(text, meta), meta, tmp, all_wheels=True, target=chosen)
                times[kind].append(time.process_time() - start)
    return {kind: min(v) for kind, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    sizes = []
    bundles = {}
    for label, reqs in SETS.items():
        for pair in PAIRS:
            single = {}
            for t in pair:
                key = (label, t)
                if key not in bundles:
                    bundles[key] = build(reqs, [t], WORK / ("%s_%s.py" % (label, t.replace("-", "_"))))
                single[t] = bundles[key].stat().st_size
            two = build(reqs, pair, WORK / ("%s_%s.py" % (label, "_".join(p.replace("-", "_") for p in pair))))
            bundles[(label, pair)] = two
            both = sum(single.values())
            sizes.append(
                dict(
                    set=label,
                    targets=list(pair),
                    single=single,
                    two=two.stat().st_size,
                    ratio=two.stat().st_size / both,
                )
            )
            print("size %s %s: %.3f×" % (label, "+".join(pair), sizes[-1]["ratio"]), flush=True)
    venvs = {}
    for target, minor in RUNNABLE.items():
        path = WORK / ("venv-" + minor)
        subprocess.run([pyenv_python(minor), "-m", "venv", "--without-pip", path], check=True)
        venvs[target] = path / "bin" / "python"
    cold = []
    for label in SETS:
        imports = "import %s, tabulate, splice" % label
        two = bundles[(label, PAIRS[0])]
        for target in RUNNABLE:
            one = bundles[(label, target)]
            times = {"single": [], "two": []}
            own = {"single": [], "two": []}
            for r in range(args.rounds):
                order = [("single", one), ("two", two)] if r % 2 == 0 else [("two", two), ("single", one)]
                for kind, b in order:
                    wall, activation = cold_import(venvs[target], b, imports, WORK / "cache")
                    times[kind].append(wall)
                    own[kind].append(activation)
            # the fastest run: on a machine shared with other work, the figure least moved by it
            med = {k: min(v) for k, v in times.items()}
            unpack = in_process({"single": one, "two": two}, target, args.rounds * 2)
            act = {k: min(v) for k, v in own.items()}
            cold.append(
                dict(
                    set=label,
                    target=target,
                    single=med["single"],
                    two=med["two"],
                    ratio=med["two"] / med["single"],
                    activation_single=act["single"],
                    activation_two=act["two"],
                    activation_ratio=act["two"] / act["single"],
                    unpack_single=unpack["single"],
                    unpack_two=unpack["two"],
                    unpack_ratio=unpack["two"] / unpack["single"],
                )
            )
            print("cold %s %s: %.0f ms vs %.0f ms" % (label, target, med["two"] * 1e3, med["single"] * 1e3), flush=True)
    result = dict(sizes=sizes, cold=cold, rounds=args.rounds, python=sys.version.split()[0])
    DOCS.mkdir(parents=True, exist_ok=True)
    (DOCS / "targets.json").write_text(json.dumps(result, indent=1))
    lines = [
        "# Several targets in one bundle",
        "",
        "`python benchmarks/bench_targets.py --rounds %d` (this machine: 2 shared cores, Linux x86_64, glibc; "
        "2-target bundles built from PyPI wheels)." % args.rounds,
        "",
        "## Size: one 2-target bundle against two single-target bundles (goal ≤ 0.8×)",
        "",
        "Set: splice + the compiled package + tabulate 0.9.0 (pure). Shared wheels (splice, tabulate) and the",
        "bootstrap code are stored once; each target's compiled wheel is stored once more.",
        "",
        "| compiled package | targets | single A | single B | A + B | 2-target | ratio |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        a, b = s["targets"]
        lines.append(
            "| %s | %s + %s | %.0f kB | %.0f kB | %.0f kB | %.0f kB | **%.2f×** |"
            % (
                s["set"], a, b, s["single"][a] / 1e3, s["single"][b] / 1e3,
                (s["single"][a] + s["single"][b]) / 1e3, s["two"] / 1e3, s["ratio"],
            )
        )  # fmt: skip
    lines += [
        "",
        "## Cold import on each target (goal: within 10% of the single-target bundle)",
        "",
        "A new process imports the bundle with an empty cache (`SPLICE_NO_COMPILE=1`), then the packages: verify,",
        "compute this interpreter's tags and pick the target (2-target only), extract, install, import. CPU time",
        "(user + system; wall time on this shared machine swung 2-3x between runs), the fastest of %d alternating"
        % args.rounds,
        "rounds, of the whole process (interpreter start-up and the package imports included). The 2-target bundle",
        "is %s + %s; aarch64 cannot run on this x86_64 machine, so its cold import is not measured." % PAIRS[0],
        "",
        "The `import bundle` columns are the CPU time of the bundle's import in that process (verify, pick, extract,",
        "install); the unpack columns the CPU time of decode + verify + unpack of the target's wheels in one process",
        "with the bootstrap's own functions (fastest of %d alternating rounds)." % (args.rounds * 2),
        "",
        "| compiled package | target (Python) | process: single | 2-target | ratio "
        "| import bundle: single | 2-target | ratio | unpack: single | 2-target | ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in cold:
        lines.append(
            ("| %s | %s (%s) | " + " | ".join(["%.0f ms | %.0f ms | **%.2f×**"] * 3) + " |")
            % (
                c["set"], c["target"], RUNNABLE[c["target"]], c["single"] * 1e3, c["two"] * 1e3, c["ratio"],
                c["activation_single"] * 1e3, c["activation_two"] * 1e3, c["activation_ratio"],
                c["unpack_single"] * 1e3, c["unpack_two"] * 1e3, c["unpack_ratio"],
            )
        )  # fmt: skip
    lines += [
        "",
        "## Reading",
        "",
        "- Size: %s. The ratio is about 1 − shared / (A + B): the more of a bundle its compiled wheels are, the"
        % "; ".join("%s + %s with %s %.2f×" % (*x["targets"], x["set"], x["ratio"]) for x in sizes),
        "  closer it gets to 1 (msgpack's wheel is ~0.4 MB of an ~0.8 MB bundle; markupsafe's 28 kB).",
        "- Cold import, whole process (CPU): %s (goal ≤ 1.10×)."
        % "; ".join("%s on %s %.2f×" % (c["set"], c["target"], c["ratio"]) for c in cold),
        "- The 2-target bundle's extra work on a cold start: computing the tags (about 3 ms), and base64-decoding",
        "  and hashing the other target's part of the payload; it is not decompressed (each target's own wheels are",
        "  a compressed stream of their own, the header says where). Warm imports do neither: the cache entry is",
        "  found first.",
        "- The machine is shared (5 sessions, 2 cores); rerun for figures with less noise.",
    ]
    (DOCS / "targets.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
