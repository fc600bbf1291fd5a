"""Packs the bootstrap template and the splice payload project into the wheel (as bundler/_data), so an installed
splice-bundle builds bundles from any folder. Everything else about the project is in pyproject.toml."""

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("_bundler_resources", HERE / "bundler" / "resources.py")
resources = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(resources)


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads templates/ and payload/ in place
            return
        data = Path(self.build_lib) / "bundler" / "_data"
        shutil.rmtree(data, ignore_errors=True)
        (data / "templates").mkdir(parents=True)
        shutil.copy2(HERE / "templates" / "bootstrap.py", data / "templates" / "bootstrap.py")
        shutil.copytree(HERE / "payload", data / "payload", ignore=shutil.ignore_patterns(*resources.IGNORED))


setup(cmdclass={"build_py": BuildPyWithData})
