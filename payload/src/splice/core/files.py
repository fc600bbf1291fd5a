"""The file layer: read with a hash, a lock per file, a write-ahead undo journal, atomic writes (permissions kept).

The journal lives in `.splice/journal/` at the project root (the nearest folder with .git, pyproject.toml,
setup.py or setup.cfg; else the file's folder), never inside the user's sources; SPLICE_JOURNAL_DIR overrides.
The files' locks live with the journal they guard (`.splice/journal/locks/`). An edit's entry is written and synced
before the file changes (write_ahead).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, ContextManager, Dict, List, Optional, Tuple

from splice.core import faults, lock
from splice.core.errors import Conflict, SpliceError
from splice.core.text import Source
from splice.core.walk import TEMP_MARK

if TYPE_CHECKING:
    from splice.core.edit import Doc

JOURNAL_KEEP = 100
DOC_CACHE = 16  # parsed files kept by content hash: an agent works on a handful at a time
_ROOT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")
TEMP_STALE = 3600.0  # a temporary file this old is left over whatever its writer's pid says (pids are reused)
_TEMP_PID = re.compile(re.escape(TEMP_MARK) + r"(\d+)-")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Loaded:
    path: str  # the real file (links resolved)
    raw: bytes
    source: Source
    digest: str


def load(path: str) -> Loaded:
    real = os.path.realpath(path)
    try:
        with open(real, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise SpliceError("no file %s (create it with create(%r, code))" % (path, path)) from None
    except IsADirectoryError:
        raise SpliceError("%s is a folder; name a .py file" % path) from None
    try:
        source = Source.decode(raw)
    except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
        raise SpliceError("%s cannot be decoded: %s" % (path, exc)) from None
    return Loaded(real, raw, source, sha(raw))


_DOCS: "OrderedDict[Tuple[str, str], Doc]" = OrderedDict()


def load_doc(path: str) -> "Tuple[Doc, Loaded]":
    """The file as read now, and its Doc shared by every call on the same bytes: a second call on an unchanged file
    reuses the lines and the index instead of parsing again (the bytes are always re-read and re-hashed, so a file
    changed on disk is never served from a stale copy)."""
    from splice.core.edit import Doc

    loaded = load(path)
    key = (path, loaded.digest)
    doc = _DOCS.pop(key, None) or Doc(loaded.source, path)
    _DOCS[key] = doc
    while len(_DOCS) > DOC_CACHE:
        _DOCS.popitem(last=False)
    return doc, loaded


def read_bytes(path: str) -> Optional[bytes]:
    """The file's bytes now, None when there is no file."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def temp_path(folder: str, name: str, suffix: str = "") -> str:
    """A temporary file's path beside `name`, recognisable as splice's (TEMP_MARK and the writer's pid): the walk
    skips it and sweep_temps removes it once its writer is gone."""
    return os.path.join(folder, ".%s%s%d-%s%s" % (name, TEMP_MARK, os.getpid(), os.urandom(4).hex(), suffix))


def sweep_temps(folder: str) -> List[str]:
    """Remove splice's temporary files in `folder` left by a process that died before it could (SIGKILL, power
    loss): those whose writer is gone, or older than TEMP_STALE seconds. Returns what was removed."""
    removed = []
    try:
        names = [n for n in os.listdir(folder) if TEMP_MARK in n]
    except OSError:
        return removed
    for name in names:
        m = _TEMP_PID.search(name)
        full = os.path.join(folder, name)
        try:
            old = time.time() - os.stat(full).st_mtime > TEMP_STALE
            if old or (m and int(m.group(1)) != os.getpid() and not lock.alive(int(m.group(1)))):
                os.remove(full)
                removed.append(full)
        except OSError:
            continue
    return removed


def _syncing() -> bool:
    """Whether writes are synced to the disk (SPLICE_FSYNC=0 turns it off: safe against a killed process, which the
    system's cache survives, not against a power cut; for throwaway folders and CI)."""
    return os.environ.get("SPLICE_FSYNC", "1") != "0"


def _fsync(f: "BinaryIO") -> None:
    f.flush()
    if _syncing():
        os.fsync(f.fileno())


_SWEPT: set = set()


def sweep_once(folder: str) -> None:
    """sweep_temps the first time this process writes in `folder` (a listing per write would cost big folders)."""
    if folder not in _SWEPT:
        _SWEPT.add(folder)
        sweep_temps(folder)


def _fsync_folder(folder: str) -> None:
    """Make a rename or a new name in `folder` durable (a no-op where folders cannot be opened, e.g. Windows)."""
    if not _syncing():
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_temp(path: str, data: bytes, mode: Optional[int]) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    tmp = temp_path(folder, os.path.basename(path))
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            _fsync(f)
        if mode is not None:
            os.chmod(tmp, mode)
    except BaseException:
        _remove_quietly(tmp)
        raise
    faults.point("file-tmp")
    return tmp


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def replace_atomic(path: str, data: bytes) -> None:
    """Temp file (synced, the file's permissions) + rename in the same folder: readers see the old or the new text."""
    try:
        mode: Optional[int] = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    tmp = _write_temp(path, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        _remove_quietly(tmp)
        raise


def create_exclusive(path: str, data: bytes) -> None:
    """Create `path` with `data`, refused (Conflict) if a file appears there first, whoever made it: the temp file is
    hard-linked to the name (no-clobber and atomic), or opened with O_EXCL where links are not supported."""
    tmp = _write_temp(path, data, None)
    try:
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise _appeared(path) from None
        except (OSError, NotImplementedError, AttributeError):  # no hard links here (FAT, some WASM file systems)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                raise _appeared(path) from None
            with os.fdopen(fd, "wb") as f:
                f.write(data)
    finally:
        _remove_quietly(tmp)


def _appeared(path: str) -> Conflict:
    return Conflict("%s was created since this call looked; nothing was written (read it again)" % path)


def write_atomic(path: str, data: bytes, expect: Optional[str]) -> None:
    """Replace the file atomically, refused (Conflict) if it changed since it was read (hash `expect`); not locked
    and not journaled: edits go through write_ahead under the file's lock."""
    current = read_bytes(path)
    if current is None and expect is not None:
        raise Conflict("%s was deleted since it was read; nothing was written" % path)
    if current is not None and expect is not None and sha(current) != expect:
        raise Conflict("%s changed on disk since it was read; nothing was written (read it again)" % path)
    replace_atomic(path, data)


def project_root(path: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    probe = folder
    while True:
        if any(os.path.exists(os.path.join(probe, m)) for m in _ROOT_MARKERS):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return folder
        probe = parent


def journal_dir(path: str, root: Optional[str] = None) -> str:
    """`.splice/journal` at the project root (`root` when the caller has worked it out already)."""
    override = os.environ.get("SPLICE_JOURNAL_DIR")
    if override:
        return override
    return os.path.join(root or project_root(path), ".splice", "journal")


def splice_folder(root: str) -> str:
    """`<root>/.splice`, made with a .gitignore that ignores it all."""
    folder = os.path.join(root, ".splice")
    ignore = os.path.join(folder, ".gitignore")
    if not os.path.exists(ignore):
        os.makedirs(folder, exist_ok=True)
        with open(ignore, "w") as f:
            f.write("*\n")
    return folder


def locked(path: str, journal: str) -> "ContextManager[None]":
    """The lock of one file, kept with the journal it guards (`journal`/locks, named by the file's real path): every
    edit and undo of the file holds it from the check of what is on disk to the new text in place."""
    real = os.path.realpath(path)
    name = hashlib.sha1(real.encode("utf-8", "surrogatepass")).hexdigest()[:20] + ".lock"
    return lock.held(os.path.join(journal, "locks", name), path)


def _journal_locked(folder: str) -> "ContextManager[None]":
    return lock.held(os.path.join(folder, ".lock"), "the undo journal " + folder)


def journal_folder(path: str, root: Optional[str] = None) -> str:
    """journal_dir, made (with `.splice/.gitignore` when it is the project's)."""
    folder = journal_dir(path, root)
    if os.path.basename(os.path.dirname(folder)) == ".splice":
        splice_folder(os.path.dirname(os.path.dirname(folder)))
    os.makedirs(folder, exist_ok=True)
    return folder


def record(path: str, before: Optional[bytes], after: bytes, op: str, target: str, root: Optional[str] = None) -> str:
    """Write one undo step and sync it to disk: the bytes before (None: the file did not exist) with their hash, and
    the hash after. Written before the file changes (write_ahead), so a crash never leaves an edit without its way
    back; returns the entry's path."""
    folder = journal_folder(path, root)
    entry = {
        "time": time.time(),
        "op": op,
        "target": target,
        "path": os.path.abspath(path),
        "before": None if before is None else base64.b64encode(before).decode("ascii"),
        "before_hash": None if before is None else sha(before),
        "after": sha(after),
    }
    data = json.dumps(entry).encode("utf-8")
    with _journal_locked(folder):
        names = entries(folder)
        number = int(names[-1].split(".")[0]) + 1 if names else 1
        for stray in os.listdir(folder):  # a temporary entry is only ever left by a writer that died
            if stray.endswith(".tmp"):
                _remove_quietly(os.path.join(folder, stray))
        tmp = os.path.join(folder, ".%06d.tmp" % number)
        with open(tmp, "wb") as f:
            f.write(data)
            _fsync(f)
        final = os.path.join(folder, "%06d.json" % number)
        os.replace(tmp, final)
        _fsync_folder(folder)
        for old in names[: max(len(names) + 1 - JOURNAL_KEEP, 0)]:
            _remove_quietly(os.path.join(folder, old))
    return final


def write_ahead(path: str, before: Optional[bytes], data: bytes, op: str, target: str, root: Optional[str]) -> None:
    """The undo entry first (synced), then the file (atomic rename; exclusive create for a new file), as SQLite's
    rollback journal precedes the database write. The caller holds the file's lock and has read `before` under it.
    An entry whose file still shows `before` after a crash is an edit that never landed: undo drops it."""
    entry = record(path, before, data, op, target, root)
    faults.point("journal-written")
    try:
        if before is None:
            create_exclusive(path, data)
        else:
            replace_atomic(path, data)
    except BaseException:
        _remove_quietly(entry)  # nothing was written: the step must not be offered
        raise
    faults.point("file-replaced")


def entries(folder: str) -> List[str]:
    try:
        return sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    except FileNotFoundError:
        return []


def newest_time(folder: str) -> float:
    """When the newest journal entry was written (0 for none)."""
    names = entries(folder)
    if not names:
        return 0.0
    with open(os.path.join(folder, names[-1]), encoding="utf-8") as f:
        return float(json.load(f)["time"])


def _newest(folder: str, want: Optional[str]) -> Optional[Tuple[str, Dict]]:
    """The newest entry (of the file `want`, when given): its name and contents."""
    for name in reversed(entries(folder)):
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                entry = json.load(f)
        except (OSError, ValueError):  # removed meanwhile by another undo, or not one of ours
            continue
        if want and os.path.realpath(entry["path"]) != want:
            continue
        return name, entry
    return None


def _before_hash(entry: Dict) -> Optional[str]:
    if "before_hash" in entry:
        return entry["before_hash"]
    # entries written before the hash was kept: work it out from the bytes
    return None if entry["before"] is None else sha(base64.b64decode(entry["before"]))


def undo_one(folder: str, path: Optional[str] = None, force: bool = False) -> Dict:
    """Restore the newest journal entry (for `path`, when given); returns the entry, with "dropped": how many
    unfinished entries (their file still shows the text before them: a writer died before the file changed) were
    dropped on the way. Holds the file's lock and the journal's; the entry is removed only after the old text is in
    place, so an undo killed half-way is done again or found done (its file shows the text before) next time."""
    want = os.path.realpath(path) if path else None
    dropped = 0
    while True:
        found = _newest(folder, want)
        if found is None:
            more = ""
            if dropped:
                more = (" (dropped %d unfinished edit%s whose text never reached the file: the file already shows "
                        "the text before %s)" % (dropped, "s" if dropped > 1 else "", "them" if dropped > 1 else "it"))
            raise SpliceError("nothing to undo%s%s" % (" for " + path if path else "", more))
        name, entry = found
        target = entry["path"]
        full = os.path.join(folder, name)
        with locked(target, folder), _journal_locked(folder):
            again = _newest(folder, want)
            if again is None or again[0] != name:
                continue  # another call wrote or undid meanwhile: look again
            faults.point("undo-locked")
            sweep_once(os.path.dirname(target))
            current = read_bytes(target)
            digest = None if current is None else sha(current)
            if digest != entry["after"] and digest == _before_hash(entry):
                _remove_quietly(full)
                dropped += 1
                continue
            if digest != entry["after"] and not force:
                raise Conflict(
                    "%s changed after the %s of %s; undo would lose that change (force=True to undo anyway)"
                    % (target, entry["op"], entry["target"])
                )
            if entry["before"] is None:
                if current is not None:
                    os.remove(target)
            else:
                replace_atomic(target, base64.b64decode(entry["before"]))
            faults.point("undo-restored")
            _remove_quietly(full)
        entry["current"] = current
        entry["dropped"] = dropped
        return entry

