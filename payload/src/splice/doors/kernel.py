"""The `run` tool's kernel: one persistent IPython kernel per server, started on first use in the root with the splice
extension loaded, so an agent's code gets what a notebook gets (docs after an exception, auto-imports, live patching).

Driven by jupyter_client (extra `splice[mcp]`) from one thread of its own: zmq sockets stay with the thread that made
them, whichever worker thread the server hands a call to. The kernel dies with the server: `shutdown` on a normal
exit, `kill_now` from a signal handler, and ipykernel's parent poller (JPY_PARENT_PID) if the server is killed hard.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as WaitedTooLong
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from splice.core import SOURCE_ROOT
from splice.core.budget import head_tail
from splice.core.errors import SpliceError

MAX_LINES = 120
MAX_CHARS = 8000
GRACE = 10.0  # seconds an interrupted cell gets to stop before the kernel is restarted
# Plain tracebacks: Python's own frames and lines at a third of IPython's context mode in tokens; figures inline.
SETUP = """\
%load_ext splice
%xmode Plain
import importlib.util
if importlib.util.find_spec("matplotlib"):
    get_ipython().run_line_magic("matplotlib", "inline")
del importlib
"""
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class Output:
    """What one `run` produced: text within the budget, images as (mime type, base64 data)."""

    text: str
    images: List[Tuple[str, str]] = field(default_factory=list)
    error: bool = False


_SESSIONS: Dict[str, "Kernel"] = {}
_PYTHON: List[Optional[str]] = [None]


def use_python(python: Optional[str]) -> None:
    """`splice mcp --python PATH`: the interpreter of kernels made from now on (a project's own venv)."""
    _PYTHON[0] = python


def session(folder: str) -> "Kernel":
    """The kernel of this root, made (not yet started) on first use."""
    if folder not in _SESSIONS:
        _SESSIONS[folder] = Kernel(folder, _PYTHON[0])
    return _SESSIONS[folder]


def shutdown_all() -> None:
    for k in list(_SESSIONS.values()):
        k.shutdown()
    _SESSIONS.clear()


def kill_all() -> None:
    """From a signal handler: kill the kernel processes, nothing else."""
    for k in list(_SESSIONS.values()):
        k.kill_now()


class Kernel:
    """A kernel in `folder` run by `python` (default: this interpreter), made on the first `run`."""

    def __init__(self, folder: str, python: Optional[str] = None) -> None:
        self.folder = folder
        self.python = python or sys.executable
        self.km: Any = None
        self.kc: Any = None
        self.pid: Optional[int] = None
        self._spec_dir: Optional[str] = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="splice-kernel")  # one call at a time

    # ------------------------------------------------------------------------------------------------ public

    def run(self, code: str, timeout: float = 60.0) -> Output:
        return self._thread.submit(self._run, code, timeout).result()

    def restart(self) -> str:
        return self._thread.submit(self._restart).result()

    def shutdown(self) -> None:
        if self.km is not None:
            self._thread.submit(self._stop).result()
        self._thread.shutdown(wait=False)

    def kill_now(self) -> None:
        """From a signal handler: no jupyter_client (its event loop may be the one interrupted), just the process."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass

    # ------------------------------------------------------------------------------------------------ kernel thread

    def _start(self) -> None:
        try:
            from jupyter_client.kernelspec import KernelSpecManager
            from jupyter_client.manager import KernelManager
        except ImportError as exc:
            raise SpliceError("run needs jupyter_client and ipykernel (%s): pip install 'splice[mcp]'" % exc) from None

        self._spec_dir = tempfile.mkdtemp(prefix="splice-kernel-")
        spec = os.path.join(self._spec_dir, "splice")
        os.mkdir(spec)
        argv = [self.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        with open(os.path.join(spec, "kernel.json"), "w") as f:
            json.dump({"argv": argv, "display_name": "splice", "language": "python"}, f)
        env = dict(os.environ, JPY_PARENT_PID=str(os.getpid()), MPLBACKEND="Agg", PYTHONPATH=self._pythonpath())
        # Unix sockets where there are any: no ports to race for, and it works with no network at all (a sandbox's
        # network namespace has no loopback); their files live in the kernel's temporary folder, not the root.
        ipc = dict(transport="ipc", ip=os.path.join(self._spec_dir, "k")) if os.name == "posix" else {}
        self.km = KernelManager(
            kernel_name="splice", kernel_spec_manager=KernelSpecManager(kernel_dirs=[self._spec_dir]), **ipc
        )
        self.km.start_kernel(env=env, cwd=self.folder)
        self.pid = getattr(getattr(self.km, "provisioner", None), "pid", None) or self.km.kernel.pid
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=60)
        except RuntimeError as exc:
            self._stop()
            raise SpliceError(
                "the kernel did not start with %s (%s): it needs ipykernel there" % (self.python, exc)
            ) from None
        self._execute(SETUP, 60, silent=True)
        from splice.notebook.live import add_remote

        add_remote(self.reach)

    def _pythonpath(self) -> str:
        """The kernel imports splice from where the server does (a bundle's folder is on sys.path, not installed);
        with this interpreter it also sees the server's other folders (the bundle's ipykernel)."""
        here = SOURCE_ROOT
        extra = [p for p in sys.path if p and os.path.isdir(p)] if self.python == sys.executable else []
        old = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        seen: List[str] = []
        for p in [here] + old + extra:
            if p not in seen:
                seen.append(p)
        return os.pathsep.join(seen)

    def reach(self, path: str, before: str, after: str, old_range: Tuple[int, int],
              new_range: Tuple[int, int]) -> List[str]:
        """A file this server wrote reaches the kernel's modules (splice.notebook.live.reach there): its lines, none
        when the kernel has not imported the file. While a cell runs, the patch waits for it in the queue."""
        if self.km is None:
            return []
        code = "__import__('splice.notebook.live', fromlist=['_']).remote_patch(%r, %r, %r, %r, %r)" % (
            path, before, after, old_range, new_range)
        job = self._thread.submit(self._reach, code)
        try:
            lines = job.result(timeout=5.0)
        except WaitedTooLong:
            return ["live: the run kernel is busy; it gets the patch when the running code ends"]
        return ["%s (run kernel)" % ln for ln in lines]

    def _reach(self, code: str) -> List[str]:
        if self.km is None or not self.km.is_alive():
            return []
        out = self._execute(code, 30, silent=True)
        return [ln for ln in out.text.splitlines() if ln.startswith("live:")]

    def _stop(self) -> None:
        from splice.notebook.live import remove_remote

        remove_remote(self.reach)
        try:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - a dead kernel is what we want
            self.kill_now()
        self.km = self.kc = self.pid = None
        if self._spec_dir:
            shutil.rmtree(self._spec_dir, ignore_errors=True)

    def _restart(self) -> str:
        if self.km is not None:
            self._stop()
        self._start()
        return "restarted: a fresh kernel in %s (pid %s); earlier names are gone" % (self.folder, self.pid)

    def _run(self, code: str, timeout: float) -> Output:
        if self.km is None or not self.km.is_alive():
            was = self.km is not None
            if was:
                self._stop()
            self._start()
            out = self._execute(code, timeout)
            if was:
                out.text = "(the kernel had died: a fresh one ran this; earlier names are gone)\n" + out.text
            return out
        return self._execute(code, timeout)

    def _execute(self, code: str, timeout: float, silent: bool = False) -> Output:
        msg_id = self.kc.execute(code, silent=silent, store_history=not silent, allow_stdin=False)
        parts = _Parts()
        deadline = time.monotonic() + timeout
        interrupted = False
        while True:
            left = deadline - time.monotonic()
            try:
                msg = self.kc.get_iopub_msg(timeout=max(left, 0.05))
            except queue.Empty:
                if interrupted:
                    self._stop()
                    self._start()
                    parts.notes.append(
                        "the kernel did not stop %.0f s after the interrupt: restarted it; earlier names are gone"
                        % GRACE
                    )
                    break
                if time.monotonic() >= deadline:
                    self.km.interrupt_kernel()
                    interrupted = True
                    deadline = time.monotonic() + GRACE
                    parts.notes.append(
                        "timeout: still running after %g s, interrupted (names defined so far are kept; "
                        "pass a larger timeout to wait longer)" % timeout
                    )
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if parts.add(msg):
                break
        return parts.output(interrupted)


class _Parts:
    """The messages of one execution, gathered by kind."""

    def __init__(self) -> None:
        self.stdout: List[str] = []
        self.stderr: List[str] = []
        self.results: List[str] = []
        self.errors: List[str] = []
        self.images: List[Tuple[str, str]] = []
        self.notes: List[str] = []

    def add(self, msg: Any) -> bool:
        """Take one iopub message; True when the execution is over."""
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            (self.stdout if content["name"] == "stdout" else self.stderr).append(content["text"])
        elif kind == "error":
            self.errors.append(_ANSI.sub("", "\n".join(content["traceback"])))
        elif kind in ("execute_result", "display_data"):
            data = content["data"]
            image = next((m for m in ("image/png", "image/jpeg") if m in data), None)
            if image:
                self.images.append((image, data[image].replace("\n", "")))
            elif "text/plain" in data:
                self.results.append(_ANSI.sub("", data["text/plain"]))
        elif kind == "clear_output":
            self.stdout, self.stderr = [], []
        return kind == "status" and content["execution_state"] == "idle"

    def output(self, interrupted: bool) -> Output:
        sections = []
        if self.stdout:
            sections.append(_ANSI.sub("", "".join(self.stdout)).rstrip("\n"))
        if self.stderr:
            sections.append("[stderr]\n" + _ANSI.sub("", "".join(self.stderr)).rstrip("\n"))
        sections += ["Out: " + r for r in self.results]
        if self.errors and not interrupted:
            sections.append("[error]\n" + "\n".join(self.errors).rstrip("\n"))
        elif self.errors:  # the KeyboardInterrupt's traceback: only where it stopped
            sections.append("[interrupted]\n" + "\n".join(self.errors[-1].splitlines()[-6:]))
        sections += ["[image %d: %s, sent as image content]" % (i + 1, m) for i, (m, _) in enumerate(self.images)]
        sections += self.notes
        text = head_tail("\n".join(sections), MAX_LINES, MAX_CHARS) if sections else "ok (no output)"
        return Output(text, self.images, bool(self.errors) or interrupted)
