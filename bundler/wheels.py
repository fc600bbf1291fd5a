"""Getting wheels: build local projects with `build`, fetch the rest with `pip download`, read what they hold."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from packaging.utils import canonicalize_name, parse_wheel_filename

from bundler import buildcache
from bundler.resources import IGNORED
from bundler.targets import Target, wheel_tags

Progress = Callable[[str], None]


class BuildError(Exception):
    """A build step failed; the message is meant for the user as is."""


@dataclass(frozen=True)
class WheelInfo:
    path: Path
    name: str
    version: str
    tags: List[str]
    size: int
    data_dir: str
    dist_info: str
    top_level: List[str]
    members: int
    sha256: str  # of the wheel file as fetched: what a lock lists

    @classmethod
    def read(cls, path: Path) -> "WheelInfo":
        name, version, _build, _tags = parse_wheel_filename(path.name)
        with zipfile.ZipFile(path) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
        dist_info = next((n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")), None)
        if dist_info is None:
            raise BuildError("%s is not a valid wheel: no .dist-info folder" % path.name)
        data_dir = dist_info[: -len(".dist-info")] + ".data"
        tops = set()
        for n in names:
            first = n.split("/")[0]
            if first in (dist_info, data_dir):
                if first == data_dir and n.split("/")[1:2] in (["purelib"], ["platlib"]) and n.count("/") >= 2:
                    first = n.split("/")[2]
                else:
                    continue
            tops.add(first.split(".")[0])
        return cls(
            path,
            str(canonicalize_name(name)),
            str(version),
            wheel_tags(path.name),
            path.stat().st_size,
            data_dir,
            dist_info,
            sorted(tops),
            len(names),
            file_hash(path, "sha256"),
        )


def file_hash(path: Path, algo: str) -> str:
    digest = hashlib.new(algo)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(cmd: Sequence[str], what: str, env: Optional[dict] = None) -> None:
    proc = subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if proc.returncode:
        tail = "\n".join(proc.stdout.strip().splitlines()[-12:])
        raise BuildError("%s failed (exit %d):\n%s" % (what, proc.returncode, tail))


def is_project(path: Path) -> bool:
    return path.is_dir() and ((path / "pyproject.toml").exists() or (path / "setup.py").exists())


def build_project(
    project: Path, outdir: Path, progress: Progress, source_date_epoch: int, cache: Optional[Path] = None
) -> Path:
    """Build a local project into a wheel, from a clean copy so stale build/ folders never leak in. With a cache
    folder, a project built before with the same files, epoch and build tools is copied from there instead."""
    with tempfile.TemporaryDirectory(prefix="splice-build-") as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(
            project,
            src,
            ignore=shutil.ignore_patterns(*IGNORED),
        )
        outdir.mkdir(parents=True, exist_ok=True)
        if cache is None:
            return _build_copy(project, src, outdir, progress, source_date_epoch)
        entry = buildcache.key(src, source_date_epoch, buildcache.tools(src))
        with buildcache.locked(cache, entry):
            cached = buildcache.lookup(cache, entry)
            if cached is not None:
                progress("wheel of %s from the build cache (%s)" % (project, cached.parent))
                return Path(shutil.copy2(cached, outdir / cached.name))
            built = _build_copy(project, src, outdir, progress, source_date_epoch)
            try:
                buildcache.store(cache, entry, built)
            except OSError as exc:
                progress("build cache %s not written (%s): the next build builds again" % (cache, exc))
            return built


def _build_copy(project: Path, src: Path, outdir: Path, progress: Progress, source_date_epoch: int) -> Path:
    progress("building wheel of %s" % project)
    out = src.parent / "out"
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(source_date_epoch), PYTHONDONTWRITEBYTECODE="1")
    # No isolation: the bundler depends on setuptools and wheel, so offline builds work.
    _run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(src)],
        "building %s" % project.name,
        env,
    )
    built = sorted(out.glob("*.whl"))
    if len(built) != 1:
        raise BuildError("building %s produced %d wheels, expected 1" % (project, len(built)))
    return Path(shutil.copy2(built[0], outdir / built[0].name))


def download(
    requirements: Sequence[str],
    requirement_files: Sequence[Path],
    find_links: Sequence[Path],
    target: Target,
    dest: Path,
    progress: Progress,
    pip_options: Sequence[str] = (),
) -> List[Path]:
    """Fetch binary wheels for the requirements (and their dependencies) for the target interpreter."""
    if not requirements and not requirement_files:
        return []
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--only-binary=:all:",
        "--dest",
        str(dest),
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
    ]
    for folder in find_links:
        cmd += ["--find-links", str(folder)]
    if find_links:
        cmd.append("--no-index")
    cmd += target.pip_args() + list(pip_options)
    for req_file in requirement_files:
        cmd += ["-r", str(req_file)]
    cmd += list(requirements)
    progress(
        "pip download %s for %s%s"
        % (
            " ".join(list(requirements) + ["-r %s" % f for f in requirement_files]),
            target.describe(),
            " (offline, --find-links)" if find_links else "",
        )
    )
    env = dict(os.environ)
    if find_links:
        env.pop("PIP_FIND_LINKS", None)
    try:
        _run(cmd, "pip download", env)
    except BuildError as exc:
        missing = re.search(r"No matching distribution found for ([^\s;]+)", str(exc))
        if target.is_wasm and missing:  # name the package in one line: the common case on WebAssembly
            raise BuildError(
                "%s has no pure wheel and none built for %s (%s): it cannot go into a WebAssembly bundle"
                % (missing.group(1), target.name, target.platforms[0])
            ) from None
        raise
    found = sorted(dest.glob("*.whl"))
    stray = sorted(p.name for p in dest.iterdir() if p.suffix != ".whl")
    if stray:
        raise BuildError("pip download returned non-wheel files: %s" % ", ".join(stray))
    return found
