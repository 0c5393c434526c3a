"""The innermost ring: errors, enums, record dtypes and ports. Imports numpy and the stdlib only."""

from soltrader.domain.errors import (
    DataError,
    DataNotFoundError,
    DownloadError,
    Error,
    LateTradeError,
    MissingDependencyError,
    ParameterError,
    SoltraderWarning,
)

__all__ = [
    "DataError",
    "DataNotFoundError",
    "DownloadError",
    "Error",
    "LateTradeError",
    "MissingDependencyError",
    "ParameterError",
    "SoltraderWarning",
]
