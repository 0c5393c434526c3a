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
# # Sweeping parameters, and how much to believe the best row
#
# A sweep backtests every combination of a parameter grid. It always has a winner, and the
# winner always looks good: it was picked *because* it looked good on these very bars. This
# notebook runs a grid of `sma_cross` on the bundled Binance SOL/USDT 1h bars, draws a heatmap,
# re-runs the best row as an ordinary backtest, and then asks two questions of the sweep:
#
# * **PBO**, the probability of backtest overfitting: how often does the in-sample winner do no
#   better than an average configuration on bars it was not chosen on?
# * **Deflated Sharpe ratio**: after trying this many configurations, how likely is it that the
#   winner's true Sharpe ratio is above zero?
#
# Everything runs offline, in a few seconds.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import soltrader as st
import soltrader.engine.validation as sv

bars = st.data.load("SOL/USDT", "1h")
COSTS = {"sl_stop": 0.02, "fees": 0.001, "slippage": 0.0005}
print(f"{len(bars):,} bars, {bars.index[0]:%Y-%m-%d} to {bars.index[-1]:%Y-%m-%d}")

# %% [markdown]
# ## The sweep
# Ten fast averages (10 to 100 bars) against eight slow ones (50 to 400 bars), keeping only
# `fast < slow`: 73 combinations. The stop (2 %), fees (10 bps) and slippage (5 bps) are fixed
# for every combination. All combinations run in one parallel kernel.

# %%
sw = st.sweep(bars, st.strategies.sma_cross, fast=range(10, 101, 10), slow=range(50, 401, 50),
              constraints="fast < slow", **COSTS)
KEY = ["fast", "slow", "total_return", "sharpe", "max_drawdown", "n_trades", "fees_paid"]
print(sw)
sw.top(5)[KEY]

# %%
assert len(sw.table) == 73 and sw.complete and not sw.flat
assert (sw.table["fast"] < sw.table["slow"]).all()

# %% [markdown]
# ## A heatmap of the Sharpe ratio over the two parameters
# Look for a broad plateau rather than a single bright cell: a winner surrounded by poor
# neighbours is usually noise.

# %%
fig = sw.heatmap("fast", "slow", "sharpe")
plt.show()

# %% [markdown]
# ## The best row is an ordinary backtest
# `sw.best_params` holds the winner's swept and fixed values. Running `st.backtest` with them
# gives statistics equal to the sweep's row, to the last bit: the sweep is not an approximation.

# %%
best = sw.best()
print("best:", sw.best_params)
res = st.backtest(bars, st.strategies.sma_cross, **sw.best_params)
stats = res.stats()
columns = [c for c in sw.table.columns if c not in sw.params]
pd.DataFrame({"sweep row": best[columns], "st.backtest": stats[columns]}).loc[KEY[2:]]

# %%
for name in columns:
    row, rerun = best[name], stats[name]
    assert row == rerun or (np.isnan(row) and np.isnan(rerun)), (name, row, rerun)
assert sw.backtest(best).stats()[columns].equals(stats[columns])
print(f"all {len(columns)} statistics of the re-run equal the sweep's row")

# %% [markdown]
# ## Why the in-sample best is optimistic
# Choosing the best of 73 is a search, and a search finds luck as readily as skill. One way to
# see it: pick the winner on the bars before 2024, then look at how every configuration did on
# the bars from 2024 on. The sweep keeps each combination's daily account returns
# (`sw.returns`, days x combinations), so this needs no new backtest.

# %%
daily = sw.returns
split = pd.Timestamp("2024-01-01", tz="UTC")


def annual_sharpe(r: pd.DataFrame) -> pd.Series:
    return r.mean() / r.std() * np.sqrt(365)


is_sharpe = annual_sharpe(daily[daily.index < split])
oos_sharpe = annual_sharpe(daily[daily.index >= split])
winner = is_sharpe.idxmax()
oos_rank = int(oos_sharpe.rank(ascending=False)[winner])
print(f"winner before 2024: {sw.combos[winner]}, Sharpe {is_sharpe[winner]:.2f} in sample, "
      f"{oos_sharpe[winner]:.2f} from 2024 on (rank {oos_rank} of {len(oos_sharpe)}; "
      f"median configuration {oos_sharpe.median():.2f})")

fig, ax = plt.subplots(figsize=(6, 4))
ax.scatter(is_sharpe, oos_sharpe, s=12, label="configurations")
ax.scatter(is_sharpe[winner], oos_sharpe[winner], s=60, color="red", label="in-sample winner")
ax.axhline(0, color="grey", lw=0.5)
ax.set_xlabel("Sharpe before 2024 (chosen on)")
ax.set_ylabel("Sharpe from 2024 (not seen)")
ax.legend()
plt.show()

# %%
assert oos_sharpe[winner] < is_sharpe[winner]  # the winner's edge shrinks on unseen bars

# %% [markdown]
# The winner's Sharpe ratio falls on the bars it was not chosen on. Part of its in-sample
# score was the luck of these particular bars, and the search selected that luck. One split
# is one anecdote, though; the two figures below make the argument over many splits and over
# the number of trials.
#
# ## Probability of backtest overfitting (PBO)
# CSCV (Bailey, Borwein, López de Prado and Zhu) cuts the daily returns into 16 blocks and, for
# each of the C(16, 8) = 12,870 ways of taking half of them as "in sample", picks the best
# configuration there and ranks it on the other half.
#
# * **PBO** is the share of those splits in which the in-sample winner ranks at or below the
#   out-of-sample median. Near 0: picking the best works. Near 0.5: the pick is a coin toss.
#   Above 0.5: the best in sample tends to be worse than average out of sample.
# * **slope** of out-of-sample against in-sample Sharpe over the splits: negative means that
#   the better a configuration looks in sample, the worse it tends to do afterwards.
# * **prob_oos_loss**: how often the selected configuration loses money out of sample.

# %%
pbo = sw.pbo
print(pbo)
print(f"PBO {pbo.pbo:.2f}; degradation slope {pbo.slope:.2f}; "
      f"P(out-of-sample loss) {pbo.prob_oos_loss:.2f}")
fig, ax = plt.subplots(figsize=(6, 3))
ax.hist(pbo.logits, bins=40)
ax.axvline(0, color="red")
ax.set_xlabel("logit of the winner's out-of-sample rank (left of 0: below the median)")
ax.set_ylabel("splits")
plt.show()

# %%
again = sv.pbo_cscv(sw.returns.to_numpy(), n_splits=16, metric="sharpe")
assert again.pbo == pbo.pbo and pbo.n_combinations == 12_870
assert 0.0 <= pbo.pbo <= 1.0 and np.mean(pbo.logits <= 0) == pbo.pbo

# %% [markdown]
# ## Deflated Sharpe ratio (DSR)
# All Sharpe ratios here are **daily** (not annualised).
#
# * `sr`: the best configuration's Sharpe ratio.
# * `psr`: the probabilistic Sharpe ratio, the probability that its true Sharpe ratio is above
#   0, given the number of days, and the skewness and fat tails of its returns.
# * `sr0`: the Sharpe ratio the best of `n_trials` configurations *without any skill* would
#   reach by luck alone, given how much the trials' Sharpe ratios vary.
# * `dsr`: the probability that the true Sharpe ratio is above `sr0`. 0.95 is the usual bar.
#
# A high PSR with a lower DSR is the signature of a result that looks good partly because many
# configurations were tried. Neighbouring configurations are strongly correlated, so 73 grid
# points are fewer than 73 independent trials; giving a smaller `n_trials` shows how the
# verdict depends on that count.

# %%
dsr = sw.deflated_sharpe
print(f"best daily Sharpe {dsr.sr:.4f} (x sqrt(365) = {dsr.sr * np.sqrt(365):.2f} a year); "
      f"luck of the best of {dsr.n_trials}: {dsr.sr0:.4f}")
print(f"PSR {dsr.psr:.3f}  DSR {dsr.dsr:.3f}")
fewer = sv.deflated_sharpe_from_sweep(sw.returns.to_numpy(), n_trials=10)
print(f"as if only 10 independent trials: DSR {fewer.dsr:.3f}")

# %%
assert sv.deflated_sharpe_from_sweep(sw.returns.to_numpy()) == dsr
assert dsr.n_trials == 73 and 0.0 < dsr.sr0 < dsr.sr
assert 0.0 <= dsr.dsr <= dsr.psr <= 1.0 and fewer.dsr >= dsr.dsr

# %% [markdown]
# ## Look-ahead
# The sweep also re-computes the best combination's signals on truncated data: a decision
# that changes when the future is cut off would mean the strategy reads bars it could not have
# seen. `sw.summary()` gathers the figures of this notebook.

# %%
assert sw.lookahead.ok
sw.summary()

# %% [markdown]
# ## Reading it
# The in-sample best is the top of 73 noisy estimates, so its figures are biased upwards:
# expect less from it on new bars. The PBO says whether picking the best tends to pick an
# above-average configuration out of sample (below 0.5) or a coin toss (near 0.5); the slope,
# how much of an in-sample lead survives; the DSR, how sure we can be that the winner's edge is
# more than the luck of the search. None of them promises future returns. Next:
# `03_validation` re-optimises walk-forward and trades each choice only on later bars.
