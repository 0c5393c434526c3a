"""The outcome of one backtest: records, curves, statistics, plots and a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from soltrader.domain.enums import Direction, ExitReason, OrderStatus, OrderType, RejectReason, Side
from soltrader.domain.errors import ParameterError
from soltrader.engine.inputs import Market
from soltrader.metrics import SUMMARY_FIELDS
from soltrader.metrics import _nb as metrics_nb
from soltrader.metrics._validate import as_scalar
from soltrader.sim.rules import Conventions

_YEAR = pd.Timedelta(days=365)


def _labels(values: np.ndarray, enum: type, missing: str = "") -> np.ndarray:
    names = {int(e): e.name.lower() for e in enum}
    return np.array([names.get(int(v), missing) for v in values], dtype=object)


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
    ) -> Result:
        """Wrap the kernel's output ``(orders, fills, trades, cash, equity, position, value)``."""
        orders, fills, trades, cash, equity, pos, value = out
        index = market.index
        names = list(market.assets)
        return cls(
            market=market,
            orders_records=orders,
            fills_records=fills,
            trades_records=trades,
            account_cash=pd.DataFrame(cash, index=index, copy=False),
            account_equity=pd.DataFrame(equity, index=index, copy=False),
            positions=pd.DataFrame(pos, index=index, columns=names, copy=False),
            position_values=pd.DataFrame(value, index=index, columns=names, copy=False),
            accounts=np.asarray(accounts),
            init_cash=init_cash,
            conventions=conventions,
            params=dict(params or {}),
        )

    @property
    def cash(self) -> pd.Series:
        """Cash of all accounts per bar, quote currency."""
        return self.account_cash.sum(axis=1).rename("cash")

    @property
    def equity(self) -> pd.Series:
        """Account value of all accounts per bar (cash + position values), quote currency."""
        return self.account_equity.sum(axis=1).rename("equity")

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
    def fees_paid(self) -> float:
        """Every cost paid, quote currency: fees of all fills (liquidation fees included) and the
        fees of transactions that failed."""
        return float(
            metrics_nb.fees_of_records_nb(
                self.fills_records, self.orders_records, int(RejectReason.TX_FAILED)
            )
        )

    def periods_per_year(self) -> float:
        """Bars per 365-day year, from the most common spacing of the time index."""
        idx = self.market.index
        if len(idx) < 2:
            raise ParameterError("data", "at least 2 bars are needed to annualise statistics")
        step = pd.Series(np.diff(idx.asi8)).mode().iloc[0]
        return _YEAR.value / float(step)

    def stats(self, *, risk_free: float = 0.0) -> pd.Series:
        """Every metric of the backtest (see :func:`soltrader.metrics.summary` for definitions;
        fractions, not percents; a 365-day year).

        ``fees_paid`` counts every cost, failed transactions included; ``exposure`` is the share
        of bars with any open position.

        Examples
        --------
        >>> res.stats()[["total_return", "sharpe", "max_drawdown"]]  # doctest: +SKIP
        """
        equity = np.ascontiguousarray(self.equity.to_numpy(), dtype=np.float64)
        in_market = int((self.positions.to_numpy() != 0.0).any(axis=1).sum())
        ppy = self.periods_per_year()
        rf = metrics_nb.per_bar_rate_nb(
            as_scalar(risk_free, "risk_free", low=-1.0, strict=True), ppy
        )
        out = np.empty(metrics_nb.N_STATS)
        metrics_nb.backtest_stats_nb(
            equity,
            float(self.init_cash),
            in_market,
            self.trades_records,
            self.fees_paid,
            ppy,
            rf,
            out,
            np.empty(equity.shape[0]),
        )
        return pd.Series(out, index=list(SUMMARY_FIELDS), dtype=np.float64, name="summary")

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
        return (
            f"Result({m} asset(s) x {n} bars, {len(self.trades_records)} trades, "
            f"equity {self.init_cash:,.2f} -> {self.equity.iloc[-1]:,.2f})"
        )
