"""A forked standby for the coverage pass that ranks suspects: no second interpreter, pytest start-up or collection.

Right after collection, before any test has run, the pytest process forks a child that waits on a pipe. The parent
runs the user's tests as always. When tests failed, the caller sends the tests to trace (the failing ones, then the
passing ones `runner.choose_passing` picks: the same rule and order as the second process) and the child, still in
its fresh post-collection module state, runs just those collected items under the per-test line tracer
(`linetrace.make_tracer`), records them with `pytest_suspects.record` and writes the JSON the second process would
write (`tests`, `coverage`, `tracer`, ...), then leaves with `os._exit`. A green run closes the pipe and the child
exits at once.

The child never writes where the user looks: the descriptors it inherited that lead there (pytest's copies of
stdout and stderr, files opened for writing only) go to /dev/null (`_mute_inherited`), and on Linux it dies with
the parent (`_die_with_parent`); its fds 0/1/2 go to /dev/null, then to a log of its own (pytest's
capture restarted over them, faulthandler pointed there); the items run without report hooks (no terminal lines,
no junitxml, no `--lf` cache, no `-x` count); no session-finish hook, atexit handler or buffered output of the parent
runs in it.

`fork` returns None (the caller then starts the second process, silently) where a standby would not be sound: no
`os.fork` (Windows), more than one thread (Python 3.12+ warns on such a fork), an xdist controller or worker,
`--collect-only`, a debugger (`--pdb`, `--trace`), a tracer already running (pytest-cov, a debugger), or
SPLICE_SUSPECTS_STANDBY=0. `Standby.start` returns None when the asked tests are not all among the collected items
or the pass must run from another folder than this process's. A child that fails in its own code (not in a test)
asks for the fallback too (`result()["fallback"]`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

ENV = "SPLICE_SUSPECTS_STANDBY"  # "0": never fork, always the second process
_KEEP: List[Any] = []  # what the child must not let the garbage collector close
_FALLBACK = "fallback"  # a file the child leaves when its own code failed: the caller runs the second process


def why_not(config: Any) -> str:
    """Why no standby can be forked from this pytest process now ('' when it can)."""
    if os.environ.get(ENV, "").strip().lower() in ("0", "no", "off", "false"):
        return "switched off (%s=0)" % ENV
    if not hasattr(os, "fork"):
        return "no os.fork"
    opt = config.option
    if getattr(opt, "collectonly", False):
        return "--collect-only"
    if hasattr(config, "workerinput") or config.pluginmanager.hasplugin("dsession"):
        return "xdist"
    if getattr(opt, "usepdb", False) or getattr(opt, "trace", False):
        return "a debugger"
    if sys.gettrace() is not None:
        return "a tracer is running"
    mon = getattr(sys, "monitoring", None)
    if mon is not None and any(mon.get_tool(i) is not None for i in range(6)):
        return "sys.monitoring is in use"
    if threading.active_count() > 1:
        return "threads"
    try:
        if len(os.listdir("/proc/self/task")) > 1:  # threads of C code threading does not see
            return "threads"
    except OSError:
        pass
    return ""


def fork(session: Any, record: Callable[..., None], relative_to: Callable[[str], Callable[[str], str]]) -> Optional[
        "Standby"]:
    """A standby child of this pytest process, forked now (after collection, before the first test); None when
    `why_not` says so or the fork fails. `record` and `relative_to` are `pytest_suspects`'s (passed in: the plugins
    import this module, not the other way round)."""
    if not getattr(session, "items", None) or why_not(session.config):
        return None
    ids = {item.nodeid for item in session.items}
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        r, w = os.pipe()
    except Exception:
        return None
    try:
        pid = os.fork()
    except Exception:
        os.close(r)
        os.close(w)
        return None
    if pid == 0:  # the child: never returns
        os.close(w)
        _child(session, r, record, relative_to)
    os.close(r)
    return Standby(pid, w, ids, os.getcwd())


class Standby:
    """The parent's handle on a standby child: `start()` once with the tests to trace, else `close()`."""

    def __init__(self, pid: int, pipe: int, ids: set, cwd: str) -> None:
        self.pid: Optional[int] = pid
        self.pipe = pipe
        self.ids = ids
        self.cwd = cwd

    def start(
        self,
        asked: Sequence[str],
        *,
        root: str,
        tracer: str = "auto",
        timeout: float,
        deadline: Optional[float] = None,
        cwd: Optional[str] = None,
    ) -> Optional["Pending"]:
        """Send the child its tests; None (the child told to exit) when it cannot run them as the second process
        would: a test not among its items, or another folder to run from."""
        if self.pid is None:
            return None
        same_folder = os.path.realpath(cwd or root) == os.path.realpath(self.cwd)
        if not asked or not same_folder or any(t not in self.ids for t in asked):
            self.close()
            return None
        tmp = tempfile.mkdtemp(prefix="splice-standby-")
        request = {
            "asked": list(asked),
            "root": root,
            "tracer": tracer or "auto",
            "deadline": None if deadline is None else time.time() + deadline,
            "out": os.path.join(tmp, "out.json"),
            "log": os.path.join(tmp, "output.txt"),
        }
        pid, start = self.pid, time.perf_counter()
        try:
            data = json.dumps(request).encode("utf-8")
            while data:
                data = data[os.write(self.pipe, data) :]
            os.close(self.pipe)
        except OSError:  # the child is gone (killed before it got here): the second process instead
            self.close()
            shutil.rmtree(tmp, ignore_errors=True)
            return None
        self.pid = None
        return Pending(pid, tmp, request, timeout, start)

    def close(self) -> None:
        """Tell an unused child to exit (EOF on its pipe) and reap it."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        try:
            os.close(self.pipe)
        except OSError:
            pass
        try:
            os.waitpid(pid, 0)
        except (OSError, InterruptedError):
            pass


class Pending:
    """A standby running its tests; `result()` waits (at most `timeout` since the start) and returns what
    `runner.PytestRun.result()` returns for the second process, or {"fallback": why}."""

    def __init__(self, pid: int, tmp: str, request: Dict[str, Any], timeout: float, start: float) -> None:
        self.pid, self.tmp, self.request, self.timeout, self.start = pid, tmp, request, timeout, start

    def result(self) -> Dict[str, Any]:
        try:
            status = self._wait()
            seconds = time.perf_counter() - self.start
            if status is None:
                return {"problem": "timeout after %ds" % self.timeout, "seconds": seconds}
            if os.path.exists(os.path.join(self.tmp, _FALLBACK)):
                return {"fallback": self._output()[-300:], "seconds": seconds}
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            out = self.request["out"]
            if code != 0 or not os.path.exists(out):
                from splice.core.budget import clip

                lines = [ln for ln in self._output().splitlines() if ln.strip()]
                return {"problem": "pytest exited with code %d: %s" % (code, clip(" ".join(lines[-2:]), 300)),
                        "seconds": seconds, "returncode": code}
            with open(out, encoding="utf-8") as f:
                data: Dict[str, Any] = json.load(f)
            data.update(returncode=0, seconds=seconds, output="")
            return data
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _wait(self) -> Optional[int]:
        """The child's wait status; None when it ran out of time (then it is killed and reaped, as it is when the
        wait itself is interrupted)."""
        end = self.start + self.timeout
        delay = 0.001
        try:
            while True:
                try:
                    pid, status = os.waitpid(self.pid, os.WNOHANG)
                except ChildProcessError:
                    return 0
                if pid:
                    return status
                left = end - time.perf_counter()
                if left <= 0:
                    self._kill()
                    return None
                time.sleep(min(delay, left))
                delay = min(delay * 2, 0.02)
        except BaseException:  # Ctrl-C while waiting: no child left behind
            self._kill()
            raise

    def _kill(self) -> None:
        import signal

        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass

    def _output(self) -> str:
        try:
            with open(self.request["log"], encoding="utf-8", errors="replace") as f:
                f.seek(max(os.fstat(f.fileno()).st_size - 4000, 0))
                return f.read()
        except OSError:
            return ""


# ---------------------------------------------------------------------------------------------------- the child


def _child(session: Any, pipe: int, record: Any, relative_to: Any) -> None:
    """Wait for the request, run it, leave with os._exit: no atexit, no buffered output of the parent flushed
    twice, no session finish."""
    import signal

    code = 0
    request: Dict[str, Any] = {}
    try:
        _die_with_parent()
        null = os.open(os.devnull, os.O_RDWR)
        _mute_inherited(null, keep={pipe})
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which closes the pipe
        chunks = []
        while True:
            chunk = os.read(pipe, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        if not chunks:  # the run was green, or the parent has gone
            os._exit(0)
        request = json.loads(b"".join(chunks).decode("utf-8"))
        signal.signal(signal.SIGINT, previous)
        _serve(session, request, record, relative_to)
    except BaseException:
        code = 0
        try:
            import traceback

            with open(os.path.join(os.path.dirname(request["out"]), _FALLBACK), "w", encoding="utf-8") as f:
                f.write(traceback.format_exc())
        except BaseException:
            code = 70  # no request, no folder: nobody reads this
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """Linux: the kernel ends the child when the pytest process dies (killed, it never closes the pipe nor waits
    for the child's pass); a parent already gone ends it now."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        except Exception:
            pass
    if os.getppid() != parent or parent == 1:
        os._exit(0)


def _inherited_fds() -> List[int]:
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return sorted(int(n) for n in os.listdir(folder) if n.isdigit())
        except OSError:
            continue
    return list(range(256))


def _mute_inherited(null: int, keep: set) -> None:
    """Point at /dev/null every inherited descriptor through which the child could write where the user looks: the
    copies of the terminal or pipes of stdout and stderr that pytest keeps (faulthandler's, the capture's saved
    ones), and files the parent opened for writing only (`--report-log`, `--junitxml`, `--log-file`, a plugin's own
    report). Files opened for reading and writing (a database the code under test opened) stay as they are."""
    import fcntl
    import stat

    def identity(fd: int) -> Optional[tuple]:
        try:
            st = os.fstat(fd)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    outputs = {identity(1), identity(2)} - {None}
    for fd in _inherited_fds():
        if fd < 3 or fd in keep or fd == null:
            continue
        try:
            st = os.fstat(fd)
            write_only = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in outputs or (write_only and stat.S_ISREG(st.st_mode)):
            os.dup2(null, fd)


def _serve(session: Any, request: Dict[str, Any], record: Any, relative_to: Any) -> None:
    """Run the asked items under the line tracer and write the second process's JSON."""
    import faulthandler

    from _pytest import runner
    from _pytest.outcomes import Exit

    from splice.testing.linetrace import make_tracer

    config = session.config
    os.environ["SPLICE_TEST_OUT"] = request["out"]  # as in the second process: this is the coverage pass
    os.environ["SPLICE_TEST_ROOT"] = request["root"]
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null = os.open(os.devnull, os.O_RDWR)
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is not None and getattr(capman, "_global_capturing", None) is not None:
        capman.read_global_capture()  # nothing of it goes to the terminal the capture saved
        capman.stop_global_capturing()
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    if capman is not None and getattr(capman, "_global_capturing", None) is None:
        capman.start_global_capturing()  # saves the log as the "terminal", so resuming never restores the parent's
        capman.suspend_global_capture()
    if faulthandler.is_enabled():
        faulthandler.enable(file=log)
    logging_plugin = config.pluginmanager.get_plugin("logging-plugin")
    handler = getattr(logging_plugin, "log_file_handler", None)
    if handler is not None and getattr(handler, "stream", None) is not None:
        # the parent's stream kept, never closed nor collected: its unclosed-file warning would fail a test under
        # -W error (click's suite); the process ends with os._exit
        _KEEP.append(handler.stream)
        handler.stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    # the items run without report hooks (log=False): no terminal lines, junitxml, --lf cache, -x or --sw count
    plain = runner.runtestprotocol

    def quiet(item: Any, log: bool = True, nextitem: Any = None) -> Any:
        return plain(item, log=False, nextitem=nextitem)

    runner.runtestprotocol = quiet  # type: ignore[assignment]
    _plain_asserts()
    # as the second process (--tb=no): no traceback formatted for reports no one reads (it parsed more-itertools'
    # large test files again for each failure: 7 s), no locals shown with the library's reprs
    config.option.tbstyle = "no"
    config.option.showlocals = False

    root = request["root"]
    rel = relative_to(root)
    tests: Dict[str, Dict[str, Any]] = {}
    config.pluginmanager.register(_recorder(tests, rel, record), "splice-standby-recorder")
    by_id = {item.nodeid: item for item in session.items}
    chosen: List[Any] = [by_id[t] for t in request["asked"]]
    tracer = make_tracer(root, request["tracer"])
    deadline = request.get("deadline")
    began = time.time()
    first: Optional[float] = None
    cut = False  # stopped before the last item: its fixtures are still set up
    for n, item in enumerate(chosen):
        nextitem = chosen[n + 1] if n + 1 < len(chosen) else None
        tracer.begin(item.nodeid)
        try:
            item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        except (Exit, KeyboardInterrupt):  # pytest.exit() or Ctrl-C in a test: what ran so far
            cut = True
            break
        finally:
            tracer.end()
        if first is None:
            first = time.time() - began  # as the second process: about what finishing takes
        if deadline and nextitem is not None and time.time() + first > deadline:
            cut = True
            break
    if cut:
        try:
            session._setupstate.teardown_exact(None)  # fixtures that started servers or processes end them
        except BaseException:
            pass
    tracer.finish()
    coverage = {t: {rel(f): sorted(ls) for f, ls in files.items()} for t, files in tracer.lines.items()}
    data = {"tests": list(tests.values()), "collect": [], "exitstatus": 0, "tracer": tracer.name,
            "coverage": coverage}
    part = request["out"] + ".part"
    with open(part, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(part, request["out"])


def _plain_asserts() -> None:
    """The test modules were rewritten by pytest's assertion rewriting in the parent; the second process runs with
    `--assert=plain`. A failing rewritten assert explains itself with the library's own code (`repr` of the values,
    `pytest_assertrepr_compare`'s diffs): lines only failing tests run, which would rank as suspects (click's
    `Result.__repr__` did). The helpers the rewritten code calls explain nothing here, so every test runs the
    library lines it runs under a plain assert."""
    from _pytest.assertion import rewrite, util

    rewrite._saferepr = lambda obj: "…"  # type: ignore[assignment]
    rewrite._format_assertmsg = lambda obj: obj if isinstance(obj, str) else "…"  # type: ignore[assignment]
    rewrite._should_repr_global_name = lambda obj: False  # type: ignore[assignment]
    rewrite._call_reprcompare = lambda *args: "…"  # type: ignore[assignment]
    util._reprcompare = None
    util._assertion_pass = None


def _recorder(tests: Dict[str, Dict[str, Any]], rel: Any, record: Any) -> Any:
    """A plugin keeping the child's own test records (`pytest_suspects.record`), from each report as it is made."""
    import pytest

    class Recorder:
        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(self, item: Any, call: Any):  # type: ignore[no-untyped-def]
            outcome = yield
            record(tests, item, call, outcome.get_result(), rel)

    return Recorder()
