"""A real MCP client (the official SDK over stdio) for sync tests: shared by the agent-door and bundle tests."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from helpers import AUTOLOAD_OFF, SRC

# the SDK starts a server with this and little else: its pytest runs load no plugin of the test environment, and its
# temporary files go where the test run's do (tests/conftest.py)
ENV = {"PYTHONPATH": SRC, AUTOLOAD_OFF: "1", **({"TMPDIR": os.environ["TMPDIR"]} if os.environ.get("TMPDIR") else {})}


class Conn:
    """A real MCP client session (official SDK, stdio, spawned `python -m splice mcp`) driven from sync tests: the
    client lives in one task of an event loop on a thread; calls are submitted to that loop."""

    def __init__(
        self,
        root: Path,
        roots: Optional[List[str]] = None,
        cmd: Optional[List[str]] = None,
        env: Optional[Dict[str, str]] = None,
    ) -> None:
        from mcp import Client
        from mcp.client.stdio import StdioServerParameters

        cmd = cmd or [sys.executable, "-m", "splice", "mcp", "--root", str(root)]
        params = StdioServerParameters(command=cmd[0], args=cmd[1:], env=env or ENV, cwd=str(root))
        kw: Dict[str, Any] = {}
        if roots is not None:
            import mcp_types as types

            async def list_roots(ctx: Any) -> Any:
                return types.ListRootsResult(roots=[types.Root(uri=Path(r).as_uri()) for r in roots])

            kw = dict(list_roots_callback=list_roots, mode="legacy")  # roots need the back-channel of a handshake
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        ready = threading.Event()

        async def main() -> None:
            self.stop = asyncio.Event()
            async with Client(params, **kw) as client:
                self.client = client
                ready.set()
                await self.stop.wait()

        self.main = asyncio.run_coroutine_threadsafe(main(), self.loop)
        if not ready.wait(60):
            self.main.result(1)
            raise RuntimeError("the server did not start")

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(180)

    def raw(self, name: str, args: Any) -> Any:
        return self.run(self.client.call_tool(name, args))

    def call(self, name: str, args: Any) -> Tuple[str, bool]:
        result = self.raw(name, args)
        assert result.structured_content is None  # plain text, sent once
        assert len(result.content) == 1
        return result.content[0].text, bool(result.is_error)

    def ok(self, name: str, args: Any) -> str:
        text, err = self.call(name, args)
        assert not err, text
        return text

    def error(self, name: str, args: Any) -> str:
        text, err = self.call(name, args)
        assert err, text
        assert "Traceback" not in text and len(text.splitlines()) <= 6, text
        return text

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.main.result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
