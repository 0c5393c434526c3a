"""Figures and the self-contained HTML report of a backtest result.

The functions take any object shaped like :class:`soltrader.engine.Result` (``market``,
``equity``, ``trades``, ``fills``, ``stats()``, ``conventions``) and never import the engine.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

_EXIT_COLOURS = {
    "signal": "tab:red",
    "stop_loss": "tab:orange",
    "trailing_stop": "tab:orange",
    "take_profit": "tab:green",
    "partial_take_profit": "tab:olive",
    "liquidation": "black",
    "time_stop": "tab:purple",
    "reversal": "tab:red",
}


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
    fig, (ax_p, ax_e, ax_d) = plt.subplots(
        3, 1, figsize=(12, 8), sharex=True, gridspec_kw={"height_ratios": [3, 1.4, 1]}
    )
    ax_p.plot(index, market.close[:, j], color="black", lw=0.7, label=f"{name} close")
    fills = result.fills
    fills = fills[fills["asset"] == name]
    entries = fills[fills["reason"] == "entry"]
    for side, marker, colour in (("buy", "^", "tab:green"), ("sell", "v", "tab:red")):
        sub = entries[entries["side"] == side]
        ax_p.scatter(
            sub["time"],
            sub["price"],
            marker=marker,
            color=colour,
            s=28,
            zorder=3,
            label=f"entry ({side})" if len(sub) else None,
        )
    exits = fills[fills["reason"] != "entry"]
    for reason, sub in exits.groupby("reason"):
        ax_p.scatter(
            sub["time"],
            sub["price"],
            marker="x",
            s=26,
            zorder=3,
            color=_EXIT_COLOURS.get(str(reason), "tab:grey"),
            label=f"exit: {reason}",
        )
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
    return frame.to_html(
        border=0, classes="t", float_format=floatfmt.format, na_rep="", escape=True
    )


def _section(name: str, result: Any, max_trades: int) -> str:
    trades = result.trades
    shown = trades.head(max_trades).drop(columns=["entry_bar", "exit_bar"])
    note = (
        f"{len(trades):,} trades; the first {max_trades:,} are listed."
        if len(trades) > max_trades
        else f"{len(trades):,} trades."
    )
    params = getattr(result, "params", {}) or {}
    described = ", ".join(f"{k}={v}" for k, v in params.items()) or "signals"
    conventions = pd.Series(asdict(result.conventions)).to_frame("value")
    return f"""<h2>{html.escape(name)}</h2>
<p>{html.escape(described)}</p>
<img alt="{html.escape(name)}: price, equity and drawdown"
 src="data:image/png;base64,{_png(plot_result(result))}">
<details><summary>Conventions</summary>{_table(conventions)}</details>
<details><summary>Trades ({html.escape(note)})</summary>{_table(shown)}</details>
"""


def html_report(
    results: Any, path: str | Path, *, title: str = "Backtest report", max_trades: int = 5_000
) -> str:
    """Write a single self-contained HTML file: a statistics table (one column per result), and
    for each result its figure (embedded PNG), conventions and trade list (first ``max_trades``
    rows). Returns the path written.

    Parameters
    ----------
    results : Result or mapping of name -> Result
        One backtest, or several to compare on the same page.
    path : str or Path
        Output file (its folder is created).

    Examples
    --------
    >>> html_report({"sma_cross": res_a, "mean_reversion": res_b}, "report.html")  # doctest: +SKIP
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    named = dict(results) if isinstance(results, Mapping) else {"backtest": results}
    stats = pd.DataFrame({name: r.stats() for name, r in named.items()})
    first = next(iter(named.values()))
    market = first.market
    heading = (
        f"{', '.join(market.assets)}: {len(market.index):,} bars, "
        f"{market.index[0]} to {market.index[-1]}"
    )
    sections = "".join(_section(name, r, max_trades) for name, r in named.items())
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table.t {{ border-collapse: collapse; font-size: 13px; }}
table.t td, table.t th {{ padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: right; }}
img {{ max-width: 100%; }}
details {{ margin: 0.5em 0; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(heading)}</p>
<h2>Statistics</h2>
<p>Fractions, not percents; a 365-day year; fees include every cost paid.</p>
{_table(stats)}
{sections}
</body></html>
"""
    path.write_text(body, encoding="utf-8")
    return str(path)
