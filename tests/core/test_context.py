"""The context one call works on: the project worked out once; no write over a file changed since it was read."""

from __future__ import annotations

import codecs

import pytest

from splice.core import files
from splice.core.context import FileContext
from splice.core.errors import Conflict
from splice.core.targets import Target


@pytest.fixture()
def project(tmp_path, monkeypatch):
    monkeypatch.delenv("SPLICE_JOURNAL_DIR", raising=False)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "pkg").mkdir()
    mod = tmp_path / "pkg" / "mod.py"
    mod.write_bytes(codecs.BOM_UTF8 + "X = 'é'\r\n".encode("utf-8"))
    return mod


def context(path) -> FileContext:
    return FileContext(Target(str(path), ""), *files.load_doc(str(path)))


def test_the_project_is_worked_out_once_and_the_journal_uses_it(project, monkeypatch):
    calls = []
    real = files.project_root
    monkeypatch.setattr(files, "project_root", lambda path: calls.append(path) or real(path))
    ctx = context(project)
    assert calls == []  # not before it is needed
    assert ctx.root == str(project.parent.parent) and ctx.root == str(project.parent.parent)
    ctx.write("X = 'è'\r\n", "edit")
    assert len(calls) == 1
    assert len(list((project.parent.parent / ".splice" / "journal").glob("*.json"))) == 1  # at the root it worked out


def test_write_keeps_the_encoding_and_refuses_a_file_changed_since_it_was_read(project):
    ctx = context(project)
    assert ctx.text == "X = 'é'\r\n" and ctx.path == str(project)
    ctx.write("X = 'è'\r\n", "edit")
    assert project.read_bytes() == codecs.BOM_UTF8 + "X = 'è'\r\n".encode("utf-8")
    stale = context(project)
    project.write_text("X = 1  # by hand\n")
    with pytest.raises(Conflict):
        stale.write("X = 2\n", "edit")
    assert project.read_text() == "X = 1  # by hand\n"
    steps = list((project.parent.parent / ".splice" / "journal").glob("*.json"))
    assert len(steps) == 1  # the refused write left no step


def test_a_file_to_create_has_no_text_read_and_is_never_written_over(tmp_path):
    path = tmp_path / "new.py"
    from splice.core.edit import Doc

    ctx = FileContext(Target(str(path), ""), Doc.from_text("", str(path)), None)
    assert ctx.loaded is None and ctx.path == str(path) and ctx.text == ""
    path.write_text("made meanwhile\n")
    with pytest.raises(Conflict):
        ctx.write("X = 1\n", "create")
    assert path.read_text() == "made meanwhile\n"
