"""The ``alignlab`` command line: thin commands over the public Python API.

Each command family is a module of this package registering commands on the shared typer ``app``
(see :mod:`alignlab.cli._app`); importing them here makes them available.
"""

from __future__ import annotations

from alignlab.cli import core  # noqa: F401  (registers validate, datasets, report)
from alignlab.cli._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
