"""IPython extension: loaded by the bundle (or `%load_ext splice`)."""

from __future__ import annotations

import re
from typing import Any, List

_COMMENT_OR_BLANK = re.compile(r"^\s*(#.*)?$")


def strip_comments_before_cell_magic(lines: List[str]) -> List[str]:
    """Drop comment and blank lines in front of a `%%magic` line, which IPython would otherwise not see.

    Models often write `# save the module` above `%%writefile m.py`; only such cells are touched.
    """
    for i, line in enumerate(lines):
        if not _COMMENT_OR_BLANK.match(line):
            return lines[i:] if i and line.lstrip().startswith("%%") else lines
    return lines


def load_ipython_extension(ip: Any) -> None:
    from splice.cheatsheet import text

    cleanup = ip.input_transformers_cleanup
    if strip_comments_before_cell_magic not in cleanup:
        cleanup.append(strip_comments_before_cell_magic)

    def splice_help(line: str = "") -> None:
        """Print the splice cheat sheet."""
        print(text())

    ip.register_magic_function(splice_help, "line", "splice_help")
    from splice.magics import register

    register(ip)


def unload_ipython_extension(ip: Any) -> None:
    cleanup = ip.input_transformers_cleanup
    if strip_comments_before_cell_magic in cleanup:
        cleanup.remove(strip_comments_before_cell_magic)
