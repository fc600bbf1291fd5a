"""Which import would define a missing name: one resolver for the notebook auto-import and `splice imports --fix`.

Candidates, strongest first: the well-known aliases (`np`, `pd`, `plt`…) when their package is installed; a module
already imported in this process, or an installed top-level module, of that exact name; public names of common
standard-library modules (`defaultdict` → `from collections import defaultdict`). A name with one candidate is
unambiguous; several are reported, never guessed.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Dict, List, Optional

ALIASES: Dict[str, str] = {
    "np": "import numpy as np", "pd": "import pandas as pd", "plt": "import matplotlib.pyplot as plt",
    "mpl": "import matplotlib as mpl", "sns": "import seaborn as sns", "tf": "import tensorflow as tf",
    "torch": "import torch", "nn": "import torch.nn as nn", "F": "import torch.nn.functional as F",
    "sp": "import scipy as sp", "px": "import plotly.express as px", "go": "import plotly.graph_objects as go",
    "pl": "import polars as pl", "xr": "import xarray as xr", "sm": "import statsmodels.api as sm",
    "nx": "import networkx as nx", "jnp": "import jax.numpy as jnp", "tqdm": "from tqdm import tqdm",
    "dd": "import dask.dataframe as dd", "cv2": "import cv2",
}
STDLIB_MODULES = [
    "collections", "itertools", "functools", "dataclasses", "typing", "pathlib", "datetime", "math", "statistics",
    "random", "json", "re", "os", "sys", "time", "subprocess", "shutil", "glob", "io", "textwrap", "string", "enum",
    "contextlib", "operator", "decimal", "fractions", "copy", "pprint", "heapq", "bisect", "uuid", "hashlib",
    "base64", "csv", "logging", "argparse", "tempfile", "urllib.parse", "abc", "inspect", "struct", "zlib",
    "gzip", "pickle", "sqlite3", "threading", "queue", "concurrent.futures", "asyncio", "warnings", "traceback",
]
NEVER = {"this", "antigravity", "test", "tests", "_", "__"}

_public: Optional[Dict[str, List[str]]] = None


def _installed(module: str) -> bool:
    top = module.split(".")[0]
    if top in sys.modules:
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def _public_names() -> Dict[str, List[str]]:
    """name -> stdlib modules that export it (imported once, on first need)."""
    global _public
    if _public is None:
        table: Dict[str, List[str]] = {}
        for mod_name in STDLIB_MODULES:
            try:
                mod = importlib.import_module(mod_name)
            except ImportError:
                continue
            names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
            for n in names:
                if not n.startswith("_") and not isinstance(getattr(mod, n, None), type(sys)):
                    table.setdefault(n, []).append(mod_name)
        _public = table
    return _public


def candidates(name: str) -> List[str]:
    """Import statements that would define `name`, best first (the first alone when it is decisive)."""
    if name in NEVER or not name.isidentifier():
        return []
    alias = ALIASES.get(name)
    if alias and _installed(alias.split()[1]):
        return [alias]
    if name in sys.modules or (_installed(name) and name not in _public_names()):
        return ["import %s" % name]
    found = ["from %s import %s" % (m, name) for m in _public_names().get(name, [])]
    if not found and _installed(name):
        return ["import %s" % name]
    if name in _public_names() and _installed(name):  # `datetime`, `time`: a module and a name in it
        found.insert(0, "import %s" % name)
    return found


def resolve(name: str) -> Optional[str]:
    """The one import that defines `name`, or None when there is none or several."""
    found = candidates(name)
    return found[0] if len(found) == 1 else None
