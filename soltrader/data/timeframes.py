"""Timeframe strings ("1m", "15m", "1h", "4h", "1d", "1w") and the bucket grid they define.

A timeframe is a positive count and a unit. The units are soltrader's short ones (``s``, ``m``,
``h``, ``d``, ``w``) or their pandas aliases: ``"min"`` (minutes), ``"h"``/``"H"``, ``"D"``,
``"W"`` and ``"s"``/``"S"``, so ``"5min" == "5m"``, ``"1D" == "1d"`` and ``"1W" == "1w"``
(:func:`canonical_timeframe` gives the short form). ``"ms"`` (pandas milliseconds) and ``"M"``
(months, whose length varies) are refused rather than guessed.

Bars are labelled by their **open** time in UTC. Intraday and daily buckets are aligned to the Unix
epoch (00:00 UTC), as Binance aligns them; weekly buckets start on Monday 00:00 UTC (also for
``"1W"``, which pandas anchors on Sunday week ends).
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

from soltrader.domain.errors import ParameterError

_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
#: Nanoseconds in a UTC day: ``ns // NS_PER_DAY`` is the day number of an epoch time.
NS_PER_DAY = 86_400_000_000_000
#: Unit spellings accepted besides the short ones, each mapped to its short unit.
_ALIASES = {"min": "m", "S": "s", "H": "h", "D": "d", "W": "w"}
_PATTERN = re.compile(r"^(\d+)(min|[smhdwSHDW])$")
#: Monday 1970-01-05 00:00 UTC in ms: the origin of weekly buckets.
_WEEK_ORIGIN_MS = 4 * 86_400_000


class Timeframe(NamedTuple):
    """A parsed timeframe: ``count`` bars of ``unit`` (one of ``s, m, h, d, w``)."""

    count: int
    unit: str

    @property
    def ms(self) -> int:
        """Length of one bar in milliseconds."""
        return self.count * _UNIT_MS[self.unit]

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


def parse_timeframe(timeframe: str, name: str = "timeframe") -> Timeframe:
    """Read a timeframe string, soltrader's (``"5m"``) or a pandas alias (``"5min"``).

    Parameters
    ----------
    timeframe : str
        A positive count and a unit: ``s``/``S`` seconds, ``m``/``min`` minutes, ``h``/``H``
        hours, ``d``/``D`` days, ``w``/``W`` weeks.
    name : str
        The caller's argument name, used in the error message.

    Raises
    ------
    ParameterError
        Naming ``name``, if the string is not of that form (``"1M"`` months, ``"1ms"``, ``"0h"``
        and ``"1y"`` are refused).

    Examples
    --------
    >>> parse_timeframe("15min"), parse_timeframe("1D")
    (Timeframe(count=15, unit='m'), Timeframe(count=1, unit='d'))
    """
    if not isinstance(timeframe, str):
        raise ParameterError(name, f"expected a timeframe string such as '1h', got {timeframe!r}")
    match = _PATTERN.match(timeframe.strip())
    if match is None or int(match.group(1)) == 0:
        raise ParameterError(
            name,
            f"{timeframe!r} is not a timeframe; expected a positive count and one of s, m, h, d, w "
            "(e.g. '1m', '15m', '1h', '4h', '1d', '1w') or a pandas alias ('15min', '1D', '1W'); "
            "calendar months and milliseconds are not supported",
        )
    unit = match.group(2)
    return Timeframe(int(match.group(1)), _ALIASES.get(unit, unit))


def canonical_timeframe(timeframe: str, name: str = "timeframe") -> str:
    """The short form of a timeframe: ``"5min"`` -> ``"5m"``, ``"1D"`` -> ``"1d"``.

    Examples
    --------
    >>> canonical_timeframe("1W"), canonical_timeframe(" 4h ")
    ('1w', '4h')
    """
    return str(parse_timeframe(timeframe, name))


def timeframe_ms(timeframe: str, name: str = "timeframe") -> int:
    """Length of one bar of ``timeframe`` in milliseconds.

    Parameters
    ----------
    timeframe : str
        A count and a unit: ``s`` seconds, ``m`` minutes, ``h`` hours, ``d`` days, ``w`` weeks,
        or a pandas alias (``"min"``, ``"H"``, ``"D"``, ``"W"``, ``"S"``); see
        :func:`parse_timeframe`.
    name : str
        The caller's argument name, used in the error message.

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
    >>> timeframe_ms("4h"), timeframe_ms("5min")
    (14400000, 300000)
    """
    return parse_timeframe(timeframe, name).ms


def timeframe_origin_ms(timeframe: str, name: str = "timeframe") -> int:
    """Epoch-ms instant that bucket boundaries of ``timeframe`` are aligned to.

    Examples
    --------
    >>> timeframe_origin_ms("1h"), timeframe_origin_ms("1w"), timeframe_origin_ms("1W")
    (0, 345600000, 345600000)
    """
    return _WEEK_ORIGIN_MS if parse_timeframe(timeframe, name).unit == "w" else 0


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
    tf = parse_timeframe(timeframe)
    step = tf.ms
    origin = _WEEK_ORIGIN_MS if tf.unit == "w" else 0
    return (np.asarray(ts_ms, dtype=np.int64) - origin) // step * step + origin
