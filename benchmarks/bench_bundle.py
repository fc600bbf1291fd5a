"""Bundle size and start-up time against the real alternatives, measured in one run.

Set: the splice payload + rich + jedi + pyyaml (compiled) + tabulate, wheels for this interpreter.
  size: bundle .py (gz, xz) vs the sum of wheel files, vs pex and shiv files of the same set
  cold: bundle import (verify + extract + install, `unpack`) vs pip install --no-index of the same wheels,
        vs unzipping them (the floor), vs shiv and pex first runs
  warm: bundle import + importing the packages, vs importing them from a normal venv, vs shiv warm
Alternating rounds, medians. Writes docs/benchmarks/bundle.md and bundle.json.

    python benchmarks/bench_bundle.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work" / "bundle"
DOCS = REPO / "docs" / "benchmarks"
REQS = ["rich", "jedi", "pyyaml", "tabulate"]
IMPORTS = "import rich.console, jedi, yaml, tabulate, splice"


def sh(cmd, env=None, cwd=None):
    proc = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit("failed: %s\n%s%s" % (" ".join(map(str, cmd)), proc.stdout[-2000:], proc.stderr[-2000:]))
    return proc


def timed(cmd, env=None):
    start = time.perf_counter()
    sh(cmd, env)
    return time.perf_counter() - start


def wait_compiled(cache: Path, limit: float = 120) -> None:
    """The bundle byte-compiles in the background after a cold start (as pip does during install): wait for it."""
    end = time.time() + limit
    while time.time() < end:
        if any(cache.glob("*/.compiled")):
            return
        time.sleep(0.2)
    raise SystemExit("background compile did not finish")


def fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    wheels = fresh(WORK / "wheels")
    sh([sys.executable, "-m", "pip", "download", "--only-binary=:all:", "-q", "-d", wheels, *REQS])
    sh([sys.executable, "-m", "build", "--wheel", "--no-isolation", "-o", wheels, REPO / "payload"])
    shutil.rmtree(REPO / "payload" / "build", ignore_errors=True)
    wheel_files = sorted(wheels.glob("*.whl"))
    wheel_total = sum(p.stat().st_size for p in wheel_files)

    bundles = {}
    for comp in ("gz", "xz"):
        out = WORK / ("bb_%s.py" % comp)
        sh(
            [sys.executable, "-m", "bundler", "build", *REQS, "--find-links", wheels, "-o", out, "--compression", comp],
            cwd=REPO,
        )
        bundles[comp] = out
    pex_file, shiv_file = WORK / "set.pex", WORK / "set.pyz"
    names = [p.name.split("-")[0] for p in wheel_files]
    sh(["pex", "--no-pypi", "-f", wheels, *names, "-e", "site:main", "-o", pex_file])
    sh(["shiv", "--no-index", "--find-links", wheels, *names, "-e", "site:main", "-o", shiv_file])

    sizes = {
        "wheels": wheel_total,
        "bundle_gz": bundles["gz"].stat().st_size,
        "bundle_xz": bundles["xz"].stat().st_size,
        "pex": pex_file.stat().st_size,
        "shiv": shiv_file.stat().st_size,
    }

    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_FIND", "SPLICE_", "PEX_", "SHIV_"))}
    base_env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONDONTWRITEBYTECODE="1", SPLICE_QUIET="1")
    bvenv = WORK / "venv-bundle"
    if bvenv.exists():
        shutil.rmtree(bvenv)
    venv.EnvBuilder(symlinks=True).create(bvenv)
    bpy = bvenv / "bin" / "python"
    nvenv = WORK / "venv-normal"
    if not nvenv.exists():
        venv.EnvBuilder(symlinks=True, with_pip=True).create(nvenv)
        sh([nvenv / "bin" / "python", "-m", "pip", "install", "-q", "--no-index", *wheel_files], env=base_env)
    npy = nvenv / "bin" / "python"
    pth = Path(sh([bpy, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())

    runs = {
        k: []
        for k in (
            "unzip",
            "bundle_cold",
            "bundle_cold_xz",
            "pip",
            "shiv_cold",
            "pex_cold",
            "bundle_warm",
            "venv_warm",
            "shiv_warm",
        )
    }
    unzip_code = "import zipfile, sys\nfor w in sys.argv[2:]:\n    zipfile.ZipFile(w).extractall(sys.argv[1])"
    for rnd in range(args.rounds):
        print("round", rnd + 1, file=sys.stderr)
        for comp, key in (("gz", "bundle_cold"), ("xz", "bundle_cold_xz")):
            env = dict(base_env, SPLICE_CACHE_DIR=str(fresh(WORK / "cache")))
            for p in pth.glob("splice_bundle_*.pth"):
                p.unlink()
            code = "import sys; sys.path.insert(0, %r); import %s" % (str(WORK), bundles[comp].stem)
            runs[key].append(timed([bpy, "-c", code], env))
            wait_compiled(WORK / "cache")  # let the background compile finish before anything else is timed
        runs["unzip"].append(timed([sys.executable, "-c", unzip_code, fresh(WORK / "unzip"), *wheel_files]))
        runs["pip"].append(
            timed(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--no-index",
                    "--no-deps",
                    "--no-compile",
                    "--target",
                    fresh(WORK / "pip"),
                    *wheel_files,
                ],
                base_env,
            )
        )
        runs["shiv_cold"].append(
            timed([sys.executable, shiv_file], dict(base_env, SHIV_ROOT=str(fresh(WORK / "shiv"))))
        )
        runs["pex_cold"].append(timed([sys.executable, pex_file], dict(base_env, PEX_ROOT=str(fresh(WORK / "pex")))))
        # warm: the xz cache from this round is complete and compiled; one untimed run, then measure
        env = dict(base_env, SPLICE_CACHE_DIR=str(WORK / "cache"))
        code = "import sys; sys.path.insert(0, %r); import %s; %s" % (str(WORK), bundles["xz"].stem, IMPORTS)
        sh([bpy, "-c", code], env)
        runs["bundle_warm"].append(timed([bpy, "-c", code], env))
        runs["venv_warm"].append(timed([npy, "-c", IMPORTS], base_env))
        shiv_env = dict(base_env, SHIV_ROOT=str(WORK / "shiv"), SHIV_INTERPRETER="1")  # same imports as the others
        runs["shiv_warm"].append(timed([sys.executable, shiv_file, "-c", IMPORTS], shiv_env))

    med = {k: statistics.median(v) for k, v in runs.items()}
    result = {
        "sizes": sizes,
        "median_seconds": med,
        "runs": runs,
        "rounds": args.rounds,
        "wheels": [p.name for p in wheel_files],
        "python": sys.version.split()[0],
    }
    DOCS.mkdir(parents=True, exist_ok=True)
    (DOCS / "bundle.json").write_text(json.dumps(result, indent=1))
    mb = lambda n: "%.2f MB" % (n / 1e6)  # noqa: E731
    ms = lambda s: "%.0f ms" % (s * 1e3)  # noqa: E731
    lines = [
        "# Bundle benchmark",
        "",
        "Generated by `python benchmarks/bench_bundle.py` (Python %s, %d alternating rounds, medians; "
        "PYTHONDONTWRITEBYTECODE=1 everywhere, so no run reuses bytecode)." % (result["python"], args.rounds),
        "",
        "Set: %s." % ", ".join(result["wheels"]),
        "",
        "## Size",
        "",
        "| file | size | × wheels |",
        "|---|---|---|",
    ]
    for k in ("wheels", "bundle_gz", "bundle_xz", "pex", "shiv"):
        lines.append("| %s | %s | %.2f |" % (k, mb(sizes[k]), sizes[k] / wheel_total))
    lines += [
        "",
        "## Cold start (verify + extract + install)",
        "",
        "| what | median | × unzip floor |",
        "|---|---|---|",
    ]
    for k in ("unzip", "bundle_cold", "bundle_cold_xz", "shiv_cold", "pex_cold", "pip"):
        lines.append("| %s | %s | %.2f |" % (k, ms(med[k]), med[k] / med["unzip"]))
    lines += [
        "",
        "## Warm start (bundle import + `%s`)" % IMPORTS,
        "",
        "| what | median | over normal venv |",
        "|---|---|---|",
    ]
    for k in ("venv_warm", "bundle_warm", "shiv_warm"):
        lines.append("| %s | %s | %+.0f ms |" % (k, ms(med[k]), (med[k] - med["venv_warm"]) * 1e3))
    (DOCS / "bundle.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
