"""splice.doors.confine: module names read outside the root in every target form; files outside are refused."""

from __future__ import annotations

import pytest

from splice.doors.confine import OutsideRoot, Root


@pytest.mark.parametrize("target", ["json:dumps", "json::dumps", "json"])
def test_module_names_read_outside_the_root_but_never_write(tmp_path, monkeypatch, target):
    monkeypatch.chdir(tmp_path)
    root = Root(str(tmp_path))
    assert root.target(target).path.endswith("json/__init__.py")
    with pytest.raises(OutsideRoot):
        root.target(target, write=True)


def test_paths_outside_the_root_are_refused(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    monkeypatch.chdir(tmp_path)
    root = Root(str(tmp_path))
    assert root.target("a.py::f", write=True).path == "a.py"
    for target in ("../x.py::f", "/etc/hosts"):
        with pytest.raises(OutsideRoot):
            root.target(target)
