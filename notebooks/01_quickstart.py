# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # soltrader quickstart: real SOL data, verified indicators, a first backtest
#
# This notebook loads the bundled Binance SOL/USDT bars, checks them, computes indicators
# (batch and streaming), builds candles from a real day of trades and backtests two strategies.
# Everything runs offline.

# %%
import matplotlib.pyplot as plt
import numpy as np

import soltrader as st

bars = st.data.load("SOL/USDT", "1h")
bars.tail()

# %% [markdown]
# ## Validation
# Loading validates by default. Errors (NaN, inconsistent OHLC, duplicates, ...) raise a
# `DataError` naming the row; gaps are real exchange outages and are reported, never filled.

# %%
report = st.data.validate(bars, "1h")
print(report)
report.gaps

# %% [markdown]
# ## Indicators
# Every indicator accepts numpy, pandas or polars and returns the same kind. They agree with
# TA-Lib to 1e-9 (see the golden tests).

# %%
close = bars["close"]
bands = st.indicators.bbands(close, 20, 2.0)
strength = st.indicators.rsi(close, 14)
vol = st.indicators.realized_vol(close, 24 * 30, periods_per_year=24 * 365)
print(f"RSI now {strength.iloc[-1]:.1f}, %B {bands.percent_b.iloc[-1]:.2f}, "
      f"30-day realised vol {vol.iloc[-1]:.0%}")

# %%
fig = st.report.bands_and_rsi(bars, last=24 * 60, title="SOL/USDT 1h, last 60 days")

# %% [markdown]
# ## The streaming form gives the same numbers, one bar at a time
# This is what the live loop will call on every closed candle.

# %%
live = st.indicators.RSI(14)
streamed = np.array([live.update(x) for x in close.to_numpy()])
assert np.allclose(streamed, strength.to_numpy(), equal_nan=True, rtol=1e-12)
print("batch == streaming on", len(close), "bars")

# %% [markdown]
# ## Resampling and candles from trades
# Resampling the hourly bars to 4h reproduces Binance's own 4h candles; trades of the
# 2025-10-10 crash day (Gemini) become 15-minute candles.

# %%
four_hourly = st.data.resample(bars, "4h")
trades = st.data.load_trades("SOL/USD")
candles = st.data.candles_from_trades(trades, "15m")
ax = candles["close"].plot(title="SOL/USD 15m candles from 12,764 trades, 2025-10-10",
                          figsize=(10, 3))
ax.set_ylabel("USD")
plt.show()
len(four_hourly), len(candles)

# %% [markdown]
# ## A first backtest
# Decisions are taken at a bar's close and fill at the next bar's open (the default); the
# stop is 2 % below the fill price; 10 bps fees and 5 bps slippage on every taking fill.

# %%
res = st.backtest(bars, st.strategies.sma_cross, fast=20, slow=100, sl_stop=0.02,
                  fees=0.001, slippage=0.0005)
res.stats()[["total_return", "annualized_return", "sharpe", "max_drawdown", "n_trades",
             "win_rate", "fees_paid"]]

# %%
res.trades.tail()

# %%
fig = res.plot()

# %% [markdown]
# The same rules with vectorbt's conventions (fill at the signal bar's close, stops anchored on
# that close, no slippage on stop exits) reproduce vectorbt's `Portfolio.from_signals` exactly;
# the gap between the two runs is what those conventions are worth on this data.

# %%
same_as_vectorbt = st.backtest(bars, st.strategies.sma_cross, fast=20, slow=100, sl_stop=0.02,
                               fees=0.001, slippage=0.0005, fill="close", conventions="vectorbt")
print(f"next-open fills: {res.stats()['total_return']:+.1%}   "
      f"vectorbt conventions: {same_as_vectorbt.stats()['total_return']:+.1%}")
