"""The error hierarchy: every problem the library reports is a subclass of :class:`Error`.

Messages name the offending argument, field or row and what was expected, so a user can fix
the input without reading the source. Nothing is silently "fixed" instead of raising.
"""

from __future__ import annotations

from typing import Any


class Error(Exception):
    """Base class of every error soltrader raises on purpose.

    Examples
    --------
    >>> import soltrader as st
    >>> issubclass(st.DataError, st.Error)
    True
    """


class SoltraderWarning(UserWarning):
    """Base class of soltrader's warnings (e.g. gaps found while loading data)."""


class InsufficientCashWarning(SoltraderWarning):
    """A backtest rejected entries because its account lacked the cash (e.g. several assets
    sharing one account, each entry sized to spend all of it); ``Result.stats()`` counts them
    as ``rejected_insufficient_cash``."""


class ParameterError(Error, ValueError):
    """An argument has the wrong type, shape or value.

    Parameters
    ----------
    name : str
        The argument's name, as the user wrote it.
    message : str
        What was wrong and what was expected.
    """

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(f"{name}: {message}")


class MissingDependencyError(Error, ImportError):
    """An optional dependency is needed for this call; the message says which extra installs it."""


class DataError(Error, ValueError):
    """Market data breaks a rule of the schema.

    Attributes
    ----------
    code : str or None
        The validation reason code (e.g. ``"high_below_low"``), when one applies.
    row : int or None
        The 0-based position of the first offending row, when one applies.
    timestamp : Any
        The timestamp of that row, when known.
    field : str or None
        The column concerned, when one applies.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        row: int | None = None,
        timestamp: Any = None,
        field: str | None = None,
    ) -> None:
        self.code = code
        self.row = row
        self.timestamp = timestamp
        self.field = field
        super().__init__(message)


class DataNotFoundError(DataError, LookupError):
    """No stored data matches the request; the message lists where it looked."""


class LateTradeError(DataError):
    """A trade arrived for a candle that was already closed (with ``late="raise"``)."""


class DownloadError(Error):
    """Downloading market data failed after every allowed retry."""
