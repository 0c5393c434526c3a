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
# # Validation: is the backtest telling the truth?
#
# A single backtest answers "what would these rules have earned on these bars". This notebook
# asks the harder questions, each with one tool of `soltrader.engine.validation`:
#
# | question | tool |
# | --- | --- |
# | Re-optimised monthly on the past, what would I have earned the next month? | `walk_forward` |
# | Which bars may I train on without seeing the test bars? | `purged_kfold` |
# | How much of my equity curve is the luck of the order of my trades? | `monte_carlo` |
# | Are the returns stationary, normal, independent? | `adf`, `jarque_bera`, `ljung_box` |
# | Does the strategy read bars it could not have seen? | `lookahead_check` |
# | Will the live loop, on its window of bars, decide the same? | `window_check` |
#
# Everything runs offline on the bundled Binance SOL/USDT 1h bars, from 2023 on.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

import soltrader as st
import soltrader.engine.validation as sv

bars = st.data.load("SOL/USDT", "1h")
recent = bars.loc["2023-01-01":]
strat = st.strategies.sma_cross
COSTS = {"sl_stop": 0.02, "fees": 0.001, "slippage": 0.0005}
print(f"{len(recent):,} bars, {recent.index[0]:%Y-%m-%d} to {recent.index[-1]:%Y-%m-%d}")

# %% [markdown]
# ## Walk-forward optimisation
# Every 30 days: backtest the six combinations of the grid on the previous 180 days, keep the
# best by Sharpe ratio, and trade it on the next 30 days only. The 30-day test runs are then
# stitched into one out-of-sample equity curve. Indicators are warmed up on the bars before
# each window, but every window starts flat with the stitched account.
#
# In the window table, `is_metric` is the winner's Sharpe ratio on its training bars and
# `oos_metric` on the 30 days that followed. The gap between the two is the optimism of
# choosing on the past; parameters that jump from window to window say the optimum is noise.

# %%
space = {"fast": [10, 20, 40], "slow": [100, 200]}
wf = sv.walk_forward(recent, strat, space, train="180D", test="30D", **COSTS)
print(wf)
wf.windows[["train_start", "test_start", "test_end", "fast", "slow", "is_metric", "oos_metric",
            "oos_return"]].head(8)

# %%
static = st.sweep(recent, strat, **space, **COSTS)
KEY = ["total_return", "sharpe", "max_drawdown", "n_trades"]
compare = pd.DataFrame({"walk-forward (out of sample)": wf.stats()[KEY],
                        "best of the grid, chosen on all bars": static.best()[KEY]})
print(f"mean Sharpe of the chosen combination: {wf.windows['is_metric'].mean():.2f} in training, "
      f"{wf.windows['oos_metric'].mean():.2f} in the following 30 days")
compare

# %%
fig = wf.plot()
plt.show()

# %%
# the stitched trades add up to the stitched equity; every test window starts after its training
assert np.isclose(wf.trades["pnl"].sum(), wf.equity.iloc[-1] - wf.init_cash, rtol=1e-9)
assert all(w.train.stop <= w.test.start for w in wf.splits)
assert (wf.windows["train_end"] < wf.windows["test_start"]).all()
# choosing on the past is optimistic: the winners do worse on the bars that follow
assert wf.windows["oos_metric"].mean() < wf.windows["is_metric"].mean()
assert wf.stats()["sharpe"] < static.best()["sharpe"]

# %% [markdown]
# The walk-forward figures are the honest ones: each month was traded with parameters chosen
# before it. The "best of the grid" column was chosen knowing every bar, which no trader can.
#
# ## Splits that do not leak: purge and embargo
# A trade decided near the end of a training window is still open when the test window starts:
# its outcome belongs to both. **Purging** drops the training bars whose outcome reaches into the
# test bars; an **embargo** drops a few more after the test bars, because neighbouring bars are
# alike. `walk_forward_windows` only ever trains before its test; with `purge` its training
# window ends earlier and the test windows stay where they were.

# %%
plain = sv.walk_forward_windows(recent.index, "180D", "30D")
purged = sv.walk_forward_windows(recent.index, "180D", "30D", purge=48, embargo=24)
for a, b in zip(plain, purged, strict=True):
    assert a.test == b.test and b.train.stop == a.train.stop - 72
sv.windows_table(purged).head(3)

# %% [markdown]
# **Purged K-fold cross-validation** (López de Prado, *Advances in Financial Machine Learning*,
# ch. 7) uses every part of the history as a test fold once, training on the rest, before *and*
# after it. Here the observations are days: the daily returns of a 73-combination sweep. A
# trade's outcome is known only when it closes, so each day carries a label horizon: 95 % of
# this strategy's trades close within `horizon` days. The days within the horizon of a test fold
# are purged from its training set, and `embargo` days after it too.
#
# In every fold: choose the combination with the best Sharpe ratio on the training days, then
# score it on the test fold, next to the median combination and to the best one in hindsight.

# %%
sw = st.sweep(recent, strat, fast=range(10, 101, 10), slow=range(50, 401, 50),
              constraints="fast < slow", **COSTS)
held = sw.backtest(sw.best()).trades
horizon = int(np.ceil((held["exit_time"] - held["entry_time"]).quantile(0.95) / pd.Timedelta("1D")))
daily = sw.returns
embargo = 2
folds = sv.purged_kfold(daily.index, 6, label_horizon=horizon, embargo=embargo)
print(f"label horizon {horizon} days, {len(daily)} days, {daily.shape[1]} combinations")
display(sv.windows_table(folds))


def annual_sharpe(r: pd.DataFrame) -> pd.Series:
    return r.mean() / r.std() * np.sqrt(365)


rows = []
for fold in folds:
    train, test = annual_sharpe(daily.iloc[fold.train]), annual_sharpe(daily.iloc[fold.test])
    pick = train.idxmax()
    rows.append({"test_start": fold.test_start, "chosen": sw.combos[pick],
                 "train_sharpe": train[pick], "test_sharpe": test[pick],
                 "test_median": test.median(), "test_best_in_hindsight": test.max()})
cv = pd.DataFrame(rows)
cv

# %%
n = len(daily)
for fold in folds:
    a, b = fold.test.start, fold.test.stop
    banned = np.arange(max(0, a - horizon), min(n, b + horizon + embargo))
    assert not np.isin(fold.train, banned).any()  # nothing near the test fold is trained on
assert sum(f.test.stop - f.test.start for f in folds) == n  # every day is tested once
assert cv["test_sharpe"].mean() < cv["train_sharpe"].mean()
print(f"chosen combination: mean Sharpe {cv['train_sharpe'].mean():.2f} on training days, "
      f"{cv['test_sharpe'].mean():.2f} on test folds (median combination "
      f"{cv['test_median'].mean():.2f})")

# %% [markdown]
# ## Monte Carlo of the out-of-sample trades
# The walk-forward run made a sequence of trades. Had the same trades come in another order,
# the end would be the same (each trade compounds the whole account) but the path, and so the
# drawdown, would not. `method="shuffle"` permutes the observed trades; `method="bootstrap"`
# draws as many trades with replacement, so the *mix* of trades varies too.
#
# * `p95_max_drawdown`: the drawdown to plan for, rather than the one observed.
# * `prob_worse_drawdown`: how often a random order is worse than what happened; a high
#   figure means the observed order was kind.
# * `risk_of_ruin`: the share of paths that ever lose half the account (`ruin_level=0.5`).
# * `prob_loss` (bootstrap): how often a draw of these trades ends below the start.
#
# Neither method keeps streaks or regimes: the trades are treated as independent (the
# Ljung-Box test below checks that assumption).

# %%
trades = wf.trades["return"]
shuffled = sv.monte_carlo(trades, n_paths=2_000, method="shuffle", seed=7)
boot = sv.monte_carlo(trades, n_paths=2_000, method="bootstrap", seed=7)
pd.DataFrame({"shuffle": shuffled.summary(), "bootstrap": boot.summary()})

# %%
fig = boot.fan_chart()
plt.show()

# %%
# the observed order ends where the walk-forward equity ends; shuffling moves only the path
assert np.isclose(shuffled.observed_final_equity, wf.equity.iloc[-1], rtol=1e-9)
assert np.allclose(shuffled.final_equity, shuffled.observed_final_equity, rtol=1e-9)
# a seed gives the same paths, and the first paths do not depend on how many are drawn
assert np.array_equal(sv.monte_carlo(trades, n_paths=500, seed=7).final_equity,
                      boot.final_equity[:500])
assert 0.0 <= boot.risk_of_ruin <= 1.0 and boot.quantiles().shape[0] > 0

# %% [markdown]
# ## Statistical tests on returns
# The usual confidence figures (a Sharpe ratio's standard error, a normal VaR) assume returns
# that are stationary, normal and independent. Four tests, on three years of daily SOL returns
# (the daily bars are the hourly ones resampled). Each result's `conclusion` says in a sentence
# what its p-value means.
#
# | test | null hypothesis | a rejection means |
# | --- | --- | --- |
# | `adf` | unit root | stationary: fluctuates around a stable level |
# | `jarque_bera` | skewness 0, kurtosis 3 | fat tails: normal-based confidence is overstated |
# | `ljung_box` | no autocorrelation at lags 1..L | past returns inform the next ones |
# | `ljung_box(squared=True)` | same, on squared returns | volatility clusters |

# %%
days = st.data.resample(recent, "1D")
tests = sv.return_tests(days["close"].pct_change().dropna(), lags=10)
for name, row in tests.iterrows():
    print(f"{name:18s} p={row['pvalue']:.2g}  {row['conclusion']}")

# %%
# stationary, fat-tailed and volatility-clustered (whether the returns themselves are
# autocorrelated depends on the bar size: hourly ones are, slightly)
assert tests.loc[["adf", "jarque_bera", "ljung_box_squared"], "reject"].all()
prices = sv.adf(days["close"])
print(prices.conclusion)
assert not prices.pvalue < 0.05  # the price itself wanders: test returns, not prices
on_trades = sv.ljung_box(trades, lags=10)
print("walk-forward trades:", on_trades.conclusion)

# %% [markdown]
# Fat tails are why the deflated Sharpe ratio of `02_sweep` uses the skewness and kurtosis of
# the returns; volatility clustering is why a Monte Carlo of independent trades can understate
# losing streaks. The last line tests the walk-forward trades themselves: if their returns are
# autocorrelated, read the Monte Carlo bands above as too narrow.
#
# ## Look-ahead and the live window
# `lookahead_check` recomputes the strategy's decisions on data cut after many bars: a decision
# that changes when the future is removed used the future. `window_check` recomputes them on
# only the newest `window` bars, as the live loop does, and finds the smallest window that
# gives the same decisions (SMA(100) needs 101 bars: the average and the bar before it).

# %%
ahead = sv.lookahead_check(strat, recent, params={"fast": 20, "slow": 100})
window = sv.window_check(strat, bars.iloc[-3_000:], 500, n_bars=30,
                         params={"fast": 20, "slow": 100})
print(ahead)
print(window)
assert ahead.ok and window.ok and window.smallest == 101
