"""The outcome of one backtest: records, curves, statistics, plots and a report."""

from __future__ import annotations

import contextvars
import functools
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from soltrader.domain.enums import Direction, ExitReason, OrderStatus, OrderType, RejectReason, Side
from soltrader.domain.errors import DataError, InsufficientCashWarning
from soltrader.domain.state import IntentReason, QuantityUnit
from soltrader.engine.inputs import Market
from soltrader.metrics import SUMMARY_FIELDS, elapsed_periods_per_year
from soltrader.metrics import _nb as metrics_nb
from soltrader.metrics._validate import as_scalar
from soltrader.sim import simple
from soltrader.sim._nb import SimArgs
from soltrader.sim.rules import Conventions

_YEAR = pd.Timedelta(days=365)
_REASONS = tuple(r for r in RejectReason if r != RejectReason.NONE)
#: Counts of rejected orders that ``Result.stats()`` gives after :data:`SUMMARY_FIELDS`: all of
#: them, then one per reason (``soltrader.domain.enums.RejectReason``), every key always there.
REJECTION_FIELDS: tuple[str, ...] = (
    "n_rejected",
    *(f"rejected_{r.name.lower()}" for r in _REASONS),
)
_QUIET = contextvars.ContextVar("soltrader_quiet_rejections", default=False)


@contextmanager
def quiet_rejections() -> Iterator[None]:
    """Backtests in this context (this thread) do not warn about entries rejected for cash; a
    sweep uses it, each of its rows would warn otherwise.

    Examples
    --------
    >>> with quiet_rejections():
    ...     pass
    """
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


def _caller_stacklevel() -> int:
    """``stacklevel`` for ``warnings.warn`` pointing at the first frame outside soltrader."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if not (name == "soltrader" or name.startswith("soltrader.")):
            break
        frame = frame.f_back
        level += 1
    return level


def _only_column(frame: pd.DataFrame) -> np.ndarray | None:
    """The one float64 column of a one-account frame, as it is (None for any other frame): its
    own row sums when it has no NaN."""
    values = frame.to_numpy()
    return values[:, 0] if values.shape[1] == 1 and values.dtype == np.float64 else None


def _row_sums(frame: pd.DataFrame) -> np.ndarray:
    """``frame.sum(axis=1)`` as an array, the same numbers (NaN skipped as pandas does): a frame
    of one column without NaN is its own sum, so the common one-account case is read as it is
    (a NaN anywhere makes the column's total NaN: one reduction, no temporary, proves none)."""
    column = _only_column(frame)
    if column is not None and not np.isnan(column.sum()):
        return column
    return frame.sum(axis=1).to_numpy()


@functools.cache
def _stats_index() -> pd.Index:
    """The index of ``Result.stats()``, built once (an Index is immutable: calls share it)."""
    return pd.Index([*SUMMARY_FIELDS, *REJECTION_FIELDS])


def _labels(values: np.ndarray, enum: type, missing: str = "") -> np.ndarray:
    names = {int(e): e.name.lower() for e in enum}
    return np.array([names.get(int(v), missing) for v in values], dtype=object)


class DeferredCurves(NamedTuple):
    """The simulation behind a :class:`Result`'s cash, position and position-value curves,
    kept to build them when they are first read.

    A backtest of the common case writes the equity curve only (the three others are 24 MB of
    memory traffic per million bars, about a sixth of the run with its statistics); reading one
    of them runs the same simulation again with every curve written. The simulation is
    deterministic, so the curves are the ones the first run would have written, bit for bit.
    """

    #: The kernel's inputs (its output arrays without rows: the build allocates them).
    args: SimArgs
    #: Bars that ended with a position other than 0 (what :meth:`Result.stats` counts).
    in_market: int

    def build(
        self, equity: np.ndarray, orders: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The cash (per account), position and position-value (per asset) curves of the run
        that gave ``equity`` (bars x accounts) and the ``orders`` records.

        Raises
        ------
        DataError
            The run again gives another equity curve or other orders: an input the backtest
            read (prices, signals, sizes) or its equity curve was changed in place since it ran,
            and the curves of that run can no longer be built.
        """
        n = self.args.close.shape[0]
        accounts, assets = self.args.cash_out.shape[1], self.args.pos_out.shape[1]
        full = self.args._replace(
            cash_out=np.empty((n, accounts)),
            equity_out=np.empty((n, accounts)),
            pos_out=np.empty((n, assets)),
            value_out=np.empty((n, assets)),
        )
        out = simple.simulate_simple(full)
        same = np.array_equal(out[4].view(np.int64), np.asarray(equity).view(np.int64))
        if not (same and out[0].tobytes() == orders.tobytes()):
            raise DataError(
                "result: its cash, position and position-value curves are built when first "
                "read, by running the backtest again, and that run no longer gives its equity "
                "and orders: an input the backtest read (prices, signals, sizes) or its equity "
                "was changed in place since it ran; run the backtest again",
                field="result",
            )
        return out[3], out[5], out[6]


@dataclass
class Result:
    """Everything one backtest produced.

    Attributes
    ----------
    market : Market
        The bars that were simulated.
    orders_records, fills_records, trades_records : ndarray
        Raw records (``soltrader.domain.records`` dtypes), bar-indexed.
    cash, equity : pandas.Series
        Cash and account value (cash + position values at the close) per bar, summed over
        accounts, quote currency.
    account_cash, account_equity : pandas.DataFrame
        The same per account (columns 0..k-1).
    positions, position_values : pandas.DataFrame
        Signed position (base units) and position value (margin + unrealised P&L, quote) per bar
        and asset; ``cash + position_values.sum(axis=1) == equity`` on every bar.
    accounts : ndarray
        Account of each asset.
    init_cash : float
        Starting cash (all accounts).
    conventions : Conventions
        The fill rules in force.
    deferred : DeferredCurves or None
        Set by a backtest of the common case, which writes only the equity curve: the cash,
        position and position-value curves are then built when one of them is first read (the
        same simulation run again; :meth:`stats` does not need them).
    """

    market: Market
    orders_records: np.ndarray
    fills_records: np.ndarray
    trades_records: np.ndarray
    account_cash: pd.DataFrame
    account_equity: pd.DataFrame
    positions: pd.DataFrame
    position_values: pd.DataFrame
    accounts: np.ndarray
    init_cash: float
    conventions: Conventions
    params: dict[str, Any] = field(default_factory=dict)
    #: Where a :func:`~soltrader.paper_replay` spent its time (a ``ReplayTiming``); None otherwise.
    timing: Any = None
    #: The intents a :func:`~soltrader.paper_replay` sent its venue (``intent_dt`` records); None
    #: for a backtest.
    intents_records: np.ndarray | None = None
    #: The simulator state after the last bar of a :func:`~soltrader.paper_replay` as named
    #: records (``StateRecords``: positions, pending orders, accounts); None for a backtest.
    final_state: Any = None
    #: The run that builds ``account_cash``, ``positions`` and ``position_values`` when they are
    #: first read (given as None then); None when they were given.
    deferred: DeferredCurves | None = None

    @classmethod
    def from_kernel(
        cls,
        market: Market,
        out: tuple,
        *,
        init_cash: float,
        conventions: Conventions,
        accounts: np.ndarray,
        account_cash: np.ndarray,
        params: dict[str, Any] | None = None,
        deferred: DeferredCurves | None = None,
    ) -> Result:
        """Wrap the kernel's output ``(orders, fills, trades, cash, equity, position, value)``;
        warns (:class:`~soltrader.InsufficientCashWarning`, once) when entries were rejected for
        lack of cash. With ``deferred``, ``cash``, ``position`` and ``value`` are None: the
        result builds them when they are first read.

        Raises
        ------
        DataError
            The market has no bars: there is nothing to report on.
        """
        if market.shape[0] == 0:
            raise DataError("data: has no bars; a backtest needs at least one", field="data")
        orders, fills, trades, cash, equity, pos, value = out
        index = market.index
        curves = (None, None, None) if deferred is not None else _curves(market, cash, pos, value)
        result = cls(
            market=market,
            orders_records=orders,
            fills_records=fills,
            trades_records=trades,
            account_cash=curves[0],
            account_equity=pd.DataFrame(equity, index=index, copy=False),
            positions=curves[1],
            position_values=curves[2],
            accounts=np.asarray(accounts),
            init_cash=init_cash,
            conventions=conventions,
            params=dict(params or {}),
            deferred=deferred,
        )
        if not _QUIET.get():
            result._warn_insufficient_cash()
        return result

    def rejections(self) -> pd.Series:
        """Rejected orders by reason (every reason of ``RejectReason``, 0 when none), the
        ``rejected_*`` entries of :meth:`stats`.

        Examples
        --------
        >>> res.rejections()["insufficient_cash"]  # doctest: +SKIP
        154
        """
        return pd.Series(
            self._rejection_counts(),
            index=[x.name.lower() for x in _REASONS],
            dtype=np.int64,
            name="rejected",
        )

    def _rejection_counts(self) -> np.ndarray:
        """Rejected orders per reason of :data:`_REASONS` (int64, in that order)."""
        r = self.orders_records
        codes = r["reject_reason"][r["status"] == int(OrderStatus.REJECTED)].astype(np.int64)
        counts = np.bincount(codes, minlength=max(int(x) for x in RejectReason) + 1)
        return counts[[int(x) for x in _REASONS]].astype(np.int64, copy=False)

    def _warn_insufficient_cash(self) -> None:
        r = self.orders_records
        refused = (r["status"] == int(OrderStatus.REJECTED)) & (
            r["reject_reason"] == int(RejectReason.INSUFFICIENT_CASH)
        )
        n = int(refused.sum())
        if n == 0:
            return
        m = self.market.shape[1]
        accounts = len(np.unique(self.accounts))
        first = r[refused][0]
        value = float(self.account_equity.iloc[int(first["exec_bar"]), int(first["account"])])
        start = float(self.account_equity.iloc[0, int(first["account"])])
        if value < 0.01 * start:
            remedy = (
                f"the account was worth {value:,.2f} (of {start:,.2f}) at the first one: it was "
                "ruined, no size fits; see res.equity"
            )
        elif m > accounts:
            remedy = (
                f"{m} assets share {accounts} account(s) and each entry spends its cash: give a "
                f"smaller size per asset (e.g. size={1 / m:.3g} with size_type='percent') or an "
                f"account per asset (accounts={list(range(m))})"
            )
        else:
            remedy = (
                "the cash could not pay for them (size and fees, fixed fees included): give a "
                "smaller size (size=0.5 with size_type='percent' spends half the cash)"
            )
        warnings.warn(
            f"{n} entr{'y' if n == 1 else 'ies'} rejected for lack of cash: {remedy}. "
            "stats()['rejected_insufficient_cash'] counts them; "
            "res.orders.query(\"reject_reason == 'insufficient_cash'\") lists them.",
            InsufficientCashWarning,
            stacklevel=_caller_stacklevel(),
        )

    @property
    def cash(self) -> pd.Series:
        """Cash of all accounts per bar, quote currency."""
        return self.account_cash.sum(axis=1).rename("cash")

    @property
    def equity(self) -> pd.Series:
        """Account value of all accounts per bar (cash + position values), quote currency."""
        frame = self.account_equity
        return pd.Series(_row_sums(frame), index=frame.index, name="equity")

    def _time(self, bars: np.ndarray) -> pd.DatetimeIndex:
        idx = self.market.index
        safe = np.where(bars >= 0, bars, 0)
        times = idx[safe]
        return times.where(bars >= 0, pd.NaT)

    def _asset(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(self.market.assets, dtype=object)[values]

    @property
    def trades(self) -> pd.DataFrame:
        """One row per round trip: entry/exit time and price, size, fees, pnl, return, reason.

        ``pnl`` is in quote currency after all fees; ``return`` is pnl over the capital committed
        at entry (entry notional + entry fees). Open positions appear with ``is_open=True``,
        marked at the last close.
        """
        r = self.trades_records
        return pd.DataFrame(
            {
                "asset": self._asset(r["asset"]),
                "direction": _labels(r["direction"], Direction),
                "entry_time": self._time(r["entry_bar"]),
                "exit_time": self._time(r["exit_bar"]),
                "entry_price": r["entry_price"],
                "exit_price": r["exit_price"],
                "size": r["size"],
                "entry_fees": r["entry_fees"],
                "exit_fees": r["exit_fees"],
                "fees": r["entry_fees"] + r["exit_fees"],
                "pnl": r["pnl"],
                "return": r["ret"],
                "exit_reason": _labels(r["exit_reason"], ExitReason),
                "is_open": r["is_open"],
                "entry_bar": r["entry_bar"],
                "exit_bar": r["exit_bar"],
            }
        )

    @property
    def orders(self) -> pd.DataFrame:
        """One row per order: when it was decided and when it executed (or was rejected,
        cancelled, expired), side, type, size requested and filled, price, status, fees.

        ``decision_time`` / ``decision_bar`` are the bar whose close decided the order (for a
        protective exit, the bar whose price reached its level); ``exec_time`` / ``exec_bar`` the
        bar it filled on or was rejected, cancelled or expired on (see
        :mod:`soltrader.domain.records`). With ``fill="next_open"`` a market order executes one
        bar after its decision. ``requested_size`` is NaN for an order refused or withdrawn
        before it was sized.
        """
        r = self.orders_records
        return pd.DataFrame(
            {
                "decision_time": self._time(r["decision_bar"]),
                "exec_time": self._time(r["exec_bar"]),
                "asset": self._asset(r["asset"]),
                "side": _labels(r["side"], Side),
                "type": _labels(r["type"], OrderType),
                "requested_size": r["requested_size"],
                "filled_size": r["filled_size"],
                "limit_price": r["limit_price"],
                "stop_price": r["stop_price"],
                "status": _labels(r["status"], OrderStatus),
                "reject_reason": _labels(r["reject_reason"], RejectReason),
                "price": r["avg_price"],
                "fees": r["fees"],
                "decision_bar": r["decision_bar"],
                "exec_bar": r["exec_bar"],
            }
        )

    @property
    def fills(self) -> pd.DataFrame:
        """One row per execution: time, side, size, price (after slippage), fees, reason."""
        r = self.fills_records
        return pd.DataFrame(
            {
                "time": self._time(r["bar"]),
                "asset": self._asset(r["asset"]),
                "order_id": r["order_id"],
                "side": _labels(r["side"], Side),
                "size": r["size"],
                "price": r["price"],
                "fees": r["fees"],
                "reason": _labels(r["reason"], ExitReason, missing="entry"),
                "bar": r["bar"],
            }
        )

    @property
    def intents(self) -> pd.DataFrame | None:
        """One row per intent a :func:`~soltrader.paper_replay` sent its paper venue (None for a
        backtest): entries, exits, cancels and the protective orders, with the quantity fixed at
        the decision in its unit (``base``, ``quote`` or ``cash_fraction``), the deterministic
        ``client_id`` and the id of the order it ``replaces`` (0: none), as 16-digit hex."""
        r = self.intents_records
        if r is None:
            return None
        return pd.DataFrame(
            {
                "decision_time": self._time(r["decision_bar"]),
                "asset": self._asset(r["asset"]),
                "reason": _labels(r["reason"], IntentReason),
                "side": _labels(r["side"], Side),
                "kind": _labels(r["kind"], OrderType),
                "quantity": r["quantity"],
                "unit": _labels(r["unit"], QuantityUnit),
                "limit_price": r["limit_price"],
                "stop_price": r["stop_price"],
                "tif": r["tif"],
                "reduce_only": r["reduce_only"],
                "post_only": r["post_only"],
                "client_id": [f"{int(x):016x}" for x in r["client_id"]],
                "replaces": [f"{int(x):016x}" if x else "" for x in r["replaces"]],
                "decision_bar": r["decision_bar"],
            }
        )

    @property
    def fees_paid(self) -> float:
        """Every cost paid, quote currency: fees of all fills (liquidation fees included) and the
        fees of transactions that failed."""
        return float(
            metrics_nb.fees_of_records_nb(
                self.fills_records, self.orders_records, int(RejectReason.TX_FAILED)
            )
        )

    def periods_per_year(self) -> float:
        """Bars per 365-day year of elapsed time: ``n_bars / elapsed_years``, the span running
        from the first bar's open to the last bar's end (see
        :func:`soltrader.metrics.elapsed_periods_per_year`; without gaps, ``365 days / bar``).

        Examples
        --------
        >>> res.periods_per_year()  # 1h bars without gaps  # doctest: +SKIP
        8760.0
        """
        market = self.market
        return elapsed_periods_per_year(
            market.index, name="data", first_step_count=market.first_step_count()
        )

    def _stats_into(
        self, out: np.ndarray, equity: np.ndarray, in_market: int, ppy: float, rf: float
    ) -> int:
        """:func:`soltrader.metrics._nb.backtest_stats_nb` of ``equity`` into ``out``; its flags."""
        return metrics_nb.backtest_stats_nb(
            equity,
            float(self.init_cash),
            in_market,
            self.trades_records,
            self.fees_paid,
            ppy,
            rf,
            out,
            np.empty(equity.shape[0]),
            np.empty(0),  # no first pass run yet: the statistics read the curve
        )

    def stats(self, *, risk_free: float = 0.0) -> pd.Series:
        """Every metric of the backtest (see :func:`soltrader.metrics.summary` for definitions;
        fractions, not percents; a 365-day year).

        Annualised by elapsed time, as quantstats does: ``periods_per_year`` is the number of
        bars per year of the span from the first bar's open to the last bar's end
        (:meth:`periods_per_year`), so ``annualized_return = (end_value / start_value) **
        (1 / elapsed_years) - 1`` and gaps in the data do not inflate annualised figures.

        ``fees_paid`` counts every cost, failed transactions included; ``exposure`` is the share
        of bars with any open position. After the :data:`~soltrader.metrics.SUMMARY_FIELDS`
        come the counts of rejected orders (:data:`REJECTION_FIELDS`): ``n_rejected``, then
        ``rejected_<reason>`` for every reason (e.g. ``rejected_insufficient_cash``), 0 when
        none. A sweep's table has the ``SUMMARY_FIELDS`` only.

        Examples
        --------
        >>> res.stats()[["total_return", "sharpe", "max_drawdown"]]  # doctest: +SKIP
        """
        frame = self.account_equity
        column = _only_column(frame)  # _row_sums without its NaN pass: the statistics find NaN
        one = column is not None
        equity = column if one else frame.sum(axis=1).to_numpy()
        equity = np.ascontiguousarray(equity, dtype=np.float64)
        if self.__dict__.get("_positions") is None and self.deferred is not None:
            in_market = self.deferred.in_market  # the curve was not built: nobody changed it
        else:
            in_market = metrics_nb.rows_in_market_nb(self.positions.to_numpy())
        ppy = self.periods_per_year()
        rf = metrics_nb.per_bar_rate_nb(
            as_scalar(risk_free, "risk_free", low=-1.0, strict=True), ppy
        )
        out = np.empty(metrics_nb.N_STATS)
        flags = self._stats_into(out, equity, in_market, ppy, rf)
        if one and flags & metrics_nb.STATS_NAN:  # a NaN value: row sums skip it (as .equity)
            equity = np.ascontiguousarray(_row_sums(frame), dtype=np.float64)
            flags = self._stats_into(out, equity, in_market, ppy, rf)
        if flags & metrics_nb.STATS_RUINED:  # its curve statistics by their own formulas
            init = float(self.init_cash)
            metrics_nb.ruined_stats_nb(equity, init, self.trades_records, ppy, rf, out)
        counts = self._rejection_counts().astype(np.float64)
        return pd.Series(
            np.concatenate([out, [counts.sum()], counts]),
            index=_stats_index(),
            dtype=np.float64,
            name="summary",
        )

    def plot(self, *, asset: str | None = None):
        """Price with entries, exits and stop levels hit; equity; drawdown (matplotlib Figure).

        Examples
        --------
        >>> fig = res.plot()  # doctest: +SKIP
        """
        from soltrader.report.backtest import plot_result

        return plot_result(self, asset=asset)

    def report(self, path: str, *, title: str = "Backtest report") -> str:
        """Write one self-contained HTML file (stats, figures embedded as PNG, trades); returns
        the path.

        Examples
        --------
        >>> res.report("backtests/demo/report.html")  # doctest: +SKIP
        """
        from soltrader.report.backtest import html_report

        return html_report(self, path, title=title)

    def __repr__(self) -> str:
        n, m = self.market.shape
        end = f"{self.equity.iloc[-1]:,.2f}" if n else "(no bars)"
        return (
            f"Result({m} asset(s) x {n} bars, {len(self.trades_records)} trades, "
            f"equity {self.init_cash:,.2f} -> {end})"
        )


def _curves(
    market: Market, cash: np.ndarray, pos: np.ndarray, value: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The kernel's cash (per account), position and position-value (per asset) curves as the
    frames of a :class:`Result`."""
    index, names = market.index, list(market.assets)
    return (
        pd.DataFrame(cash, index=index, copy=False),
        pd.DataFrame(pos, index=index, columns=names, copy=False),
        pd.DataFrame(value, index=index, columns=names, copy=False),
    )


def _build_deferred(result: Result) -> None:
    """Build the curves of ``result.deferred`` into the result (see :class:`DeferredCurves`)."""
    assert result.deferred is not None
    equity = np.ascontiguousarray(result.account_equity.to_numpy(), dtype=np.float64)
    frames = _curves(result.market, *result.deferred.build(equity, result.orders_records))
    for name, frame in zip(_DEFERRED, frames, strict=True):
        if result.__dict__.get("_" + name) is None:  # another thread may have built it
            result.__dict__["_" + name] = frame


def _deferred_curve(name: str) -> property:
    """The dataclass field ``name`` of :class:`Result` as a property kept in ``_name`` that
    builds the deferred curves on first read; assigning it (the dataclass ``__init__``,
    ``dataclasses.replace``, a user) sets it as a field would."""
    slot = "_" + name

    def get(self: Result) -> pd.DataFrame:
        frame = self.__dict__.get(slot)
        if frame is None and self.deferred is not None:
            _build_deferred(self)
            frame = self.__dict__[slot]
        return frame

    def set_(self: Result, frame: pd.DataFrame | None) -> None:
        self.__dict__[slot] = frame

    return property(get, set_, doc=f"See :class:`Result` ({name}).")


#: The curves a backtest of the common case builds on first read.
_DEFERRED = ("account_cash", "positions", "position_values")
for _name in _DEFERRED:
    setattr(Result, _name, _deferred_curve(_name))
