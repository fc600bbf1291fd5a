"""Real parts for tests: fresh venvs, an offline environment, bundle builds, a kernel driven by jupyter_client."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import queue
import shutil
import site
import socket
import subprocess
import sys
import textwrap
import venv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parents[1]
# kept where a test builds a child pytest's environment without the test run's PYTEST_* variables: the generated
# projects need no third-party plugin, and autoloading the test environment's (xdist, hypothesis, anyio, trio,
# pytest-benchmark) was about half the CPU of each small run (tests/conftest.py sets it)
AUTOLOAD_OFF = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
SRC = str(REPO / "payload" / "src")  # splice's source, for a child's PYTHONPATH
UNSHARE = shutil.which("unshare")
PYENV_VERSIONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]


def pyenv_python(minor: str) -> Optional[Path]:
    """The newest pyenv-installed Python of this minor version, else `pythonX.Y` on PATH, else None."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(root.glob(minor + ".*")) if root.exists() else []
    exe = found[-1] / "bin" / "python" if found else None
    if exe and exe.exists():
        return exe
    found_on_path = shutil.which("python" + minor)
    return Path(found_on_path) if found_on_path else None



DECODE_LEFT_OUT = (
    "SPLICE_TEST_NO_DECODE is set: the decode tests (torch, transformers, tokenizers) are left out; "
    "CI always runs them"
)


def decode_left_out() -> bool:
    """Whether to leave out the tests that need the test-decode extra: only when a contributor asks for it with
    SPLICE_TEST_NO_DECODE=1 and never in CI (CI set), where a missing torch fails the run instead."""
    return os.environ.get("SPLICE_TEST_NO_DECODE", "") not in ("", "0") and not os.environ.get("CI")


class Lazy:
    """A module imported on first attribute use. Whether it is installed is checked at once: a missing one is an
    ImportError that names the extra to install."""

    EXTRAS = {"torch": "test-decode", "transformers": "test-decode", "tokenizers": "test-decode"}

    def __init__(self, name: str) -> None:
        if importlib.util.find_spec(name) is None:
            hint = ""
            if self.EXTRAS.get(name) == "test-decode":
                hint = "; SPLICE_TEST_NO_DECODE=1 leaves the decode tests out (never in CI)"
            raise ImportError(
                "No module named %r: the %s extra has it (pip install -e '.[test]')%s"
                % (name, self.EXTRAS.get(name, "test"), hint)
            )
        self._name = name
        self._module = None

    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__") and self._module is None:
            # pytest's collection asks every module-level name for `__test__`: answering that by importing torch,
            # transformers and tokenizers cost each xdist worker 2.5 s of CPU before any test ran
            raise AttributeError(attr)
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


def run_folder(tmp_path_factory) -> Path:
    """The temporary folder of this test run that every pytest-xdist worker sees (each worker's own base folder is
    one level below it); without xdist, the run's base folder."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def made_once(tmp_path_factory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder filled by `make(folder)` once per test run, whichever worker asks first: the others wait on a file
    lock and reuse it. For what tests read and never change (wheelhouses, built bundles and dists), so nothing is
    built or downloaded twice when tests run side by side. A `make` that fails leaves no folder: the next asker
    tries again and fails the same way."""
    from filelock import FileLock  # here, not at the top: helpers is also imported by stdlib-only Pythons

    shared = run_folder(tmp_path_factory) / "made-once"
    shared.mkdir(exist_ok=True)
    folder, done = shared / name, shared / (name + ".done")
    with FileLock(str(shared / (name + ".lock"))):
        if not done.exists():
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir()
            try:
                make(folder)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            done.touch()
    return folder


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def can_unshare_net() -> bool:
    if not UNSHARE:
        return False
    return subprocess.run([UNSHARE, "-n", "true"], capture_output=True).returncode == 0


NO_NET = can_unshare_net()


def offline_env(cache: Optional[Path] = None, **extra: str) -> Dict[str, str]:
    """An environment in which any network use fails: no index, proxies at a dead local port."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(("PIP_", "SPLICE_", "PYTHONPATH", "VIRTUAL_ENV"))
    }
    proxy = "http://127.0.0.1:%d" % _dead_port()
    env.update(
        PIP_NO_INDEX="1",
        HTTP_PROXY=proxy,
        HTTPS_PROXY=proxy,
        ALL_PROXY=proxy,
        http_proxy=proxy,
        https_proxy=proxy,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if cache is not None:
        env["SPLICE_CACHE_DIR"] = str(cache)
    env.update(extra)
    return env


def run_offline(
    cmd: Sequence[str], env: Dict[str, str], cwd: Optional[Path] = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run with no network at all where the machine allows (a new network namespace), else via dead proxies."""
    full = ([UNSHARE, "-n"] if NO_NET else []) + [str(c) for c in cmd]
    return subprocess.run(full, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _bundled_pip() -> Optional[Path]:
    """The pip wheel that ensurepip installs into a new venv (None where the Python ships none, as Debian's)."""
    import ensurepip

    found = sorted((Path(ensurepip.__file__).parent / "_bundled").glob("pip-*.whl"))
    return found[-1] if found and importlib.util.find_spec("uv") else None


def make_venv(path: Path, python: str = sys.executable, with_pip: bool = False, inherit: bool = False) -> Path:
    """A fresh virtual environment; returns its python. inherit: it also sees the packages of the environment the
    tests run in (see inherit_test_env).

    with_pip: the pip that ensurepip would install (its bundled wheel), installed and byte-compiled by uv: ensurepip
    runs pip to install pip and setuptools, 5.8 s of CPU a venv against 2.6 s, and setuptools is never used here."""
    wheel = _bundled_pip() if with_pip and python == sys.executable else None
    if python == sys.executable:
        venv.EnvBuilder(with_pip=with_pip and wheel is None, symlinks=True).create(path)
        if wheel is not None:
            cmd = [sys.executable, "-m", "uv", "pip", "install", "-q", "--offline", "--no-cache", "--compile-bytecode"]
            subprocess.run(cmd + ["--python", str(path / "bin" / "python"), str(wheel)], check=True)
    else:
        cmd = [python, "-m", "venv", str(path)] + ([] if with_pip else ["--without-pip"])
        subprocess.run(cmd, check=True, capture_output=True)
    py = path / "bin" / "python"
    if inherit:
        inherit_test_env(py)
    return py


def running_site_dirs() -> List[str]:
    """The site-packages folders of the environment running the tests: a venv's own (uv's too), not its base
    interpreter's, which is what --system-site-packages would give."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dirs if os.path.isdir(d)]


def inherit_test_env(py: Path) -> None:
    """Let the venv of py import what the test environment has: a .pth line per site folder, after its own."""
    version = "python%d.%d" % sys.version_info[:2]
    purelib = py.parent.parent / "lib" / version / "site-packages"
    (purelib / "_splice_test_env.pth").write_text("".join(d + "\n" for d in running_site_dirs()))


def pytest_child_env(root: Path, splice_path: bool = True, drop: Sequence[str] = ()) -> Dict[str, str]:
    """The environment a kernel hands to `!python -m pytest` in a generated project, before splice's plugin is
    switched on: this run's own PYTEST_* and SPLICE_* variables (and those starting with `drop`) left out but
    AUTOLOAD_OFF, the project (and splice's source) on PYTHONPATH, no bytecode written."""
    ours = ("PYTEST_", "SPLICE_") + tuple(drop)
    env = {k: v for k, v in os.environ.items() if k == AUTOLOAD_OFF or not k.startswith(ours)}
    env["PYTHONPATH"] = os.pathsep.join([SRC, str(root)] if splice_path else [str(root)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def write_files(root: Path, files: Dict[str, str]) -> Path:
    """A small project on disk: each relative path's text, dedented, folders made as needed."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def methods_module(classes: int, methods: int, spread: int = 100) -> str:
    """A generated module of `classes` classes with `methods` one-line methods each (`return value + c*spread + m`):
    many independent chunks of one file, for concurrent writers and kill tests."""
    out = ['"""Generated."""', "import os", "", ""]
    for c in range(classes):
        out += ["class Model%d:" % c]
        for m in range(methods):
            out += ["    def method_%d(self, value):" % m, "        return value + %d" % (c * spread + m), ""]
        out += [""]
    return "\n".join(out).rstrip() + "\n"


def methods_project(tmp_path: Path, monkeypatch, text: str) -> Path:
    """`mod.py` holding `text` in a project folder of its own (pyproject.toml: the journal goes under it), with no
    journal folder or fault point inherited from the environment."""
    monkeypatch.delenv("SPLICE_JOURNAL_DIR", raising=False)
    monkeypatch.delenv("SPLICE_FAULT", raising=False)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    path = tmp_path / "mod.py"
    path.write_text(text)
    return path


def splice_bundle(*args: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bundler", *args], cwd=REPO, capture_output=True, text=True, env=env)


def import_snippet(bundle: Path, body: str = "") -> str:
    return "import sys; sys.path.insert(0, %r)\nimport %s as B\n%s" % (str(bundle.parent), bundle.stem, body)


@dataclass
class CellResult:
    stdout: str = ""
    stderr: str = ""
    error: Optional[Dict] = None
    outputs: List[Dict] = field(default_factory=list)

    @property
    def traceback(self) -> str:
        return "\n".join(self.error["traceback"]) if self.error else ""


class Kernel:
    """A real IPython kernel in a given interpreter, driven the way a model drives one."""

    def __init__(self, python: Path, env: Dict[str, str], workdir: Path):
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager

        spec_dir = workdir / "kernels" / "splice-test"
        spec_dir.mkdir(parents=True, exist_ok=True)
        (spec_dir / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "splice-test",
                    "language": "python",
                }
            )
        )
        self.km = KernelManager(
            kernel_name="splice-test", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_dir.parent)])
        )
        self.km.start_kernel(env=env, cwd=str(workdir))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def execute(self, code: str, timeout: float = 60) -> CellResult:
        msg_id = self.kc.execute(code)
        result = CellResult()
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=timeout)
            except queue.Empty:
                raise TimeoutError("cell did not finish: %r" % code[:80]) from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                if content["name"] == "stdout":
                    result.stdout += content["text"]
                else:
                    result.stderr += content["text"]
            elif kind == "error":
                result.error = content
            elif kind in ("execute_result", "display_data"):
                result.outputs.append(content["data"])
            elif kind == "status" and content["execution_state"] == "idle":
                return result

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
