"""pytest plugin shim: PYTEST_PLUGINS names this module (its folder on PYTHONPATH) where splice was loaded.

Every Python that inherits those variables imports it, splice or not; so it uses only the standard library, never
fails, and hands over to `splice.testing.pytest_suspects` only when this interpreter can find splice (without
importing the splice package: the plugin's module is loaded by itself, so a green run costs one small import).
Anywhere else pytest runs exactly as without it. `-p no:splice_suspects` keeps it out.
"""

import importlib.util
import os
import sys

_NAME = "splice.testing.pytest_suspects"


def _plugin():
    mod = sys.modules.get(_NAME)
    if mod is not None:
        return mod
    try:
        spec = importlib.util.find_spec("splice")
        for base in (spec.submodule_search_locations or []) if spec else []:
            path = os.path.join(base, "testing", "pytest_suspects.py")
            if os.path.isfile(path):
                sub = importlib.util.spec_from_file_location(_NAME, path)
                mod = importlib.util.module_from_spec(sub)
                sys.modules[_NAME] = mod
                try:
                    sub.loader.exec_module(mod)
                except BaseException:
                    del sys.modules[_NAME]
                    raise
                return mod
    except Exception:
        return None
    return None


def pytest_addhooks(pluginmanager):
    """Called once this module is registered (before options are parsed): register the real plugin beside it,
    unless `-p` already did or `-p no:splice.testing.pytest_suspects` blocks it."""
    if pluginmanager.get_plugin(_NAME) is not None or pluginmanager.is_blocked(_NAME):
        return
    mod = _plugin()
    if mod is not None and not pluginmanager.is_registered(mod):
        try:
            pluginmanager.register(mod, _NAME)
        except Exception:
            pass
