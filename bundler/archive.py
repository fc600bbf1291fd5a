"""The payload: a deterministic tar (manifest, wheel members stored uncompressed, plain files), gz or xz."""

from __future__ import annotations

import gzip
import io
import json
import lzma
import os
import stat
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, Iterator, List, Sequence, Tuple

from bundler.wheels import BuildError, WheelInfo

ZIP_EPOCH = 315532800  # 1980-01-01: the earliest date a zip (a rebuilt wheel) can hold
SKIP_DIRS = {"__pycache__", ".git", ".hg", ".svn", ".mypy_cache", ".pytest_cache", ".ruff_cache"}


def _tarinfo(name: str, size: int, mode: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, mtime, mode
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _wheel_members(wheel: WheelInfo) -> Iterator[Tuple[str, bytes, int]]:
    """Members in the wheel's own order, so a rebuilt .whl lists them as the original did."""
    with zipfile.ZipFile(wheel.path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            unix = (info.external_attr >> 16) & 0o777
            yield info.filename, zf.read(info), 0o755 if unix & 0o111 else 0o644


def _plain_files(path: Path) -> Iterator[Tuple[str, Path]]:
    if path.is_symlink():
        raise BuildError("--add %s: links are not bundled; pass the real file or folder" % path)
    if path.is_file():
        yield path.name, path
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            full = Path(root) / name
            if full.is_symlink():
                raise BuildError("--add %s: %s is a link; links are not bundled" % (path, full))
            if name.endswith(".pyc"):
                continue
            yield str(Path(path.name) / full.relative_to(path)).replace(os.sep, "/"), full


def file_entries(paths: Sequence[Path]) -> List[Tuple[str, Path]]:
    entries: List[Tuple[str, Path]] = []
    for path in paths:
        entries.extend(_plain_files(path))
    names = [n for n, _ in entries]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise BuildError("--add paths collide in the bundle: %s" % ", ".join(dupes))
    return entries


def write_payload(
    manifest: Dict, wheels: Sequence[WheelInfo], files: Sequence[Tuple[str, Path]], compression: str, mtime: int
) -> bytes:
    """Same inputs, same bytes: wheels in manifest order (sorted), files sorted, fixed owners and mtimes,
    gzip header mtime 0."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        blob = json.dumps(manifest, sort_keys=True, indent=1).encode()
        tar.addfile(_tarinfo("manifest.json", len(blob), 0o644, mtime), io.BytesIO(blob))
        # w/<index in manifest["wheels"]>/<member>: short names keep almost every header a plain ustar one
        for index, wheel in enumerate(wheels):
            for name, data, mode in _wheel_members(wheel):
                tar.addfile(_tarinfo("w/%d/%s" % (index, name), len(data), mode, mtime), io.BytesIO(data))
        for name, path in sorted(files):
            data = path.read_bytes()
            mode = 0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644
            tar.addfile(_tarinfo("files/" + name, len(data), mode, mtime), io.BytesIO(data))
    if compression == "xz":
        return lzma.compress(raw.getvalue(), format=lzma.FORMAT_XZ, preset=9 | lzma.PRESET_EXTREME)
    if compression == "gz":
        out = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz:
            gz.write(raw.getvalue())
        return out.getvalue()
    raise BuildError("unknown compression %r (gz or xz)" % compression)
