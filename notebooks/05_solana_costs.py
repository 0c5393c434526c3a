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
# # What trading costs: a centralised exchange versus a Solana pool
#
# The same strategy, the same bars, two ways to execute:
#
# * **CEX** (e.g. Binance spot): a 10 bps taker fee and 5 bps of slippage on every fill. Both
#   are fractions of the notional, so they cost the same share of a trade at any size.
# * **Solana AMM** (a swap through a constant-product pool): the pool's fee (25 bps of the
#   input), the **price impact** of the trade against the pool's reserves (it grows with the
#   trade's size), and per transaction a base fee, a **priority fee** and a **Jito tip**, paid in
#   lamports whatever the trade's size (1 SOL = 10⁹ lamports).
#
# So which cost dominates depends on the trade's size. This notebook works it out on paper, then
# backtests `sma_cross` (the winner of `02_sweep`) on the bundled SOL/USDT 1h bars from 2024 on,
# at account sizes from $10 to $1M.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import soltrader as st
from soltrader.costs import LAMPORTS_PER_SOL, AMMPool, SolanaTxCost
from soltrader.engine.live_spec import parse_live_spec

bars = st.data.load("SOL/USDT", "1h").loc["2024-01-01":]
PARAMS = {"fast": 70, "slow": 200}  # the winner of 02_sweep
print(f"{len(bars):,} bars, {bars.index[0]:%Y-%m-%d} to {bars.index[-1]:%Y-%m-%d}, "
      f"SOL between ${bars['low'].min():.0f} and ${bars['high'].max():.0f}")

# %% [markdown]
# ## The two cost models
# `st.backtest` takes the CEX costs as `fees` and `slippage`, and the Solana ones as `amm` (an
# `AMMPool`) and `solana` (a `SolanaTxCost`). The pool's depth is `liquidity = sqrt(x * y)`
# for reserves of x SOL and y USDC: at price p the pool holds `y = liquidity * sqrt(p)`
# dollars on each side, here about $5M at $155. The transaction costs are 5,000 lamports of
# base fee, a 50,000-lamport priority fee and a 100,000-lamport Jito tip (paid only when the
# transaction lands): 155,000 lamports, about 3 cents at $200 a SOL.
#
# No stop-loss here: a swap venue executes market swaps only, and a Solana live spec refuses
# protective orders.

# %%
CEX = {"fees": 0.001, "slippage": 0.0005}
pool = AMMPool(liquidity=400_000.0, fee=0.0025)
tx = SolanaTxCost(base_fee=5_000, priority_fee=50_000, jito_tip=100_000)
SOLANA = {"amm": pool, "solana": tx}
tx_sol = tx.success_lamports / LAMPORTS_PER_SOL
print(f"per swap: {tx.success_lamports:,} lamports = {tx_sol:.6f} SOL "
      f"= ${tx_sol * 200:.3f} at $200")

# %% [markdown]
# ## On paper: the cost of one swap
# Buying with q dollars from a pool holding y dollars (fee f on the input) pays on average
# `p * (1/(1 - f) + q/y)`, p the pool's price before the trade: the fee costs `f/(1 - f)` of
# the trade and the impact `q/y`, growing linearly with size. The transaction costs are a
# fixed amount, so their share falls as `1/q`. On the CEX the share is 15 bps at every size.

# %%
price = 200.0
y = pool.liquidity * np.sqrt(price)
q = np.logspace(0, 6.5, 200)  # trade size, dollars
parts = pd.DataFrame({
    "Solana: tx fees + tip": tx_sol * price / q,
    "Solana: pool fee": np.full_like(q, pool.fee / (1 - pool.fee)),
    "Solana: price impact": q / y,
}, index=pd.Index(q, name="trade size ($)")) * 1e4
solana_bps = parts.sum(axis=1)
cex_bps = (CEX["fees"] + CEX["slippage"]) * 1e4

fig, ax = plt.subplots(figsize=(8, 4))
for name in parts:
    ax.plot(q, parts[name], lw=1, ls="--", label=name)
ax.plot(q, solana_bps, lw=2, color="black", label="Solana: total")
ax.axhline(cex_bps, lw=2, color="tab:red", label="CEX: fee + slippage")
ax.set(xscale="log", yscale="log", ylim=(0.5, 1e3), xlabel="trade size ($)",
       ylabel="cost per swap (bps)",
       title=f"One buy at {price:.0f} USDT a SOL, pool holding {y / 1e6:.1f}M USDT a side")
ax.legend(fontsize=8)
plt.show()

fixed_equals_fee = tx_sol * price / (pool.fee / (1 - pool.fee))
impact_equals_fee = pool.fee / (1 - pool.fee) * y
print(f"fixed costs exceed the pool fee below ${fixed_equals_fee:,.0f}; "
      f"impact exceeds it above ${impact_equals_fee:,.0f}")

# %% [markdown]
# Three regimes:
#
# * **tiny trades** (below about $12 here): the lamports dominate; a $1 swap costs over 3 %;
# * **the middle** (about $12 to $14k at $200 a SOL): the pool fee dominates, flat at 25 bps;
# * **large trades**: price impact dominates and grows with size; at $100k it is about 1.8 %.
#
# With these figures the CEX is cheaper at every size: its 15 bps is below the pool fee alone.
# A pool with a lower fee lowers only the middle plateau; a deeper pool pushes the impact
# regime to larger sizes; a congested network (higher priority fees and tips) widens the
# tiny-trade regime.
#
# ## In a backtest
# The strategy invests its whole account on every entry, so the account size is the trade
# size. One backtest per venue and account size, plus one without any cost as the reference.

# %%
SIZES = [10, 100, 1_000, 10_000, 100_000, 1_000_000]
opens = bars["open"].to_numpy()


def costs_of(res: st.Result) -> dict[str, float]:
    """Costs paid in dollars: fees charged per fill (exchange fee or lamports) and the price
    paid away from the bar's open (slippage, or pool fee + impact)."""
    f = res.fills
    away = f["size"] * (f["price"] - opens[f["bar"]]) * np.where(f["side"] == "buy", 1, -1)
    notional = float((f["size"] * f["price"]).sum())
    fees, price = res.fees_paid, float(away.sum())
    return {"fees_paid": fees, "price_cost": price, "notional": notional,
            "cost_bps": (fees + price) / notional * 1e4, "fills": len(f)}


rows, runs = [], {}
for cash in SIZES:
    for venue, kw in {"none": {}, "CEX": CEX, "Solana": SOLANA}.items():
        res = st.backtest(bars, st.strategies.sma_cross, **PARAMS, init_cash=cash, **kw)
        runs[venue, cash] = res
        s = res.stats()
        rows.append({"account": cash, "venue": venue, "total_return": s["total_return"],
                     "sharpe": s["sharpe"], **costs_of(res)})
table = pd.DataFrame(rows).set_index(["account", "venue"])
table.style.format({"total_return": "{:+.1%}", "sharpe": "{:.2f}", "fees_paid": "${:,.0f}",
                    "price_cost": "${:,.0f}", "notional": "${:,.0f}", "cost_bps": "{:.1f}"})

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
for venue in ["none", "CEX", "Solana"]:
    part = table.xs(venue, level="venue")
    left.plot(part.index, part["total_return"] * 100, marker="o", label=venue)
    if venue != "none":
        right.plot(part.index, part["cost_bps"], marker="o", label=venue)
left.set(xscale="log", xlabel="account ($)", ylabel="net total return (%)",
         title=f"sma_cross({PARAMS['fast']}, {PARAMS['slow']}), 2024 to 2026")
right.set(xscale="log", xlabel="account ($)", ylabel="costs per dollar traded (bps)",
          title="what each fill cost")
left.legend()
right.legend()
fig.tight_layout()
plt.show()

# %%
cex, sol, free = (table.xs(v, level="venue") for v in ("CEX", "Solana", "none"))
# without costs, and with the CEX's proportional costs, the account's size changes nothing
assert np.allclose(free["total_return"], free["total_return"].iloc[0], rtol=1e-9)
assert np.allclose(cex["total_return"], cex["total_return"].iloc[0], rtol=1e-9)
assert np.allclose(cex["cost_bps"], 15.0, rtol=1e-6) and (free["cost_bps"].abs() < 1e-9).all()
# on Solana the share of costs is U-shaped: the lamports at the small end, impact at the large
best_size = sol["cost_bps"].idxmin()
assert SIZES[0] < best_size < SIZES[-1]
assert sol["cost_bps"].iloc[-1] > 10 * sol["cost_bps"].min()
# every cost makes things worse, and at $1M the pool's impact is by far the largest cost
assert (cex["total_return"] < free["total_return"]).all()
assert (sol["total_return"] < cex["total_return"]).all()
assert sol.loc[1_000_000, "price_cost"] > 100 * sol.loc[1_000_000, "fees_paid"]
print(f"Solana costs least per dollar at a ${best_size:,} account "
      f"({sol.loc[best_size, 'cost_bps']:.1f} bps against the CEX's 15)")

# %% [markdown]
# The backtest agrees with the arithmetic. On the CEX every account size earns the same return.
# On Solana the $10 account pays a large share in lamports, the middle ones pay mostly the pool
# fee, and from about $10k the price impact takes over: the same rules that earn money on a
# small account lose most of a large one. Costs compound: every round trip pays them twice, on
# an account that each loss has made smaller.
#
# ## Checking the fills against the pool
# Each fill's price is the pool's: the first buy equals the x·y = k price of its size at the
# open it filled at, and every fill is charged the transaction costs in SOL, valued at the SOL
# price.

# %%
fills = runs["Solana", 10_000].fills
first = fills.iloc[0]
p = opens[first["bar"]]
x_res, y_res = pool.liquidity / np.sqrt(p), pool.liquidity * np.sqrt(p)
expected = y_res / ((x_res - first["size"]) * (1 - pool.fee))  # quote paid per SOL bought
print(f"first buy: {first['size']:.3f} SOL at {first['price']:.6f}; the pool's price for that "
      f"size {expected:.6f} (open {p:.2f})")
assert first["side"] == "buy" and np.isclose(first["price"], expected, rtol=1e-12)
assert np.allclose(fills["fees"] / tx_sol, fills["price"], rtol=0.05)
assert set(fills["reason"]) <= {"entry", "signal"}  # market fills only

# %% [markdown]
# ## The same costs from a live spec
# A live spec's `[solana]` table names these costs (`pool_liquidity`, `pool_fee`,
# `priority_fee_lamports`, `jito_tip_lamports`, ...) and `LiveSpec.backtest_kwargs()` turns it
# into the same keywords, so `soltrader backtest SPEC` and the paper runner charge what this
# notebook charged.

# %%
spec = parse_live_spec({
    "data": {"symbol": "SOL/USDT", "timeframe": "1h"},
    "strategy": {"name": "sma_cross"},
    "params": PARAMS,
    "solana": {
        "base_mint": "So11111111111111111111111111111111111111112",  # wrapped SOL
        "quote_mint": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",  # USDC
        "base_decimals": 9, "quote_decimals": 6,
        "pool_liquidity": 400_000.0, "pool_fee": 0.0025,
        "priority_fee_lamports": 50_000, "jito_tip_lamports": 100_000,
    },
})
kw = spec.backtest_kwargs()
print({k: v for k, v in kw.items() if k in ("amm", "solana")})
assert kw["amm"] == pool and kw["solana"] == tx
from_spec = st.backtest(bars, spec.strategy_spec, **kw)
assert from_spec.equity.equals(runs["Solana", 10_000].equity)
