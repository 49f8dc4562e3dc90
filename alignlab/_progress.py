"""Progress reporting from long computations (bootstraps, slice search, MCMC) to whoever listens.

Compute code calls :func:`report` at natural checkpoints (a bootstrap batch done, a feature set of the
slice lattice counted); it costs one context-variable lookup when nobody listens. The CLI installs a
listener with :func:`progress_hook` that drives rich progress bars; library users can install their
own (e.g. a tqdm bar or a logger)::

    >>> from alignlab._progress import progress_hook, report
    >>> seen = []
    >>> with progress_hook(lambda task, done, total: seen.append((task, done, total))):
    ...     report("bootstrap", 500, 1000)
    >>> seen
    [('bootstrap', 500, 1000)]
    >>> report("bootstrap", 1000, 1000)  # no listener: a no-op
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["ProgressCallback", "listening", "progress_hook", "report"]

ProgressCallback = Callable[[str, int, int], None]
"""``callback(task, done, total)``: ``done`` of ``total`` steps of ``task`` finished."""

_LISTENER: ContextVar[ProgressCallback | None] = ContextVar("alignlab_progress", default=None)


@contextmanager
def progress_hook(callback: ProgressCallback | None) -> Iterator[None]:
    """Send progress reports made inside the ``with`` block to ``callback`` (``None`` silences them)."""
    token = _LISTENER.set(callback)
    try:
        yield
    finally:
        _LISTENER.reset(token)


def listening() -> bool:
    """Whether a progress listener is installed (e.g. to turn on a sampler's own progress bar)."""
    return _LISTENER.get() is not None


def report(task: str, done: int, total: int) -> None:
    """Report that ``done`` of ``total`` steps of ``task`` are finished (no-op without a listener)."""
    callback = _LISTENER.get()
    if callback is not None:
        callback(task, int(done), int(total))
