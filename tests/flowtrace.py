"""Which splice modules one call passes through, and in which direction: a `sys.setprofile` trace of the call.

Control belongs to the splice module of the innermost splice frame (standard-library frames count for the splice
module that called them). Each change of that module is a step: a call down (or a callback up) when a splice frame
starts or resumes, a return when one ends. From the steps: the modules entered, the entries (a call into a module that
is not on the stack already), the climbs (a step into a higher layer, by a return or by a callback), and the returns
to a module control had left before. The trace also counts `files.project_root` and the subprocesses started, by
tool. Used by tests/checks/test_flow.py and benchmarks/flow_trace.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Set, Tuple

from layers import layer_of

TOOLS = ("ruff", "mypy", "pyright", "pytest")


@dataclass
class Step:
    kind: str  # call | return
    source: Optional[str]  # None: the caller outside splice
    target: Optional[str]
    function: str = ""  # the function called (a call) or returning (a return)

    @property
    def climbs(self) -> bool:
        return self.source is not None and self.target is not None and (
            layer_of(self.target)[0] > layer_of(self.source)[0])


@dataclass
class Flow:
    steps: List[Step] = field(default_factory=list)
    entries: Counter = field(default_factory=Counter)  # module -> calls into it from outside it
    root_calls: int = 0
    commands: List[List[str]] = field(default_factory=list)
    result: Any = None

    @property
    def modules(self) -> List[str]:
        return list(self.entries)

    @property
    def climbs(self) -> List[Step]:
        return [s for s in self.steps if s.climbs]

    @property
    def callbacks(self) -> List[Step]:
        """Calls from a lower layer into a higher one: what a one-way flow never does."""
        return [s for s in self.steps if s.climbs and s.kind == "call"]

    @property
    def reentries(self) -> int:
        """Steps into a module that had control before and lost it."""
        seen: Set[Optional[str]] = set()
        count = 0
        for s in self.steps:
            if s.target in seen and s.target is not None:
                count += 1
            seen.add(s.source)
        return count

    @property
    def unit_reentries(self) -> int:
        """The same on the layer units (core, each family, api, doors): moves between modules of one unit ignored."""
        seen: Set[str] = set()
        count = 0
        for s in self.steps:
            if s.source is None or s.target is None or unit_of(s.source) == unit_of(s.target):
                continue
            if unit_of(s.target) in seen:
                count += 1
            seen.add(unit_of(s.source))
        return count

    @property
    def tools(self) -> Counter:
        return Counter(tool_of(c) for c in self.commands)

    def calls(self, source: str, target: str) -> List[str]:
        """The functions `source` modules called in `target` modules (prefixes: "splice.api", "splice.checks")."""
        return [s.function for s in self.steps if s.kind == "call" and (s.source or "").startswith(source)
                and (s.target or "").startswith(target)]

    def path(self) -> List[str]:
        """The modules in control, one after another (short names)."""
        out = [s.target for s in self.steps if s.target is not None]
        return [m.replace("splice.", "", 1) for m in out]


def unit_of(module: str) -> str:
    return layer_of(module)[1]


def tool_of(argv: List[str]) -> str:
    words = [os.path.basename(str(a)) for a in argv]
    for tool in TOOLS:
        if tool in words[:3]:
            return tool
    return words[0] if words else "?"


def _module(frame: Any) -> Optional[str]:
    name = frame.f_globals.get("__name__", "")
    return name if name == "splice" or name.startswith("splice.") else None


def _nearest(frame: Any) -> Optional[str]:
    while frame is not None:
        mod = _module(frame)
        if mod is not None:
            return mod
        frame = frame.f_back
    return None


def trace(call: Callable[[], Any]) -> Flow:
    """Run `call` under the profile hook (this thread) and return what it passed through."""
    from splice.core import files

    flow = Flow()
    root_code = files.project_root.__code__
    popen_code = subprocess.Popen.__init__.__code__
    on_stack: Counter = Counter()
    state: List[Optional[str]] = [None]

    def move(kind: str, target: Optional[str], function: str) -> None:
        if target != state[0]:
            flow.steps.append(Step(kind, state[0], target, function))
            state[0] = target

    def hook(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            if code is root_code:
                flow.root_calls += 1
            elif code is popen_code:
                flow.commands.append([str(a) for a in frame.f_locals.get("args") or []])
            mod = _module(frame)
            if mod is not None:
                if not on_stack[mod]:
                    flow.entries[mod] += 1
                on_stack[mod] += 1
                move("call", mod, frame.f_code.co_name)
        elif event == "return":
            mod = _module(frame)
            if mod is not None:
                on_stack[mod] -= 1
                move("return", _nearest(frame.f_back), frame.f_code.co_name)

    old = sys.getprofile()
    sys.setprofile(hook)
    try:
        flow.result = call()
    finally:
        sys.setprofile(old)
    return flow


def describe(flow: Flow) -> Tuple[str, ...]:
    """One line per measure (what the benchmark prints and the tests show on failure)."""
    return (
        "modules entered: %d (%s)" % (len(flow.modules), ", ".join(m.replace("splice.", "") for m in flow.modules)),
        "entries: %d; climbs: %d (callbacks %d); returns to a module left before: %d (to a layer unit: %d)"
        % (sum(flow.entries.values()), len(flow.climbs), len(flow.callbacks), flow.reentries, flow.unit_reentries),
        "api -> checks: %s; checks -> core.files: %s" % (flow.calls("splice.api", "splice.checks"),
                                                        flow.calls("splice.checks", "splice.core.files")),
        "project_root: %d; subprocesses: %s" % (flow.root_calls, dict(flow.tools)),
    )
