"""Resampling of OHLCV bars to a coarser timeframe on the epoch-aligned bucket grid.

Each target bucket aggregates the source bars whose open time falls inside it: open = first,
high = max, low = min, close = last, volume = sum (summed in time order). The bucket is labelled
by its open time (:func:`soltrader.data.timeframes.bucket_start_ms`). A bucket with no source bar
produces no row: gaps stay gaps. NaN values propagate; nothing is filled or sorted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl

from soltrader.data.schema import OHLCVArrays, ohlcv_arrays, ohlcv_frame, to_polars
from soltrader.data.timeframes import bucket_start_ms, timeframe_ms, timeframe_origin_ms
from soltrader.data.validation import check_bar_times, infer_timeframe
from soltrader.domain.errors import ParameterError


def _check_multiple(target: str, source: str) -> int:
    """Bars of ``source`` per ``target`` bucket; refuses targets not built of whole source bars."""
    target_ms = timeframe_ms(target, "timeframe")
    source_ms = timeframe_ms(source, "source_timeframe")
    if target_ms % source_ms:
        raise ParameterError(
            "timeframe",
            f"{target!r} is not a whole multiple of the source timeframe {source!r}; "
            "expected a coarser timeframe made of whole source bars (e.g. 1h -> 4h)",
        )
    if (timeframe_origin_ms(target) - timeframe_origin_ms(source, "source_timeframe")) % source_ms:
        raise ParameterError(
            "timeframe",
            f"{target!r} buckets (aligned to {timeframe_origin_ms(target)} ms) do not start on "
            f"{source!r} bar boundaries; weekly buckets start on Monday, others at the epoch",
        )
    return target_ms // source_ms


def resample_arrays(
    bars: OHLCVArrays, timeframe: str, bars_per_bucket: int | None = None
) -> OHLCVArrays:
    """Aggregate sorted, on-grid bars into ``timeframe`` buckets (the array core of resample).

    Parameters
    ----------
    bars : OHLCVArrays
        Strictly increasing bar times (epoch ms) and float64 OHLCV columns.
    timeframe : str
        Target timeframe.
    bars_per_bucket : int, optional
        If given, only buckets with exactly this many source bars are kept (complete buckets).

    Returns
    -------
    OHLCVArrays
        One entry per non-empty bucket, labelled by the bucket open time (epoch ms).

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones(3)
    >>> out = resample_arrays(OHLCVArrays(np.array([0, 60_000, 120_000]), one, one * 2,
    ...                                   one, one, one), "2m")
    >>> out.ts.tolist(), out.volume.tolist()
    ([0, 120000], [2.0, 1.0])
    """
    labels = np.asarray(bucket_start_ms(bars.ts, timeframe), dtype=np.int64)
    n = labels.size
    if n == 0:
        return bars
    new_bucket = np.ones(n, dtype=bool)
    new_bucket[1:] = labels[1:] != labels[:-1]
    starts = np.flatnonzero(new_bucket)
    ends = np.append(starts[1:], n)
    out = OHLCVArrays(
        ts=labels[starts],
        open=bars.open[starts],
        high=np.maximum.reduceat(bars.high, starts),
        low=np.minimum.reduceat(bars.low, starts),
        close=bars.close[ends - 1],
        volume=np.add.reduceat(bars.volume, starts),
    )
    if bars_per_bucket is None:
        return out
    keep = (ends - starts) == bars_per_bucket
    return OHLCVArrays(*(col[keep] for col in out))


def resample(
    df: pd.DataFrame | pl.DataFrame,
    timeframe: str,
    *,
    source_timeframe: str | None = None,
    drop_partial: bool = False,
) -> pd.DataFrame | pl.DataFrame:
    """Resample OHLCV bars to a coarser timeframe on the epoch-aligned bucket grid.

    open = first, high = max, low = min, close = last, volume = sum; each bucket is labelled by
    its open time. Buckets without source bars produce no row, so gaps stay gaps. Agrees with
    the exchange's own coarser bars: Binance SOL/USDT 1h resampled to 4h equals its 4h bars bit
    for bit in O/H/L/C; volume sums of decimal amounts may differ from the exchange's in the
    last bit (a relative difference of about 1e-16).

    Parameters
    ----------
    df : pandas.DataFrame or polars.DataFrame
        Source bars (see :func:`soltrader.data.schema.ohlcv_arrays`) with strictly increasing
        times on the source grid. Prices in quote currency, volume in base units.
    timeframe : str
        Target timeframe, a whole multiple of the source's (``"4h"`` from ``"1h"``).
    source_timeframe : str, optional
        The source bars' timeframe; inferred from the most common spacing if omitted.
    drop_partial : bool, default False
        If True, keep only complete buckets: those with target/source source bars (e.g. all 4
        hours of a 4h bucket). A bucket cut by a gap or by the ends of the data is dropped.

    Returns
    -------
    pandas.DataFrame or polars.DataFrame
        The canonical OHLCV frame of the same kind as ``df`` (other columns are not kept).

    Raises
    ------
    ParameterError
        If a timeframe is invalid, the target is not a whole multiple of the source, or the
        source timeframe cannot be inferred.
    DataError
        If a bar time is duplicated, out of order or off the source grid (naming the row), or a
        column is missing.

    Examples
    --------
    >>> import numpy as np
    >>> from soltrader.data.schema import ohlcv_frame
    >>> ts = np.arange(6) * 3_600_000
    >>> px = np.arange(1.0, 7.0)
    >>> out = resample(ohlcv_frame(ts, px, px + 1, px - 1, px, np.ones(6)), "4h")
    >>> out[["open", "high", "low", "close", "volume"]].values.tolist()
    [[1.0, 5.0, 0.0, 4.0, 4.0], [5.0, 7.0, 4.0, 6.0, 2.0]]
    """
    if not isinstance(drop_partial, bool):
        raise ParameterError("drop_partial", f"expected True or False, got {drop_partial!r}")
    timeframe_ms(timeframe, "timeframe")
    if source_timeframe is not None:
        timeframe_ms(source_timeframe, "source_timeframe")
    bars = ohlcv_arrays(df)
    if bars.ts.size == 0 and source_timeframe is None:
        return _like(df, bars)
    source = infer_timeframe(bars.ts) if source_timeframe is None else source_timeframe
    per_bucket = _check_multiple(timeframe, source)
    check_bar_times(bars.ts, source)
    out = resample_arrays(bars, timeframe, per_bucket if drop_partial else None)
    return _like(df, out)


def _like(df: pd.DataFrame | pl.DataFrame, bars: OHLCVArrays) -> pd.DataFrame | pl.DataFrame:
    frame = ohlcv_frame(*bars)
    return to_polars(frame) if isinstance(df, pl.DataFrame) else frame
