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
# # soltrader strategies: the library on real SOL data, with honest costs
#
# One section per strategy: the rules in a few sentences, a backtest on the bundled Binance
# SOL/USDT 1h bars (August 2020 to January 2026) with 10 bps fees and 5 bps slippage on every
# taking fill, its key statistics and one figure. A summary table and a parameter sweep close the
# notebook. Everything runs offline.
#
# Read the numbers as what they are: a first look at default parameters on one asset, not a
# recommendation. Most of these strategies lose money here, some of them all of it.

# %%
import matplotlib.patches as mpatches
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

import soltrader as st
import soltrader.structure as ss

bars = st.data.load("SOL/USDT", "1h")
COSTS = {"fees": 0.001, "slippage": 0.0005}
KEY = [
    "total_return",
    "annualized_return",
    "sharpe",
    "max_drawdown",
    "n_trades",
    "win_rate",
    "exposure",
    "fees_paid",
]
summary: dict[str, pd.Series] = {}  # every backtest's stats(), for the table at the end


def key_stats(name: str, res: st.Result) -> pd.Series:
    """Keep the full statistics for the summary and return the key lines."""
    summary[name] = res.stats()
    return summary[name][KEY].rename(name)


print(f"{len(bars):,} bars, {bars.index[0]:%Y-%m-%d} to {bars.index[-1]:%Y-%m-%d}")

# %% [markdown]
# The warning above is the data being honest: the sample has ten real exchange outages, kept as
# gaps, never filled. As a yardstick for everything below, buying SOL on the first bar and holding
# it (same costs):

# %%
hold = np.zeros(len(bars), dtype=bool)
hold[0] = True
buy_and_hold = st.backtest_signals(bars, hold, **COSTS)
display(key_stats("buy and hold", buy_and_hold).to_frame())

# %% [markdown]
# ## sma_cross: the canonical benchmark
# Long when the fast simple moving average (20 bars) crosses above the slow one (100 bars), flat
# when it crosses back below. Decisions at a bar's close fill at the next bar's open; stops and
# costs are backtest keywords, none is used here.

# %%
res_sma = st.backtest(bars, st.strategies.sma_cross, **COSTS)
display(key_stats("sma_cross", res_sma).to_frame())

# %%
fig = res_sma.plot()

# %% [markdown]
# A long-only trend follower on an asset that rose more than fortyfold makes money; whether it beats
# holding, and at what drawdown, is the real question (see the summary). Hundreds of round trips
# also pay a lot of fees.

# %% [markdown]
# ## momentum: a strong move breaking out on a volume surge
# A confidence in [0, 1] averages three signs: the 24-bar rate of change against a 5 % threshold,
# a close above the highest high of the previous 48 bars, and volume against a 3x surge over its
# 24-bar mean. Enter long at a confidence of 0.6 or more; exit when the rate of change turns
# negative, at a stop two ATRs below, or after 48 bars. A token younger than a week trades only
# on a very strong move (+15 %, the *momentum bypass*) and then with half the cash.

# %%
res_mom = st.backtest(bars, st.strategies.momentum, **COSTS)
display(key_stats("momentum", res_mom).to_frame())

# %%
fig = res_mom.plot()

# %% [markdown]
# ## mean_reversion: buy an oversold extreme, sell the reversion
# Enter long when RSI(14) is below 30 **and** the close is more than 2 standard deviations below
# its 20-bar mean (in a market liquid enough, a filter that is off by default); exit when the
# close is back at the mean, or at a stop two ATRs below the entry. By default every entry
# commits all the cash; with `risk_fraction=0.01` each trade is sized so that the stop loses 1 %
# of the cash.

# %%
res_mr = st.backtest(bars, st.strategies.mean_reversion, **COSTS)
res_mr_risk = st.backtest(bars, st.strategies.mean_reversion, risk_fraction=0.01, **COSTS)
display(
    pd.concat(
        [
            key_stats("mean_reversion", res_mr),
            key_stats("mean_reversion, 1 % risk", res_mr_risk),
        ],
        axis=1,
    )
)

# %%
fig, ax = plt.subplots(figsize=(12, 4))
for res, label in ((res_mr, "all the cash per trade"), (res_mr_risk, "1 % risk per trade")):
    ax.plot(res.equity.index, res.equity, lw=0.9, label=label)
ax.axhline(res_mr.init_cash, color="grey", lw=0.6, ls="--")
ax.set_yscale("log")
ax.set_ylabel("equity (USDT, log scale)")
ax.set_title("mean_reversion on SOL/USDT 1h: the same trades, two sizes")
ax.legend()
plt.show()

# %% [markdown]
# Same entries and exits, so the same win rate; fixed-risk sizing only scales the losses down.
# It does not create an edge that the rules lack.

# %% [markdown]
# ## grid: buy dips and sell rallies inside a quiet range
# When the last 48 bars form a narrow range (at most 8 % wide, per-bar volatility at most 1 %) a
# grid of 6 levels is laid and frozen: each of the 3 lower levels crossed down buys one rung of
# capital, each upper level crossed up sells one rung (a partial exit of rungs sold / rungs held,
# re-arming the highest held buy level). A close 1 % beyond the range flattens everything and
# stands the grid down for 48 bars. The strategy needs
# `accumulate=True` (every rung adds to the position); `st.backtest` applies it from the
# strategy's `backtest_defaults`.

# %%
res_grid = st.backtest(bars, st.strategies.grid, **COSTS)
display(key_stats("grid", res_grid).to_frame())

# %% [markdown]
# The strategy returns signals, not its levels. To draw them, the cell below replays the two
# rules that place and remove a grid (laying and breakout, as stated in `grid_signals`) and checks
# that every entry of the backtest falls inside a grid laid this way.

# %%
p = st.strategies.grid.params
n_range, n_levels, buffer = p["range_n"], p["n_levels"], p["break_buffer"]
close = bars["close"].to_numpy()
prior_hi = bars["high"].rolling(n_range).max().shift().to_numpy()
prior_lo = bars["low"].rolling(n_range).min().shift().to_numpy()
prior_vol = np.log(bars["close"]).diff().rolling(n_range - 1).std().shift().to_numpy()
fractions = np.arange(1, n_levels + 1) / (n_levels + 1)
grids, active, resume = [], None, n_range  # each grid: [laid bar, removed bar, lo, hi]
for t in range(n_range, len(close)):
    if active is not None:
        lo, hi = active[2], active[3]
        if close[t] > hi * (1 + buffer) or close[t] < lo * (1 - buffer):
            active[1], active, resume = t, None, t + n_range + 1
    elif t >= resume:
        lo, hi = prior_lo[t], prior_hi[t]
        quiet = (hi - lo) / ((hi + lo) / 2) <= p["max_width"] and prior_vol[t] <= p["max_vol"]
        if quiet and lo <= close[t] <= hi:
            active = [t, len(close) - 1, lo, hi]
            grids.append(active)
entry_bars = res_grid.trades["entry_bar"].to_numpy()
assert all(any(g[0] < b <= g[1] for g in grids) for b in entry_bars)
print(f"{len(grids)} grids laid; every one of the {len(entry_bars)} trades started inside one")

# %%
window = bars.iloc[-24 * 60 :]
start = len(bars) - len(window)
fig, ax = plt.subplots(figsize=(12, 4.5))
ax.plot(window.index, window["close"], color="black", lw=0.8, label="close")
for laid, removed, lo, hi in grids:
    if removed < start:
        continue
    span = bars.index[[max(laid, start), removed]]
    for i, level in enumerate(lo + fractions * (hi - lo)):
        ax.hlines(level, *span, color="tab:green" if i < n_levels // 2 else "tab:red", lw=0.8)
    ax.fill_between(span, lo, hi, color="tab:blue", alpha=0.08)
fills = res_grid.fills[res_grid.fills["time"] >= window.index[0]]
for side, marker, colour in (("buy", "^", "tab:green"), ("sell", "v", "tab:red")):
    sub = fills[fills["side"] == side]
    ax.scatter(sub["time"], sub["price"], marker=marker, color=colour, s=30, zorder=3, label=side)
ax.set_title("grid: ranges (shaded), buy levels (green), sell levels (red); last 60 days")
ax.set_ylabel("USDT")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# A grid wins small and often (the win rate is above one half) and loses big when a range breaks
# down with the inventory full; at 10 bps a side, each small win is mostly fees.

# %% [markdown]
# ## smc_order_block: trade touches of order blocks
# `soltrader.structure` finds swings, breaks of structure and order blocks (the last opposite
# candle before an impulsive break), invalidated by a close beyond them and then flipped into
# breakers. Mode A buys (or sells short) at the close of a candle that touches a valid zone; mode
# B rests a limit order 20 % into the zone while price approaches. A close beyond the zone exits,
# half the position is taken at 2 ATRs and the rest trails. The rules size fresh order blocks at
# 40 % margin and 20x leverage, breakers at 30 % and 10x. Each entry carries its own leverage to
# the simulator (the signals' per-bar `leverage`), and its position keeps it for its margin and
# liquidation price: with isolated margin and no maintenance margin, a fresh-zone trade is
# liquidated 5 % against its entry and a breaker trade 10 % against it. The other backtest
# keywords the rules need (`fill="close"`, the cooldown, ...) come from the strategy's
# `backtest_defaults`.
#
# `compare_modes` runs both modes with those defaults:

# %%
modes_20x = st.compare_modes(bars, **COSTS)
display(modes_20x.loc[KEY])
for mode in ("A", "B"):
    equity = st.smc_backtest(bars, mode=mode, **COSTS).equity
    gone = equity.index[equity < 0.01 * equity.iloc[0]][0]
    print(f"mode {mode}: 99 % of the account gone by {gone:%Y-%m-%d %H:%M}, {gone - bars.index[0]}")

# %% [markdown]
# The default sizing is wiped out: a move of 5 % against a fresh-zone trade liquidates it, and
# both modes lose the whole account within the first ten days of the sample, after 8 (A) and 16
# (B) trades. That says little about the zones and everything about the leverage. With
# `sizing="percent"` (a fraction of the cash at each fill, compounding) and a moderate 2x on both
# kinds, the account survives long enough to judge the rules:

# %%
MODERATE = {"sizing": "percent", "fresh_leverage": 2.0, "breaker_leverage": 2.0}
modes_2x = st.compare_modes(bars, **MODERATE, **COSTS)
modes_2x_gross = st.compare_modes(
    bars, **MODERATE, fees=0.0, slippage=0.0
)
display(
    pd.concat(
        {"2x, with costs": modes_2x.loc[KEY], "2x, no costs": modes_2x_gross.loc[KEY]}, axis=1
    )
)

# %% [markdown]
# Not liquidated, but no better: about a thousand trades a year lose most of the account even
# before costs (the right-hand columns), and 10 bps fees plus 5 bps slippage per fill take the
# rest. The zones are drawn below for the last four days, with mode B's fills at 2x: bullish
# zones (support) in green, bearish (resistance) in red, breakers hatched; each zone spans from
# the bar that created it to the close that invalidated it.

# %%
for mode in ("A", "B"):
    summary[f"smc_order_block {mode}, 20x / 10x (default)"] = modes_20x[mode]
    summary[f"smc_order_block {mode}, 2x percent"] = modes_2x[mode]
smc_2x = st.smc_backtest(bars, mode="B", **MODERATE, **COSTS)
window = bars.iloc[-24 * 4 :]
t0, t1 = window.index[0], window.index[-1]
blocks = ss.order_blocks(bars).blocks
alive = blocks[
    (blocks["created_time"] <= t1)
    & (blocks["invalidated_time"].isna() | (blocks["invalidated_time"] >= t0))
    & (blocks["low"] <= window["high"].max())
    & (blocks["high"] >= window["low"].min())
]
fig, ax = plt.subplots(figsize=(12, 5))
ax.vlines(window.index, window["low"], window["high"], color="grey", lw=0.6)
ax.plot(window.index, window["close"], color="black", lw=0.8)
for zone in alive.itertuples():
    left = max(zone.created_time, t0)
    right = t1 if pd.isna(zone.invalidated_time) else zone.invalidated_time
    rect = mpatches.Rectangle(
        (left, zone.low),
        right - left,
        zone.high - zone.low,
        color="tab:green" if zone.direction == 1 else "tab:red",
        alpha=0.25,
        hatch="//" if zone.kind == ss.ZoneKind.BREAKER else None,
    )
    ax.add_patch(rect)
fills = smc_2x.fills[smc_2x.fills["time"] >= t0]
for side, marker, colour in (("buy", "^", "tab:green"), ("sell", "v", "tab:red")):
    sub = fills[fills["side"] == side]
    ax.scatter(sub["time"], sub["price"], marker=marker, color=colour, s=30, zorder=3, label=side)
ax.set_title(f"order blocks and mode B fills at 2x, {t0:%Y-%m-%d} to {t1:%Y-%m-%d}")
ax.set_ylabel("USDT")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# ## arbitrage: the same pair on two venues
# When venue B is dearer than venue A by more than the cost of trading both legs there and back
# (the *net edge*), buy A and sell B short on the same bar, at both closes; close both legs when
# the gap has closed, or after `max_bars`. Arbitrage needs both series at every bar, so it is not
# a `Strategy` but its own entry point, `arbitrage_backtest`.
#
# The two bundled venues overlap on one day, 2025-10-10 (the October 2025 crash): Binance
# SOL/USDT 1h bars (A), and Gemini SOL/USD 1h candles built from that day's trades (B), with USDT
# and USD taken at par. Fees are each venue's base taker fee: 0.10 % on Binance, 0.40 % on Gemini;
# the legs trade 10 SOL each, and an entry needs a net edge of 0.3 %.

# %%
DAY = "2025-10-10"
binance = bars.loc[DAY]
gemini = st.data.candles_from_trades(st.data.load_trades("SOL/USD", DAY, exchange="gemini"), "1h")
gemini = gemini[["open", "high", "low", "close", "volume"]]
ARB = {"size": 10.0, "fees_a": 0.001, "fees_b": 0.004, "min_edge": 0.003, "max_bars": 2}
res_arb = st.arbitrage_backtest(
    binance, gemini, names=("binance", "gemini"), **ARB
)
display(key_stats("arbitrage (one day)", res_arb).to_frame())
display(res_arb.trades[["asset", "direction", "entry_time", "exit_time", "entry_price", "pnl"]])

# %%
legs = [st.strategies.Bars(*(f[c].to_numpy(float) for c in f.columns)) for f in (binance, gemini)]
sig = st.strategies.arbitrage_signals(*legs, **ARB)
fig, ax = plt.subplots(figsize=(12, 4))
hours = binance.index
ax.plot(hours, 100 * sig.spread_ab, color="black", label="gross spread, Gemini over Binance")
ax.plot(hours, 100 * sig.edge_ab, color="tab:green", label="net edge: buy Binance, sell Gemini")
ax.plot(hours, 100 * sig.edge_ba, color="tab:purple", label="net edge: buy Gemini, sell Binance")
ax.axhline(100 * ARB["min_edge"], color="tab:red", ls="--", lw=0.8, label="entry threshold")
ax.axhline(0, color="grey", lw=0.6)
is_open = sig.state != 0
ax.fill_between(
    hours, 0, 1, where=is_open, step="post", transform=ax.get_xaxis_transform(), alpha=0.15
)
ax.plot([], [], color="tab:blue", alpha=0.3, lw=8, label="pair position open")
ax.set_ylabel("%")
ax.set_title(f"Binance SOL/USDT vs Gemini SOL/USD, 1h, {DAY}")
ax.legend(loc="upper left", fontsize=8)
plt.show()

# %% [markdown]
# The gaps of a crash are real, but the fills at both closes assume no latency, which is
# optimistic; `fill="next_open"` shows what one bar of delay leaves. One day of hourly bars is
# far too little to annualise anything: the Sharpe ratio in the summary is not meaningful.

# %%
late = st.arbitrage_backtest(
    binance, gemini, fill="next_open", **ARB
)
print(
    f"fills at the close: {res_arb.stats()['total_return']:+.3%}   "
    f"fills at the next open: {late.stats()['total_return']:+.3%}"
)

# %% [markdown]
# ## screener: which tokens are worth trading at all
# A vectorised filter over a universe table: a token is tradable when it is at least 3 days old,
# has at least 50,000 USD of liquidity, 100,000 USD of 24h volume and 1,000 holders, and moved
# less than 50 % in 24 hours. Below, a fixture universe of 30 fictional tokens (synthetic
# illustration data, not market data).

# %%
universe = pd.read_csv("../tests/golden/strategies/screener_universe.csv", comment="#")
screened = st.strategies.screen(universe)
print(
    f"{len(screened.tradable)} of {screened.n_universe} tokens tradable, "
    f"approval rate {screened.approval_rate:.0%}"
)
display(screened.tradable)
display(screened.summary())

# %%
fig, ax = plt.subplots(figsize=(8, 3))
counts = pd.Series(screened.rejections)
ax.barh(counts.index, counts.to_numpy(), color="tab:red", alpha=0.7)
ax.set_xlabel("tokens rejected (a token can fail several rules)")
ax.set_title(f"screener: {screened.approval_rate:.0%} of {screened.n_universe} tokens approved")
ax.invert_yaxis()
plt.show()

# %% [markdown]
# ## Summary
# Every backtest above, default parameters, 10 bps fees and 5 bps slippage (arbitrage: the two
# venues' fees, no slippage). `n_trades` counts closed trades, so buy and hold, whose one
# position is still open, shows none. The screener does not trade and has no row.

# %%
table = pd.DataFrame(summary).T[["total_return", "sharpe", "max_drawdown", "n_trades"]]
formats = {"total_return": "{:+.1%}", "sharpe": "{:.2f}", "max_drawdown": "{:.1%}"}
display(table.style.format({**formats, "n_trades": "{:,.0f}"}))

# %% [markdown]
# Only sma_cross makes money, and less than simply holding SOL, though with a smaller drawdown.
# Momentum, mean reversion and the grid lose most of the account; the order-block strategy loses
# all of it at either leverage. The arbitrage row is one day with one trade: its return is real,
# its annualised Sharpe ratio is not a statistic.

# %% [markdown]
# ## A sweep, and why its best row is not a promise
# `st.sweep` runs every combination of a parameter space (here sma_cross, fast 10..100 by 10 and
# slow 50..500 by 50, fast < slow) in one parallel kernel and ranks them by Sharpe.

# %%
sweep = st.sweep(
    bars,
    st.strategies.sma_cross,
    fast=range(10, 101, 10),
    slow=range(50, 501, 50),
    constraints="fast < slow",
    **COSTS,
)
display(sweep.top(5)[["fast", "slow", "total_return", "sharpe", "max_drawdown", "n_trades"]])
fig = sweep.heatmap("fast", "slow", "sharpe")
plt.show()
print(
    f"probability of backtest overfitting: {sweep.pbo.pbo:.0%}   "
    f"deflated Sharpe ratio of the best row: {sweep.deflated_sharpe.dsr:.3f}   "
    f"look-ahead check passed: {sweep.lookahead.ok}"
)

# %% [markdown]
# The best row is the best of 93 tries on the very data that ranks them. The probability of
# backtest overfitting (PBO) splits the history into halves in every way: it is the share of
# splits in which the configuration that was best on one half ranks below the median on the
# other. A high PBO means the ranking does not carry over. The deflated Sharpe ratio asks a
# different question, whether the best Sharpe ratio is above zero once the number of tries is
# accounted for; on an asset that rose this much a long-only rule can pass that test by riding
# the trend, which is beta, not skill. The best cell also sits on the edge of the grid (the
# slowest average tried). Validate a choice out of sample (`st.walk_forward`) before trusting it.
