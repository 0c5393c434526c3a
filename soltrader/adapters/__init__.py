"""soltrader.adapters: the only network and file I/O (see ARCHITECTURE.md for this ring's role).

* :mod:`soltrader.adapters.store`: the parquet store (bundled sample and download cache),
  OHLCV file reading, trades;
* :mod:`soltrader.adapters.download`: paged, retried, resumable OHLCV history with ccxt;
* :mod:`soltrader.adapters.binance_feed`: closed klines from a Binance-compatible websocket and
  REST API, without gaps (reconnects, stale-feed watchdog, backfill);
* :mod:`soltrader.adapters.resilience`: circuit breaker, sliding-window rate limiter and retry
  for the edge's calls (the feed's REST requests go through them);
* :mod:`soltrader.adapters.replay_server`: a local exchange on 127.0.0.1 that replays a file of
  bars over that protocol, with injected faults (drops, stalls, duplicates, reordering).
* :mod:`soltrader.adapters.dex_providers`: GeckoTerminal and Birdeye pool candles and token
  lists over HTTP, each with its process-wide quota, breaker and retries;
* :mod:`soltrader.adapters.dex_data`: those providers behind the ``DexData`` port, in failover
  order, with a parquet cache of pool candles and a universe snapshot kept for a few minutes.

Nothing is imported here, so importing one adapter never pulls in another's dependencies; users
reach these functions through ``soltrader.data`` (``st.data.load``, ``st.data.download``).
"""
