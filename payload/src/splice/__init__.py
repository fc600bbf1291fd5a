"""splice: address a class, function, method or section by name and change just that chunk."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def load_ipython_extension(ip: Any) -> None:
    from splice.ipython import load_ipython_extension as load

    load(ip)


def unload_ipython_extension(ip: Any) -> None:
    from splice.ipython import unload_ipython_extension as unload

    unload(ip)
