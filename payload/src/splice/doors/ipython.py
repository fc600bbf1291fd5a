"""IPython extension (loaded by the bundle, or `%load_ext splice`): input fixes, magics, docs after exceptions.

Everything here is a thin layer over the core: transformers that fix a model's habits before a cell runs
(comments above a cell magic, missing imports, elided class redefinitions), magics for exploring and editing,
and a custom exception handler: splice's own errors in at most three lines, other tracebacks without splice's frames
and with a short doc block after them.
"""

from __future__ import annotations

import builtins
import re
import sys
from dataclasses import fields
from typing import Any, List

from splice.doors.magics import Config, config

_COMMENT_OR_BLANK = re.compile(r"^\s*(#.*)?$")


# ---------------------------------------------------------------------------------------------------- transformers


def strip_comments_before_cell_magic(lines: List[str]) -> List[str]:
    """Drop comment and blank lines in front of a `%%magic` line, which IPython would otherwise not see.

    Models often write `# save the module` above `%%writefile m.py`; only such cells are touched.
    """
    for i, line in enumerate(lines):
        if not _COMMENT_OR_BLANK.match(line):
            return lines[i:] if i and line.lstrip().startswith("%%") else lines
    return lines


def make_autoimport(shell: Any):
    def auto_import(lines: List[str]) -> List[str]:
        """Import names the cell uses but nobody defined, when exactly one import fits (one note line)."""
        if not config.autoimport:
            return lines
        from splice.checks.resolve import resolve
        from splice.core.names import free_names

        try:
            missing = [n for n in free_names("".join(lines)) if n not in shell.user_ns and not hasattr(builtins, n)]
        except SyntaxError:
            return lines
        done = []
        for name in missing:
            stmt = resolve(name)
            if stmt is None:
                continue  # none or ambiguous: a NameError will list the candidates
            try:
                exec(stmt, shell.user_ns)
            except Exception:
                continue
            done.append(stmt)
        if done:
            print("splice: auto-imported: %s  (%%splice_config autoimport=off)" % "; ".join(done))
        return lines

    return auto_import


def make_elision(shell: Any):
    def keep_elided_members(lines: List[str]) -> List[str]:
        """A cell redefining a live class with `# ... (same as above)` gets the elided members back."""
        if not config.elision:
            return lines
        src = "".join(lines)
        from splice.core.elision import marker_lines

        if not marker_lines(lines):
            return lines
        from splice.core.edit import Doc
        from splice.core.errors import SpliceError

        try:
            doc = Doc.from_text(src)
            classes = [doc.index.chunks[q] for q in doc.index.top if doc.index.chunks[q].kind == "class"]
        except SpliceError:
            return lines
        out = list(lines)
        notes: List[str] = []
        for chunk in reversed(classes):  # the chunk rule: trailing comments (the marker) are part of the class
            old = shell.user_ns.get(chunk.name)
            if not isinstance(old, type):
                continue
            merged = _merge_with_live(old, "".join(doc.lines[chunk.header:chunk.end]), notes)
            if merged is not None:
                out[chunk.header:chunk.end] = merged.splitlines(keepends=True)
        for note in notes:
            print("splice: %s" % note)
        return out

    return keep_elided_members


def _merge_with_live(old: type, new_code: str, notes: List[str]):
    """The new class text with members it elided taken from the live class's source (same rules as the core)."""
    from splice.core.edit import Doc, apply_splices, plan_replace
    from splice.core.errors import SpliceError
    from splice.notebook.live import source_of

    try:
        old_source = "".join(source_of(old)[0])
    except (OSError, TypeError):
        return None
    import textwrap

    doc = Doc.from_text(textwrap.dedent(old_source))
    try:
        chunk = doc.chunk(old.__name__)
        sub: List[str] = []
        splices = plan_replace(doc, chunk, new_code, keep_elided=True, notes=sub)
    except SpliceError:
        return None
    if not sub:
        return None
    lines, _ = apply_splices(doc, splices)
    notes.append("%s: %s (the cell elided them)" % (old.__name__, sub[0]))
    merged = "".join(lines)
    return merged


# ---------------------------------------------------------------------------------------------------- exceptions


def short_error(value: BaseException) -> str:
    """A splice error as the model needs it: the class and the message, at most three lines."""
    lines = ("%s: %s" % (type(value).__name__, value)).splitlines() or [type(value).__name__]
    tail = lines[2:3] + [line.strip() for line in lines[3:]]  # the third keeps its indentation (a caret)
    return "\n".join(lines[:2] + (["  ".join(line.rstrip() for line in tail)] if tail else []))


def _exception_handler(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> List[str]:
    """splice's own errors in one to three lines; other errors: IPython's traceback without splice's frames, then
    (in the same error output) the doc block."""
    from splice.core.errors import SpliceError

    if isinstance(value, SpliceError):
        stb = [short_error(value)]
    else:
        from splice.explore.excdocs import without_splice

        tb = without_splice(tb)
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
        if config.exc_docs:
            try:
                from splice.checks.resolve import candidates
                from splice.explore.excdocs import block

                text = block(etype, value, tb, candidates)
            except Exception:  # the docs are a help; they never hide the traceback
                text = ""
            if text:
                stb = list(stb) + [text]
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    shell._showtraceback(etype, value, stb)
    return stb


# ---------------------------------------------------------------------------------------------------- loading


def load_ipython_extension(ip: Any) -> None:
    from splice.doors.cheatsheet import full
    from splice.doors.magics import register, register_edit
    from splice.testing.pytest_shim import enable

    enable()  # `!pytest`, `!python -m pytest`, subprocess pytests end with the suspects

    cleanup = ip.input_transformers_cleanup
    if strip_comments_before_cell_magic not in cleanup:
        cleanup.append(strip_comments_before_cell_magic)
    post = ip.input_transformers_post
    post[:] = [t for t in post if getattr(t, "__name__", "") not in ("auto_import", "keep_elided_members")]
    post.append(make_elision(ip))
    post.append(make_autoimport(ip))
    ip.set_custom_exc((Exception,), _exception_handler)

    def splice_help(line: str = "") -> None:
        """Print the full splice cheat sheet (the import printed its first lines)."""
        print(full())

    def splice_config(line: str = "") -> None:
        """%splice_config [autoimport=on|off] [exc_docs=on|off] [elision=on|off] [live=on|off]"""
        for item in line.split():
            key, _, val = item.partition("=")
            if key == "checks":
                config.checks = "" if val in ("off", "none", "") else val
                continue
            if key not in {f.name for f in fields(Config)} or val not in ("on", "off", "1", "0", "true", "false"):
                print("splice: usage: %splice_config " + " ".join("%s=on|off" % f.name for f in fields(Config)
                                                                    if f.name != "checks") + " checks=STAGES|off")
                return
            setattr(config, key, val in ("on", "1", "true"))
        shown = ["%s=%s" % (f.name, "on" if getattr(config, f.name) else "off") for f in fields(Config)
                 if f.name != "checks"]
        print("splice config: " + " ".join(shown + ["checks=%s" % (config.checks or "off")]))

    ip.register_magic_function(splice_help, "line", "splice_help")
    ip.register_magic_function(splice_config, "line", "splice_config")
    register(ip)
    register_edit(ip)


def unload_ipython_extension(ip: Any) -> None:
    cleanup = ip.input_transformers_cleanup
    if strip_comments_before_cell_magic in cleanup:
        cleanup.remove(strip_comments_before_cell_magic)
    ip.input_transformers_post[:] = [t for t in ip.input_transformers_post
                                     if getattr(t, "__name__", "") not in ("auto_import", "keep_elided_members")]
    ip.set_custom_exc((), None)
