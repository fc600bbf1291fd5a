"""One lock per file, across threads and processes: what makes an edit's check-and-write one step.

The lock is a small file held with `fcntl.flock` (POSIX) or `msvcrt.locking` (Windows): the system drops it when its
holder dies, so a writer killed half-way leaves no stale lock behind. Where neither exists (Pyodide/WASM) or the file
system refuses them, an exclusive-create lock file like git's `index.lock` stands in; it holds the holder's pid, and one
whose holder is gone (or older than STALE seconds) is taken over. Threads of one process queue on a thread lock per
path first, and a thread that holds a lock may take it again (re-entry is free).
"""

from __future__ import annotations

import errno
import os
import threading
import time
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, Optional

from splice.core.errors import Conflict

try:
    import fcntl
except ImportError:  # Windows, WASM
    fcntl = None  # type: ignore[assignment]
try:
    import msvcrt
except ImportError:  # everywhere but Windows
    msvcrt = None  # type: ignore[assignment]

WAIT = 60.0  # seconds a writer waits for another before it gives up (writes hold a lock for milliseconds)
STALE = 60.0  # an exclusive-create lock file this old is a crashed holder's, whatever its pid says
_HELD_BY_OTHER = (errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK, getattr(errno, "EDEADLK", errno.EACCES))


class _PathLock:
    def __init__(self) -> None:
        self.thread = threading.RLock()
        self.depth = 0
        self.release: Optional[Callable[[], None]] = None


_GUARD = threading.Lock()
_LOCKS: Dict[str, _PathLock] = {}


@contextmanager
def held(lock_file: str, what: str, wait: float = WAIT) -> Iterator[None]:
    """Hold `lock_file` (created with its folder as needed) for the block; `what` names the locked thing in the
    Conflict raised when another holder keeps it longer than `wait` seconds."""
    with _GUARD:
        path_lock = _LOCKS.setdefault(lock_file, _PathLock())
    deadline = time.monotonic() + wait
    if not path_lock.thread.acquire(timeout=wait):
        raise _busy(what, wait)
    try:
        if path_lock.depth == 0:
            path_lock.release = _acquire(lock_file, what, wait, deadline)
        path_lock.depth += 1
        try:
            yield
        finally:
            path_lock.depth -= 1
            if path_lock.depth == 0 and path_lock.release is not None:
                release, path_lock.release = path_lock.release, None
                release()
    finally:
        path_lock.thread.release()


def _busy(what: str, wait: float) -> Conflict:
    return Conflict("%s is being written by another call that has held its lock for over %d s; nothing was written "
                    "(try again when it is done)" % (what, wait))


def _pause(delay: float, deadline: float, what: str, wait: float) -> float:
    if time.monotonic() > deadline:
        raise _busy(what, wait)
    time.sleep(delay)
    return min(delay * 2, 0.01)


def _acquire(lock_file: str, what: str, wait: float, deadline: float) -> Callable[[], None]:
    os.makedirs(os.path.dirname(lock_file), exist_ok=True)
    if fcntl is None and msvcrt is None:
        return _acquire_exclusive(lock_file + ".held", what, wait, deadline)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o666)
    delay = 0.0002
    while True:
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            break
        except OSError as exc:
            if exc.errno not in _HELD_BY_OTHER:  # the file system has no locks (some network mounts, WASM)
                os.close(fd)
                return _acquire_exclusive(lock_file + ".held", what, wait, deadline)
            try:
                delay = _pause(delay, deadline, what, wait)
            except Conflict:
                os.close(fd)
                raise

    def release() -> None:
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            else:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        finally:
            os.close(fd)

    return release


def _acquire_exclusive(marker: str, what: str, wait: float, deadline: float) -> Callable[[], None]:
    """git's index.lock: whoever creates the marker holds the lock; a marker left by a dead holder is taken over."""
    delay = 0.0002
    while True:
        try:
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            if _stale(marker):
                try:
                    os.remove(marker)
                except OSError:
                    pass
                continue
            delay = _pause(delay, deadline, what, wait)
            continue
        try:
            os.write(fd, ("%d %f\n" % (os.getpid(), time.time())).encode("ascii"))
        finally:
            os.close(fd)
        return lambda: os.remove(marker)


def _stale(marker: str) -> bool:
    try:
        with open(marker, "rb") as f:
            fields = f.read().split()
        age = time.time() - os.stat(marker).st_mtime
    except OSError:
        return False
    if age > STALE:
        return True
    try:
        pid = int(fields[0])
    except (IndexError, ValueError):
        return age > 1.0  # a holder writes its pid right after creating the marker
    return pid != os.getpid() and not alive(pid)


def alive(pid: int) -> bool:
    """Whether process `pid` runs (True when it cannot be told: Windows' os.kill would end it, WASM has none)."""
    if os.name == "nt" or not hasattr(os, "kill"):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
