"""Figures and the self-contained HTML report of a backtest result.

The functions take any object shaped like :class:`soltrader.engine.Result` (``market``,
``equity``, ``trades``, ``fills``, ``stats()``, ``conventions``) and never import the engine.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import asdict
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

_EXIT_COLOURS = {"signal": "tab:red", "stop_loss": "tab:orange", "trailing_stop": "tab:orange",
                 "take_profit": "tab:green", "partial_take_profit": "tab:olive",
                 "liquidation": "black", "time_stop": "tab:purple", "reversal": "tab:red"}


def plot_result(result: Any, *, asset: str | None = None) -> Figure:
    """Price with entries (triangles up / down for long / short) and exits coloured by reason,
    then equity, then drawdown.

    Parameters
    ----------
    result : Result
        A backtest result.
    asset : str, optional
        Which asset's price to draw (default: the first).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_result(res)  # doctest: +SKIP
    """
    market = result.market
    name = asset if asset is not None else market.assets[0]
    j = market.assets.index(name)
    index = market.index
    fig, (ax_p, ax_e, ax_d) = plt.subplots(3, 1, figsize=(12, 8), sharex=True,
                                           gridspec_kw={"height_ratios": [3, 1.4, 1]})
    ax_p.plot(index, market.close[:, j], color="black", lw=0.7, label=f"{name} close")
    fills = result.fills
    fills = fills[fills["asset"] == name]
    entries = fills[fills["reason"] == "entry"]
    for side, marker, colour in (("buy", "^", "tab:green"), ("sell", "v", "tab:red")):
        sub = entries[entries["side"] == side]
        ax_p.scatter(sub["time"], sub["price"], marker=marker, color=colour, s=28, zorder=3,
                     label=f"entry ({side})" if len(sub) else None)
    exits = fills[fills["reason"] != "entry"]
    for reason, sub in exits.groupby("reason"):
        ax_p.scatter(sub["time"], sub["price"], marker="x", s=26, zorder=3,
                     color=_EXIT_COLOURS.get(str(reason), "tab:grey"), label=f"exit: {reason}")
    ax_p.set_ylabel("price")
    lo, hi = np.nanmin(market.low[:, j]), np.nanmax(market.high[:, j])
    if lo > 0 and hi / lo > 10.0:
        ax_p.set_yscale("log")
    ax_p.legend(loc="upper left", fontsize=8)
    ax_p.grid(alpha=0.3)
    equity = result.equity
    ax_e.plot(equity.index, equity.to_numpy(), color="tab:blue", lw=0.9)
    ax_e.axhline(result.init_cash, color="grey", lw=0.6, ls="--")
    ax_e.set_ylabel("equity")
    ax_e.grid(alpha=0.3)
    peak = np.maximum.accumulate(np.maximum(equity.to_numpy(), result.init_cash))
    drawdown = equity.to_numpy() / peak - 1.0
    ax_d.fill_between(equity.index, drawdown * 100.0, 0.0, color="tab:red", alpha=0.4)
    ax_d.set_ylabel("drawdown %")
    ax_d.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _table(frame: pd.DataFrame, *, floatfmt: str = "{:,.6g}") -> str:
    return frame.to_html(border=0, classes="t", float_format=floatfmt.format, na_rep="",
                         escape=True)


def html_report(result: Any, path: str | Path, *, title: str = "Backtest report",
                max_trades: int = 5_000) -> str:
    """Write a single self-contained HTML file: statistics, conventions, the figure (embedded
    PNG) and the trade list (first ``max_trades`` rows). Returns the path written.

    Examples
    --------
    >>> html_report(res, "backtests/demo/report.html")  # doctest: +SKIP
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stats = result.stats().to_frame("value")
    conventions = pd.Series(asdict(result.conventions)).to_frame("value")
    trades = result.trades
    shown = trades.head(max_trades)
    note = (f"<p>{len(trades):,} trades; the first {max_trades:,} are listed.</p>"
            if len(trades) > max_trades else f"<p>{len(trades):,} trades.</p>")
    market = result.market
    heading = (f"{', '.join(market.assets)}: {len(market.index):,} bars, "
               f"{market.index[0]} to {market.index[-1]}")
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table.t {{ border-collapse: collapse; font-size: 13px; }}
table.t td, table.t th {{ padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: right; }}
.row {{ display: flex; gap: 3em; align-items: flex-start; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(heading)}</p>
<div class="row"><div><h2>Statistics</h2>{_table(stats)}</div>
<div><h2>Conventions</h2>{_table(conventions)}</div></div>
<h2>Price, equity and drawdown</h2>
<img alt="price, equity and drawdown" src="data:image/png;base64,{_png(plot_result(result))}">
<h2>Trades</h2>{note}{_table(shown.drop(columns=["entry_bar", "exit_bar"]))}
</body></html>
"""
    path.write_text(body, encoding="utf-8")
    return str(path)
