"""A local Binance-like REST server serving historical bars, with fault injection.

Serves the two public endpoints ccxt's ``binance.fetch_ohlcv`` uses on a spot market:

* ``GET /api/v3/exchangeInfo``: one trading symbol with ``PRICE_FILTER`` and ``LOT_SIZE`` filters;
* ``GET /api/v3/klines``: query ``symbol``, ``interval``, ``startTime``, ``endTime``, ``limit``;
  rows ``[open_ms, "o", "h", "l", "c", "v", close_ms, "quote_vol", trades, "taker_base",
  "taker_quote", "0"]`` with numbers as strings, as Binance sends them.

Faults, counted over klines requests only (1-based): answer 429 with a ``Retry-After`` header on
the requests in ``fail_429_on``; close the socket without any response on the requests in
``drop_on`` and on every request from ``drop_from`` on. Every request is recorded.

It binds 127.0.0.1 on a random port, runs in a daemon thread and is a context manager::

    with BinanceServer(bars, drop_on={3}) as server:
        exchange = server.ccxt_exchange()
        exchange.fetch_ohlcv("SOL/USDT", "1h", since=0, limit=500)
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd

from soltrader.data.timeframes import timeframe_ms

API_PREFIX = "https://api.binance.com/api/v3"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 500


@dataclass(frozen=True)
class Request:
    """One request the server received: path, query parameters (first values), outcome."""

    path: str
    params: dict[str, str]
    outcome: str  # "ok", "429", "dropped" or "error"
    number: int  # 1-based klines request number, 0 for other paths

    @property
    def start_time(self) -> int | None:
        """The ``startTime`` query parameter in epoch ms, if sent."""
        value = self.params.get("startTime")
        return None if value is None else int(value)


def _num(value: float) -> str:
    """Shortest string that reads back as exactly ``value`` (Binance-style decimal, no exponent)."""
    return np.format_float_positional(value, trim="-")


def exchange_info(symbol: str, base: str, quote: str) -> dict[str, Any]:
    """The exchangeInfo document for one spot symbol."""
    return {
        "timezone": "UTC",
        "serverTime": 0,
        "rateLimits": [],
        "exchangeFilters": [],
        "symbols": [
            {
                "symbol": symbol,
                "status": "TRADING",
                "baseAsset": base,
                "baseAssetPrecision": 8,
                "quoteAsset": quote,
                "quotePrecision": 8,
                "quoteAssetPrecision": 8,
                "orderTypes": ["LIMIT", "MARKET"],
                "icebergAllowed": True,
                "ocoAllowed": True,
                "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": False,
                "permissions": ["SPOT"],
                "permissionSets": [["SPOT"]],
                "filters": [
                    {
                        "filterType": "PRICE_FILTER",
                        "minPrice": "0.01000000",
                        "maxPrice": "10000.00000000",
                        "tickSize": "0.01000000",
                    },
                    {
                        "filterType": "LOT_SIZE",
                        "minQty": "0.00100000",
                        "maxQty": "9000000.00000000",
                        "stepSize": "0.00100000",
                    },
                ],
            }
        ],
    }


class BinanceServer:
    """Serve ``bars`` (canonical OHLCV frame of one timeframe) as a Binance spot market.

    Parameters
    ----------
    bars : pandas.DataFrame
        Canonical OHLCV frame (UTC DatetimeIndex of bar open times, float64 columns).
    symbol, base, quote : str
        Exchange symbol id and its assets.
    fail_429_on : iterable of int
        Klines request numbers (1-based) answered with HTTP 429 and ``Retry-After``.
    retry_after : str
        The ``Retry-After`` header value sent with a 429 (seconds, as a string).
    drop_on : iterable of int
        Klines request numbers whose connection is closed without a response.
    drop_from : int or None
        Every klines request from this number on is dropped (settable while running).
    """

    def __init__(
        self,
        bars: pd.DataFrame,
        *,
        symbol: str = "SOLUSDT",
        base: str = "SOL",
        quote: str = "USDT",
        fail_429_on: tuple[int, ...] | set[int] = (),
        retry_after: str = "2",
        drop_on: tuple[int, ...] | set[int] = (),
        drop_from: int | None = None,
    ) -> None:
        self.symbol = symbol
        self.info = exchange_info(symbol, base, quote)
        self.ts = (bars.index.asi8 // 1_000_000).astype(np.int64)
        self.rows = bars[["open", "high", "low", "close", "volume"]].to_numpy(dtype=np.float64)
        self.fail_429_on = set(fail_429_on)
        self.retry_after = retry_after
        self.drop_on = set(drop_on)
        self.drop_from = drop_from
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._klines_count = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> BinanceServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close the socket and join the thread."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._httpd is None:
            raise RuntimeError("server is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/api/v3``."""
        return f"http://127.0.0.1:{self.port}/api/v3"

    def ccxt_exchange(self, *, rate_limit_ms: int = 1, timeout_ms: int = 3000) -> Any:
        """A real ``ccxt.binance`` client whose spot REST API points at this server."""
        import ccxt

        exchange = ccxt.binance(
            {"options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False}}
        )
        for key, url in list(exchange.urls["api"].items()):
            if isinstance(url, str) and API_PREFIX in url:
                exchange.urls["api"][key] = url.replace(API_PREFIX, self.base_url)
        exchange.rateLimit = rate_limit_ms
        exchange.timeout = timeout_ms
        return exchange

    # -- what was asked --------------------------------------------------------------------------
    def klines_requests(self, outcome: str | None = None) -> list[Request]:
        """Recorded klines requests, optionally only those with the given outcome."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path.endswith("/klines") and (outcome is None or r.outcome == outcome)
            ]

    def served_start_times(self) -> list[int]:
        """``startTime`` of every klines request answered with data (outcome ``"ok"``)."""
        return [r.start_time for r in self.klines_requests("ok") if r.start_time is not None]

    # -- answers ---------------------------------------------------------------------------------
    def decide(self, path: str, params: dict[str, str]) -> tuple[str, int]:
        """Record the request and return its outcome and klines number."""
        with self._lock:
            number = 0
            outcome = "ok"
            if path.endswith("/klines"):
                self._klines_count += 1
                number = self._klines_count
                if number in self.drop_on or (
                    self.drop_from is not None and number >= self.drop_from
                ):
                    outcome = "dropped"
                elif number in self.fail_429_on:
                    outcome = "429"
                elif params.get("symbol") != self.symbol:
                    outcome = "error"
            self.requests.append(Request(path, params, outcome, number))
            return outcome, number

    def klines(self, params: dict[str, str]) -> list[list[Any]]:
        """The rows Binance would return: ``limit`` bars from ``startTime``, else the latest."""
        step = timeframe_ms(params["interval"])
        limit = min(int(params.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
        hi = len(self.ts)
        if "endTime" in params:
            hi = int(np.searchsorted(self.ts, int(params["endTime"]), side="right"))
        if "startTime" in params:
            lo = int(np.searchsorted(self.ts, int(params["startTime"]), side="left"))
            hi = min(hi, lo + limit)
        else:
            lo = max(0, hi - limit)
        return [_kline_row(int(self.ts[i]), self.rows[i], step) for i in range(lo, hi)]


def _kline_row(open_ms: int, ohlcv: np.ndarray, step: int) -> list[Any]:
    """One Binance kline: open time, OHLCV as strings, close time, quote volume, trades, ..."""
    o, h, low, c, v = (float(x) for x in ohlcv)
    return [
        open_ms, _num(o), _num(h), _num(low), _num(c), _num(v), open_ms + step - 1,
        _num(v * c), 100, _num(v / 2), _num(v * c / 2), "0",
    ]  # fmt: skip


def _make_handler(server: BinanceServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            outcome, _ = server.decide(parts.path, params)
            if outcome == "dropped":
                self.close_connection = True
                self.connection.close()
                return
            if outcome == "429":
                self._send(
                    429,
                    {"code": -1003, "msg": "Too many requests."},
                    {"Retry-After": server.retry_after},
                )
                return
            if parts.path == "/api/v3/exchangeInfo":
                self._send(200, server.info)
            elif parts.path == "/api/v3/klines" and outcome == "error":
                self._send(400, {"code": -1121, "msg": "Invalid symbol."})
            elif parts.path == "/api/v3/klines":
                self._send(200, server.klines(params))
            else:
                self._send(404, {"code": -1, "msg": f"no route {parts.path}"})

    return Handler
