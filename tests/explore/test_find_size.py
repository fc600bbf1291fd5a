"""`find` is no larger than `grep -rn` for the same query and still names each hit's enclosing symbol (issue 18)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sysconfig

import pytest

from splice.explore.search import FEW, find

LIB = sysconfig.get_paths()["stdlib"]
FOLDERS = ["json", "http", "argparse.py", "dataclasses.py", "xml/dom", "textwrap.py", "unittest"]
WORDS = ["self", "return", "None", "import", "len", "name", "value", "str", "dict", "key", "Error", "__init__"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("grep") is None, reason="needs grep")
def test_find_output_no_larger_than_grep_and_every_hit_accounted(monkeypatch):
    monkeypatch.chdir(LIB)
    compared = 0
    for folder in FOLDERS:
        for word in WORDS:
            grep = subprocess.run(["grep", "-rnF", "--include=*.py", word, folder], capture_output=True, text=True)
            hits = grep.stdout.count("\n")
            if hits <= FEW:
                continue
            out = find(word, folder)
            assert len(out) <= len(grep.stdout), (folder, word)
            compared += 1
            lines = out.splitlines()
            if not lines[0].startswith("%d hits in " % hits):  # all in full: one line per hit and file
                assert sum(1 for line in lines if re.match(r" +(\S+  )?\d+: ", line)) == hits, (folder, word)
                continue
            in_full = int(re.search(r": (\d+) in full", lines[0]).group(1))
            counted = sum(
                int(n)
                for line in lines[1:-1]
                if not re.match(r" +(\S+  )?\d+: ", line)
                for n in re.findall(r" (\d+)(?:,|$)", line.split("  ", 1)[-1])
            )
            tail = re.match(r"… (\d+) not in full(?: \((\d+) files not listed\))?: find\(", lines[-1])
            assert tail and int(tail.group(1)) == hits - in_full, (folder, word, lines[-1])
            assert counted <= hits - in_full and (tail.group(2) or counted == hits - in_full), (folder, word)
    assert compared >= 30
