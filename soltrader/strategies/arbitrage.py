"""Arbitrage between two venues (or two pools) quoting one pair: a two-series strategy.

Venue A and venue B quote the same pair (e.g. SOL/USDT on a centralised exchange and SOL/USDC
in a constant-product pool). When B is dearer than A by more than the cost of trading both legs
there and back, buy A and sell B at the same bar; close both legs when the gap has closed.

Rules (decisions on each bar's close, both legs filled at that same close)
-------------------------------------------------------------------------
With ``pa, pb`` the closes of A and B at bar t and ``q = size`` base units:

* **gross spread** ``spread_ab = pb / pa - 1`` (B over A) and ``spread_ba = pa / pb - 1``;
* **round-trip cost** ``C``, quote currency: the cost of all four fills a position needs (buy and
  sell on A, sell and buy on B), each measured against its own venue's close: the taker fee on
  the executed notional, the constant-product price impact (pool fee included) of ``q`` units
  when the venue is an AMM pool, the fixed fee per order and the Solana transaction cost per
  fill (lamports x SOL price). ``C`` is the same in both directions;
* **net edge** ``edge_ab = spread_ab - C / (q * pa)`` (buy A, sell B) and
  ``edge_ba = spread_ba - C / (q * pb)`` (buy B, sell A): the return on the bought leg of a round
  trip entered now and closed once the prices have met, at today's costs;
* **entry** when flat and ``edge_ab > min_edge``: long ``q`` of A **and** short ``q`` of B on the
  same bar (mirror: ``edge_ba > min_edge`` -> long B, short A);
* **exit** of both legs at the first later bar where the position's gross spread has reverted to
  ``<= exit_edge`` (``spread_ab`` for long A / short B), or ``max_bars`` bars after the entry
  (0: no time limit); no new entry on the bar of an exit;
* one pair position at a time: no entry while it is open, no exit test on its entry bar.
  ``min_edge`` (>= 0) is a *net* edge and ``exit_edge`` a *gross* spread, so an exit level above
  ``min_edge`` is legitimate (enter at a net 0.3 %, i.e. a gross 1.3 % with 1 % of costs, and
  exit at a gross 1.2 %).

Fills at the decision bar's close (``fill="close"``), not the next open: an arbitrage is a price
difference at one instant, measured on two closes that exist only at that instant; filling at the
next open would trade a different spread (an hour later on 1h bars) and test the persistence of
the gap, not the arbitrage. It assumes both legs execute at the observed closes, i.e. a latency
small against the bar, which is optimistic; ``fill="next_open"`` shows how much edge survives one
bar of delay. Decisions use bars ``0..t`` only.

Why not a :class:`~soltrader.strategies.Strategy`: a ``Strategy`` is a signal function of one
asset's bars, and the replay engine runs it on every asset independently. Arbitrage needs both
series at every bar, so it has its own entry points: :func:`arbitrage_signals` (two ``Bars``),
:func:`arbitrage_inputs` (the keywords of one ``backtest_signals`` call on ``{a, b}``) and
the engine's ``st.arbitrage_backtest`` (that call, checked). It is not in the strategy
registry.

Examples
--------
>>> import soltrader as st
>>> res = st.arbitrage_backtest(binance, gemini, size=10.0, fees_a=0.001, fees_b=0.004,
...                             min_edge=0.003, max_bars=2)                 # doctest: +SKIP
>>> res.trades[["asset", "direction", "entry_price", "exit_price", "pnl"]]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numba import njit

from soltrader.costs._nb import amm_quote_in_nb, amm_quote_out_nb, amm_reserves_nb
from soltrader.costs.models import LAMPORTS_PER_SOL, AMMPool, FeeSchedule, SolanaTxCost
from soltrader.data.schema import ohlcv_arrays
from soltrader.domain.enums import OrderStatus, RejectReason
from soltrader.domain.errors import DataError, ParameterError
from soltrader.strategies.spec import Bars, Signals


@njit(cache=True, nogil=True)
def leg_round_trip_cost_nb(price, size, fee, fixed, liquidity, pool_fee, tx):
    """Cost, quote currency, of buying and of selling ``size`` units on one venue at ``price``.

    Each fill costs its price impact against ``price`` (constant-product curve of depth
    ``liquidity`` with ``pool_fee`` on the input; none when ``liquidity`` is NaN), the taker
    ``fee`` on its executed notional, ``fixed`` and ``tx`` (quote). ``inf`` when ``size`` exceeds
    the pool's base reserve.

    Examples
    --------
    >>> round(leg_round_trip_cost_nb(100.0, 2.0, 0.001, 0.0, np.nan, 0.0, 0.5), 6)
    1.4
    """
    buy_px = price
    sell_px = price
    if not np.isnan(liquidity):
        x, y = amm_reserves_nb(liquidity, price)
        buy_px = amm_quote_in_nb(x, y, size, pool_fee) / size
        sell_px = amm_quote_out_nb(x, y, size, pool_fee) / size
        if not np.isfinite(buy_px):  # more than the pool's base reserve
            return np.inf
    buy = size * (buy_px - price) + fee * size * buy_px + fixed + tx
    sell = size * (price - sell_px) + fee * size * sell_px + fixed + tx
    return buy + sell


@njit(cache=True, nogil=True)
def arbitrage_edge_nb(
    close_a,
    close_b,
    size,
    fee_a,
    fee_b,
    fixed_a,
    fixed_b,
    liq_a,
    liq_b,
    pool_fee_a,
    pool_fee_b,
    tx_a,
    tx_b,
):
    """Net edge per bar of "buy A, sell B" and of "buy B, sell A", fractions.

    Parameters
    ----------
    close_a, close_b : ndarray (n,)
        Reference prices of the two venues, quote currency.
    size : float
        Trade size of each leg, base units (> 0).
    fee_a, fee_b : float
        Taker fees, fractions of the executed notional.
    fixed_a, fixed_b : float
        Fixed fee per order, quote currency.
    liq_a, liq_b : ndarray (n,)
        Pool depth ``sqrt(x * y)`` per bar, NaN where the venue is not a constant-product pool.
    pool_fee_a, pool_fee_b : float
        Pool fees on the input amount, fractions.
    tx_a, tx_b : ndarray (n,)
        Transaction cost per fill, quote currency (0 for a centralised venue).

    Returns
    -------
    edge_ab, edge_ba : ndarray (n,)
        ``pb/pa - 1 - C/(size*pa)`` and ``pa/pb - 1 - C/(size*pb)`` with ``C`` the cost of the
        four fills of a round trip (see the module docstring); NaN where a price is not > 0.

    Examples
    --------
    >>> nan = np.full(1, np.nan); zero = np.zeros(1)
    >>> ab, ba = arbitrage_edge_nb(np.array([100.0]), np.array([101.0]), 1.0, 0.001, 0.001,
    ...                            0.0, 0.0, nan, nan, 0.0, 0.0, zero, zero)
    >>> round(float(ab[0]), 6)
    0.00598
    """
    n = close_a.shape[0]
    edge_ab = np.full(n, np.nan)
    edge_ba = np.full(n, np.nan)
    for t in range(n):
        pa = close_a[t]
        pb = close_b[t]
        if not (pa > 0.0 and pb > 0.0):
            continue
        cost = leg_round_trip_cost_nb(pa, size, fee_a, fixed_a, liq_a[t], pool_fee_a, tx_a[t])
        cost += leg_round_trip_cost_nb(pb, size, fee_b, fixed_b, liq_b[t], pool_fee_b, tx_b[t])
        edge_ab[t] = pb / pa - 1.0 - cost / (size * pa)
        edge_ba[t] = pa / pb - 1.0 - cost / (size * pb)
    return edge_ab, edge_ba


@njit(cache=True, nogil=True)
def arbitrage_signals_nb(close_a, close_b, edge_ab, edge_ba, min_edge, exit_edge, max_bars):
    """The pair position's decisions: ``(enter_ab, exit_ab, enter_ba, exit_ba, state)``.

    ``enter_ab``: long A / short B opens at the bar's close; ``exit_ab``: it closes; ``_ba`` the
    mirror. ``state`` is the pair position after the bar's decision: +1 (long A, short B), -1
    (long B, short A) or 0. The rules are those of the module docstring.

    Examples
    --------
    >>> a = np.array([100.0, 100.0, 100.0]); b = np.array([100.0, 102.0, 100.0])
    >>> out = arbitrage_signals_nb(a, b, b / a - 1.01, a / b - 1.01, 0.005, 0.0, 0)
    >>> np.flatnonzero(out[0]), np.flatnonzero(out[1]), out[4].tolist()
    (array([1]), array([2]), [0, 1, 0])
    """
    n = close_a.shape[0]
    enter_ab = np.zeros(n, dtype=np.bool_)
    exit_ab = np.zeros(n, dtype=np.bool_)
    enter_ba = np.zeros(n, dtype=np.bool_)
    exit_ba = np.zeros(n, dtype=np.bool_)
    state = np.zeros(n, dtype=np.int8)
    pos = 0
    since = 0
    for t in range(n):
        if pos != 0:
            if pos > 0:
                spread = close_b[t] / close_a[t] - 1.0
            else:
                spread = close_a[t] / close_b[t] - 1.0
            if spread <= exit_edge or (max_bars > 0 and t - since >= max_bars):
                exit_ab[t] = pos > 0
                exit_ba[t] = pos < 0
                pos = 0
        elif edge_ab[t] > min_edge:
            enter_ab[t] = True
            pos = 1
            since = t
        elif edge_ba[t] > min_edge:
            enter_ba[t] = True
            pos = -1
            since = t
        state[t] = pos
    return enter_ab, exit_ab, enter_ba, exit_ba, state


class ArbitrageSignals(NamedTuple):
    """Per-leg signals of an arbitrage and the series behind them.

    Attributes
    ----------
    a, b : Signals
        Each leg's ``entries`` / ``exits`` (its long side) and ``short_entries`` /
        ``short_exits`` (its short side), decisions at each bar's close.
    edge_ab, edge_ba : ndarray (n,)
        Net edge of buying A / selling B and of the mirror trade, fractions.
    spread_ab : ndarray (n,)
        Gross spread ``pb / pa - 1``, fraction.
    state : ndarray (n,) of int8
        Pair position after each bar: +1 long A / short B, -1 long B / short A, 0 flat.
    """

    a: Signals
    b: Signals
    edge_ab: np.ndarray
    edge_ba: np.ndarray
    spread_ab: np.ndarray
    state: np.ndarray


@dataclass(frozen=True)
class _Leg:
    """One venue's cost inputs for the edge kernel."""

    taker: float
    fixed: float
    liquidity: np.ndarray  # (n,), NaN: not a pool
    pool_fee: float
    tx: np.ndarray  # (n,), quote per fill


def _fee_parts(fees: float | FeeSchedule, name: str) -> tuple[float, float]:
    """(taker fraction, fixed fee per order) of a fee argument."""
    if isinstance(fees, FeeSchedule):
        if fees.tiers:
            raise ParameterError(
                name,
                "volume tiers are not supported per leg: give the taker fee of your tier "
                "(a float or a FeeSchedule without tiers)",
            )
        return float(fees.taker), float(fees.fixed)
    try:
        value = float(fees)
    except (TypeError, ValueError):
        raise ParameterError(name, f"must be a taker fee fraction >= 0, got {fees!r}") from None
    if not (np.isfinite(value) and value >= 0.0):
        raise ParameterError(name, f"must be a taker fee fraction >= 0, got {fees!r}")
    return value, 0.0


def _per_bar(value: Any, n: int, name: str) -> np.ndarray:
    """A scalar or (n,) array of finite positive numbers as a float (n,) array."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ParameterError(name, f"needs a scalar or one value per bar ({n}), got {arr.shape}")
    bad = ~(np.isfinite(arr) & (arr > 0.0))
    if bad.any():
        raise ParameterError(name, f"must be finite and > 0, row {int(np.flatnonzero(bad)[0])}")
    return arr


def _leg(
    close: np.ndarray,
    fees: float | FeeSchedule,
    pool: AMMPool | None,
    solana: SolanaTxCost | None,
    name: str,
) -> _Leg:
    n = close.shape[0]
    taker, fixed = _fee_parts(fees, f"fees_{name}")
    if pool is not None and not isinstance(pool, AMMPool):
        raise ParameterError(f"pool_{name}", f"expected an AMMPool, got {type(pool).__name__}")
    liq = np.full(n, np.nan) if pool is None else _per_bar(pool.liquidity, n, f"pool_{name}")
    tx = np.zeros(n)
    if solana is not None:
        if not isinstance(solana, SolanaTxCost):
            raise ParameterError("solana", f"expected a SolanaTxCost, got {type(solana).__name__}")
        sol = close if solana.sol_price is None else _per_bar(solana.sol_price, n, "sol_price")
        tx = solana.success_lamports / LAMPORTS_PER_SOL * sol
    return _Leg(taker, fixed, liq, 0.0 if pool is None else float(pool.fee), tx)


def _check_closes(a: Bars, b: Bars) -> None:
    if a.close.shape != b.close.shape or a.close.ndim != 1:
        raise ParameterError(
            "b", f"needs as many bars as a ({a.close.shape} vs {b.close.shape}), aligned in time"
        )
    for leg, close in (("a", a.close), ("b", b.close)):
        bad = ~(np.isfinite(close) & (close > 0.0))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"leg {leg}: close at row {row} is {close[row]!r}; every bar needs a price > 0",
                code="nan" if not np.isfinite(close[row]) else "non_positive",
                row=row,
                field="close",
            )


def _check_params(size: float, min_edge: float, exit_edge: float, max_bars: int) -> None:
    for name, value in (("size", size), ("min_edge", min_edge), ("exit_edge", exit_edge)):
        if not isinstance(value, int | float | np.integer | np.floating):
            raise ParameterError(name, f"must be a number, got {value!r}")
    if not (np.isfinite(size) and size > 0):
        raise ParameterError("size", f"must be a positive amount of base units, got {size!r}")
    if not (np.isfinite(min_edge) and min_edge >= 0.0):
        raise ParameterError("min_edge", f"must be a fraction >= 0, got {min_edge!r}")
    if not np.isfinite(exit_edge):
        raise ParameterError("exit_edge", f"must be a finite fraction, got {exit_edge!r}")
    if int(max_bars) != max_bars or max_bars < 0:
        raise ParameterError("max_bars", f"must be a whole number of bars >= 0, got {max_bars!r}")


def arbitrage_signals(
    a: Bars,
    b: Bars,
    *,
    size: float,
    fees_a: float | FeeSchedule = 0.0,
    fees_b: float | FeeSchedule = 0.0,
    pool_a: AMMPool | None = None,
    pool_b: AMMPool | None = None,
    solana: SolanaTxCost | None = None,
    min_edge: float = 0.002,
    exit_edge: float = 0.0,
    max_bars: int = 0,
) -> ArbitrageSignals:
    """Per-leg entry and exit decisions of the two-venue arbitrage (rules: module docstring).

    Parameters
    ----------
    a, b : Bars
        The two venues' bars, aligned on one time index (same length); closes in the same
        quote currency.
    size : float
        Base units traded on each leg (the edge depends on it through the pools' impact and the
        fixed costs).
    fees_a, fees_b : float or FeeSchedule
        Taker fee of each venue, fraction of notional (a ``FeeSchedule`` adds its fixed fee per
        order; volume tiers are refused). A pool's own fee belongs in its ``AMMPool``.
    pool_a, pool_b : AMMPool, optional
        The venue is a constant-product pool of that depth (scalar or per bar) and fee.
    solana : SolanaTxCost, optional
        Transaction cost charged on every fill of both legs: ``success_lamports`` / 1e9 x the SOL
        price (``sol_price``, or each leg's own close when ``None``, i.e. a SOL pair). Its
        ``fail_rate`` does not enter the edge.
    min_edge : float
        Entry threshold on the net edge, fraction (>= 0).
    exit_edge : float
        Exit when the position's gross spread is ``<= exit_edge`` (fraction; may be negative:
        wait for the gap to overshoot).
    max_bars : int
        Exit ``max_bars`` bars after the entry at the latest (0: no limit).

    Returns
    -------
    ArbitrageSignals

    Raises
    ------
    ParameterError
        Bad parameters, negative fees, series of different lengths.
    DataError
        A close that is missing, not finite or not > 0 (naming the leg and row).

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones(3)
    >>> a = Bars(*[100.0 * one] * 4, one); b = Bars(*[np.array([100.0, 102.0, 100.0])] * 4, one)
    >>> sig = arbitrage_signals(a, b, size=1.0, fees_a=0.001, fees_b=0.001, min_edge=0.005)
    >>> np.flatnonzero(sig.a.entries), np.flatnonzero(sig.b.short_exits)
    (array([1]), array([2]))
    """
    _check_params(size, min_edge, exit_edge, max_bars)
    _check_closes(a, b)
    la = _leg(a.close, fees_a, pool_a, solana, "a")
    lb = _leg(b.close, fees_b, pool_b, solana, "b")
    edge_ab, edge_ba = arbitrage_edge_nb(
        a.close,
        b.close,
        float(size),
        la.taker,
        lb.taker,
        la.fixed,
        lb.fixed,
        la.liquidity,
        lb.liquidity,
        la.pool_fee,
        lb.pool_fee,
        la.tx,
        lb.tx,
    )
    e_ab, x_ab, e_ba, x_ba, state = arbitrage_signals_nb(
        a.close, b.close, edge_ab, edge_ba, float(min_edge), float(exit_edge), int(max_bars)
    )
    return ArbitrageSignals(
        a=Signals(e_ab, x_ab, short_entries=e_ba, short_exits=x_ba),
        b=Signals(e_ba, x_ba, short_entries=e_ab, short_exits=x_ab),
        edge_ab=edge_ab,
        edge_ba=edge_ba,
        spread_ab=b.close / a.close - 1.0,
        state=state,
    )


@dataclass(frozen=True)
class LegPools(AMMPool):
    """The pools of the two legs for one simulation: ``liquidity`` of shape (n, 2), a column of
    NaN for a leg that is not a pool (the simulator then fills it at the bar's price), and the
    pool ``fee`` the simulator applies to every pool fill of the run.

    Examples
    --------
    >>> LegPools(liquidity=np.array([[1e6, np.nan]]), fee=0.003).fee
    0.003
    """

    def __post_init__(self) -> None:
        if not (np.isfinite(self.fee) and self.fee >= 0.0):
            raise ParameterError("amm.fee", f"must be a finite number >= 0, got {self.fee!r}")
        liq = np.asarray(self.liquidity, dtype=np.float64)
        if liq.ndim != 2 or liq.shape[1] != 2:
            raise ParameterError("amm.liquidity", f"needs shape (n, 2), got {liq.shape}")
        for col in liq.T:
            if not (np.isnan(col).all() or (np.isfinite(col) & (col > 0.0)).all()):
                raise ParameterError("amm.liquidity", "a leg's column must be all NaN or all > 0")


def _sim_pools(pool_a: AMMPool | None, pool_b: AMMPool | None, n: int) -> AMMPool | None:
    """One pool argument for the simulator covering both legs (it takes one pool fee per run)."""
    if pool_a is None and pool_b is None:
        return None
    if pool_a is not None and pool_b is not None and pool_a.fee != pool_b.fee:
        raise ParameterError(
            "pool_b",
            f"the simulator applies one pool fee per run; pool_a has {pool_a.fee!r} and pool_b "
            f"{pool_b.fee!r}",
        )
    cols = [
        np.full(n, np.nan) if pool is None else _per_bar(pool.liquidity, n, f"pool_{leg}")
        for leg, pool in (("a", pool_a), ("b", pool_b))
    ]
    fee = pool_a.fee if pool_a is not None else pool_b.fee  # type: ignore[union-attr]
    return LegPools(liquidity=np.column_stack(cols), fee=fee)


def _aligned_bars(a_frame: Any, b_frame: Any) -> tuple[Bars, Bars]:
    """Both frames' bars after checking that their bar times are identical."""
    arrs = [ohlcv_arrays(f) for f in (a_frame, b_frame)]
    ta, tb = arrs[0].ts, arrs[1].ts
    if ta.shape != tb.shape:
        raise ParameterError(
            "b_frame", f"has {tb.size} bars, a_frame {ta.size}: align both on one time index"
        )
    diff = np.flatnonzero(ta != tb)
    if diff.size:
        row = int(diff[0])
        raise ParameterError(
            "b_frame",
            f"bar time at row {row} ({int(tb[row])} ms) differs from a_frame's ({int(ta[row])} "
            "ms): align both on one time index (nothing is aligned silently)",
        )
    return tuple(Bars(x.open, x.high, x.low, x.close, x.volume) for x in arrs)  # type: ignore[return-value]


def arbitrage_inputs(
    a_frame: Any,
    b_frame: Any,
    *,
    size: float,
    fees_a: float | FeeSchedule = 0.0,
    fees_b: float | FeeSchedule = 0.0,
    pool_a: AMMPool | None = None,
    pool_b: AMMPool | None = None,
    solana: SolanaTxCost | None = None,
    min_edge: float = 0.002,
    exit_edge: float = 0.0,
    max_bars: int = 0,
    names: tuple[str, str] = ("a", "b"),
    fill: str = "close",
    init_cash: float = 10_000.0,
) -> dict[str, Any]:
    """The keywords of the one ``backtest_signals`` call that simulates both legs together.

    ``soltrader.backtest_signals(**arbitrage_inputs(...))`` runs assets ``names`` (A, B) on one
    shared cash account: the long leg and the short leg, ``size`` base units each
    (``size_type="amount"``), the signals of :func:`arbitrage_signals`, each venue's taker and
    fixed fees, its pool, and ``solana`` on both legs. The result's trades show both legs and its
    equity is the combined P&L. Check the run with :func:`check_legs`.

    Parameters
    ----------
    a_frame, b_frame : pandas.DataFrame or polars.DataFrame
        OHLCV bars of the two venues with identical bar times.
    size, fees_a, fees_b, pool_a, pool_b, solana, min_edge, exit_edge, max_bars
        As in :func:`arbitrage_signals`. Two pools must share one pool fee (the simulator takes
        one per run).
    names : (str, str)
        Asset names of the two legs in the result.
    fill : {"close", "next_open"}
        Where decisions fill; ``"close"`` (the rule, see the module docstring) or the next open.
    init_cash : float
        Starting cash, quote currency; it must cover both legs' notional and fees (a short at
        leverage 1 commits its notional as margin).

    Returns
    -------
    dict
        ``data``, ``entries``, ``exits``, ``short_entries``, ``short_exits`` (dicts by leg) and
        ``size``, ``size_type``, ``fees``, ``fixed_fees``, ``amm``, ``solana``, ``max_bars``,
        ``fill``, ``init_cash``.

    Examples
    --------
    >>> import soltrader as st
    >>> kw = arbitrage_inputs(binance, gemini, size=10.0, fees_a=0.001, fees_b=0.004,
    ...                       min_edge=0.003)                         # doctest: +SKIP
    >>> res = st.backtest_signals(**kw)                               # doctest: +SKIP
    >>> res.trades[["asset", "direction", "pnl"]]                     # doctest: +SKIP
    """
    na, nb = names
    if na == nb:
        raise ParameterError("names", f"the two legs need different names, got {names!r}")
    a, b = _aligned_bars(a_frame, b_frame)
    sig = arbitrage_signals(
        a,
        b,
        size=size,
        fees_a=fees_a,
        fees_b=fees_b,
        pool_a=pool_a,
        pool_b=pool_b,
        solana=solana,
        min_edge=min_edge,
        exit_edge=exit_edge,
        max_bars=max_bars,
    )
    (fa, xa), (fb, xb) = _fee_parts(fees_a, "fees_a"), _fee_parts(fees_b, "fees_b")
    return {
        "data": {na: a_frame, nb: b_frame},
        "entries": {na: sig.a.entries, nb: sig.b.entries},
        "exits": {na: sig.a.exits, nb: sig.b.exits},
        "short_entries": {na: sig.a.short_entries, nb: sig.b.short_entries},
        "short_exits": {na: sig.a.short_exits, nb: sig.b.short_exits},
        "size": float(size),
        "size_type": "amount",
        "fees": {na: fa, nb: fb},
        "fixed_fees": {na: xa, nb: xb},
        "amm": _sim_pools(pool_a, pool_b, a.close.shape[0]),
        "solana": solana,
        "max_bars": int(max_bars),
        "fill": fill,
        "init_cash": float(init_cash),
    }


def check_legs(
    orders_records: np.ndarray, size: float, names: tuple[str, str] = ("a", "b")
) -> None:
    """Refuse a run in which a leg's order did not trade exactly ``size`` base units for a reason
    other than a failed Solana transaction: the legs would not be hedged.

    The simulator shrinks an ``amount`` order to what the account's cash affords, so a run whose
    ``init_cash`` cannot carry both legs (a short at leverage 1 commits its notional as margin)
    trades a smaller second leg; this check turns that into an error.

    Parameters
    ----------
    orders_records : ndarray of ``order_dt``
        ``result.orders_records`` of the run.
    size : float
        The ``size`` the run was given, base units.
    names : (str, str)
        Asset names of the legs, for the message.

    Raises
    ------
    ParameterError
        Naming the leg, the bar, what filled and why (``init_cash`` when cash ran short).

    Examples
    --------
    >>> from soltrader.domain.records import order_dt
    >>> check_legs(np.zeros(0, dtype=order_dt), 10.0)
    """
    status = orders_records["status"]
    reason = orders_records["reject_reason"]
    short = np.abs(orders_records["filled_size"] - size) > 1e-9 * size
    failed_tx = (status == int(OrderStatus.REJECTED)) & (reason == int(RejectReason.TX_FAILED))
    bad = short & ~failed_tx
    if bad.any():
        rec = orders_records[int(np.flatnonzero(bad)[0])]
        why = RejectReason(int(rec["reject_reason"])).name.lower()
        cash = why in ("none", "insufficient_cash")
        raise ParameterError(
            "init_cash" if cash else "size",
            f"leg {names[int(rec['asset'])]!r}: its order at bar {int(rec['exec_bar'])} filled "
            f"{float(rec['filled_size'])!r} of {float(size)!r} base units "
            f"({'not enough cash' if cash else why}); both legs must trade the same size "
            "(raise init_cash or lower size)",
        )


__all__ = [
    "ArbitrageSignals",
    "LegPools",
    "arbitrage_edge_nb",
    "arbitrage_inputs",
    "arbitrage_signals",
    "arbitrage_signals_nb",
    "check_legs",
    "leg_round_trip_cost_nb",
]
