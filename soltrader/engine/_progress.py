"""Progress bars of the research drivers: sweeps, walk-forward and Monte Carlo.

Every driver takes ``progress: bool | None = None``:

* ``None`` (automatic): a bar only where someone can see it -- standard error is a terminal, or
  the code runs in a Jupyter kernel -- and only once the work has lasted :data:`AUTO_DELAY_S`
  seconds (tqdm's ``delay``), so a short run draws nothing at all and output piped to a file or
  a CI log stays clean;
* ``True``: a bar from the start, wherever standard error goes (a log file too);
* ``False``: never.

The bar is tqdm's automatic flavour (``tqdm.auto``): a widget in Jupyter, a text line on
standard error in a terminal. Drivers advance it per unit of work that exists anyway (a chunk of
combinations, a walk-forward window, a batch of Monte Carlo paths), never inside a numba kernel,
so a bar costs a few microseconds per update and changes no result.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any, Protocol

import numpy as np

from soltrader.domain.errors import ParameterError

#: Seconds an automatic (``progress=None``) bar waits before it is drawn.
AUTO_DELAY_S = 1.0


class Bar(Protocol):
    """What the drivers use of a progress bar (a tqdm bar, or :class:`NoBar`)."""

    def update(self, n: float = 1) -> Any: ...

    def close(self) -> None: ...


class NoBar:
    """The bar of ``progress=False``: every call does nothing.

    Examples
    --------
    >>> with NoBar() as bar:
    ...     bar.update(3)
    """

    def update(self, n: float = 1) -> None:
        """Do nothing (``n`` items done)."""

    def close(self) -> None:
        """Do nothing."""

    def __enter__(self) -> NoBar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def check_progress(progress: Any) -> bool | None:
    """``progress`` as ``True``, ``False`` or ``None``, else a :class:`ParameterError`.

    Examples
    --------
    >>> check_progress(None) is None, check_progress(True)
    (True, True)
    >>> check_progress("yes")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    soltrader.domain.errors.ParameterError: progress: expected True (always), ..., got 'yes'
    """
    if progress is None or isinstance(progress, bool):
        return progress
    if isinstance(progress, np.bool_):
        return bool(progress)
    raise ParameterError(
        "progress",
        "expected True (always), False (never) or None (automatic: a terminal or Jupyter, "
        f"after {AUTO_DELAY_S:g} s), got {progress!r}",
    )


def in_jupyter() -> bool:
    """Whether the code runs in a Jupyter (IPython) kernel, where tqdm.auto draws a widget.

    Examples
    --------
    >>> in_jupyter()
    False
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
        return shell is not None and "IPKernelApp" in shell.config
    except Exception:  # an IPython without a shell, or a broken config: not a kernel
        return False


def stderr_is_terminal() -> bool:
    """Whether standard error is an interactive terminal.

    Examples
    --------
    >>> isinstance(stderr_is_terminal(), bool)
    True
    """
    stream = sys.stderr
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def shows(progress: bool | None) -> bool:
    """Whether ``progress`` asks for a bar here (``None``: a terminal or Jupyter).

    Examples
    --------
    >>> shows(True), shows(False)
    (True, False)
    """
    progress = check_progress(progress)
    if progress is None:
        return stderr_is_terminal() or in_jupyter()
    return progress


def progress_bar(progress: bool | None, total: int, *, desc: str, unit: str) -> Any:
    """A bar of ``total`` items of work (``unit``), or a :class:`NoBar` when none is shown.

    Parameters
    ----------
    progress : bool or None
        ``True`` always, ``False`` never, ``None`` automatic: only on a terminal or in Jupyter,
        and drawn only after :data:`AUTO_DELAY_S` seconds of work.
    total : int
        Items the work has (combinations, windows, paths).
    desc, unit : str
        The bar's label and the name of one item, e.g. ``"sweep"`` and ``"combination"``.

    Returns
    -------
    tqdm.auto.tqdm or NoBar
        Both are context managers with ``update(n)`` and ``close()``.

    Raises
    ------
    ParameterError
        ``progress`` is not True, False or None.

    Examples
    --------
    >>> with progress_bar(False, 10, desc="sweep", unit="combination") as bar:
    ...     bar.update(10)
    """
    if not shows(progress):
        return NoBar()
    from tqdm.auto import tqdm

    delay = AUTO_DELAY_S if progress is None else 0.0
    return tqdm(total=total, desc=desc, unit=unit, delay=delay)


__all__ = [
    "AUTO_DELAY_S",
    "Bar",
    "NoBar",
    "check_progress",
    "in_jupyter",
    "progress_bar",
    "shows",
    "stderr_is_terminal",
]
