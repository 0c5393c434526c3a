"""soltrader.adapters: the only network and file I/O (see ARCHITECTURE.md for this ring's role).

* :mod:`soltrader.adapters.store`: the parquet store (bundled sample and download cache),
  OHLCV file reading, trades;
* :mod:`soltrader.adapters.download`: paged, retried, resumable OHLCV history with ccxt.

Nothing is imported here, so importing one adapter never pulls in another's dependencies; users
reach these functions through ``soltrader.data`` (``st.data.load``, ``st.data.download``).
"""
