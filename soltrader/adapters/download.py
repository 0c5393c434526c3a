"""Download OHLCV history with ccxt into the parquet cache: paged, retried, resumable.

Conventions decided here
------------------------
* **What is fetched**: closed bars whose open time is in ``[since, until)`` (``until`` defaults to
  now, and is capped at now): a bar is stored only once its close time (open + timeframe) is at
  or before that bound, so a still-forming bar is never cached.
* **Resume**: bars already cached are not fetched again. With a cached range ``[first, last]`` only
  ``[since, first)`` (if ``since`` is earlier) and ``[last + 1 bar, until)`` are requested. Holes
  *inside* the cached range are taken as the exchange's own gaps and are not re-requested.
* **Pages** of ``limit`` bars are requested with ``fetch_ohlcv(symbol, timeframe, since=cursor,
  limit=limit)`` and written to the cache as each arrives, so an interrupted download keeps
  everything fetched so far and the next call continues from there.
* **Retries**: ``ccxt.NetworkError`` (timeouts, dropped connections, HTTP 429/418 as
  ``RateLimitExceeded``/``DDoSProtection``, exchange unavailable) is retried up to ``max_retries``
  times. The wait is the response's ``Retry-After`` header when present (honoured as sent: seconds
  or an HTTP date, not capped), else exponential backoff with full jitter,
  ``uniform(0, min(max_delay, base_delay * 2**(attempt - 1)))`` seconds. Any other ccxt error
  (``BadSymbol``, ``ExchangeError``, ...) fails at once. ccxt's own rate limiter stays enabled.
"""

from __future__ import annotations

import email.utils
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from soltrader.adapters.store import (
    TimeLike,
    cache_extent,
    display_symbol,
    load,
    resolve_data_dir,
    symbol_dir,
    to_epoch_ms,
    write_cache,
)
from soltrader.data.schema import OHLCVArrays, ohlcv_frame
from soltrader.data.timeframes import bucket_start_ms, canonical_timeframe, timeframe_ms
from soltrader.domain.errors import (
    DataNotFoundError,
    DownloadError,
    MissingDependencyError,
    ParameterError,
)

_MESSAGE_CHARS = 300


def _ccxt() -> Any:
    try:
        import ccxt
    except ImportError as exc:
        raise MissingDependencyError(
            "downloading needs the ccxt package: pip install 'soltrader[live]'"
        ) from exc
    return ccxt


def make_exchange(exchange_id: str) -> Any:
    """A ccxt client for ``exchange_id`` with ccxt's rate limiter enabled.

    Raises
    ------
    MissingDependencyError
        If ccxt is not installed.
    ParameterError
        If ``exchange_id`` is not a ccxt exchange id.

    Examples
    --------
    >>> make_exchange("binance").id  # doctest: +SKIP
    'binance'
    """
    ccxt = _ccxt()
    if exchange_id not in getattr(ccxt, "exchanges", ()):
        raise ParameterError(
            "exchange_id",
            f"{exchange_id!r} is not a ccxt exchange id; expected e.g. 'binance', 'kraken', 'okx'",
        )
    return getattr(ccxt, exchange_id)({"enableRateLimit": True})


def _seconds_or_none(text: str) -> float | None:
    """``Retry-After`` as delta seconds, or None when it is not a number (an HTTP date)."""
    try:
        return float(text)
    except ValueError:
        return None


def retry_after_seconds(headers: Mapping[str, Any] | None, now_s: float) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header (delta seconds or HTTP date).

    Parameters
    ----------
    headers : mapping or None
        Response headers (any key case).
    now_s : float
        Current time in epoch seconds, for the HTTP-date form.

    Returns
    -------
    float or None
        The wait in seconds (never negative), or ``None`` without a readable header.

    Examples
    --------
    >>> retry_after_seconds({"retry-after": "3"}, 0.0)
    3.0
    """
    if not headers:
        return None
    value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    if value is None:
        return None
    text = str(value).strip()
    seconds = _seconds_or_none(text)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now_s)


class _Fetcher:
    """Calls ``fetch_ohlcv`` with retries, backoff and ``Retry-After``."""

    def __init__(
        self,
        client: Any,
        label: str,
        *,
        max_retries: int,
        base_delay: float,
        max_delay: float,
        seed: int | None,
        sleep: Callable[[float], Any],
    ) -> None:
        self.client = client
        self.label = label
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.rng = random.Random(seed)
        self.sleep = sleep
        self.ccxt = _ccxt()

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        hinted = retry_after_seconds(
            getattr(self.client, "last_response_headers", None), time.time()
        )
        if hinted is not None:
            return hinted
        cap = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return self.rng.uniform(0.0, cap)

    def fail(self, cursor: int, attempt: int, exc: BaseException, why: str) -> DownloadError:
        text = str(exc)[:_MESSAGE_CHARS]
        error = DownloadError(
            f"{self.label}: fetch_ohlcv since {pd.Timestamp(cursor, unit='ms', tz='UTC')} "
            f"(cursor {cursor} ms) failed after {attempt} attempt(s), {why}: "
            f"{type(exc).__name__}: {text}"
        )
        error.cursor_ms = cursor
        error.attempts = attempt
        return error

    def fetch(self, symbol: str, timeframe: str, cursor: int, limit: int) -> list[list[Any]]:
        attempt = 0
        while True:
            attempt += 1
            if hasattr(self.client, "last_response_headers"):
                self.client.last_response_headers = None
            try:
                return self.client.fetch_ohlcv(symbol, timeframe, since=cursor, limit=limit)
            except self.ccxt.NetworkError as exc:
                if attempt > self.max_retries:
                    raise self.fail(cursor, attempt, exc, "retries exhausted") from exc
                self.sleep(self.delay(attempt))
            except self.ccxt.BaseError as exc:
                raise self.fail(cursor, attempt, exc, "not retryable") from exc


def _page_arrays(rows: list[list[Any]], label: str, cursor: int) -> OHLCVArrays:
    """ccxt rows ``[ts_ms, open, high, low, close, volume]`` as arrays (None becomes NaN)."""
    try:
        ts = np.array([row[0] for row in rows], dtype=np.int64)
        values = np.array([row[1:6] for row in rows], dtype=np.float64).reshape(len(rows), 5)
    except (TypeError, ValueError, IndexError) as exc:
        raise DownloadError(
            f"{label}: malformed OHLCV rows in the page since {cursor} ms ({exc})"
        ) from exc
    return OHLCVArrays(ts, *(values[:, k].copy() for k in range(5)))


def _segments(
    first_open: int, end_ms: int, step: int, extent: tuple[int, int] | None
) -> Iterator[tuple[int, int]]:
    """``(from_open, stop_open)`` ranges still to fetch; bars must also close by ``end_ms``."""
    stop = end_ms - step + 1  # open times below this close at or before end_ms
    if extent is None:
        if first_open < stop:
            yield first_open, stop
        return
    cached_first, cached_last = extent
    if first_open < cached_first:
        head_stop = min(cached_first, stop)
        if first_open < head_stop:
            yield first_open, head_stop
    tail = max(first_open, cached_last + step)
    if tail < stop:
        yield tail, stop


def _progress(total: int, label: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="bar", desc=label, disable=not enabled, leave=False)


def _fetch_segment(
    fetcher: _Fetcher,
    where: tuple[str, str, str, Path],
    segment: tuple[int, int],
    step: int,
    limit: int,
    bar: Any,
) -> None:
    """Fetch bars with open time in ``segment`` page by page, caching each page."""
    exchange_id, symbol, timeframe, root = where
    cursor, stop = segment
    while cursor < stop:
        rows = fetcher.fetch(symbol, timeframe, cursor, limit)
        if not rows:
            return
        page = _page_arrays(rows, fetcher.label, cursor)
        newest = int(page.ts.max())
        if newest < cursor:
            raise DownloadError(
                f"{fetcher.label}: the exchange answered a request since "
                f"{pd.Timestamp(cursor, unit='ms', tz='UTC')} with older bars only (newest "
                f"{pd.Timestamp(newest, unit='ms', tz='UTC')}); it does not honour `since`"
            )
        keep = (page.ts >= cursor) & (page.ts < stop)
        kept = OHLCVArrays(*(col[keep] for col in page))
        write_cache(kept, exchange_id, symbol, timeframe, root)
        bar.update(int(keep.sum()))
        cursor = newest + step


def _check_args(limit: int, max_retries: int, base_delay: float, max_delay: float) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ParameterError("limit", f"expected a positive integer (bars per page), got {limit!r}")
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ParameterError("max_retries", f"expected an integer >= 0, got {max_retries!r}")
    for name, value in (("base_delay", base_delay), ("max_delay", max_delay)):
        if not isinstance(value, int | float) or not np.isfinite(value) or value < 0:
            raise ParameterError(name, f"expected a finite number of seconds >= 0, got {value!r}")


def _bounds(since: TimeLike, until: TimeLike | None) -> tuple[int, int, int]:
    """``(since_ms, until_ms, end_ms)``: ``end_ms`` caps ``until`` at now (closed bars only)."""
    now_ms = int(time.time() * 1000)
    since_ms = to_epoch_ms(since, "since")
    until_ms = now_ms if until is None else to_epoch_ms(until, "until")
    if until_ms <= since_ms:
        raise ParameterError("until", f"must be after since ({since!r}), got {until!r}")
    return since_ms, until_ms, min(until_ms, now_ms)


def _plan(where: tuple[str, str, str, Path], since_ms: int, end_ms: int) -> list[tuple[int, int]]:
    """Open-time ranges to fetch: what ``[since, end)`` needs beyond the cached range."""
    exchange_id, market, timeframe, root = where
    step = timeframe_ms(timeframe)
    first_open = int(bucket_start_ms(since_ms + step - 1, timeframe))
    extent = cache_extent(exchange_id, market, timeframe, root)
    cached = None if extent is None else (extent[0].value // 10**6, extent[1].value // 10**6)
    return list(_segments(first_open, end_ms, step, cached))


def _fetch_all(
    fetcher: _Fetcher,
    where: tuple[str, str, str, Path],
    segments: list[tuple[int, int]],
    limit: int,
    progress: bool,
) -> None:
    """Fetch every segment, with one progress bar (bars done / bars expected without gaps)."""
    step = timeframe_ms(where[2])
    total = sum((stop - start + step - 1) // step for start, stop in segments)
    with _progress(total, fetcher.label, progress) as bar:
        for segment in segments:
            _fetch_segment(fetcher, where, segment, step, limit, bar)


def download(
    exchange_id: str,
    symbol: str,
    timeframe: str,
    since: TimeLike,
    until: TimeLike | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    exchange: Any = None,
    limit: int = 1000,
    max_retries: int = 6,
    base_delay: float = 1.0,
    max_delay: float = 60.0,
    progress: bool = True,
    seed: int | None = None,
    sleep: Callable[[float], Any] = time.sleep,
) -> pd.DataFrame:
    """Download closed OHLCV bars into the cache and return the cached series in ``[since, until)``.

    Parameters
    ----------
    exchange_id : str
        ccxt exchange id; also names the cache folder (``data/cache/<exchange_id>/...``).
    symbol : str
        ccxt unified symbol, ``"SOL/USDT"`` (``"SOL-USDT"`` is accepted too).
    timeframe : str
        Bar length, e.g. ``"1m"``, ``"1h"``.
    since, until : str, datetime, Timestamp or int epoch ms
        Open-time bounds, inclusive/exclusive; ``until`` defaults to now and is capped at now.
    data_dir : str or PathLike, optional
        The data folder (see :func:`soltrader.adapters.store.resolve_data_dir`).
    exchange : ccxt.Exchange, optional
        A pre-built client (e.g. pointed at a test server); default
        ``getattr(ccxt, exchange_id)({"enableRateLimit": True})``.
    limit : int
        Bars requested per page.
    max_retries : int
        Retries of one page after a ``ccxt.NetworkError`` (so ``max_retries + 1`` attempts).
    base_delay, max_delay : float
        Backoff in seconds: full jitter on ``min(max_delay, base_delay * 2**(attempt - 1))``.
    progress : bool
        Show a tqdm progress bar (bars done / bars expected without gaps).
    seed : int, optional
        Seed of the jitter, for reproducible waits.
    sleep : callable
        Called with the seconds to wait between retries (tests pass a recorder).

    Returns
    -------
    pandas.DataFrame
        The canonical frame of the cached bars in ``[since, until)`` (including bars cached by
        earlier calls), validated like :func:`soltrader.adapters.store.load`: gaps stay gaps and
        raise one ``SoltraderWarning``. Empty if the exchange has no bars there.

    Raises
    ------
    DownloadError
        A non-retryable ccxt error, or retries exhausted; the message names the symbol, the cursor
        time and the attempt count, also kept as the error's ``cursor_ms`` and ``attempts``
        attributes. Pages fetched before the failure stay cached.
    MissingDependencyError
        ccxt is not installed (``pip install 'soltrader[live]'``).
    ParameterError
        Bad symbol, timeframe, bounds or retry settings.
    DataError
        The exchange sent bars off the timeframe grid, or bars conflicting with cached ones.

    Examples
    --------
    >>> bars = download("binance", "SOL/USDT", "1h", since="2024-01-01")  # doctest: +SKIP
    >>> bars.index[-1] < pd.Timestamp.now(tz="UTC")                        # doctest: +SKIP
    True
    """
    timeframe = canonical_timeframe(timeframe)  # ccxt and the cache folders use "1d", not "1D"
    market = display_symbol(symbol_dir(symbol))  # ccxt's unified form, "SOL/USDT"
    _check_args(limit, max_retries, base_delay, max_delay)
    root = resolve_data_dir(data_dir)
    since_ms, until_ms, end_ms = _bounds(since, until)
    where = (exchange_id, market, timeframe, root)
    segments = _plan(where, since_ms, end_ms)
    if segments:
        fetcher = _Fetcher(
            make_exchange(exchange_id) if exchange is None else exchange,
            f"{exchange_id} {market} {timeframe}",
            max_retries=max_retries,
            base_delay=base_delay,
            max_delay=max_delay,
            seed=seed,
            sleep=sleep,
        )
        _fetch_all(fetcher, where, segments, limit, progress)
    try:
        return load(
            market,
            timeframe,
            exchange=exchange_id,
            start=since_ms,
            end=until_ms,
            data_dir=root,
            source="cache",
        )
    except DataNotFoundError:
        return ohlcv_frame(np.empty(0, dtype=np.int64), *[np.empty(0)] * 5)
