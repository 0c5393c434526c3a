"""Timeframe strings ("1m", "15m", "1h", "4h", "1d", "1w") and the bucket grid they define.

Bars are labelled by their **open** time in UTC. Intraday and daily buckets are aligned to the Unix
epoch (00:00 UTC), as Binance aligns them; weekly buckets start on Monday 00:00 UTC. Calendar months
are not supported because their length varies.
"""

from __future__ import annotations

import re

import numpy as np

from soltrader.domain.errors import ParameterError

_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_PATTERN = re.compile(r"^(\d+)([smhdw])$")
#: Monday 1970-01-05 00:00 UTC in ms: the origin of weekly buckets.
_WEEK_ORIGIN_MS = 4 * 86_400_000


def timeframe_ms(timeframe: str) -> int:
    """Length of one bar of ``timeframe`` in milliseconds.

    Parameters
    ----------
    timeframe : str
        A count and a unit: ``s`` seconds, ``m`` minutes, ``h`` hours, ``d`` days, ``w`` weeks.

    Returns
    -------
    int
        Milliseconds per bar.

    Raises
    ------
    ParameterError
        If the string is not of that form (months, ``"1M"``, are refused: their length varies).

    Examples
    --------
    >>> timeframe_ms("4h")
    14400000
    """
    if not isinstance(timeframe, str):
        raise ParameterError("timeframe", f"expected a string such as '1h', got {timeframe!r}")
    match = _PATTERN.match(timeframe.strip())
    if match is None or int(match.group(1)) == 0:
        raise ParameterError(
            "timeframe",
            f"{timeframe!r} is not a timeframe; expected a positive count and one of s, m, h, d, w "
            "(e.g. '1m', '15m', '1h', '4h', '1d', '1w'); calendar months are not supported",
        )
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def timeframe_origin_ms(timeframe: str) -> int:
    """Epoch-ms instant that bucket boundaries of ``timeframe`` are aligned to.

    Examples
    --------
    >>> timeframe_origin_ms("1h"), timeframe_origin_ms("1w")
    (0, 345600000)
    """
    return _WEEK_ORIGIN_MS if timeframe.strip().endswith("w") else 0


def bucket_start_ms(ts_ms: np.ndarray | int, timeframe: str) -> np.ndarray | int:
    """Open time (epoch ms) of the ``timeframe`` bucket containing each instant.

    Parameters
    ----------
    ts_ms : ndarray of int64 or int
        Instants in epoch milliseconds (UTC).
    timeframe : str
        Target timeframe.

    Examples
    --------
    >>> int(bucket_start_ms(1_597_129_200_000, "4h"))  # 2020-08-11 07:00 -> 04:00
    1597118400000
    """
    step = timeframe_ms(timeframe)
    origin = timeframe_origin_ms(timeframe)
    return (np.asarray(ts_ms, dtype=np.int64) - origin) // step * step + origin
