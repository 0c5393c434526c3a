# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Solana DEX data: a pool's on-chain price, DEX candles, and a spread net of pool costs
#
# Three things a DEX strategy needs that exchange candles do not give:
#
# 1. **the pool's own state**: its price and what a swap would really pay, decoded from the pool
#    account's bytes (here a real Raydium CLMM pool of wSOL, bundled under
#    `data/sample/solana/pools`);
# 2. **DEX candles** through the provider port (`soltrader data dex-ohlcv`): quota per provider,
#    failover, a parquet cache, the same validation as exchange candles;
# 3. **the spread between two venues net of costs** when one of them is a pool: its price impact,
#    fee and Solana transaction costs.
#
# Everything runs offline: the providers are asked through a local stand-in of GeckoTerminal's
# API (the same one the test suite uses), which serves the bundled Binance SOL/USDT bars as a
# pool's candles. With network access, drop the `urls=` argument and the real providers are used.

# %%
import base64
import json
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import soltrader as st

ROOT = Path.cwd().parent
POOLS = ROOT / "data" / "sample" / "solana" / "pools"


def account_bytes(name: str) -> bytes:
    """The raw data of a bundled account snapshot (as ``getAccountInfo`` returns it)."""
    data = json.loads((POOLS / name).read_text())["data"]
    return base64.b64decode(data[0] if isinstance(data, list) else data)


# %% [markdown]
# ## 1. A pool's price from its account bytes
# A Raydium CLMM pool keeps its price as `sqrt_price_x64` (a Q64.64 fixed-point square root of
# token 1 per token 0, in atomic units) and its mints' decimals. `st.dex` decodes the 1,544 bytes
# (checking the account's discriminator) and prices it exactly, as a fraction.

# %%
pool = st.dex.decode_raydium_clmm_pool(account_bytes("raydium_clmm_pool_state_account_SOL.json"))
price = st.dex.raydium_clmm_price(pool)
print(f"pool mints      {pool.token_mint_0} (decimals {pool.mint_decimals_0})")
print(f"                {pool.token_mint_1} (decimals {pool.mint_decimals_1})")
print(f"tick            {pool.tick_current}, liquidity L = {pool.liquidity:,}")
print(f"price           {price.value:.6g} token 1 per token 0 (exact: {price.exact})")
assert pool.token_mint_0 == "So11111111111111111111111111111111111111112"  # wSOL
assert price.exact == Fraction(pool.sqrt_price_x64**2, 2**128) * Fraction(
    10**pool.mint_decimals_0, 10**pool.mint_decimals_1
)

# %% [markdown]
# What would selling 0.001 and 0.01 SOL into this pool pay? The quote is the program's own integer
# arithmetic within the current tick (output rounded down, fee rounded up). The fee rate lives
# in the pool's `AmmConfig` account, which is not bundled: we take Raydium's common 0.25 % tier
# (`trade_fee_rate` 2,500 in hundredths of a basis point). A size that would leave the tick stops
# at its edge and says so (`crosses_boundary`): here 0.01 SOL is more than the current tick holds,
# so the quote covers the part that fits; walking on into the next tick needs its tick array.

# %%
spot = price.value
for lamports in (1_000_000, 10_000_000):  # 0.001 and 0.01 SOL
    quote = st.dex.raydium_clmm_quote_exact_in(pool, lamports, True, trade_fee_rate=2_500)
    paid = quote.amount_out / 10**pool.mint_decimals_1 / (quote.amount_in / 1e9)
    print(
        f"asked {lamports:>10,} lamports: used {quote.amount_in:,} (fee {quote.fee:,}), out "
        f"{quote.amount_out:,}; price {paid:.6g} ({paid / spot - 1:+.3%} vs spot), "
        f"crosses the tick: {quote.crosses_boundary}"
    )
    assert quote.amount_out > 0 and paid < spot  # a seller never gets more than the spot price
    assert quote.crosses_boundary == (quote.amount_in < lamports)  # cut at the tick's edge

# %% [markdown]
# ## 2. DEX candles through the provider port
# `DexMarketData` asks its providers in order (GeckoTerminal, then Birdeye), each behind its own
# sliding-window limiter shared by the whole process, and caches what it gets: the second request
# of the same window is answered from disk with no request at all. The stand-in serves the
# bundled Binance SOL/USDT 1h bars under a pool address.

# %%
sys.path.insert(0, str(ROOT))  # the stand-in server lives with the tests
from soltrader.adapters.dex_data import download_pool_ohlcv  # noqa: E402
from tests.dex_servers import SOL_POOL, GeckoServer  # noqa: E402

cache = Path(tempfile.mkdtemp())
since = pd.Timestamp("2025-09-01", tz="UTC").value // 1_000_000
until = pd.Timestamp("2025-11-01", tz="UTC").value // 1_000_000
async with GeckoServer() as server:
    urls = [("geckoterminal", server.base)]
    first = await download_pool_ohlcv(SOL_POOL, "1h", since, until, urls=urls, data_dir=cache)
    again = await download_pool_ohlcv(SOL_POOL, "1h", since, until, urls=urls, data_dir=cache)
print(f"first fetch:  {len(first.candles):,} candles, {first.requests} requests, {first.served_by}")
print(f"second fetch: {len(again.candles):,} candles, {again.requests} requests (the cache)")
assert again.requests == 0 and np.array_equal(first.candles, again.candles)

# %% [markdown]
# The candles are the project's OHLCV schema (prices and volume in USD), so every strategy and
# the engine run on them unchanged, e.g. momentum with its token-age filter (a token younger than
# `min_age_bars` enters only on a *momentum bypass*, at reduced size):

# %%
c = first.candles
dex = pd.DataFrame(
    {k: c[k] for k in ("open", "high", "low", "close", "volume")},
    index=pd.to_datetime(c["open_time_ms"], unit="ms", utc=True),
)
print(st.data.validate(dex, "1h"))
res = st.backtest(dex, st.strategies.momentum, min_age_bars=24 * 14, fees=0.003)
print(res.stats()[["total_return", "sharpe", "max_drawdown", "n_trades"]].to_string())
assert res.stats()["n_trades"] > 0
fig, ax = plt.subplots(figsize=(11, 3.5))
ax.plot(dex.index, dex["close"], lw=0.8)
ax.set_title("DEX pool candles (stand-in: Binance SOL/USDT 1h), close in USD")
plt.show()

# %% [markdown]
# ## 3. A spread between two venues, net of a pool's costs
# The bundled venues overlap on 2025-10-10, the October 2025 crash: Binance SOL/USDT (A, a
# centralised exchange, 0.10 % taker fee) and Gemini SOL/USD (B). We treat B as if it were a
# constant-product pool: each of its fills pays the pool's price impact for the size traded and
# a 0.25 % pool fee, and every fill pays a Solana transaction (base + priority fee + Jito tip,
# priced at SOL's close; `arbitrage_signals` charges it on both legs, so for a CEX leg the edge
# shown is slightly understated). The *net edge* of buying on one venue and selling on the other is the gross spread
# minus the round-trip cost of all four fills; an arbitrage enters only above `min_edge`.

# %%
DAY = "2025-10-10"
binance = st.data.load("SOL/USDT", "1h").loc[DAY]
gemini = st.data.candles_from_trades(st.data.load_trades("SOL/USD", DAY, exchange="gemini"), "1h")
gemini = gemini[["open", "high", "low", "close", "volume"]]
legs = [st.strategies.Bars(*(f[k].to_numpy(float) for k in f.columns)) for f in (binance, gemini)]
tx = st.costs.SolanaTxCost(priority_fee=50_000, jito_tip=100_000)  # lamports a transaction
rows = {}
for depth in (1e3, 1e4, 1e5):  # pool depth L = sqrt(x * y): about 70, 700, 7,000 SOL at $200
    sig = st.strategies.arbitrage_signals(
        *legs, size=10.0, fees_a=0.001, fees_b=0.0,
        pool_b=st.costs.AMMPool(liquidity=depth, fee=0.0025), solana=tx, min_edge=0.002,
    )  # fmt: skip
    rows[f"L = {depth:,.0f}"] = {
        "best gross spread %": 100 * np.nanmax(np.abs(sig.spread_ab)),
        "best net edge %": 100 * np.nanmax(np.maximum(sig.edge_ab, sig.edge_ba)),
        "bars with an entry": int(np.sum(np.diff(np.r_[0, sig.state != 0]) > 0)),
    }
table = pd.DataFrame(rows).T
table

# %% [markdown]
# The gross spread is the same whatever the pool; what a trade keeps depends on the pool's depth:
# a shallow pool's price impact eats the whole gap, a deep one leaves the fee and the transaction
# costs. The same functions price the arbitrage strategy's fills (`st.arbitrage_backtest`) and the
# Solana venue's cost model.

# %%
assert table["best gross spread %"].nunique() == 1
assert (table["best net edge %"].diff().dropna() >= 0).all()  # deeper pool, more edge kept
