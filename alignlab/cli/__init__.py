"""The ``alignlab`` command line: thin commands over the public Python API.

Each command family is a module of this package registering commands on the shared typer ``app``
(see :mod:`alignlab.cli._app`); every module here is imported, so adding a file adds its commands.
"""

from __future__ import annotations

import importlib
import pkgutil

from alignlab.cli._app import app

__all__ = ["app", "main"]

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
    importlib.import_module(f"{__name__}.{_module}")


def main() -> None:
    """Console-script entry point."""
    app()
