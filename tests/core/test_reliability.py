"""No edit lost, none without undo, in one process: the file's lock, planning again on a file another writer changed,
the write-ahead journal and what undo makes of an unfinished entry, the lock without fcntl, splice's temporary files.

The same across processes (kill -9 at named points, writers through the CLI and MCP): tests/core/test_faults.py."""

from __future__ import annotations

import ast
import base64
import json
import os
import subprocess
import sys
import threading
import time

import pytest

import splice
from helpers import REPO, methods_module, methods_project
from splice.core import faults, files, lock
from splice.core.errors import Conflict, SpliceError
from splice.core.walk import iter_files

METHODS = 8


def module(classes: int = 4) -> str:
    return methods_module(classes, METHODS, spread=0)


@pytest.fixture()
def project(tmp_path, monkeypatch):
    path = methods_project(tmp_path, monkeypatch, module())
    yield path
    faults.HOOKS.clear()


def journal(project) -> list:
    return sorted((project.parent / ".splice" / "journal").glob("*.json"))


def target(path, name: str) -> str:
    return "%s::%s" % (path, name)


def by_hand(path, old: str, new: str) -> None:
    """Another writer (not splice) changes the file in place: the first `old` (in Model0) becomes `new`."""
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


# ---------------------------------------------------------------------------------------------- the file's lock


def test_threads_editing_different_methods_of_one_file_all_land(project):
    results, errors = [], []

    def writer(c: int) -> None:
        for m in range(3):
            try:
                results.append(splice.edit(target(project, "Model%d.method_%d" % (c, m)), "value + %d" % m,
                                           "value + %d" % (100 * c + m + 1000)))
            except Exception as exc:  # noqa: BLE001 - collected, the assertion names it
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(c,)) for c in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 12 and all(r.written for r in results)
    text = project.read_text()
    for c in range(4):
        for m in range(3):
            assert "value + %d\n" % (100 * c + m + 1000) in text
    ast.parse(text)
    assert len(journal(project)) == 12
    splice.undo(str(project), steps=12)
    assert project.read_text() == module()


def test_a_file_changed_by_another_writer_is_planned_again_by_name(project):
    faults.HOOKS["locked"] = lambda: (faults.HOOKS.clear(), by_hand(project, "value + 5", "value + 55"))
    result = splice.replace(target(project, "Model1.method_2"), "return value * 2")
    assert result.written
    assert "re-applied on the current file (another writer changed Model0.method_5" in result.summary()
    text = project.read_text()
    assert "value + 55" in text and "value * 2" in text and text.count("value + 5\n") == 3
    assert result.before == module().replace("value + 5\n", "value + 55\n", 1) and result.after == text
    splice.undo(str(project))  # back to the other writer's text, not to the text this call first read
    assert project.read_text() == module().replace("value + 5\n", "value + 55\n", 1)


def test_an_edit_of_a_chunk_another_writer_changed_is_refused_naming_it(project):
    faults.HOOKS["locked"] = lambda: (faults.HOOKS.clear(), by_hand(project, "    def method_2(self, value):\n"
                                      "        return value + 2\n\n    def method_3",
                                      "    def method_2(self, value):\n        return value - 2\n\n    def method_3"))
    with pytest.raises(Conflict) as err:
        splice.replace(target(project, "Model0.method_2"), "return value * 2")
    assert "another writer changed Model0.method_2" in str(err.value) and "nothing was written" in str(err.value)
    assert "value - 2" in project.read_text() and "value * 2" not in project.read_text()
    assert journal(project) == []


def test_an_edit_whose_chunk_another_writer_removed_is_refused(project):
    def remove_it() -> None:
        faults.HOOKS.clear()
        project.write_text(module().replace("    def method_7(self, value):\n        return value + 7\n\n", "", 1))

    faults.HOOKS["locked"] = remove_it
    with pytest.raises(Conflict) as err:
        splice.edit(target(project, "Model0.method_7"), "value + 7", "value + 70")
    assert "no longer applies" in str(err.value) and "Model0.method_7" in str(err.value)
    assert "value + 70" not in project.read_text()


def test_an_edit_on_a_file_another_writer_left_unparseable_is_refused(project):
    def break_it() -> None:
        faults.HOOKS.clear()
        project.write_text(module() + "broken = (\n")

    faults.HOOKS["locked"] = break_it
    with pytest.raises(Conflict) as err:
        splice.edit(target(project, "Model0.method_1"), "value + 1", "value + 11")
    assert "no longer applies" in str(err.value) and len(str(err.value).splitlines()) == 1
    assert project.read_text() == module() + "broken = (\n" and journal(project) == []


def test_a_batch_is_planned_again_as_a_whole(project):
    faults.HOOKS["locked"] = lambda: (faults.HOOKS.clear(), by_hand(project, "class Model3:", "class Model3:  # hi"))
    result = splice.batch(str(project), [("edit", "Model0.method_1", "value + 1", "value + 11"),
                                         ("remove", "Model2.method_4")])
    text = project.read_text()
    assert "re-applied on the current file (another writer changed Model3" in result.summary()
    assert "class Model3:  # hi" in text and "value + 11" in text and text.count("def method_4") == 3


def test_an_edit_that_cannot_be_planned_again_is_refused(project):
    """A whole-file replace has no name to plan by: a changed file refuses it."""
    faults.HOOKS["locked"] = lambda: (faults.HOOKS.clear(), by_hand(project, "value + 3\n\n    def method_4",
                                                                    "value + 33\n\n    def method_4"))
    with pytest.raises(Conflict):
        splice.replace(str(project), "X = 1\n")
    assert "value + 33" in project.read_text()


# ---------------------------------------------------------------------------------------------- the journal


def test_the_undo_entry_is_on_disk_before_the_file_changes(project):
    seen = {}

    def look() -> None:
        seen["entries"] = journal(project)
        seen["text"] = project.read_text()

    faults.HOOKS["journal-written"] = look
    splice.edit(target(project, "Model0.method_1"), "value + 1", "value + 11")
    assert len(seen["entries"]) == 1 and seen["text"] == module()
    entry = json.loads(seen["entries"][0].read_text())
    assert base64.b64decode(entry["before"]).decode() == module()
    assert entry["before_hash"] == files.sha(module().encode()) and entry["after"] == files.sha(project.read_bytes())


def test_an_entry_whose_file_never_changed_is_dropped_and_the_older_steps_stay(project):
    splice.edit(target(project, "Model0.method_1"), "value + 1", "value + 11")
    after_first = project.read_text()
    files.record(str(project), project.read_bytes(), b"X = 2\n", "replace", "mod.py", str(project.parent))  # died
    assert len(journal(project)) == 2
    assert splice.undo(str(project)) == ["undid edit of %s::Model0.method_1 (dropped 1 unfinished edit first: "
                                         "stopped before its text reached the file)" % project]
    assert project.read_text() == module() != after_first and journal(project) == []
    files.record(str(project), project.read_bytes(), b"X = 2\n", "replace", "mod.py", str(project.parent))
    with pytest.raises(SpliceError) as err:
        splice.undo(str(project))
    assert "nothing to undo" in str(err.value) and "dropped 1" in str(err.value)


def test_an_undo_stopped_before_removing_its_entry_is_found_done(project):
    splice.edit(target(project, "Model0.method_1"), "value + 1", "value + 11")
    splice.edit(target(project, "Model0.method_2"), "value + 2", "value + 22")

    def stop() -> None:
        raise KeyboardInterrupt  # as a crash between the restore and the removal

    faults.HOOKS["undo-restored"] = stop
    with pytest.raises(KeyboardInterrupt):
        splice.undo(str(project))
    faults.HOOKS.clear()
    assert "value + 22" not in project.read_text() and len(journal(project)) == 2
    splice.undo(str(project))  # the restored step is dropped, the one before it undone
    assert project.read_text() == module()


def test_entries_written_before_the_hash_was_kept_still_undo(project):
    splice.edit(target(project, "Model0.method_1"), "value + 1", "value + 11")
    entry_file = journal(project)[0]
    entry = json.loads(entry_file.read_text())
    del entry["before_hash"]
    entry_file.write_text(json.dumps(entry))
    splice.undo(str(project))
    assert project.read_text() == module()


def test_a_failed_write_leaves_no_entry(project, monkeypatch):
    def full_disk(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "replace_atomic", full_disk)
    with pytest.raises(OSError):
        splice.edit(target(project, "Model0.method_1"), "value + 1", "value + 11")
    assert journal(project) == [] and project.read_text() == module()


# ---------------------------------------------------------------------------------------------- create


def test_create_never_writes_over_a_file_that_appears_before_its_write(project):
    new = project.parent / "new.py"
    faults.HOOKS["file-tmp"] = lambda: new.write_text("MINE = 1\n")  # after every check, right before the write
    with pytest.raises(Conflict) as err:
        splice.create(str(new), "THEIRS = 2\n")
    assert "was created since this call looked" in str(err.value)
    assert new.read_text() == "MINE = 1\n" and journal(project) == []
    assert [n for n in os.listdir(project.parent) if files.TEMP_MARK in n] == []


def test_create_and_its_undo(project):
    new = project.parent / "new.py"
    splice.create(str(new), "X = 1\n")
    assert new.read_text() == "X = 1\n"
    splice.undo(str(new))
    assert not new.exists()


# ---------------------------------------------------------------------------------------------- the lock itself


def test_the_lock_waits_for_its_holder_and_is_reentrant(tmp_path):
    lock_file = str(tmp_path / "locks" / "a.lock")
    order = []
    with lock.held(lock_file, "a.py"):
        with lock.held(lock_file, "a.py"):  # the same thread again: no deadlock
            order.append("outer")

        def take() -> None:
            with lock.held(lock_file, "a.py"):
                order.append("other")

        other = threading.Thread(target=take)
        other.start()
        time.sleep(0.1)
        order.append("released")
    other.join()
    assert order == ["outer", "released", "other"]


def test_a_lock_held_too_long_is_a_conflict_that_says_so(tmp_path):
    lock_file = str(tmp_path / "b.lock")
    code = ("import sys, time; sys.path.insert(0, %r); from splice.core import lock\n"
            "with lock.held(%r, 'b.py'):\n    print('held', flush=True); time.sleep(5)\n"
            % (str(REPO / "payload" / "src"), lock_file))
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(Conflict) as err, lock.held(lock_file, "b.py", wait=0.3):
            pass
        assert "b.py is being written by another call" in str(err.value)
    finally:
        holder.kill()
        holder.wait()
    with lock.held(lock_file, "b.py", wait=1):  # the system dropped the dead holder's lock
        pass


def test_without_fcntl_an_exclusive_lock_file_stands_in_and_a_dead_holders_is_taken_over(tmp_path, monkeypatch):
    monkeypatch.setattr(lock, "fcntl", None)
    monkeypatch.setattr(lock, "msvcrt", None)
    lock_file = str(tmp_path / "c.lock")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    os.makedirs(tmp_path, exist_ok=True)
    with open(lock_file + ".held", "w") as f:  # a holder killed while it held the lock
        f.write("%s 0\n" % dead.stdout.strip())
    counter = {"n": 0, "max": 0, "now": 0}

    def work() -> None:
        for _ in range(20):
            with lock.held(lock_file, "c.py", wait=10):
                counter["now"] += 1
                counter["max"] = max(counter["max"], counter["now"])
                counter["n"] += 1
                time.sleep(0.0005)
                counter["now"] -= 1

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter["n"] == 60 and counter["max"] == 1 and not os.path.exists(lock_file + ".held")


# ---------------------------------------------------------------------------------------------- temporary files


def test_temporary_files_of_a_dead_writer_are_swept_and_never_walked(tmp_path):
    (tmp_path / "a.py").write_text("X = 1\n")
    code = ("import os, sys; sys.path.insert(0, %r)\n"
            "from splice.checks.stages import _stand_in\n"
            "with _stand_in(%r, b'X = 0\\n', beside=True) as tmp:\n"
            "    print(tmp, flush=True); os.kill(os.getpid(), 9)\n" % (str(REPO / "payload" / "src"),
                                                                       str(tmp_path / "a.py")))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    left = proc.stdout.strip()
    assert proc.returncode == -9 and os.path.exists(left) and files.TEMP_MARK in os.path.basename(left)
    assert list(iter_files(str(tmp_path), "*.py")) == [str(tmp_path / "a.py")]
    mine = files.temp_path(str(tmp_path), "a.py")
    open(mine, "w").close()  # this process's own, still in use: kept
    assert files.sweep_temps(str(tmp_path)) == [left]
    assert sorted(os.listdir(tmp_path)) == sorted(["a.py", os.path.basename(mine)])
