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
# # From a research result to a live runner
#
# The live runner trades with the functions the backtest ran: every closed bar goes through the
# strategy's signal function, the same decision core and (on the paper venue) the same fill
# model. This notebook takes a strategy from research to a running spec and checks that claim:
#
# 1. pick the strategy's parameters;
# 2. **promote** them to a live spec (a TOML file);
# 3. **replay** 600 bundled SOL/USDT 1m bars through the real live path: a local server speaking
#    Binance's kline protocol, the websocket feed, the decision core, the paper venue and the
#    SQLite journal, with `soltrader live SPEC --paper --replay FILE`;
# 4. check that the journal's orders (**intents**), fills and equity equal the backtest's;
# 5. read the journal, and operate the runner with `soltrader status`, `halt` and `resume`.
#
# Everything is written to a temporary folder and removed at the end; nothing touches the network.

# %%
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

import soltrader as st
from soltrader.engine.intents import backtest_intents, intents_csv, intents_table
from soltrader.runtime.app import journal_path, load_spec
from soltrader.runtime.journal import Journal

tmp = tempfile.TemporaryDirectory(prefix="soltrader-notebook-")
work = Path(tmp.name)
replay = st.data.load("SOL/USDT", "1m").iloc[:600]
print(f"replay: {replay.index[0]} to {replay.index[-1]} ({len(replay):,} bars)")

# %% [markdown]
# ## 1. The parameters
# `sma_cross` on 1m bars: a 10-bar average crossing a 50-bar one, a 1 % stop-loss, 10 bps fees
# and 5 bps slippage. After a sweep they would be its best row, `sw.best_params` (a dict of the
# same shape); `02_sweep` and `03_validation` show how far to trust such a row.

# %%
params = {"fast": 10, "slow": 50, "sl_stop": 0.01, "fees": 0.001, "slippage": 0.0005}
res = st.backtest(replay, st.strategies.sma_cross, **params)
res.stats()[["total_return", "n_trades", "fees_paid"]]

# %% [markdown]
# ## 2. Promote: write the live spec
# `st.promote` writes the backtest spec (`[data]`, `[strategy]`, `[params]`) plus the live
# tables: `[live]` (the paper venue by default) and `[risk]`, here a kill switch that halts
# and flattens after a 25 % drawdown. The same file runs as a backtest
# (`soltrader backtest SPEC`) and as a live runner (`soltrader live SPEC`); both validate it.
# The command line does the same with `soltrader promote --strategy sma_cross --symbol
# SOL/USDT --timeframe 1m --param fast=10 ...`.

# %%
spec_path = st.promote(st.strategies.sma_cross, params, work / "live" / "sma_cross_sol.toml",
                       symbol="SOL/USDT", timeframe="1m", risk={"kill_drawdown": 0.25})
print(spec_path.read_text())
spec = load_spec(spec_path)
assert spec.live.venue == "paper" and spec.strategy.name == "sma_cross"
assert {k: spec.params[k] for k in params} == params

# %% [markdown]
# ## 3. Replay 600 bars through the live path
# The bars go to a CSV file; `--replay` serves it from a local server on 127.0.0.1 that speaks
# Binance's REST and websocket kline protocol, and the runner consumes it exactly as it would
# the exchange. `--speed max` sends the bars as fast as the runner takes them; `--intents`
# writes every order the runner sent, as CSV. The runner prints a status line every 60 bars.

# %%
bar_file = work / "sol_1m.csv"
replay.reset_index().to_csv(bar_file, index=False)


def soltrader(*args: str) -> str:
    """Run the soltrader command with this kernel's Python; return what it printed."""
    done = subprocess.run([sys.executable, "-m", "soltrader.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=work, timeout=300,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


live_csv = work / "live_intents.csv"
out = soltrader("live", spec_path, "--paper", "--replay", bar_file, "--speed", "max",
                "--intents", live_csv)
print(out)
assert f"{len(replay)} bars decided" in out

# %% [markdown]
# ## 4. The live intents equal the backtest's
# `backtest_intents` runs the spec's strategy and keywords (`spec.backtest_kwargs()`) over
# the same bars the way `st.backtest` does (signals on the whole history, the decision core
# stepped bar by bar) and lists the orders in the same format. `soltrader backtest SPEC --data
# FILE --intents OUT.csv` writes the same table from the command line.
#
# Columns: the decision bar's open time, the side, the order kind (`market`, or `stop` for
# the protective stop), the reason (`entry`, `exit`, `stop_loss`, `cancel`, ...), the stop
# price, and the size in its unit (a fraction of cash for entries, base units for exits).

# %%
live = pd.read_csv(live_csv, dtype=str, keep_default_na=False)
ref = backtest_intents(replay, spec.strategy_spec, symbols=[spec.data.symbol],
                       **spec.backtest_kwargs())
display(live.head(6))
print(f"{len(live)} live intents, {len(ref)} backtest intents; "
      f"identical CSV text: {live_csv.read_text() == intents_csv(ref)}")

# %%
assert len(live) > 10 and list(live.columns) == list(ref.columns)
assert len(live) == len(ref)
for col in ["bar_time", "symbol", "side", "kind", "reason", "size_unit"]:
    assert (live[col] == ref[col]).all(), col
for col in ["price", "size"]:
    np.testing.assert_allclose(pd.to_numeric(live[col].replace("", np.nan)),
                               pd.to_numeric(ref[col].replace("", np.nan)),
                               rtol=1e-9, equal_nan=True, err_msg=col)
print("the live run sent the backtest's orders, row for row")

# %% [markdown]
# ## 5. Read the journal
# The runner wrote each bar, its intents, its fills and the account's equity to an SQLite
# journal beside the spec (`live/sma_cross_sol/state/journal.sqlite`), one transaction per bar.
# `Journal(path, read_only=True)` reads it while a runner may be writing. Its records are the
# simulator's own record types, so a live fill and a backtest fill are the same thing: here
# they are equal field for field, and so is the equity at every bar.

# %%
path = journal_path(spec, spec_path, None)
with Journal(path, read_only=True) as journal:
    j_bars, j_intents = journal.bars(), journal.intents()
    j_fills, j_equity, status = journal.fills(), journal.equity(), journal.status()
print(path.relative_to(work))
print(status)
display(pd.DataFrame(j_fills).head())
display(pd.DataFrame(j_equity).tail(3))

# %%
res = st.backtest(replay, spec.strategy_spec, **spec.backtest_kwargs())
assert res.stats()["total_return"] == st.backtest(replay, st.strategies.sma_cross,
                                                  **params).stats()["total_return"]
assert len(j_bars) == status.bars == len(replay) and status.intents == len(live)
assert np.array_equal(j_bars["close"], replay["close"].to_numpy())
for field in j_fills.dtype.names:
    assert np.array_equal(j_fills[field], res.fills_records[field]), field
assert np.array_equal(j_equity["equity"], res.equity.to_numpy())
assert np.array_equal(j_equity["cash"], res.cash.to_numpy())
times = j_bars["open_time_ms"].astype("int64") * 1_000_000
assert intents_csv(intents_table(j_intents, times, [spec.data.symbol])) == live_csv.read_text()
print(f"{len(j_fills)} fills and {len(j_equity)} equity values equal the backtest's")

fig, ax = plt.subplots(figsize=(9, 3))
ax.plot(replay.index, j_equity["equity"], lw=2, label="live journal")
ax.plot(res.equity.index, res.equity.to_numpy(), lw=1, ls="--", color="black", label="st.backtest")
ax.set_ylabel("equity (USDT)")
ax.legend()
plt.show()

# %% [markdown]
# ## 6. Operate it
# `soltrader status SPEC` reads the journal: bars, feed lag (here large: the replayed bars are
# from 2023), equity, position, intents and fills, and whether the runner is halted.
# `soltrader halt SPEC --reason TEXT` halts it (a running runner flattens and takes no entry),
# and the halt survives restarts until `soltrader resume SPEC`. With no runner holding the
# journal, these commands write the journal directly, where `Journal.halted()` reads them.

# %%
shown = soltrader("status", spec_path)
print(shown)
assert str(len(replay)) in shown  # the bars the journal holds
print(soltrader("halt", spec_path, "--reason", "notebook demo"))
with Journal(path, read_only=True) as journal:
    print(journal.halted())
    assert journal.halted().reason == "operator: notebook demo"
print(soltrader("resume", spec_path))
with Journal(path, read_only=True) as journal:
    assert journal.halted() is None

# %% [markdown]
# ## 7. Restart: nothing is decided twice
# Run the same command again (as after a crash or a `kill -9`): the runner rebuilds its state
# from the journal, re-deriving and checking every journalled intent, and has no bar left to
# decide. The journal is unchanged.

# %%
again = soltrader("live", spec_path, "--paper", "--replay", bar_file, "--intents", live_csv)
print(again.splitlines()[-2])
assert "0 bars decided" in again and f"{len(replay)} restored" in again
assert pd.read_csv(live_csv, dtype=str, keep_default_na=False).equals(live)

# %%
tmp.cleanup()
