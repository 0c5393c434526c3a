"""Figures of the validation tools (matplotlib): walk-forward windows and out-of-sample equity,
the Monte Carlo fan chart, the PBO logit histogram and degradation scatter.

Imported on first use by the results' ``plot`` / ``fan_chart`` methods, so importing
:mod:`soltrader.engine.validation` does not import matplotlib.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch


def plot_walk_forward(result: Any) -> Figure:
    """Training (blue) and test (orange) spans of every window on a timeline, above the
    stitched out-of-sample equity and buy-and-hold over the same bars.

    Parameters
    ----------
    result : WalkForwardResult

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_walk_forward(wf)  # doctest: +SKIP
    """
    table = result.windows
    fig, (ax_w, ax_e) = plt.subplots(
        2, 1, figsize=(12, 7), sharex=True, gridspec_kw={"height_ratios": [1.2, 2]}
    )
    for y, row in enumerate(table.itertuples()):
        ax_w.plot(
            [row.train_start, row.train_end], [y, y], color="tab:blue", lw=6, solid_capstyle="butt"
        )
        ax_w.plot(
            [row.test_start, row.test_end], [y, y], color="tab:orange", lw=6, solid_capstyle="butt"
        )
    ax_w.set_yticks(range(len(table)))
    ax_w.set_yticklabels([str(f) for f in table.index])
    ax_w.invert_yaxis()
    ax_w.set_ylabel("window")
    ax_w.legend(
        handles=[Patch(color="tab:blue", label="train"), Patch(color="tab:orange", label="test")],
        loc="upper left",
    )
    ax_w.set_title(f"Walk-forward: {result.strategy}, optimising {result.metric}")
    equity = result.equity
    close = result.close.loc[equity.index]
    hold = result.init_cash * close / close.iloc[0]
    ax_e.plot(
        equity.index, equity.to_numpy(), color="tab:green", lw=1.2, label="out-of-sample equity"
    )
    ax_e.plot(hold.index, hold.to_numpy(), color="grey", lw=0.8, alpha=0.8, label="buy and hold")
    for start in table["test_start"].iloc[1:]:
        ax_e.axvline(start, color="tab:orange", lw=0.5, alpha=0.4)
    ax_e.set_ylabel("equity (quote)")
    ax_e.legend(loc="upper left")
    fig.tight_layout()
    return fig


def fan_chart(result: Any, q: Any = (0.05, 0.25, 0.5, 0.75, 0.95), *, ax: Any = None) -> Figure:
    """Equity quantile bands across Monte Carlo paths per trade, the median and the observed
    sequence.

    Parameters
    ----------
    result : MonteCarloResult
    q : sequence of float
        Quantile levels; symmetric pairs (e.g. 0.05 and 0.95) are shaded.
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = fan_chart(mc)  # doctest: +SKIP
    """
    bands = result.bands(q)
    levels = sorted(bands.columns)
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 5))
    else:
        fig = ax.figure
    x = bands.index.to_numpy()
    pairs = [(lo, hi) for lo, hi in zip(levels, levels[::-1], strict=True) if lo < hi]
    for i, (lo, hi) in enumerate(pairs):
        ax.fill_between(
            x,
            bands[lo],
            bands[hi],
            color="tab:blue",
            alpha=0.15 + 0.5 * i / max(1, len(pairs)),
            label=f"{lo:.0%}-{hi:.0%}",
            lw=0,
        )
    median = np.quantile(result.curves, 0.5, axis=0)
    ax.plot(x, median, color="tab:blue", lw=1.2, label="median")
    observed = result.init_cash * np.concatenate([[1.0], np.cumprod(1.0 + result.trade_returns)])
    ax.plot(np.arange(observed.size), observed, color="black", lw=1.0, label="observed")
    ax.axhline(
        result.ruin_level * result.init_cash,
        color="tab:red",
        lw=0.8,
        ls="--",
        label=f"ruin ({result.risk_of_ruin:.1%} of paths)",
    )
    ax.set_xlabel("trade")
    ax.set_ylabel("equity (quote)")
    ax.set_title(f"Monte Carlo ({result.method}, {result.n_paths:,} paths)")
    ax.legend(loc="upper left")
    return fig


def plot_pbo(result: Any) -> Figure:
    """Histogram of the CSCV logits (PBO = the mass at or left of 0) and the out-of-sample
    versus in-sample metric of the selected configuration with its regression line.

    Examples
    --------
    >>> fig = plot_pbo(pbo_cscv(matrix))  # doctest: +SKIP
    """
    fig, (ax_l, ax_d) = plt.subplots(1, 2, figsize=(12, 4.5))
    ax_l.hist(
        result.logits,
        bins=min(50, max(10, result.n_combinations // 20)),
        color="tab:blue",
        alpha=0.8,
    )
    ax_l.axvline(0.0, color="tab:red", lw=1)
    ax_l.set_xlabel("logit of the out-of-sample relative rank")
    ax_l.set_ylabel("combinations")
    ax_l.set_title(f"PBO = {result.pbo:.1%}")
    ax_d.scatter(result.is_performance, result.oos_performance, s=6, alpha=0.4)
    if np.isfinite(result.slope):
        xs = np.linspace(np.nanmin(result.is_performance), np.nanmax(result.is_performance), 2)
        ax_d.plot(
            xs,
            result.intercept + result.slope * xs,
            color="tab:red",
            label=f"slope {result.slope:.2f}",
        )
        ax_d.legend(loc="best")
    ax_d.axhline(0.0, color="grey", lw=0.6)
    ax_d.set_xlabel(f"in-sample {result.metric}")
    ax_d.set_ylabel(f"out-of-sample {result.metric}")
    ax_d.set_title("Performance degradation")
    fig.tight_layout()
    return fig


__all__ = ["fan_chart", "plot_pbo", "plot_walk_forward"]
