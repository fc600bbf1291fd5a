"""The front doors, thin layers over `splice.api` and the families: the command line (`cli`), the agent door (tool
declarations in `tools`, the MCP server in `mcp_server`, the allowed root in `confine`, the `run` tool's `kernel`)
and the notebook door (the IPython extension in `ipython`, its `magics`, the `cheatsheet`).

May import every layer below; nothing below imports a door.
"""
