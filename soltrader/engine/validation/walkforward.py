"""Walk-forward optimisation: optimise on each training window, trade the winner on the test
window that follows, and stitch the out-of-sample results into one equity curve.

How a window is evaluated (training and test alike, see :func:`evaluate`): the strategy's
signal function runs on the window's bars **plus the bars before it** (``warmup``; all earlier
bars by default), so that indicators are warm when the window opens -- exactly what a live
runner with history would compute. Only the decisions inside the window are kept, and the
simulation (fills, P&L, equity) runs on the window's bars alone: it starts flat with
``init_cash`` at the window's first bar. Earlier bars inform indicators, never positions.

Stitching: each test window's per-bar returns (its first bar against ``init_cash``) are chained,
``equity_t = init_cash * prod(1 + r)``, as if the account had carried its capital from window
to window. A position still open at the end of a test window is valued at that window's last
close without an exit fee, and the next window starts flat: it is closed there as a trade with
exit reason ``window_end`` (at that close, no exit fee), so the trades' P&L adds up to the
stitched equity's change.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from soltrader.domain.enums import Direction, ExitReason
from soltrader.domain.errors import ParameterError
from soltrader.engine._progress import check_progress, progress_bar
from soltrader.engine.backtest import backtest_signals, checked_strategy, not_a_keyword
from soltrader.engine.inputs import market_from
from soltrader.engine.result import Result
from soltrader.engine.validation._checks import as_int
from soltrader.engine.validation.splits import Span, Window, walk_forward_windows
from soltrader.metrics import SUMMARY_FIELDS, elapsed_periods_per_year, summary
from soltrader.strategies.spec import Bars, Strategy

_BACKTEST_KEYWORDS = frozenset(inspect.signature(backtest_signals).parameters) - {
    "data",
    "entries",
    "exits",
}
#: Metrics of ``Result.stats()`` for which lower is better (the optimiser minimises them).
LOWER_IS_BETTER = frozenset(
    {
        "max_drawdown",
        "max_drawdown_duration_bars",
        "deepest_drawdown_duration_bars",
        "annualized_volatility",
        "fees_paid",
        "turnover",
        "annualized_turnover",
    }
)

Metric = str | Callable[[Result], float]
Optimiser = Callable[..., tuple[dict[str, Any], pd.DataFrame]]


# ---------------------------------------------------------------------------- inputs


def grid(space: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every combination of a grid ``{name: sequence of values}``, in row-major order.

    Examples
    --------
    >>> grid({"fast": [10, 20], "slow": [100]})
    [{'fast': 10, 'slow': 100}, {'fast': 20, 'slow': 100}]
    """
    if not isinstance(space, Mapping):
        raise ParameterError(
            "space", f"expected a dict of name -> values, got {type(space).__name__}"
        )
    if not space:
        raise ParameterError(
            "space", "is empty: give at least one parameter and its values, e.g. {'fast': [10, 20]}"
        )
    values = {}
    for name, seq in space.items():
        if isinstance(seq, str | bytes) or not isinstance(seq, Sequence | np.ndarray | range):
            raise ParameterError(
                f"space[{name!r}]",
                f"expected a sequence of values, got {seq!r} (wrap a single value in a list)",
            )
        if len(seq) == 0:
            raise ParameterError(f"space[{name!r}]", "has no values")
        values[name] = [v.item() if isinstance(v, np.generic) else v for v in seq]
    names = list(values)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values.values())]


def _check_names(strategy: Strategy, names: Sequence[str], what: str) -> None:
    unknown = [k for k in names if k not in strategy.params and k not in _BACKTEST_KEYWORDS]
    if unknown:
        raise ParameterError(unknown[0], f"in {what}: {not_a_keyword(strategy, unknown[0])}")


def _check_metric(metric: Metric) -> None:
    if callable(metric):
        return
    known = set(SUMMARY_FIELDS)
    if metric not in known:
        raise ParameterError(
            "metric",
            f"{metric!r}: use a field of Result.stats() "
            f"({sorted(known)}) or a function of a Result",
        )


def _frame(data: Any) -> pd.DataFrame:
    """One asset's bars as the canonical pandas frame (validated: finite prices)."""
    if isinstance(data, Mapping):
        raise ParameterError("data", "walk-forward takes one asset's bars, got a dict of assets")
    market = market_from(data)
    cols = {c: getattr(market, c)[:, 0] for c in ("open", "high", "low", "close", "volume")}
    return pd.DataFrame(cols, index=market.index)


def _score(result: Result, metric: Metric) -> float:
    if callable(metric):
        return float(metric(result))
    return float(result.stats()[metric])


# ---------------------------------------------------------------------------- evaluation


def evaluate(
    data: pd.DataFrame,
    strategy: Strategy,
    params: Mapping[str, Any],
    *,
    start: int = 0,
    stop: int | None = None,
    **backtest_kwargs: Any,
) -> Result:
    """Backtest ``strategy`` with ``params`` on the bars ``[start, stop)`` of ``data``, its
    indicators warmed up on the bars before ``start``.

    The signal function sees ``data[:stop]``; decisions before ``start`` are dropped and the
    simulation runs on ``data[start:stop]`` only (flat at ``start`` with ``init_cash``).

    Parameters
    ----------
    data : pandas.DataFrame or polars.DataFrame
        One asset's OHLCV bars.
    strategy : Strategy
        The strategy spec.
    params : mapping
        Strategy parameters and/or backtest keywords (e.g. ``{"fast": 10, "sl_stop": 0.02}``).
    start, stop : int
        The evaluated bars (positions; ``stop`` defaults to the end).
    **backtest_kwargs
        Further keywords of :func:`soltrader.backtest_signals` and fixed strategy parameters.

    Returns
    -------
    Result
        Covering the bars ``[start, stop)``; ``result.params`` holds the strategy's name and
        parameters.

    Examples
    --------
    >>> import soltrader as st
    >>> res = evaluate(bars, st.strategies.sma_cross, {"fast": 10, "slow": 50},
    ...                start=1000, stop=2000, fees=0.001)   # doctest: +SKIP
    """
    if not isinstance(data, pd.DataFrame):
        data = _frame(data)
    merged = {**backtest_kwargs, **params}
    _check_names(strategy, list(merged), "params")
    own = strategy.resolve(**{k: v for k, v in merged.items() if k in strategy.params})
    rest = {k: v for k, v in merged.items() if k not in strategy.params}
    rest = {**strategy.keywords(own), **rest}
    end = len(data) if stop is None else stop
    if not 0 <= start < end <= len(data):
        raise ParameterError(
            "start", f"need 0 <= start < stop <= {len(data)}, got start={start}, stop={stop}"
        )
    head = data.iloc[:end]
    bars = Bars(
        *(
            np.ascontiguousarray(head[c].to_numpy())
            for c in ("open", "high", "low", "close", "volume")
        )
    )
    sig = strategy.signal(bars, **own)
    fields = {"entries": sig.entries, "exits": sig.exits, **sig.extras()}
    clash = sorted(set(fields) & set(rest))
    if clash:
        raise ParameterError(
            clash[0], f"is set per bar by {strategy.name}; change its parameters instead"
        )
    window = {k: np.asarray(v)[start:end] for k, v in fields.items()}
    result = backtest_signals(data.iloc[start:end], **window, **rest)
    result.params = {
        "strategy": strategy.name,
        **own,
        **{k: v for k, v in params.items() if k not in strategy.params},
    }
    return result


def optimise(
    data: pd.DataFrame,
    strategy: Strategy,
    space: Mapping[str, Any],
    metric: Metric = "sharpe",
    *,
    start: int = 0,
    **backtest_kwargs: Any,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Evaluate every combination of the grid ``space`` on ``data[start:]`` and pick the best.

    This is the optimiser :func:`walk_forward` calls; any function with this signature and
    contract can replace it (e.g. a fused parallel sweep kernel).

    Parameters
    ----------
    data : pandas.DataFrame
        One asset's bars: warm-up bars, then the evaluated ones from position ``start``.
    strategy : Strategy
        The strategy spec.
    space : mapping
        ``{name: values}``: strategy parameters and/or backtest keywords.
    metric : str or callable
        A field of ``Result.stats()`` (higher is better, except those in
        :data:`LOWER_IS_BETTER`), or ``f(result) -> float`` (higher is better). A nan metric
        (e.g. the Sharpe ratio of a configuration that never trades) ranks last.
    start : int
        First evaluated bar; decisions and P&L count from there (see :func:`evaluate`).
    **backtest_kwargs
        Fixed backtest keywords and strategy parameters.

    Returns
    -------
    best_params : dict
        The winning combination (the first in grid order on ties).
    table : pandas.DataFrame
        One row per combination, **best first**: the parameters, ``metric``, ``total_return``,
        ``max_drawdown``, ``n_trades`` and ``rank`` (1 = best).

    Examples
    --------
    >>> import soltrader as st
    >>> best, table = optimise(bars, st.strategies.sma_cross, {"fast": [10, 20]}, "sharpe",
    ...                        fees=0.001)   # doctest: +SKIP
    """
    combos = grid(space)
    _check_names(strategy, list(space), "space")
    _check_metric(metric)
    rows = []
    for combo in combos:
        res = evaluate(data, strategy, combo, start=start, **backtest_kwargs)
        stats = res.stats()
        value = _score(res, metric)
        rows.append(
            {
                **combo,
                "metric": value,
                "total_return": stats["total_return"],
                "max_drawdown": stats["max_drawdown"],
                "n_trades": stats["n_trades"],
            }
        )
    table = pd.DataFrame(rows)
    key = table["metric"].to_numpy(dtype=np.float64)
    if isinstance(metric, str) and metric in LOWER_IS_BETTER:
        key = -key
    order = np.argsort(-np.where(np.isnan(key), -np.inf, key), kind="stable")
    table = table.iloc[order].reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return combos[int(order[0])], table


# ---------------------------------------------------------------------------- walk-forward


@dataclass
class WalkForwardResult:
    """Outcome of :func:`walk_forward`.

    Attributes
    ----------
    strategy : str
        Strategy name.
    metric : str
        The optimised metric (``"callable"`` for a function).
    windows : pandas.DataFrame
        One row per window: ``train_start``, ``train_end``, ``test_start``, ``test_end``
        (first/last bar times), ``n_train``, ``n_test``, ``params`` (dict) and one column per
        swept parameter, ``is_metric`` (the winner's metric in training), ``oos_metric`` (its
        metric on the test window), ``oos_return`` (test window total return), ``oos_trades``.
    equity : pandas.Series
        Stitched out-of-sample equity (quote currency), one value per test bar.
    results : list of Result
        The out-of-sample backtest of every window.
    tables : list of pandas.DataFrame
        The optimiser's table of every window (best first).
    splits : list of Window
        The windows as bar slices.
    init_cash : float
        Starting equity.
    close : pandas.Series
        Close prices of the whole data (for the plot).
    """

    strategy: str
    metric: str
    windows: pd.DataFrame
    equity: pd.Series
    results: list[Result]
    tables: list[pd.DataFrame]
    splits: list[Window]
    init_cash: float
    close: pd.Series = field(repr=False)

    @property
    def best_params(self) -> dict[str, Any]:
        """The parameters chosen on the most recent training window (the ones to deploy).

        Examples
        --------
        >>> wf.best_params  # doctest: +SKIP
        {'fast': 20, 'slow': 100}
        """
        return dict(self.windows["params"].iloc[-1])

    @property
    def returns(self) -> pd.Series:
        """Per-bar out-of-sample returns, fractions (the first against ``init_cash``).

        Examples
        --------
        >>> wf.returns.std()  # doctest: +SKIP
        """
        prev = np.concatenate([[self.init_cash], self.equity.to_numpy()[:-1]])
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(prev > 0.0, self.equity.to_numpy() / prev - 1.0, 0.0)
        return pd.Series(r, index=self.equity.index, name="returns")

    def periods_per_year(self) -> float:
        """Out-of-sample bars per 365-day year of elapsed time, from the first test bar's open
        to the last one's end (:func:`soltrader.metrics.elapsed_periods_per_year`).

        Examples
        --------
        >>> wf.periods_per_year()  # doctest: +SKIP
        8760.0
        """
        return elapsed_periods_per_year(self.equity.index, name="test")

    def _window_records(self) -> list[tuple[np.ndarray, float]]:
        """Every test window's trade records, a position still open at the window's end closed
        there (``window_end``, at the last close, no exit fee: as the equity values it), with
        the scale of the stitched account at the window's start."""
        level = np.concatenate([[self.init_cash], self.equity.to_numpy()])
        out = []
        offset = 0
        for res in self.results:
            rec = res.trades_records.copy()
            last = len(res.market.index) - 1
            still = rec["is_open"]
            rec["exit_bar"][still] = last
            rec["exit_reason"][still] = int(ExitReason.WINDOW_END)
            rec["is_open"][still] = False
            out.append((rec, level[offset] / self.init_cash))
            offset += len(res.market.index)
        return out

    def _trades(self) -> dict[str, np.ndarray]:
        """Every test window's trades, scaled to the stitched account's size at its start."""
        parts = [
            {
                "pnl": rec["pnl"] * scale,
                "ret": rec["ret"],
                "entry_fees": rec["entry_fees"] * scale,
                "exit_fees": rec["exit_fees"] * scale,
                "size": rec["size"] * scale,
                "entry_price": rec["entry_price"],
                "exit_price": rec["exit_price"],
                "is_open": rec["is_open"],
            }
            for rec, scale in self._window_records()
        ]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    @property
    def trades(self) -> pd.DataFrame:
        """The out-of-sample trades of every test window, P&L, fees and size scaled to the
        stitched account's size at the window's start (quote currency, base units).

        A position still open when its test window ends is closed there, at the window's last
        close without an exit fee (``exit_reason`` ``"window_end"``): the next window starts
        flat. ``trades["pnl"].sum()`` is the stitched equity's change.

        Examples
        --------
        >>> wf.trades["exit_reason"].value_counts()  # doctest: +SKIP
        """
        frames = []
        windows = zip(self.splits, self._window_records(), self.results, strict=True)
        for w, (rec, scale), res in windows:
            idx = res.market.index
            frames.append(
                pd.DataFrame(
                    {
                        "fold": w.fold,
                        "direction": [Direction(int(d)).name.lower() for d in rec["direction"]],
                        "entry_time": idx[rec["entry_bar"]],
                        "exit_time": idx[rec["exit_bar"]],
                        "entry_price": rec["entry_price"],
                        "exit_price": rec["exit_price"],
                        "size": rec["size"] * scale,
                        "fees": (rec["entry_fees"] + rec["exit_fees"]) * scale,
                        "pnl": rec["pnl"] * scale,
                        "return": rec["ret"],
                        "exit_reason": [
                            ExitReason(int(r)).name.lower() for r in rec["exit_reason"]
                        ],
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def stats(self, *, risk_free: float = 0.0) -> pd.Series:
        """Statistics of the stitched out-of-sample run (see :func:`soltrader.metrics.summary`).

        Trade figures gather the test windows' trades, their P&L and fees scaled to the
        stitched account; a position still open at a window's end counts as a trade closed
        there (see :attr:`trades`), so the trade figures and the equity tell the same story.

        Examples
        --------
        >>> wf.stats()[["total_return", "sharpe", "max_drawdown"]]  # doctest: +SKIP
        """
        in_market = np.concatenate(
            [(res.positions.to_numpy() != 0.0).any(axis=1) for res in self.results]
        ).astype(np.float64)
        common = dict(
            trades=self._trades(),
            positions=in_market,
            init_cash=self.init_cash,
            periods_per_year=self.periods_per_year(),
            risk_free=risk_free,
        )
        equity = self.equity.to_numpy()
        if (equity > 0.0).all():
            return summary(equity, **common)
        out = summary(returns=self.returns.to_numpy(), **common)
        out["end_value"] = float(equity[-1])
        return out

    def plot(self) -> Any:
        """Windows on a timeline (train and test spans) above the out-of-sample equity
        (matplotlib Figure).

        Examples
        --------
        >>> fig = wf.plot()  # doctest: +SKIP
        """
        from soltrader.engine.validation.plots import plot_walk_forward

        return plot_walk_forward(self)

    def __repr__(self) -> str:
        return (
            f"WalkForwardResult({self.strategy}, {len(self.splits)} windows, metric "
            f"{self.metric}, OOS equity {self.init_cash:,.2f} -> "
            f"{self.equity.iloc[-1]:,.2f})"
        )


def _warm_start(start: int, warmup: int | None) -> int:
    return 0 if warmup is None else max(0, start - warmup)


def _stitch(results: list[Result], init_cash: float) -> pd.Series:
    """Chain the test windows' per-bar returns into one equity curve."""
    rets = []
    for res in results:
        eq = res.equity.to_numpy()
        prev = np.concatenate([[res.init_cash], eq[:-1]])
        with np.errstate(divide="ignore", invalid="ignore"):
            rets.append(np.where(prev > 0.0, np.maximum(eq, 0.0) / prev - 1.0, 0.0))
    index = results[0].market.index.append([res.market.index for res in results[1:]])
    values = init_cash * np.cumprod(1.0 + np.concatenate(rets))
    return pd.Series(values, index=index, name="equity")


def _window_row(
    w: Window, best: dict[str, Any], table: pd.DataFrame, res: Result, oos: float
) -> dict[str, Any]:
    stats = res.stats()
    return {
        "fold": w.fold,
        "train_start": w.train_start,
        "train_end": w.train_end,
        "test_start": w.test_start,
        "test_end": w.test_end,
        "n_train": w.n_train,
        "n_test": w.n_test,
        "params": dict(best),
        **best,
        "is_metric": float(table["metric"].iloc[0]),
        "oos_metric": oos,
        "oos_return": float(stats["total_return"]),
        "oos_trades": int(stats["n_trades"]),
    }


def walk_forward(
    data: Any,
    strategy: Strategy,
    space: Mapping[str, Any],
    *,
    train: Span,
    test: Span,
    anchored: bool = False,
    metric: Metric = "sharpe",
    purge: int = 0,
    embargo: int = 0,
    warmup: int | None = None,
    optimiser: Optimiser = optimise,
    progress: bool | None = None,
    **backtest_kwargs: Any,
) -> WalkForwardResult:
    """Walk-forward optimisation of ``strategy`` over the grid ``space``.

    For each window of :func:`~.splits.walk_forward_windows` (test windows
    tile the data after the first training span): every combination is backtested on the
    training bars, the best by ``metric`` is backtested on the test bars, and the test runs are
    stitched into one out-of-sample equity curve (see the module notes for the warm-up and
    stitching rules).

    Parameters
    ----------
    data : pandas or polars OHLCV frame
        One asset's bars; prices must be finite.
    strategy : Strategy
        The strategy spec, e.g. ``st.strategies.sma_cross``.
    space : mapping
        ``{name: values}`` of strategy parameters and/or backtest keywords (e.g. ``sl_stop``).
    train, test : int or time span
        Window lengths: bar counts, or spans such as ``"90D"`` / ``"30D"``.
    anchored : bool
        Expanding training windows that all start at the first bar.
    metric : str or callable
        What the optimiser maximises (see :func:`optimise`); also reported out of sample.
    purge, embargo : int
        Bars left out between each training window and its test window.
    warmup : int, optional
        Bars before a window that its indicators may use (default: all earlier bars).
    optimiser : callable
        ``optimiser(data, strategy, space, metric, start=..., **backtest_kwargs) -> (best,
        table)`` with the contract of :func:`optimise` (table best first, with a ``metric``
        column).
    progress : bool or None
        A progress bar on standard error (a widget in Jupyter), advanced once per window
        (optimisation and test). ``None`` (default) shows it only on a terminal or in Jupyter,
        once the run has lasted a second; ``True`` always; ``False`` never. Results are the
        same either way.
    **backtest_kwargs
        Fixed keywords of :func:`soltrader.backtest_signals` (``fees``, ``slippage``,
        ``init_cash``, ...) and fixed strategy parameters.

    Returns
    -------
    WalkForwardResult
        ``.windows``, ``.equity``, ``.stats()``, ``.plot()``, ``.best_params``.

    Raises
    ------
    ParameterError
        An empty or malformed ``space``, unknown names, windows longer than the data.
    DataError
        Missing or non-finite prices.

    Examples
    --------
    >>> import soltrader as st
    >>> wf = walk_forward(bars, st.strategies.sma_cross, {"fast": [10, 20], "slow": [50, 100]},
    ...                   train="90D", test="30D", fees=0.001)   # doctest: +SKIP
    >>> wf.windows[["test_start", "fast", "slow", "oos_metric"]]  # doctest: +SKIP
    """
    strategy = checked_strategy(strategy)
    progress = check_progress(progress)
    grid(space)
    _check_names(strategy, list(space), "space")
    _check_names(strategy, list(backtest_kwargs), "keywords")
    _check_metric(metric)
    warm = None if warmup is None else as_int(warmup, "warmup", low=0)
    frame = _frame(data)
    splits = walk_forward_windows(
        frame.index, train, test, anchored=anchored, purge=purge, embargo=embargo
    )
    rows, results, tables = [], [], []
    with progress_bar(progress, len(splits), desc="walk-forward", unit="window") as bar:
        for w in splits:
            w0 = _warm_start(w.train.start, warm)
            best, table = optimiser(
                frame.iloc[w0 : w.train.stop],
                strategy,
                space,
                metric,
                start=w.train.start - w0,
                **backtest_kwargs,
            )
            t0 = _warm_start(w.test.start, warm)
            res = evaluate(
                frame.iloc[t0 : w.test.stop],
                strategy,
                best,
                start=w.test.start - t0,
                **backtest_kwargs,
            )
            rows.append(_window_row(w, best, table, res, _score(res, metric)))
            results.append(res)
            tables.append(table)
            bar.update(1)
    init = float(results[0].init_cash)
    name = metric if isinstance(metric, str) else getattr(metric, "__name__", "callable")
    return WalkForwardResult(
        strategy.name,
        name,
        pd.DataFrame(rows).set_index("fold"),
        _stitch(results, init),
        results,
        tables,
        splits,
        init,
        frame["close"],
    )


__all__ = ["LOWER_IS_BETTER", "WalkForwardResult", "evaluate", "grid", "optimise", "walk_forward"]
