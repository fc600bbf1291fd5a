"""Fault injection across processes: writers through the CLI, the Python API and the MCP server on one file at once,
and `kill -9` at each named point of an edit, a batch and an undo (SPLICE_FAULT) and at random moments. Whatever
happens, every edit reported ok is in the file, the file is the old or the new text and parses, and undo brings back
the original. Bounded: about twenty processes. The 200-kill figures are benchmarks/bench_reliability.py's."""

from __future__ import annotations

import ast
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List, Tuple

import pytest

import splice
from helpers import REPO, methods_module, methods_project
from splice.core.errors import SpliceError

SRC = str(REPO / "payload" / "src")
CLASSES, METHODS = 4, 6


def module() -> str:
    return methods_module(CLASSES, METHODS)


@pytest.fixture()
def project(tmp_path, monkeypatch):
    return methods_project(tmp_path, monkeypatch, module())


def env(**extra: str) -> dict:
    out = {k: v for k, v in os.environ.items() if not k.startswith("SPLICE_")}
    out.update(PYTHONPATH=SRC, **extra)
    return out


def cli(project: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "splice", *args], capture_output=True, text=True,
                          cwd=str(project.parent), env=env(**extra), timeout=120)


def undo_all(project: Path) -> int:
    """Undo every step of the file (in this process, this worktree's splice); how many were undone."""
    for n in range(200):
        try:
            splice.undo(str(project))
        except SpliceError as exc:
            assert "nothing to undo" in str(exc), exc
            return n
    raise AssertionError("the journal never ran out")


def edit_of(c: int, m: int, to: int) -> Tuple[str, str, str]:
    return "Model%d.method_%d" % (c, m), "value + %d" % (c * 100 + m), "value + %d" % to


# ---------------------------------------------------------------------------------------------- kill -9 at a point

EDIT_POINTS = ["locked", "journal-written", "file-tmp", "file-replaced"]


@pytest.mark.parametrize("how", ["edit", "batch"])
@pytest.mark.parametrize("point", EDIT_POINTS)
def test_a_writer_killed_at_any_point_leaves_old_or_new_and_undo_restores(project, how, point):
    if how == "edit":
        name, old, new = edit_of(1, 2, 9999)
        proc = cli(project, "edit", "mod.py::" + name, "--old", old, "--new", new, SPLICE_FAULT=point + ":kill")
        edited = module().replace(old + "\n", new + "\n")
    else:
        pairs = (edit_of(0, 1, 7777), edit_of(3, 5, 8888))
        ops = [{"op": "edit", "target": n, "old": o, "new": w} for n, o, w in pairs]
        call = {"op": "batch", "target": "mod.py", "ops": ops, "check": "none"}
        proc = cli(project, "call", "edit", json.dumps(call), SPLICE_FAULT=point + ":kill")
        edited = module().replace("value + 1\n", "value + 7777\n").replace("value + 305\n", "value + 8888\n")
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    text = project.read_text()
    assert text == (edited if point == "file-replaced" else module())
    ast.parse(text)
    assert undo_all(project) == (1 if point == "file-replaced" else 0)
    assert project.read_text() == module()
    assert [n for n in os.listdir(project.parent) if ".splice-tmp-" in n] == []  # a dead writer's: swept


@pytest.mark.parametrize("point", ["undo-locked", "undo-restored"])
def test_an_undo_killed_at_any_point_is_done_again_or_found_done(project, point):
    name, old, new = edit_of(2, 3, 4242)
    splice.edit("%s::%s" % (project, name), old, new)
    proc = cli(project, "undo", "mod.py", SPLICE_FAULT=point + ":kill")
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    text = project.read_text()
    assert text == (module() if point == "undo-restored" else module().replace(old + "\n", new + "\n"))
    ast.parse(text)
    assert undo_all(project) == (0 if point == "undo-restored" else 1)
    assert project.read_text() == module()


# ---------------------------------------------------------------------------------------------- kill -9 at random

WORKER = """
import random, sys
sys.path.insert(0, {src!r})
import splice
from splice.core.errors import SpliceError
path, seed = {path!r}, {seed}
rng = random.Random(seed)
print("ready", flush=True)
for i in range(60):
    c, m = rng.randrange({classes}), rng.randrange({methods})
    kind = i % 4
    try:
        if kind == 0:
            splice.replace("%s::Model%d.method_%d" % (path, c, m), "return value * %d" % (i + 2))
        elif kind == 1:
            extra = "def extra_%d(self):\\n    return %d" % (i, i)
            splice.batch(path, [("replace", "Model%d.method_%d" % (c, m), "return value - %d" % i),
                                ("append", "Model%d" % ((c + 1) % {classes}), extra)])
        elif kind == 2:
            splice.undo(path)
        else:
            splice.edit("%s::Model%d.method_%d" % (path, c, m), "(self, ", "(self, more%d, " % i)
    except SpliceError:
        pass
"""


@pytest.mark.slow
def test_writers_killed_at_random_moments_never_lose_the_way_back(project):
    rng = random.Random(25)
    for run in range(4):
        project.write_text(module())
        undo_all(project)
        code = WORKER.format(src=SRC, path=str(project), seed=run, classes=CLASSES, methods=METHODS)
        worker = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env())
        assert worker.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        worker.stdout.close()
        ast.parse(project.read_text())
        undo_all(project)
        assert project.read_text() == module(), "run %d" % run


# ---------------------------------------------------------------------------------------------- every door at once


@pytest.mark.slow
def test_writers_through_the_cli_the_api_and_mcp_at_once_all_land(project):
    """Three CLI processes, two MCP servers (the official SDK client) and two API threads edit different methods of
    one file at the same moment, twice over: every edit is reported ok and is in the file."""
    if sys.version_info < (3, 10):
        pytest.skip("the mcp SDK 2.x needs Python 3.10+")
    from mcp_client import Conn

    conns: list = [None, None]

    def serve(k: int) -> None:
        conns[k] = Conn(project.parent)

    starting = [threading.Thread(target=serve, args=(k,)) for k in range(2)]  # both servers start at once
    for t in starting:
        t.start()
    for t in starting:
        t.join()
    assert all(conns)
    try:
        reports: List[Tuple[str, str]] = []  # (the new text, what the door answered)
        lock = threading.Lock()

        def note(new: str, answer: str) -> None:
            with lock:
                reports.append((new, answer))

        def by_cli(c: int, m: int, to: int) -> None:
            name, old, new = edit_of(c, m, to)
            proc = cli(project, "edit", "mod.py::" + name, "--old", old, "--new", new)
            note(new, proc.stdout if proc.returncode == 0 else "FAILED " + proc.stderr)

        def by_api(c: int, m: int, to: int) -> None:
            name, old, new = edit_of(c, m, to)
            try:
                note(new, splice.edit("%s::%s" % (project, name), old, new).summary())
            except SpliceError as exc:
                note(new, "FAILED %s" % exc)

        def by_mcp(conn, c: int, m: int, to: int) -> None:
            name, old, new = edit_of(c, m, to)
            text, err = conn.call("edit", {"target": "mod.py::" + name, "old": old, "new": new, "check": "none"})
            note(new, ("FAILED " if err else "") + text)

        for rnd in range(2):
            jobs = [threading.Thread(target=by_cli, args=(0, k + 3 * rnd, 1000 + k + 10 * rnd)) for k in range(3)]
            jobs += [threading.Thread(target=by_mcp, args=(conns[k], 1, k + 3 * rnd, 2000 + k + 10 * rnd))
                     for k in range(2)]
            jobs += [threading.Thread(target=by_api, args=(2 + k, rnd, 3000 + k + 10 * rnd)) for k in range(2)]
            for j in jobs:
                j.start()
            for j in jobs:
                j.join()
    finally:
        for conn in conns:
            if conn is not None:
                conn.close()
    assert len(reports) == 14
    failed = [answer for _, answer in reports if not answer.startswith("ok ")]
    assert failed == []
    text = project.read_text()
    assert [new for new, _ in reports if new + "\n" not in text] == []
    ast.parse(text)
    assert undo_all(project) == 14 and project.read_text() == module()
