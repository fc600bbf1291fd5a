"""Where the benchmarks keep downloaded sdists and the projects they unpack: outside this repository.

A project unpacked inside the repository and having no pytest configuration of its own (more-itertools) would run
under splice's own: pytest looks for its configuration from the test folder upwards and found pyproject.toml's
`-n auto`, so "plain pytest" ran with xdist workers (and their failures) there. SPLICE_BENCH_WORK picks another
folder; by default ~/.cache/splice-bench.
"""

from __future__ import annotations

import os
from pathlib import Path

WORK = Path(os.environ.get("SPLICE_BENCH_WORK") or Path.home() / ".cache" / "splice-bench")
