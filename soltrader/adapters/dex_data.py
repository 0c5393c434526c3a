"""DEX market data behind one port: providers in failover order, a parquet cache, a universe TTL.

:class:`DexMarketData` implements :class:`soltrader.domain.ports.DexData` over providers of
:mod:`soltrader.adapters.dex_providers` (GeckoTerminal, Birdeye), tried in order: when one is
rate-limited beyond its wait budget, has its circuit breaker open, fails after its retries or
refuses (an unknown pool, a timeframe it lacks), the next one is asked. When every provider is
only rate-limited, it waits for the first to be free again (up to ``patience_s``). Bad data is
never a reason to fail over: a :class:`~soltrader.domain.errors.DataError` (its reason code
names what was wrong) is raised as it is, and nothing of that answer is stored.

Cache layout (under the store's data folder, see :func:`soltrader.adapters.store.
resolve_data_dir`), independent of the provider that filled it::

    <data_dir>/cache/dex/<network>/<pool>/<timeframe>/<year>.parquet   candles, as the store's
                                                                        year files
    <data_dir>/cache/dex/<network>/<pool>/<timeframe>/coverage.json    open-time intervals fetched
    <data_dir>/cache/dex/<network>/universe.json                       the last universe snapshot

The coverage file records which ``[lo, hi)`` open-time intervals were fetched completely (an
interval without a trade has no candle, so the candles alone cannot tell), so asking again for
what was fetched makes no request at all. An answer holding no candle at all is not recorded:
providers answer so before a pool's first trade and also for history they do not serve (older
than their plan reaches), and the two cannot be told apart; that window is asked again.

Only closed bars are fetched: ``until_ms`` is cut at the open time of the bar in progress. A
candle already cached with other values raises ``DataError`` (code ``conflict``); the writes are
atomic (temporary file, ``os.replace``). The cache is not safe for two processes writing the
same pool at the same time (two tasks of one event loop are: each page is stored without an
``await``, though two tasks asking for the same missing window both fetch it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol, Self, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from soltrader.adapters.dex_providers import (
    BIRDEYE_KEY_ENV,
    GECKO_KEY_ENV,
    Birdeye,
    CandlePage,
    DexHttpProvider,
    DexProviderError,
    DexRateLimitedError,
    GeckoTerminal,
    check_network,
    check_pool,
)
from soltrader.adapters.resilience import Provider
from soltrader.adapters.store import read_year_file, resolve_data_dir
from soltrader.data.schema import OHLCV_COLUMNS, OHLCVArrays
from soltrader.data.timeframes import bucket_start_ms, canonical_timeframe, timeframe_ms
from soltrader.domain.errors import DataError, ParameterError
from soltrader.domain.ports import TokenSnapshot, candle_dt
from soltrader.domain.secret import Secret

T = TypeVar("T")

#: Provider classes by the name ``--provider-url NAME=URL`` uses.
PROVIDERS: Mapping[str, type[DexHttpProvider]] = {
    "geckoterminal": GeckoTerminal,
    "birdeye": Birdeye,
}
#: The environment variable holding each provider's key.
KEY_ENVS: Mapping[str, str] = {"geckoterminal": GECKO_KEY_ENV, "birdeye": BIRDEYE_KEY_ENV}
_COVERAGE = "coverage.json"
_UNIVERSE = "universe.json"
_SCHEMA = pa.schema(
    [("timestamp", pa.timestamp("ms", tz="UTC"))] + [(c, pa.float64()) for c in OHLCV_COLUMNS]
)


class DexFailoverError(DexProviderError):
    """Every provider failed; ``failures`` holds each one's error, in order."""

    def __init__(self, what: str, failures: Sequence[DexProviderError]) -> None:
        self.failures = tuple(failures)
        reasons = "; ".join(str(f) for f in failures) or "no provider configured"
        super().__init__(f"no DEX provider could serve {what}: {reasons}", provider="all")


class DexSource(Protocol):
    """What :class:`DexMarketData` needs of a provider (the classes of
    :mod:`~soltrader.adapters.dex_providers` have it)."""

    name: str
    requests: int
    throttled: int

    def ohlcv_pages(
        self, pool: str, timeframe: str, since_ms: int, until_ms: int
    ) -> Any:  # an async iterator of CandlePage
        ...

    async def universe(self) -> list[TokenSnapshot]: ...

    def providers(self) -> list[Provider]: ...

    async def close(self) -> None: ...


class OhlcvFetch(NamedTuple):
    """What :meth:`DexMarketData.fetch_ohlcv` did.

    Attributes
    ----------
    candles : ndarray of candle_dt
        The candles of ``[since_ms, until_ms)``, oldest first.
    pool, timeframe : str
        The series.
    since_ms, until_ms : int
        The window served (``until_ms`` cut at the bar in progress), epoch ms.
    added : int
        Candles written to the cache by this call.
    requests : int
        HTTP requests sent by this call (0: served from the cache).
    served_by : tuple of str
        The providers whose candles were stored by this call, in order.
    gaps : int
        Bars without a candle (no trade) between the candles returned.
    folder : pathlib.Path
        The cache folder of the series.
    """

    candles: np.ndarray
    pool: str
    timeframe: str
    since_ms: int
    until_ms: int
    added: int
    requests: int
    served_by: tuple[str, ...]
    gaps: int
    folder: Path


class UniverseFetch(NamedTuple):
    """A universe snapshot, where it came from and when (``fetched_ms``, epoch ms)."""

    tokens: list[TokenSnapshot]
    source: str
    fetched_ms: int
    from_cache: bool
    requests: int


# --------------------------------------------------------------------------- coverage


def merge_intervals(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping union of half-open ``[lo, hi)`` intervals (touching ones joined).

    Examples
    --------
    >>> merge_intervals([(5, 9), (0, 3), (3, 4), (8, 12)])
    [(0, 4), (5, 12)]
    """
    out: list[tuple[int, int]] = []
    for lo, hi in sorted((int(a), int(b)) for a, b in intervals if b > a):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def missing_intervals(
    covered: Sequence[tuple[int, int]], lo: int, hi: int
) -> list[tuple[int, int]]:
    """The parts of ``[lo, hi)`` that the merged intervals ``covered`` leave out.

    Examples
    --------
    >>> missing_intervals([(0, 4), (5, 12)], 2, 15)
    [(4, 5), (12, 15)]
    """
    out, cursor = [], lo
    for a, b in covered:
        if b <= cursor or a >= hi:
            continue
        if a > cursor:
            out.append((cursor, min(a, hi)))
        cursor = max(cursor, b)
    if cursor < hi:
        out.append((cursor, hi))
    return out


def _write_atomic(path: Path, write: Callable[[str], None]) -> None:
    """Write through a temporary file in the same folder, then ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_text(path: Path, text: str) -> None:
    _write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


# --------------------------------------------------------------------------- the pool cache


def _empty() -> OHLCVArrays:
    empty = np.empty(0, dtype=np.float64)
    return OHLCVArrays(np.empty(0, dtype=np.int64), empty, empty, empty, empty, empty)


def _take(arrays: OHLCVArrays, index: np.ndarray) -> OHLCVArrays:
    return OHLCVArrays(*(col[index] for col in arrays))


def _years(ts: np.ndarray) -> np.ndarray:
    return ts.astype("datetime64[ms]").astype("datetime64[Y]").astype(np.int64) + 1970


def _iso(ms: int) -> str:
    unit = "s" if int(ms) % 1000 == 0 else "ms"
    return str(np.datetime_as_string(np.datetime64(int(ms), "ms"), unit=unit)) + "Z"


def to_records(arrays: OHLCVArrays) -> np.ndarray:
    """Candle arrays as a structured array of :data:`~soltrader.domain.ports.candle_dt`.

    Examples
    --------
    >>> one = np.array([1.0])
    >>> to_records(OHLCVArrays(np.array([0]), one, one, one, one, one))["open_time_ms"]
    array([0])
    """
    out = np.empty(len(arrays.ts), dtype=candle_dt)
    out["open_time_ms"] = arrays.ts
    for name in OHLCV_COLUMNS:
        out[name] = getattr(arrays, name)
    return out


class PoolCache:
    """The cached candles of one pool and timeframe, and the intervals fetched.

    Parameters
    ----------
    folder : pathlib.Path
        ``<data_dir>/cache/dex/<network>/<pool>/<timeframe>``.
    timeframe : str
        The candles' timeframe.

    Examples
    --------
    >>> import tempfile
    >>> cache = PoolCache(Path(tempfile.mkdtemp()), "1h")
    >>> cache.missing(0, 7_200_000)
    [(0, 7200000)]
    """

    def __init__(self, folder: Path, timeframe: str) -> None:
        self.folder = Path(folder)
        self.timeframe = timeframe

    def covered(self) -> list[tuple[int, int]]:
        """The fetched open-time intervals, merged."""
        path = self.folder / _COVERAGE
        if not path.exists():
            return []
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            return merge_intervals((int(a), int(b)) for a, b in doc["covered"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(
                f"{path}: not a coverage file ({type(exc).__name__}: {exc})", code="unreadable_file"
            ) from None

    def missing(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """The parts of ``[lo, hi)`` not fetched yet."""
        return missing_intervals(self.covered(), lo, hi)

    def add(self, page: CandlePage, label: str) -> int:
        """Store a page's candles and mark its interval fetched; the candles added.

        Raises
        ------
        DataError
            ``conflict``: a candle is already cached with other values (nothing is written).
        """
        new = page.candles
        planned, added = [], 0
        if len(new.ts):
            years = _years(new.ts)
            for year in np.unique(years):
                path = self.folder / f"{int(year)}.parquet"
                part = _take(new, years == year)
                merged, n = self._merge(path, part, label)
                planned.append((path, merged))
                added += n
        for path, arrays in planned:
            _write_atomic(path, lambda tmp, a=arrays: _write_parquet(a, tmp))
        if page.answered:  # an empty answer is asked again next time (see the module doc)
            covered = merge_intervals([*self.covered(), (page.lo_ms, page.hi_ms)])
            _write_text(self.folder / _COVERAGE, json.dumps({"covered": covered}))
        return added

    def _merge(self, path: Path, new: OHLCVArrays, label: str) -> tuple[OHLCVArrays, int]:
        """``new`` merged into the year file at ``path``: (merged, candles added)."""
        if not path.exists():
            return new, len(new.ts)
        old = read_year_file(path)
        common, i_old, i_new = np.intersect1d(old.ts, new.ts, return_indices=True)
        for name in OHLCV_COLUMNS:
            a, b = getattr(old, name)[i_old], getattr(new, name)[i_new]
            bad = np.flatnonzero(a != b)
            if bad.size:
                k = int(bad[0])
                raise DataError(
                    f"{label}: candle {_iso(int(common[k]))} is cached with {name}={a[k]!r} but "
                    f"the provider now says {name}={b[k]!r}; nothing was written",
                    code="conflict", row=int(i_new[k]), field=name,
                )  # fmt: skip
        keep = np.ones(len(old.ts), dtype=bool)
        keep[i_old] = False
        both = OHLCVArrays(*(np.concatenate([o[keep], n]) for o, n in zip(old, new, strict=True)))
        return _take(both, np.argsort(both.ts, kind="stable")), len(new.ts) - len(common)

    def read(self, lo: int, hi: int) -> OHLCVArrays:
        """The cached candles with open time in ``[lo, hi)``, oldest first."""
        if hi <= lo:
            return _empty()
        first, last = (int(y) for y in _years(np.array([lo, hi - 1], dtype=np.int64)))
        parts = [
            read_year_file(self.folder / f"{year}.parquet")
            for year in range(first, last + 1)
            if (self.folder / f"{year}.parquet").exists()
        ]
        if not parts:
            return _empty()
        arrays = OHLCVArrays(*(np.concatenate(cols) for cols in zip(*parts, strict=True)))
        return _take(arrays, (arrays.ts >= lo) & (arrays.ts < hi))


def _write_parquet(arrays: OHLCVArrays, path: str) -> None:
    table = pa.Table.from_arrays(
        [pa.array(arrays.ts, type=pa.int64()).cast(pa.timestamp("ms", tz="UTC"))]
        + [pa.array(getattr(arrays, c), type=pa.float64()) for c in OHLCV_COLUMNS],
        schema=_SCHEMA,
    )
    pq.write_table(table, path, compression="zstd")


# --------------------------------------------------------------------------- the composite


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


def _check_ms(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ParameterError(name, f"must be integer epoch milliseconds, got {value!r}")
    return int(value)


class DexMarketData:
    """DEX candles and the universe from providers in failover order, cached on disk.

    Parameters
    ----------
    sources : sequence of DexSource
        The providers, in the order they are asked (e.g. ``[GeckoTerminal(), Birdeye(...)]``).
    data_dir : str or PathLike, optional
        The data folder (see :func:`soltrader.adapters.store.resolve_data_dir`).
    network : str
        The chain, e.g. ``"solana"`` (a cache folder level).
    universe_ttl_s : float
        Seconds a universe snapshot is served from the cache.
    patience_s : float
        The longest wait, seconds, when every provider is rate-limited.
    now_ms : callable
        Wall-clock epoch milliseconds (the bar in progress, the snapshot's age).
    clock, sleep : callables
        Monotonic seconds and the wait (tests pass their own).

    Examples
    --------
    >>> import asyncio
    >>> from soltrader.domain.ports import DexData
    >>> data = DexMarketData([GeckoTerminal("http://127.0.0.1:9/api/v2")], data_dir="/tmp/d")
    >>> isinstance(data, DexData), [p.name for p in data.providers()]
    (True, ['geckoterminal'])
    >>> asyncio.run(data.close())
    """

    def __init__(
        self,
        sources: Sequence[DexSource],
        *,
        data_dir: str | os.PathLike[str] | None = None,
        network: str = "solana",
        universe_ttl_s: float = 300.0,
        patience_s: float = 120.0,
        now_ms: Callable[[], int] = _wall_ms,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if not sources:
            raise ParameterError("sources", "give at least one provider")
        self._sources = list(sources)
        self._root = resolve_data_dir(data_dir) / "cache" / "dex" / check_network(network)
        self._ttl_ms = int(float(universe_ttl_s) * 1000)
        self._patience_s = float(patience_s)
        self._now_ms, self._clock, self._sleep = now_ms, clock, sleep

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close every provider's HTTP session."""
        for source in self._sources:
            await source.close()

    def providers(self) -> list[Provider]:
        """Every provider's limiter and breaker, for the runtime's health and metrics."""
        return [p for source in self._sources for p in source.providers()]

    @property
    def requests(self) -> int:
        """HTTP requests sent by the providers since they were built."""
        return sum(source.requests for source in self._sources)

    def cache_folder(self, pool: str, timeframe: str) -> Path:
        """``<data_dir>/cache/dex/<network>/<pool>/<timeframe>``."""
        return self._root / check_pool(pool) / canonical_timeframe(timeframe)

    # -- candles ------------------------------------------------------------------------------

    async def pool_ohlcv(
        self, pool: str, timeframe: str, *, since_ms: int, until_ms: int
    ) -> np.ndarray:
        """The closed candles of ``pool`` with open time in ``[since_ms, until_ms)`` (see
        :meth:`soltrader.domain.ports.DexData.pool_ohlcv`)."""
        fetched = await self.fetch_ohlcv(pool, timeframe, since_ms=since_ms, until_ms=until_ms)
        return fetched.candles

    async def fetch_ohlcv(
        self, pool: str, timeframe: str, *, since_ms: int, until_ms: int
    ) -> OhlcvFetch:
        """Fetch what the cache lacks of ``[since_ms, until_ms)``, store it, return the window.

        Raises
        ------
        ParameterError
            A bad pool address, timeframe or bound.
        DataError
            A provider's candles break a rule (the reason code says which), or disagree with
            candles already cached (``conflict``).
        DexFailoverError
            No provider could serve the missing intervals.

        Examples
        --------
        >>> got = await data.fetch_ohlcv(pool, "1h", since_ms=t0, until_ms=t1)  # doctest: +SKIP
        >>> got.requests, len(got.candles)                                      # doctest: +SKIP
        (1, 336)
        """
        tf = canonical_timeframe(timeframe)
        lo = _check_ms("since_ms", since_ms)
        hi = min(_check_ms("until_ms", until_ms), int(bucket_start_ms(self._now_ms(), tf)))
        cache = PoolCache(self.cache_folder(pool, tf), tf)
        before = self.requests
        added, served = 0, []

        async def fill(source: DexSource) -> None:
            nonlocal added
            for gap_lo, gap_hi in cache.missing(lo, hi):
                async for page in source.ohlcv_pages(pool, tf, gap_lo, gap_hi):
                    added += cache.add(page, f"{source.name} {pool} {tf}")
                    if source.name not in served:
                        served.append(source.name)

        if cache.missing(lo, hi):
            await self._failover(f"{pool} {tf} candles", fill)
        arrays = cache.read(lo, hi)
        gaps = _gap_bars(arrays.ts, tf)
        return OhlcvFetch(
            to_records(arrays), pool, tf, lo, max(lo, hi), added, self.requests - before,
            tuple(served), gaps, cache.folder,
        )  # fmt: skip

    # -- universe -----------------------------------------------------------------------------

    async def universe(self) -> list[TokenSnapshot]:
        """The universe snapshot (see :meth:`soltrader.domain.ports.DexData.universe`)."""
        return (await self.fetch_universe()).tokens

    async def fetch_universe(self, *, refresh: bool = False) -> UniverseFetch:
        """The universe from the cache while younger than the TTL, else from the providers.

        Raises
        ------
        DataError
            A provider's list breaks its shape (``missing_field``, ``bad_value``).
        DexFailoverError
            No provider could list the universe.
        """
        now = self._now_ms()
        cached = None if refresh else self._cached_universe(now)
        if cached is not None:
            return cached
        before = self.requests
        found: dict[str, Any] = {}

        async def ask(source: DexSource) -> None:
            found["tokens"], found["source"] = await source.universe(), source.name

        await self._failover("the universe", ask)
        fetched = UniverseFetch(found["tokens"], found["source"], now, False, 0)
        doc = {
            "fetched_ms": now, "source": fetched.source,
            "tokens": [t._asdict() for t in fetched.tokens],
        }  # fmt: skip
        _write_text(self._root / _UNIVERSE, json.dumps(doc))
        return fetched._replace(requests=self.requests - before)

    def _cached_universe(self, now: int) -> UniverseFetch | None:
        path = self._root / _UNIVERSE
        if not path.exists():
            return None
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            fetched = int(doc["fetched_ms"])
            tokens = [TokenSnapshot(**t) for t in doc["tokens"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(
                f"{path}: not a universe snapshot ({type(exc).__name__}: {exc})",
                code="unreadable_file",
            ) from None
        if not 0 <= now - fetched < self._ttl_ms:
            return None
        return UniverseFetch(tokens, str(doc.get("source", "")), fetched, True, 0)

    # -- failover -----------------------------------------------------------------------------

    async def _failover(self, what: str, attempt: Callable[[DexSource], Awaitable[None]]) -> None:
        """Run ``attempt`` with each provider in order until one succeeds; when every provider
        is only rate-limited, wait for the soonest (within ``patience_s``) and go round again."""
        deadline = self._clock() + self._patience_s
        while True:
            failures: list[DexProviderError] = []
            for source in self._sources:
                try:
                    await attempt(source)
                except DexProviderError as exc:
                    failures.append(exc)
                    continue
                return
            waits = [f.retry_in_s for f in failures if isinstance(f, DexRateLimitedError)]
            if len(waits) < len(failures) or self._clock() + min(waits) > deadline:
                raise DexFailoverError(what, failures)
            await self._sleep(max(min(waits), 1e-3))


def _gap_bars(ts: np.ndarray, timeframe: str) -> int:
    """Bars missing between sorted candle open times."""
    if len(ts) < 2:
        return 0
    step = timeframe_ms(timeframe)
    return int(np.sum(np.diff(ts) // step - 1))


# --------------------------------------------------------------------------- building


def parse_provider_urls(texts: Iterable[str]) -> list[tuple[str, str]]:
    """``NAME=URL`` words as ``(name, url)`` pairs, in order.

    Raises
    ------
    ParameterError
        A word without ``=``, or a name that is not in :data:`PROVIDERS`.

    Examples
    --------
    >>> parse_provider_urls(["birdeye=http://127.0.0.1:8"])
    [('birdeye', 'http://127.0.0.1:8')]
    """
    out = []
    for text in texts:
        name, sep, url = str(text).partition("=")
        name = name.strip().lower()
        if not sep or not url.strip():
            raise ParameterError(
                "--provider-url", f"{text!r}: use NAME=URL, e.g. birdeye=https://..."
            )
        if name not in PROVIDERS:
            raise ParameterError("--provider-url", f"{name!r} is not one of {sorted(PROVIDERS)}")
        out.append((name, url.strip()))
    return out


def build_sources(
    urls: Sequence[tuple[str, str]] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> list[DexHttpProvider]:
    """The providers for :class:`DexMarketData`, keys read from the environment.

    Parameters
    ----------
    urls : sequence of (name, url), optional
        The providers and their base URLs, in failover order. Default: GeckoTerminal's public
        API, then Birdeye when ``$BIRDEYE_API_KEY`` is set.
    env : mapping, optional
        The environment (default ``os.environ``): each provider's key is read from the variable
        of :data:`KEY_ENVS` and wrapped in a :class:`~soltrader.domain.secret.Secret`.
    **kwargs
        Passed to every provider (``policy``, ``clock``, ``sleep``, ``network``, ...).

    Examples
    --------
    >>> [type(s).__name__ for s in build_sources(env={})]
    ['GeckoTerminal']
    """
    env = os.environ if env is None else env
    if urls is None:
        urls = [("geckoterminal", PROVIDERS["geckoterminal"].default_url)]
        if env.get(KEY_ENVS["birdeye"]):
            urls.append(("birdeye", PROVIDERS["birdeye"].default_url))
    sources = []
    for name, url in urls:
        value = env.get(KEY_ENVS[name])
        key = Secret(value) if value else None
        sources.append(PROVIDERS[name](url, api_key=key, **kwargs))
    return sources


@contextlib.asynccontextmanager
async def _market(urls: Sequence[tuple[str, str]] | None, data_dir: Any, **kwargs: Any) -> Any:
    async with DexMarketData(build_sources(urls), data_dir=data_dir, **kwargs) as market:
        yield market


async def download_pool_ohlcv(
    pool: str,
    timeframe: str,
    since_ms: int,
    until_ms: int,
    *,
    urls: Sequence[tuple[str, str]] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> OhlcvFetch:
    """Fetch a pool's candles into the cache with the default providers (what
    ``soltrader data dex-ohlcv`` runs).

    Examples
    --------
    >>> got = asyncio.run(download_pool_ohlcv(pool, "1h", t0, t1))  # doctest: +SKIP
    """
    async with _market(urls, data_dir) as market:
        return await market.fetch_ohlcv(pool, timeframe, since_ms=since_ms, until_ms=until_ms)


async def universe_snapshot(
    *,
    urls: Sequence[tuple[str, str]] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    refresh: bool = False,
) -> UniverseFetch:
    """The universe snapshot with the default providers (what ``soltrader data universe``
    runs).

    Examples
    --------
    >>> snap = asyncio.run(universe_snapshot())  # doctest: +SKIP
    """
    async with _market(urls, data_dir) as market:
        return await market.fetch_universe(refresh=refresh)


def describe_fetch(fetched: OhlcvFetch) -> str:
    """One line on what :meth:`DexMarketData.fetch_ohlcv` did.

    Examples
    --------
    >>> f = OhlcvFetch(np.empty(0, candle_dt), "P", "1h", 0, 3_600_000, 0, 0, (), 0, Path("c"))
    >>> for part in describe_fetch(f).split("; "):
    ...     print(part)
    P 1h: 0 candles in [1970-01-01T00:00:00Z, 1970-01-01T01:00:00Z)
    0 new, 0 HTTP requests (from the cache)
    0 bars without trades
    cache c
    """
    source = ", ".join(fetched.served_by) or "from the cache"
    return (
        f"{fetched.pool} {fetched.timeframe}: {len(fetched.candles):,} candles in "
        f"[{_iso(fetched.since_ms)}, {_iso(fetched.until_ms)}); {fetched.added:,} new, "
        f"{fetched.requests} HTTP requests ({source}); {fetched.gaps:,} bars without trades; "
        f"cache {fetched.folder}"
    )


__all__ = [
    "KEY_ENVS",
    "PROVIDERS",
    "DexFailoverError",
    "DexMarketData",
    "DexSource",
    "OhlcvFetch",
    "PoolCache",
    "UniverseFetch",
    "build_sources",
    "describe_fetch",
    "download_pool_ohlcv",
    "merge_intervals",
    "missing_intervals",
    "parse_provider_urls",
    "to_records",
    "universe_snapshot",
]
