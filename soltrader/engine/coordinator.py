"""Several strategies on one capital base: the coordinator's runner.

Every strategy is a *sleeve*: a sub-account with its own cash. Each (strategy, symbol) pair is one
asset column of :func:`~soltrader.engine.backtest.backtest_signals` (the symbol's bars duplicated
per sleeve, named ``"momentum:SOL/USDT"``), ``accounts`` maps the column to its strategy's account
and ``allocation`` splits the capital by the weights, so a sleeve can never spend another's cash.

Rules, stated once
    * **Signals** are computed once on the whole history (they are causal) and then sliced.
    * **Conflicts** (:func:`soltrader.sizing.allocation.resolve_conflicts`): when sleeves want
      opposite entries in one symbol on one bar, the losing entries are dropped before anything is
      simulated and recorded in :attr:`CoordinatorResult.conflicts`.
    * **Weights** (:func:`soltrader.sizing.allocation.allocation_weights`): the dynamic
      schemes read each sleeve's *standalone* per-bar returns: every sleeve simulated alone on
      the whole history with the same keywords (a shadow run, independent of the allocation,
      so a sleeve given no capital can earn its way back). Weights at a rebalance bar ``r`` use
      returns of bars ``< r`` only.
    * **Rebalancing** (the simulator cannot move cash between accounts in a run): the history is
      cut into periods at the rebalance bars and every period is a separate run. A period starts
      with the total equity at the previous period's last close, split by the weights of its first
      bar. **Every sleeve is flattened at the end of every period but the last**: with
      ``fill="next_open"`` (default) an exit (long and short) is forced at the close of the
      period's second-to-last bar and fills at the last bar's open; with ``fill="close"`` it is
      forced at the last bar's close; entry decisions from that bar on are ignored and resting
      entries cancelled. So a position never crosses a rebalance, its exit costs are paid, and the
      sleeve's strategy re-enters only on its next entry signal (the strategy's own state, e.g.
      the grid's rung count, does not know about the forced exit). A position that is still open
      at a period's end (a failed exit transaction, a volume-capped exit) is valued at the last
      close and its value carried as cash; such cases are listed in
      :attr:`CoordinatorResult.unflattened`. Without ``rebalance`` there is one period and no
      forced exit; the weights of bar 0 apply throughout and the sleeves drift.
    * **Keywords**: ``**backtest_kwargs`` apply to every sleeve; a sleeve's own keywords (third
      element of its tuple) and the per-bar values its signals return override them for that
      sleeve (a sleeve's keyword may not repeat one its signals set). Per-bar keywords (stops,
      sizes, fees, slippage, order types, ...) become per-column inputs of one run; a sleeve whose
      own keywords change a run-wide setting (``accumulate``, ``fill``, ``leverage``,
      ``size_type``, ...) is simulated in a separate run with the same capital rules. Separate
      runs are equivalent because accounts are isolated (fee tiers are per account too); only the
      random draws of ``solana`` failed transactions differ.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from soltrader.costs.models import FeeSchedule
from soltrader.domain.enums import OrderType, RejectReason
from soltrader.domain.errors import ParameterError
from soltrader.engine.backtest import backtest_signals
from soltrader.engine.inputs import Market, check_aligned, market_from
from soltrader.engine.result import Result, quiet_rejections
from soltrader.metrics import _nb as metrics_nb
from soltrader.metrics import summary
from soltrader.sim.rules import resolve_conventions
from soltrader.sizing.allocation import (
    CONFLICT_COLUMNS,
    DEFAULT_WEIGHTS,
    allocation_weights,
    rebalance_bars,
    resolve_conflicts,
)
from soltrader.strategies.spec import Bars, Signals, Strategy

_KEYWORDS = frozenset(inspect.signature(backtest_signals).parameters) - {"data"}
_SIGNAL_KEYS = frozenset({"entries", "exits", "short_entries", "short_exits"})
_NOT_GLOBAL = _SIGNAL_KEYS | {"accounts", "allocation"}
_NOT_SLEEVE = _NOT_GLOBAL | {"init_cash"}
#: Keywords that can differ between the asset columns of one run, with their neutral values.
_NEUTRAL: dict[str, Any] = {
    "short_entries": False,
    "short_exits": False,
    "post_only": False,
    "cancel": False,
    "order_type": 0,
    "limit_price": np.nan,
    "stop_price": np.nan,
    "tif": 0,
    "sl_stop": np.nan,
    "tp_stop": np.nan,
    "partial_tp_stop": np.nan,
    "partial_tp_size": 0.5,
    "max_bars": 0,
    "leverage": 1.0,
    "exit_size": 1.0,
    "fees": 0.0,
    "maker_fees": None,  # the column's taker fee
    "fixed_fees": 0.0,
    "slippage": 0.0,
    "size": None,  # 1.0 (all cash) with size_type="percent"
}
_PER_COLUMN = frozenset(_NEUTRAL) | {"entries", "exits"}
_ORDER_CODES = {e.name.lower(): int(e) for e in OrderType}


@dataclass(frozen=True)
class _Sleeve:
    name: str
    strategy: Strategy
    params: dict[str, Any]
    kwargs: dict[str, Any]


@dataclass
class _Group:
    """Sleeves simulated in one run: their indices, the run-wide keywords, and per column (sleeve
    major, symbol minor) its name, symbol, sleeve, global column number and inputs."""

    sleeves: list[int]
    call: dict[str, Any]
    wide: set[str]
    names: list[str] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)
    col_sleeve: list[int] = field(default_factory=list)
    columns: list[int] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    per_column: set[str] = field(default_factory=set)


# ---- inputs ----------------------------------------------------------------------------------
def _symbols(data: Any) -> tuple[Market, dict[str, pd.DataFrame]]:
    """The aligned bars of every symbol, as pandas frames sharing one index."""
    if isinstance(data, Mapping):
        named = {str(k): v for k, v in data.items()}
    else:
        attrs = getattr(data, "attrs", None) or {}
        named = {str(attrs.get("symbol", "asset")): data}
    market = market_from(named)
    frames = {
        sym: pd.DataFrame(
            {c: getattr(market, c)[:, i] for c in ("open", "high", "low", "close", "volume")},
            index=market.index,
        )
        for i, sym in enumerate(market.assets)
    }
    return market, frames


def _sleeves(strategies: Any) -> list[_Sleeve]:
    if not isinstance(strategies, Mapping) or not strategies:
        raise ParameterError("strategies", "need a non-empty dict name -> (Strategy, params)")
    out = []
    for name, spec in strategies.items():
        spec = (spec,) if isinstance(spec, Strategy) else tuple(spec)
        if not 1 <= len(spec) <= 3 or not isinstance(spec[0], Strategy):
            raise ParameterError(
                f"strategies[{name!r}]", "need (Strategy, params) or (Strategy, params, keywords)"
            )
        params = dict(spec[1] or {}) if len(spec) > 1 else {}
        kwargs = dict(spec[2] or {}) if len(spec) > 2 else {}
        bad = sorted(set(kwargs) - (_KEYWORDS - _NOT_SLEEVE))
        if bad:
            raise ParameterError(f"strategies[{name!r}]", f"{bad} are not sleeve keywords")
        out.append(_Sleeve(str(name), spec[0], spec[0].resolve(**params), kwargs))
    return out


def _check_globals(kwargs: dict[str, Any]) -> None:
    unknown = sorted(set(kwargs) - _KEYWORDS)
    if unknown:
        raise ParameterError(unknown[0], "is not a keyword of backtest_signals")
    taken = sorted(set(kwargs) & _NOT_GLOBAL)
    if taken:
        raise ParameterError(taken[0], "is set by the coordinator (signals and sleeves)")


def _check_keyword_index(market: Market, kwargs: dict[str, Any], sleeves: list[_Sleeve]) -> None:
    """Pandas keywords (global or per sleeve) must carry the data's index: the periods and
    sleeves read them by position after this check."""
    named = list(kwargs.items())
    named += [(f"strategies[{sl.name!r}].{k}", v) for sl in sleeves for k, v in sl.kwargs.items()]
    for name, value in named:
        parts = value.items() if isinstance(value, Mapping) else [(None, value)]
        for key, part in parts:
            check_aligned(part, name if key is None else f"{name}[{key!r}]", market)


def _bars(market: Market, i: int) -> Bars:
    cols = (market.open, market.high, market.low, market.close, market.volume)
    return Bars(*(np.ascontiguousarray(c[:, i]) for c in cols))


def _column_value(key: str, value: Any, n: int) -> Any:
    """``value`` as a per-column input (a scalar or an (n,) array), or None if it cannot be one."""
    if value is None or isinstance(value, FeeSchedule | Mapping | pd.DataFrame):
        return None
    if key == "order_type" and isinstance(value, str):
        if value not in _ORDER_CODES:
            raise ParameterError("order_type", f"{value!r}: use one of {sorted(_ORDER_CODES)}")
        return _ORDER_CODES[value]
    arr = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value)
    if arr.ndim == 0:
        return arr.item()
    return arr if arr.shape == (n,) else None


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return value


# ---- signals, conflicts, groups --------------------------------------------------------------
def _signals(market: Market, sleeves: list[_Sleeve]) -> dict[tuple[int, str], Signals]:
    out = {}
    for i, sym in enumerate(market.assets):
        bars = _bars(market, i)
        for s, sl in enumerate(sleeves):
            sig = sl.strategy.signal(bars, **sl.params)
            clash = sorted(set(sig.extras()) & set(sl.kwargs))
            if clash:
                raise ParameterError(
                    f"strategies[{sl.name!r}]", f"{clash} are set per bar by {sl.strategy.name}"
                )
            out[(s, sym)] = sig
    return out


def _fallback(key: str, sleeve: _Sleeve, kwargs: dict[str, Any]) -> Any:
    return sleeve.kwargs[key] if key in sleeve.kwargs else kwargs.get(key)


def _resolve(market, sleeves, sigs, conflict, priority, kwargs):
    """Conflict resolution per symbol; returns the kept signals and the conflicts table."""
    tables = []
    for sym in market.assets:
        res = resolve_conflicts(
            {sl.name: sigs[(s, sym)] for s, sl in enumerate(sleeves)},
            conflict,
            priority=priority,
            sl_stop={sl.name: _fallback("sl_stop", sl, kwargs) for sl in sleeves},
            tp_stop={sl.name: _fallback("tp_stop", sl, kwargs) for sl in sleeves},
            index=market.index,
            symbol=sym,
        )
        tables.append(res.conflicts)
        for s, sl in enumerate(sleeves):
            sigs[(s, sym)] = res.signals[sl.name]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return sigs, table.reindex(columns=list(CONFLICT_COLUMNS))


def _is_wide(key: str, value: Any, kwargs: dict[str, Any], n: int) -> bool:
    """Whether a sleeve keyword is run-wide (it then needs a run of its own)."""
    if key not in _PER_COLUMN:
        return True
    if value is None:
        return False
    if _column_value(key, value, n) is None:
        return True
    return kwargs.get(key) is not None and _column_value(key, kwargs[key], n) is None


def _groups(sleeves: list[_Sleeve], kwargs: dict[str, Any], n: int) -> list[_Group]:
    """Sleeves whose run-wide keywords agree share one run."""
    groups: dict[tuple, _Group] = {}
    for s, sl in enumerate(sleeves):
        wide = {k: v for k, v in sl.kwargs.items() if _is_wide(k, v, kwargs, n)}
        key = tuple(sorted((k, _hashable(v)) for k, v in wide.items()))
        if key not in groups:
            groups[key] = _Group([], {**kwargs, **wide}, set(wide))
        groups[key].sleeves.append(s)
    return list(groups.values())


def _column_inputs(group: _Group, sleeve: _Sleeve, sig: Signals, n: int) -> dict[str, Any]:
    """The per-column inputs one column sets: its signals, then its sleeve's keywords (a keyword
    given as None is unset: the neutral value, not the global one)."""
    own = {"entries": np.asarray(sig.entries, bool), "exits": np.asarray(sig.exits, bool)}
    own.update({k: np.asarray(v) for k, v in sig.extras().items()})
    unset = []
    for k, v in sleeve.kwargs.items():
        if k in group.wide:
            continue
        if v is None:
            unset.append(k)
        else:
            own[k] = _column_value(k, v, n)
    for k in unset:
        own[k] = _default(k, own, {"size_type": group.call.get("size_type", "percent")}, n)
    group.per_column |= set(own) - {"entries", "exits"}
    return own


def _default(key: str, own: dict[str, Any], call: dict[str, Any], n: int) -> Any:
    """The value of a per-column key for a column that does not set it."""
    if call.get(key) is not None:
        value = _column_value(key, call[key], n)
        if value is None:
            raise ParameterError(key, "give it per sleeve (a scalar or one value per bar)")
        return value
    if key == "maker_fees":
        return own["fees"] if "fees" in own else _default("fees", own, call, n)
    if key == "size":
        return 1.0 if call.get("size_type", "percent") == "percent" else np.nan
    return _NEUTRAL[key]


# ---- one period ------------------------------------------------------------------------------
def _slice(value: Any, a: int, b: int) -> Any:
    return value[a:b] if isinstance(value, np.ndarray) else value


def _flatten(per: dict[str, dict[str, Any]], length: int, fill: str) -> None:
    """Force an exit and ignore entries from the bar whose decision fills by the period's end."""
    k = length - (2 if fill == "next_open" else 1)
    for key, flag in (("entries", False), ("short_entries", False), ("cancel", True)):
        for col, v in per[key].items():
            arr = np.array(np.broadcast_to(v, (length,)), dtype=bool)
            arr[k:] = flag
            per[key][col] = arr
    for key in ("exits", "short_exits"):
        for col, v in per[key].items():
            arr = np.array(np.broadcast_to(v, (length,)), dtype=bool)
            arr[k] = True
            per[key][col] = arr
    for col, v in per.get("exit_size", {}).items():  # the forced exit closes everything
        arr = np.array(np.broadcast_to(v, (length,)), dtype=float)
        arr[k] = 1.0
        per["exit_size"][col] = arr


def _dict_keys(group: _Group, n: int) -> set[str]:
    """Every per-column keyword the run can take as a per-column dict: all of them are passed
    that way (one layout of the simulator's inputs, hence one compiled kernel for every run),
    except a run-wide value that cannot be split per column (e.g. a ``FeeSchedule``)."""
    return {
        k
        for k in _PER_COLUMN
        if k in group.per_column
        or group.call.get(k) is None
        or _column_value(k, group.call[k], n) is not None
    }


def _run_period(
    group: _Group,
    frames: dict[str, pd.DataFrame],
    a: int,
    b: int,
    capital: np.ndarray,
    flatten: bool,
) -> Result | None:
    """One run of the group's columns over bars [a, b) with ``capital`` per sleeve (quote);
    None when the group has no capital."""
    total = float(capital.sum())
    if total <= 0.0:
        return None
    n = len(frames[group.symbols[0]].index)
    keys = _dict_keys(group, n)
    per: dict[str, dict[str, Any]] = {k: {} for k in keys}
    for col, own in zip(group.names, group.inputs, strict=True):
        for k in keys:
            per[k][col] = _slice(own[k] if k in own else _default(k, own, group.call, n), a, b)
    if flatten:
        fill = resolve_conventions(group.call.get("conventions"), fill=group.call.get("fill")).fill
        _flatten(per, b - a, fill)
    call = {k: v for k, v in group.call.items() if k not in per}
    call["init_cash"] = total
    data = {col: frames[sym].iloc[a:b] for col, sym in zip(group.names, group.symbols, strict=True)}
    accounts = [group.sleeves.index(s) for s in group.col_sleeve]
    allocation = (capital / total).tolist()
    with quiet_rejections():  # the combined result warns once, not every period
        return backtest_signals(data, **per, accounts=accounts, allocation=allocation, **call)


# ---- assembling the periods into one Result --------------------------------------------------
class _Book:
    """The combined curves and records of every period and run."""

    def __init__(self, n: int, m: int, k: int) -> None:
        self.cash, self.equity = np.zeros((n, k)), np.zeros((n, k))
        self.pos, self.value = np.zeros((n, m)), np.zeros((n, m))
        self.orders: list[np.ndarray] = []
        self.fills: list[np.ndarray] = []
        self.trades: list[np.ndarray] = []
        self.n_orders = self.n_trades = 0
        self.conventions = None

    def add(self, res: Result, a: int, cols: np.ndarray, accs: np.ndarray) -> None:
        b = a + res.market.shape[0]
        self.cash[a:b, accs] = res.account_cash.to_numpy()
        self.equity[a:b, accs] = res.account_equity.to_numpy()
        self.pos[a:b, cols] = res.positions.to_numpy()
        self.value[a:b, cols] = res.position_values.to_numpy()
        o, f, t = (r.copy() for r in (res.orders_records, res.fills_records, res.trades_records))
        order_bars = ("decision_bar", "exec_bar")
        for rec, bars in ((o, order_bars), (f, ("bar",)), (t, ("entry_bar", "exit_bar"))):
            rec["asset"] = cols[rec["asset"]]
            rec["account"] = accs[rec["account"]]
            for name in bars:
                rec[name] = np.where(rec[name] >= 0, rec[name] + a, rec[name])
        o["id"] += self.n_orders
        f["order_id"] += self.n_orders
        t["id"] += self.n_trades
        self.n_orders += len(o)
        self.n_trades += len(t)
        self.orders.append(o)
        self.fills.append(f)
        self.trades.append(t)
        self.conventions = self.conventions or res.conventions

    def result(self, market: Market, accounts: np.ndarray, init_cash: float) -> Result:
        def cat(parts: list[np.ndarray], key: str) -> np.ndarray:
            rec = np.concatenate(parts)
            return rec[np.argsort(rec[key], kind="stable")]

        return Result.from_kernel(
            market,
            (
                cat(self.orders, "exec_bar"),
                cat(self.fills, "bar"),
                cat(self.trades, "entry_bar"),
                self.cash,
                self.equity,
                self.pos,
                self.value,
            ),
            init_cash=init_cash,
            conventions=self.conventions,
            accounts=accounts,
            account_cash=self.cash[0],
        )


# ---- the result ------------------------------------------------------------------------------
@dataclass
class CoordinatorResult:
    """What :func:`coordinate` produced.

    Attributes
    ----------
    result : Result
        The combined backtest: one asset column per (sleeve, symbol) named ``"sleeve:symbol"``,
        one account per sleeve (``account_equity`` column ``i`` is ``sleeves[i]``).
    attribution : pandas.DataFrame
        Per sleeve and ``"total"``: ``capital`` (first allocation, quote), ``final_equity``,
        ``pnl`` (quote, after every cost), ``return`` (compounded over the periods on the capital
        each period allocated), ``trades`` (round trips, open ones included), ``fees`` (quote,
        failed transactions included), ``pnl_share`` (pnl / total pnl). Sleeve rows add up to the
        total row.
    conflicts : pandas.DataFrame
        One row per dropped entry (``soltrader.sizing.allocation.CONFLICT_COLUMNS``).
    weights : pandas.DataFrame
        Target weight of every sleeve on every bar (rows sum to 1).
    periods : pandas.DataFrame
        One row per rebalancing period: first and last bar, start time, total capital and each
        sleeve's capital (quote).
    sleeve_returns : pandas.DataFrame
        Per-bar return of every sleeve on the capital it held (0 while it held none).
    unflattened : pandas.DataFrame
        Positions still open at the end of a period that should have been flattened.
    """

    result: Result
    attribution: pd.DataFrame
    conflicts: pd.DataFrame
    weights: pd.DataFrame
    periods: pd.DataFrame
    sleeve_returns: pd.DataFrame
    unflattened: pd.DataFrame

    @property
    def sleeves(self) -> list[str]:
        """Sleeve names, in account order."""
        return list(self.weights.columns)

    @property
    def sleeve_equity(self) -> pd.DataFrame:
        """Account value of every sleeve per bar (quote); the row sum is ``result.equity``."""
        return self.result.account_equity.set_axis(self.sleeves, axis=1)

    def stats(self) -> pd.DataFrame:
        """Return and risk of every sleeve (from :attr:`sleeve_returns`) and of the total.

        Examples
        --------
        >>> cr.stats()[["total_return", "sharpe", "max_drawdown"]]  # doctest: +SKIP
        """
        ppy = self.result.periods_per_year()
        fields = ["total_return", "annualized_return", "sharpe", "max_drawdown"]
        rows = {
            s: summary(returns=self.sleeve_returns[s].to_numpy(), periods_per_year=ppy)[fields]
            for s in self.sleeves
        }
        rows["total"] = self.result.stats()[fields]
        out = pd.DataFrame(rows).T
        rec = self.result.trades_records
        closed = rec[~rec["is_open"]]
        win_rate = [
            float((closed["pnl"][closed["account"] == s] > 0).mean())
            if (closed["account"] == s).any()
            else np.nan
            for s in range(len(self.sleeves))
        ]
        out["win_rate"] = [*win_rate, float((closed["pnl"] > 0).mean()) if len(closed) else np.nan]
        return out.join(self.attribution[["pnl", "trades", "fees"]])

    def plot(self):
        """Sleeve equity stacked (quote) with the total on top (matplotlib Figure).

        Examples
        --------
        >>> fig = cr.plot()  # doctest: +SKIP
        """
        from matplotlib.figure import Figure

        fig = Figure(figsize=(11, 5))
        ax = fig.subplots()
        eq = self.sleeve_equity
        ax.stackplot(eq.index, eq.to_numpy().T, labels=self.sleeves, alpha=0.7)
        ax.plot(eq.index, self.result.equity.to_numpy(), color="black", lw=1.0, label="total")
        ax.set_ylabel("equity (quote)")
        ax.set_title("Coordinator: equity per sleeve (stacked) and total")
        ax.legend(loc="upper left")
        fig.autofmt_xdate()
        return fig

    def __repr__(self) -> str:
        eq = self.result.equity
        return (
            f"CoordinatorResult({len(self.sleeves)} sleeves, {len(self.periods)} period(s), "
            f"{len(self.conflicts)} conflict(s), equity {self.result.init_cash:,.2f} -> "
            f"{eq.iloc[-1]:,.2f})"
        )


# ---- the runner ------------------------------------------------------------------------------
def _default_weights(sleeves: list[_Sleeve]) -> dict[str, float]:
    out = {}
    for sl in sleeves:
        key = sl.name if sl.name in DEFAULT_WEIGHTS else sl.strategy.name
        if key not in DEFAULT_WEIGHTS:
            raise ParameterError(
                "weights", f"no default weight for sleeve {sl.name!r}; give weights"
            )
        out[sl.name] = DEFAULT_WEIGHTS[key]
    return out


def _prepare(market: Market, sleeves: list[_Sleeve], groups: list[_Group], sigs) -> list[str]:
    """Fill in every group's columns and inputs; returns all column names in account order."""
    n = market.shape[0]
    order = [f"{sl.name}:{sym}" for sl in sleeves for sym in market.assets]
    if len(set(order)) != len(order):
        raise ParameterError("strategies", f"column names {order} are not unique")
    for g in groups:
        for s in g.sleeves:
            for sym in market.assets:
                g.names.append(f"{sleeves[s].name}:{sym}")
                g.symbols.append(sym)
                g.col_sleeve.append(s)
                g.columns.append(order.index(g.names[-1]))
                g.inputs.append(_column_inputs(g, sleeves[s], sigs[(s, sym)], n))
    return order


def _standalone_returns(market, frames, sleeves, groups, init_cash) -> pd.DataFrame:
    """Per-bar returns of every sleeve simulated alone over the whole history (shadow run)."""
    k, n = len(sleeves), market.shape[0]
    out = np.zeros((n, k))
    for g in groups:
        cap = np.full(len(g.sleeves), init_cash / k)
        res = _run_period(g, frames, 0, n, cap, False)
        eq = res.account_equity.to_numpy()
        prev = np.vstack([cap[None, :], eq[:-1]])
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(prev > 0, eq / prev - 1.0, 0.0)
        out[:, g.sleeves] = np.where(np.isfinite(r), r, 0.0)
    return pd.DataFrame(out, index=market.index, columns=[sl.name for sl in sleeves])


def _check_periods(starts: np.ndarray, n: int, groups: list[_Group]) -> None:
    fills = {
        resolve_conventions(g.call.get("conventions"), fill=g.call.get("fill")).fill for g in groups
    }
    need = 3 if "next_open" in fills else 2
    lengths = np.diff(np.append(starts, n))[:-1]
    if (lengths < need).any():
        i = int(np.flatnonzero(lengths < need)[0])
        raise ParameterError(
            "rebalance",
            f"period {i} (bar {starts[i]}) has {lengths[i]} bars; flattening needs {need}",
        )


def _simulate(market, frames, sleeves, groups, weights, starts, init_cash):
    """Run every period; returns the book, per-period capital / end equity and unflattened rows."""
    n, k = market.shape[0], len(sleeves)
    book = _Book(n, len(sleeves) * len(market.assets), k)
    ends = np.append(starts[1:], n)
    cap, end = np.zeros((len(starts), k)), np.zeros((len(starts), k))
    total, loose = float(init_cash), []
    w = weights.to_numpy()
    for p, (a, b) in enumerate(zip(starts, ends, strict=True)):
        last = p == len(starts) - 1
        for g in groups:
            alloc = total * w[a, g.sleeves]
            res = _run_period(g, frames, int(a), int(b), alloc, not last)
            if res is None:
                continue
            share = alloc.sum()
            cap[p, g.sleeves] = share * (alloc / share)
            book.add(res, int(a), np.asarray(g.columns), np.asarray(g.sleeves))
        end[p] = book.equity[b - 1]
        if not last:
            open_cols = np.flatnonzero(book.pos[b - 1] != 0.0)
            loose += [(market.index[b - 1], int(c), book.value[b - 1, c]) for c in open_cols]
        total = float(end[p].sum())
    return book, cap, end, loose


def _sleeve_returns(book, cap, starts, n) -> np.ndarray:
    ends = np.append(starts[1:], n)
    out = np.zeros_like(book.equity)
    for p, (a, b) in enumerate(zip(starts, ends, strict=True)):
        eq = book.equity[a:b]
        prev = np.vstack([cap[p][None, :], eq[:-1]])
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(prev > 0, eq / prev - 1.0, 0.0)
        out[a:b] = np.where(np.isfinite(r), r, 0.0)
    return out


def _attribution(result: Result, names: list[str], cap, end, init_cash) -> pd.DataFrame:
    pnl = (end - cap).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(cap > 0, end / cap, 1.0)
    ret = growth.prod(axis=0) - 1.0
    trades, fees = np.zeros(len(names), dtype=np.int64), np.zeros(len(names))
    tx_failed = int(RejectReason.TX_FAILED)
    o, f, t = result.orders_records, result.fills_records, result.trades_records
    for s in range(len(names)):
        trades[s] = int((t["account"] == s).sum())
        fees[s] = metrics_nb.fees_of_records_nb(
            f[f["account"] == s], o[o["account"] == s], tx_failed
        )
    final = float(result.equity.iloc[-1])
    total_pnl = final - init_cash
    table = pd.DataFrame(
        {
            "capital": cap[0],
            "final_equity": result.account_equity.iloc[-1].to_numpy(),
            "pnl": pnl,
            "return": ret,
            "trades": trades,
            "fees": fees,
            "pnl_share": pnl / total_pnl if total_pnl != 0 else np.full(len(names), np.nan),
        },
        index=pd.Index(names, name="sleeve"),
    )
    table.loc["total"] = [
        init_cash,
        final,
        total_pnl,
        final / init_cash - 1.0,
        len(t),
        result.fees_paid,
        1.0 if total_pnl != 0 else np.nan,
    ]
    return table.astype({"trades": np.int64})


def coordinate(
    data: Any,
    strategies: Mapping[str, Any],
    *,
    weights: Mapping[str, float] | None = None,
    scheme: str = "fixed",
    rebalance: Any = None,
    conflict: str = "confidence",
    priority: list[str] | None = None,
    lookback: int = 720,
    metric: str = "sharpe",
    tilt: float = 0.5,
    floor: float = 0.05,
    cap: float = 1.0,
    **backtest_kwargs: Any,
) -> CoordinatorResult:
    """Run several strategies on one capital base: isolated sleeves, allocation weights,
    rebalancing and conflict resolution (the rules are in this module's docstring).

    Parameters
    ----------
    data : OHLCV frame or dict of them
        One symbol, or several sharing one time index; every strategy trades every symbol.
    strategies : dict
        Sleeve name -> ``Strategy``, ``(Strategy, params)`` or ``(Strategy, params, keywords)``;
        ``keywords`` are backtest keywords for that sleeve only (e.g. ``{"accumulate": True}`` for
        the grid).
    weights : dict, optional
        Sleeve weights for ``scheme="fixed"`` (default
        :data:`~soltrader.sizing.allocation.DEFAULT_WEIGHTS`, by sleeve or strategy name,
        renormalised) or the base of ``"performance"``.
    scheme : {"fixed", "equal", "risk_parity", "performance"}
        Allocation scheme (:func:`~soltrader.sizing.allocation.allocation_weights`).
    rebalance : None, int or duration
        Rebalance every ``k`` bars or every duration (``"30D"``); None: never.
    conflict : {"confidence", "reward_risk", "priority"}
        Conflict policy; ``priority`` is the tie rule (default: the order of ``strategies``).
    lookback, metric, tilt, floor, cap
        Options of the dynamic schemes (bars, ``"sharpe"`` / ``"return"``, fractions).
    **backtest_kwargs
        Keywords of :func:`~soltrader.engine.backtest.backtest_signals` for every sleeve
        (``init_cash`` is the total capital, quote currency).

    Returns
    -------
    CoordinatorResult

    Examples
    --------
    >>> import soltrader as st
    >>> from soltrader.engine.coordinator import coordinate
    >>> bars = st.data.load("SOL/USDT", "1h")                                  # doctest: +SKIP
    >>> cr = coordinate(bars, {"momentum": (st.strategies.momentum, {}),
    ...                        "mean_reversion": (st.strategies.mean_reversion, {}),
    ...                        "grid": (st.strategies.grid, {}, {"accumulate": True})},
    ...                 scheme="risk_parity", rebalance="30D", fees=0.001)     # doctest: +SKIP
    >>> cr.attribution[["pnl", "return", "pnl_share"]]                         # doctest: +SKIP
    """
    _check_globals(backtest_kwargs)
    init_cash = float(backtest_kwargs.pop("init_cash", 10_000.0))
    if not (np.isfinite(init_cash) and init_cash > 0):
        raise ParameterError("init_cash", f"must be a positive amount, got {init_cash!r}")
    market, frames = _symbols(data)
    sleeves = _sleeves(strategies)
    _check_keyword_index(market, backtest_kwargs, sleeves)
    sigs, conflicts = _resolve(
        market, sleeves, _signals(market, sleeves), conflict, priority, backtest_kwargs
    )
    groups = _groups(sleeves, backtest_kwargs, market.shape[0])
    columns = _prepare(market, sleeves, groups, sigs)
    starts = rebalance_bars(market.index, rebalance)
    _check_periods(starts, market.shape[0], groups)
    options = {"lookback": lookback, "metric": metric, "tilt": tilt, "floor": floor, "cap": cap}
    table = _weights_table(
        market, frames, sleeves, groups, scheme, weights, rebalance, init_cash, options
    )
    book, alloc, end, loose = _simulate(market, frames, sleeves, groups, table, starts, init_cash)
    symbol_of = [sym for _ in sleeves for sym in market.assets]
    full = market_from({c: frames[sym] for c, sym in zip(columns, symbol_of, strict=True)})
    result = book.result(full, np.repeat(np.arange(len(sleeves)), len(market.assets)), init_cash)
    result.params = {
        "coordinator": {"scheme": scheme, "rebalance": rebalance, "conflict": conflict},
        **{sl.name: {"strategy": sl.strategy.name, **sl.params} for sl in sleeves},
    }
    names = [sl.name for sl in sleeves]
    return CoordinatorResult(
        result=result,
        attribution=_attribution(result, names, alloc, end, init_cash),
        conflicts=conflicts,
        weights=table,
        periods=_periods_table(market.index, starts, alloc, names),
        sleeve_returns=pd.DataFrame(
            _sleeve_returns(book, alloc, starts, market.shape[0]), index=market.index, columns=names
        ),
        unflattened=pd.DataFrame(
            [(t, columns[c], v) for t, c, v in loose], columns=["time", "column", "value"]
        ),
    )


def _weights_table(market, frames, sleeves, groups, scheme, weights, rebalance, init_cash, opts):
    """The weights by bar; the dynamic schemes read the sleeves' standalone returns."""
    returns = None
    if scheme in ("risk_parity", "performance"):
        returns = _standalone_returns(market, frames, sleeves, groups, init_cash)
    if scheme == "fixed" and weights is None:
        weights = _default_weights(sleeves)
    names = [sl.name for sl in sleeves]
    return allocation_weights(
        scheme,
        names,
        index=market.index,
        returns=returns,
        rebalance=rebalance,
        weights=weights,
        **opts,
    )


def _periods_table(index, starts, alloc, names) -> pd.DataFrame:
    periods = pd.DataFrame(alloc, columns=names)
    periods.insert(0, "capital", alloc.sum(axis=1))
    periods.insert(0, "start", index[starts])
    periods.insert(0, "last_bar", np.append(starts[1:], len(index)) - 1)
    periods.insert(0, "first_bar", starts)
    return periods


__all__ = ["CoordinatorResult", "coordinate"]
