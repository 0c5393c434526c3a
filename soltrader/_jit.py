"""Compile time of the kernels that call many others: each part optimised once, where it is used.

Numba compiles every ``@njit`` function into its own LLVM module, then links the modules of the
functions it calls into it and optimises the result in full. A deep tree of calls (the replay
kernel calls the busy bar, which calls the fill phase, which calls ``_exit``, ...) has every
function's code optimised in full once per level above it; in soltrader that was about a fifth
of a first backtest's compile time.

A *part* (:func:`part`) is a kernel that only other kernels call. When it is compiled for a
caller, its module gets the cheap level of numba's module passes (numba's own function passes
still run on it); the kernel a Python call reaches optimises the linked whole in full, as before,
so the machine code it runs is optimised as much as it was. A part called from Python directly is
compiled as any kernel. The switch is numba's ``NUMBA_OPT`` level, set around that one module's
optimisation under numba's compiler lock; :func:`install` applies it, and does nothing if numba's
internals it wraps are not there (compiling then takes longer, nothing else changes).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from numba import njit

#: The Python functions of the parts (see :func:`part`).
PARTS: set[Callable[..., Any]] = set()
_COMPILING: contextvars.ContextVar[tuple[bool, ...]] = contextvars.ContextVar(
    "soltrader_compiling", default=()
)
_installed = False
#: Modules optimised since :func:`install`: ``cheap`` (parts compiled for a caller), ``full``.
OPTIMISED = {"cheap": 0, "full": 0}


def part(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``numba.njit(cache=True, **options)`` for a kernel only other kernels call.

    Parameters
    ----------
    **options
        numba's ``njit`` options (e.g. ``_nrt=False``); ``cache=True`` unless given.

    Returns
    -------
    callable
        A decorator returning the numba dispatcher.

    Examples
    --------
    >>> @part(cache=False)
    ... def _twice(x):
    ...     return 2.0 * x
    >>> _twice.py_func in PARTS
    True
    """
    options.setdefault("cache", True)

    def decorate(func: Callable[..., Any]) -> Any:
        PARTS.add(func)
        return njit(**options)(func)

    return decorate


def install() -> bool:
    """Make parts compiled for a caller skip numba's full module optimisation (idempotent).

    Returns
    -------
    bool
        Whether numba has the internals this wraps (False: nothing was changed).

    Examples
    --------
    >>> install() in (True, False)
    True
    """
    global _installed
    if _installed:
        return True
    try:
        from numba.core import codegen, config, dispatcher

        compile_ = dispatcher.Dispatcher.compile
        optimize = codegen.CPUCodeLibrary._optimize_final_module
    except (ImportError, AttributeError):
        return False

    def compile_tracked(self: Any, sig: Any) -> Any:
        is_part = getattr(self, "py_func", None) in PARTS
        token = _COMPILING.set((*_COMPILING.get(), is_part))
        try:
            return compile_(self, sig)
        finally:
            _COMPILING.reset(token)

    def optimize_once(self: Any) -> Any:
        stack = _COMPILING.get()
        if len(stack) < 2 or not stack[-1]:  # not a part, or compiled for a Python call
            OPTIMISED["full"] += 1
            return optimize(self)
        OPTIMISED["cheap"] += 1
        level = config.OPT
        config.OPT = 0  # read when numba builds the pass managers (under its compiler lock)
        try:
            return optimize(self)
        finally:
            config.OPT = level

    dispatcher.Dispatcher.compile = compile_tracked
    codegen.CPUCodeLibrary._optimize_final_module = optimize_once
    _installed = True
    return True
