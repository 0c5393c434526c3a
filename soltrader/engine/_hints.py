"""One-line hints for misspelt names: the closest known name (``difflib``) and the known ones.

Used by the messages of unknown spec keys, tables and keywords, so that every such error reads
the same way: ``<what> 'fess'; did you mean 'fees'? (known: ...)``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``name`` (``difflib.get_close_matches``, cutoff 0.6), or None.

    Examples
    --------
    >>> closest("vneue", ["venue", "window"])
    'venue'
    >>> closest("zzz", ["venue"]) is None
    True
    """
    found = difflib.get_close_matches(str(name), sorted(known), n=1)
    return found[0] if found else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest known name, or ``""`` when none is close.

    Examples
    --------
    >>> did_you_mean("fess", ["fees", "slippage"])
    "; did you mean 'fees'?"
    """
    match = closest(name, known)
    return "" if match is None else f"; did you mean {match!r}?"


def unknown(what: str, name: str, known: Iterable[str]) -> str:
    """The one-line message of an unknown ``name``: what it is, the closest known name, and all
    the known names.

    Parameters
    ----------
    what : str
        What ``name`` was taken for, e.g. ``"unknown key in [live]"``.
    name : str
        The name given.
    known : iterable of str
        The names that would have been accepted.

    Examples
    --------
    >>> unknown("unknown key in [data]", "symbl", ["symbol", "timeframe"])
    "unknown key in [data]; did you mean 'symbol'? (known: symbol, timeframe)"
    """
    names = sorted(set(known))
    return f"{what}{did_you_mean(name, names)} (known: {', '.join(names)})"


__all__ = ["closest", "did_you_mean", "unknown"]
