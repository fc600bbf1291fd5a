"""Related tests from coverage (issue 24): a per-test coverage map in the project's .splice/ folder, written by
splice.test runs and refreshed by the tests stage; after an edit the tests stage runs the tests that execute the
changed chunk and says how it chose them; the import rule is the fallback, and it now sees tests that import the
package's top level."""

from __future__ import annotations

import json
import os
import textwrap

import pytest

import splice
from splice.testing import covmap
from splice.testing.runner import related_tests

pytestmark = pytest.mark.slow  # pytest runs in subprocesses

LAYOUT = '''\
class Layout:
    def __init__(self, width):
        self.width = width

    def measure(self, text):
        return min(len(text), self.width)

    def wrap(self, text):
        return [text[i:i + self.width] for i in range(0, len(text), self.width)]


def unused():
    return 0
'''


@pytest.fixture()
def project(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    pkg = tmp_path / "pkg"
    (pkg / "filters").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pkg.filters.layout import Layout\n")
    (pkg / "filters" / "__init__.py").write_text("")
    (pkg / "filters" / "layout.py").write_text(LAYOUT)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_layout.py").write_text(textwrap.dedent("""\
        from pkg import Layout


        def test_measure():
            assert Layout(3).measure("hello") == 3


        def test_measure_short():
            assert Layout(9).measure("hi") == 2


        def test_wrap():
            assert Layout(2).wrap("abcd") == ["ab", "cd"]


        def test_nothing():
            assert Layout(1).width == 1
        """))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_import_rule_sees_tests_that_import_the_package_top_level(project):
    assert [os.path.basename(p) for p in related_tests("pkg/filters/layout.py")] == ["test_layout.py"]


def test_the_tests_stage_runs_the_tests_that_execute_the_changed_chunk(project):
    first = splice.edit("pkg/filters/layout.py::Layout.measure", "min(", "min (", check="tests")
    assert first.checks.stages[-1].summary.startswith("4 passed (1 related file by import: no coverage map yet)")
    data = json.loads((project / ".splice" / "coverage.json").read_text())  # the stage's run recorded who runs what
    measure = data["files"]["pkg/filters/layout.py"]["Layout.measure"][1]
    assert sorted(data["tests"][i] for i in measure) == [
        "tests/test_layout.py::test_measure", "tests/test_layout.py::test_measure_short"]
    e = splice.edit("pkg/filters/layout.py::Layout.measure", "min (", "min(", check="tests")
    stage = e.checks.stages[-1]
    assert stage.summary == "2 passed (2 tests that run Layout.measure, from the last run's coverage)", stage.summary
    e = splice.edit("pkg/filters/layout.py::Layout.wrap", "self.width)]", "self.width or 1)]", check="tests")
    assert e.checks.stages[-1].summary == "1 passed (1 test that runs Layout.wrap, from the last run's coverage)"


def test_a_chunk_changed_since_the_map_falls_back_and_says_so(project):
    path = str(project / "pkg" / "filters" / "layout.py")
    assert covmap.record(str(project), {"t::a": {path: [6]}, "t::b": {"pkg/filters/layout.py": [3, 9]}}) == ""
    chosen = covmap.select(str(project), path, LAYOUT, (5, 6))
    assert chosen.tests == ["t::a"] and chosen.how == "1 test that runs Layout.measure, from the last run's coverage"
    moved = "# a comment that moves every line\n" + LAYOUT  # lines moved, Layout.measure's text did not
    assert covmap.select(str(project), path, moved, (6, 7)).tests == ["t::a"]
    changed = LAYOUT.replace("min(len(text), self.width)", "len(text)")
    stale = covmap.select(str(project), path, changed, (5, 6))
    assert stale.tests is None and stale.how == "the coverage map is older than Layout.measure's text"
    assert covmap.select(str(project), path, LAYOUT, (12, 14)).how == "no test in the last run's coverage runs unused"
    both = covmap.select(str(project), path, LAYOUT, None)  # the whole file: Layout.__init__, measure, wrap
    assert both.tests == ["t::a", "t::b"]
    # a test run again replaces its old entries; a chunk whose text changed keeps only this run's tests
    (project / "pkg" / "filters" / "layout.py").write_text(changed)
    covmap.record(str(project), {"t::c": {path: [6]}})
    assert covmap.select(str(project), path, changed, (5, 6)).tests == ["t::c"]
    assert covmap.select(str(project), path, changed, (8, 9)).tests == ["t::b"]


@pytest.mark.parametrize(
    "content, why",
    [
        ("{not json", "coverage map .splice/coverage.json ignored: unreadable (JSONDecodeError)"),
        ('{"format": "testmon"}', "coverage map .splice/coverage.json ignored: not a splice-covmap/1 file"),
        ('{"format": "splice-covmap/1", "root": "/elsewhere", "tests": [], "files": {}}',
         "coverage map .splice/coverage.json ignored: made for /elsewhere"),
    ],
)
def test_a_corrupt_or_foreign_map_is_ignored_in_one_line(project, content, why):
    (project / ".splice").mkdir(exist_ok=True)
    (project / ".splice" / "coverage.json").write_text(content)
    chosen = covmap.select(str(project), "pkg/filters/layout.py", LAYOUT, (5, 6))
    assert chosen.tests is None and chosen.how == why
    e = splice.edit("pkg/filters/layout.py::Layout.measure", "min(", "min (", check="tests")
    assert e.checks.stages[-1].summary == "4 passed (1 related file by import: %s)" % why
    assert covmap.load(str(project))[0] is not None  # the run wrote a good map in its place


def test_splice_test_records_the_map(project):
    """A run over test files traces its first run and records what it ran; a whole suite runs untraced (its
    failures' second run records what that traces)."""
    assert splice.test().ok
    assert covmap.load(str(project))[0] is None
    assert splice.test("tests/test_layout.py").ok
    chosen = covmap.select(str(project), "pkg/filters/layout.py", LAYOUT, (7, 9))
    assert chosen.tests == ["tests/test_layout.py::test_wrap"]


def test_a_run_over_unchanged_files_reuses_their_chunk_tables(tmp_path, monkeypatch):
    """The map keeps each file's chunk table with its text's fingerprint: a later run over the same text folds its
    coverage without parsing the file again, and gives the same map; a changed file is parsed afresh."""
    (tmp_path / "layout.py").write_text(LAYOUT)
    run = {"t::a": {"layout.py": [6]}, "t::b": {"layout.py": [9, 13]}}
    assert covmap.record(str(tmp_path), run) == ""
    first = json.loads((tmp_path / ".splice" / "coverage.json").read_text())
    assert first["tables"]["layout.py"]["n"] == len(LAYOUT.splitlines())

    def no_parse(*args, **kwargs):
        raise AssertionError("parsed again")

    monkeypatch.setattr(covmap, "chunk_table", no_parse)
    assert covmap.record(str(tmp_path), run) == ""
    assert json.loads((tmp_path / ".splice" / "coverage.json").read_text()) == first
    assert first["files"]["layout.py"]["Layout.measure"][1] == [0] and "unused" in first["files"]["layout.py"]
    (tmp_path / "layout.py").write_text(LAYOUT.replace("min(", "max("))
    with pytest.raises(AssertionError, match="parsed again"):  # a changed text is parsed afresh
        covmap.record(str(tmp_path), run)
    monkeypatch.undo()
    assert covmap.record(str(tmp_path), run) == ""
    again = json.loads((tmp_path / ".splice" / "coverage.json").read_text())
    assert again["tables"]["layout.py"]["sha"] != first["tables"]["layout.py"]["sha"]
    assert again["files"]["layout.py"]["Layout.measure"][0] != first["files"]["layout.py"]["Layout.measure"][0]
