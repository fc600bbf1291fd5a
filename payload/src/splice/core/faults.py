"""Named points in the write path where a test can stop the writer: the fault-injection tests and benchmark.

`SPLICE_FAULT="journal-written:kill"` makes the process kill itself (SIGKILL: no cleanup, no finally) when it reaches
that point; `NAME:sleep=0.2` pauses it there. Several comma-separated. In-process tests may put a callable in HOOKS.
Unset (always, outside tests) a point costs one dictionary lookup and one environment read.

The points, in the order an edit reaches them: locked (the file's lock taken, nothing read yet), journal-written (the
undo entry is on disk, the file not yet touched), file-tmp (the new text is in a temporary file beside it),
file-replaced (the new text is in place, the lock still held). An undo: undo-locked, undo-restored (the old text is
back, its entry not yet removed).
"""

from __future__ import annotations

import os
import time
from typing import Callable, Dict

HOOKS: Dict[str, Callable[[], None]] = {}


def point(name: str) -> None:
    hook = HOOKS.get(name)
    if hook is not None:
        hook()
    spec = os.environ.get("SPLICE_FAULT")
    if not spec:
        return
    for part in spec.split(","):
        where, _, action = part.strip().partition(":")
        if where != name:
            continue
        if action == "kill":
            _die()
        elif action.startswith("sleep="):
            time.sleep(float(action[6:]))


def _die() -> None:
    import signal

    kill = getattr(signal, "SIGKILL", None)
    if kill is not None:
        os.kill(os.getpid(), kill)
    os._exit(137)  # Windows: as abrupt, no cleanup either
