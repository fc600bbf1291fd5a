"""`splice mcp`: the tools of `splice.doors.tools` over MCP stdio, on the official SDK's low-level server (extra
`splice[mcp]`). The server lists the one declaration as is and answers every call with plain text; a failed call is a
tool error (`isError`) carrying the teaching text, never a protocol error or a traceback. Calls run one at a time in
a worker thread, so the event loop keeps answering while a check runs. The low-level server rather than MCPServer:
MCPServer derives schemas from Python signatures (a second declaration, and more tokens) and answers wrong argument
types with pydantic's multi-line report; here arguments are checked by `splice.doors.tools` with one teaching line.
"""

from __future__ import annotations

import os
import signal
import sys
import warnings
from typing import Any, List
from urllib.parse import unquote, urlparse

from splice._version import __version__
from splice.doors import kernel
from splice.doors.confine import Root
from splice.doors.tools import reply, schemas

INSTRUCTIONS = (
    "Edit Python by name: outline files, show targets (several in one call), then change one chunk by its target "
    "with edit (op: edit, replace, insert_after, append, remove, …); every edit replies with its diff and checks. "
    "run executes code in a persistent kernel, test runs pytest and names suspect lines."
)


def _root_paths(result: Any) -> List[str]:
    return [unquote(urlparse(str(r.uri)).path) for r in result.roots if str(r.uri).startswith("file:")]


def build(root: Root) -> Any:
    """The low-level `Server` for this root (for the stdio runner, or an in-process client)."""
    import anyio
    import mcp_types as types
    from mcp.server.lowlevel import Server

    listed = types.ListToolsResult(tools=[types.Tool.model_validate(t) for t in schemas("mcp")])
    lock = anyio.CapacityLimiter(1)
    state = {"roots_stale": True}

    async def list_tools(ctx: Any, params: Any) -> Any:
        return listed

    async def narrow_to_client_roots(ctx: Any) -> None:
        state["roots_stale"] = False
        caps = ctx.session.client_capabilities
        if caps is None or caps.roots is None:
            return
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = await ctx.session.list_roots()
        except Exception as exc:  # noqa: BLE001 - a client that cannot answer leaves the server's root
            print("splice mcp: roots/list failed (%s); serving %s" % (exc, root.folder), file=sys.stderr)
            return
        paths = _root_paths(result)
        if paths:
            root.narrow(paths)

    async def call_tool(ctx: Any, params: Any) -> Any:
        if state["roots_stale"]:
            await narrow_to_client_roots(ctx)
        out = await anyio.to_thread.run_sync(reply, params.name, params.arguments or {}, root, limiter=lock)
        content: List[Any] = [types.TextContent(type="text", text=out.text)]
        content += [types.ImageContent(type="image", data=data, mime_type=mime) for mime, data in out.images]
        return types.CallToolResult(content=content, is_error=out.error)

    async def roots_changed(ctx: Any, params: Any) -> None:
        state["roots_stale"] = True

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the roots capability is deprecated in the newest protocol, still used
        return Server(
            "splice",
            version=__version__,
            instructions=INSTRUCTIONS,
            on_list_tools=list_tools,
            on_call_tool=call_tool,
            on_roots_list_changed=roots_changed,
        )


def _terminated(signum: int, frame: Any) -> None:
    kernel.kill_all()
    os._exit(128 + signum)


def serve(root: Root) -> None:
    """Serve over stdin/stdout until the client closes them (after `enter_root`: the process works in the root).
    The `run` kernel goes with the server: on a closed stdin, and on SIGTERM/SIGHUP."""
    import anyio
    from mcp.server.stdio import stdio_server

    server = build(root)

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminated)
    try:
        anyio.run(main)
    finally:
        kernel.shutdown_all()
