"""Evaluating sweep combinations: fused in one parallel numba kernel when the strategy has one
and every combination fits it, otherwise one full backtest per combination (the generic path).

Both paths give each combination's statistics (``SUMMARY_FIELDS`` order) and its returns per
calendar period, bit for bit the same: the fused kernel runs the replay kernel's own bar handling
(:mod:`soltrader.sim.lean`) and both compute the statistics with
:func:`soltrader.metrics._nb.backtest_stats_nb`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd
from numba import njit, types
from pandas.tseries.frequencies import to_offset

from soltrader.data.timeframes import NS_PER_DAY
from soltrader.domain.errors import DataError, ParameterError
from soltrader.engine.backtest import _check_stop_loss, _kernel_inputs, backtest
from soltrader.engine.inputs import Market, market_from
from soltrader.engine.result import quiet_rejections
from soltrader.metrics import SUMMARY_FIELDS, elapsed_periods_per_year
from soltrader.metrics._nb import N_CURVE_STATE, N_STATS, spread_deferred_nb, spread_pair_nb
from soltrader.sim import _nb as sim_nb
from soltrader.sim import lean, simple
from soltrader.sim.lean import (
    BAR_ARRAY,
    COMBO_DONE,
    SIGNAL_KERNEL_SIG,
    SIMULATE_ONE_SIG,
    run_combo_nb,
    workspace_nb,
)
from soltrader.strategies.spec import Strategy


@dataclass(frozen=True)
class Periods:
    """The last bar of every calendar period that has bars, and the periods' labels."""

    ends: np.ndarray
    labels: pd.Index


def period_index(index: pd.DatetimeIndex, periods: str) -> Periods:
    """Where each calendar period (``"1D"``, ``"1W"``, ...) ends in ``index``.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=48, freq="1h")
    >>> period_index(idx, "1D").ends.tolist()
    [23, 47]
    """
    try:
        offset = to_offset(periods)
    except (ValueError, TypeError) as exc:
        raise ParameterError("periods", f"{periods!r} is not a pandas frequency: {exc}") from exc
    step = _fixed_step_ns(offset, index)
    if step:
        return _fixed_periods(index, offset, step)
    last = pd.Series(np.arange(len(index)), index=index).resample(offset).last().dropna()
    return Periods(last.to_numpy().astype(np.int64), last.index)


def _fixed_step_ns(offset: Any, index: pd.DatetimeIndex) -> int:
    """The length in nanoseconds of a period that divides a UTC day (a day, hours, minutes ...)
    on a UTC index with bars, else 0: such periods start at multiples of their length from the
    epoch, where pandas' resampling (bins from the first day's midnight) starts them too."""
    if len(index) == 0 or str(index.tz) not in ("None", "UTC"):
        return 0
    try:
        step = int(offset.nanos)
    except ValueError:  # a calendar period: weeks, months ...
        return 0
    return step if step > 0 and NS_PER_DAY % step == 0 else 0


def _fixed_periods(index: pd.DatetimeIndex, offset: Any, step: int) -> Periods:
    """:func:`period_index` for a period of ``step`` nanoseconds that divides a day: the last
    bar of each run of bars in one period, labelled by the period's start (with pandas' ``freq``
    when no period between the first and the last is empty, as resampling gives it)."""
    slot = index.as_unit("ns").asi8 // step
    ends = np.append(np.flatnonzero(slot[1:] != slot[:-1]), len(slot) - 1).astype(np.int64)
    first = slot[ends]
    whole = first[-1] - first[0] + 1 == len(first)
    labels = pd.DatetimeIndex(first * step, tz=index.tz, freq=offset if whole else None)
    return Periods(ends, labels.as_unit(index.unit))


def periods_per_year(index: pd.DatetimeIndex) -> float:
    """Bars per 365-day year of elapsed time, as ``Result.periods_per_year`` (the one shared
    rule: :func:`soltrader.metrics.elapsed_periods_per_year`)."""
    return elapsed_periods_per_year(index, name="data")


_F2 = types.float64[:, ::1]
_I1 = types.int64[::1]
#: The skeleton's signature: the strategy's signal kernel and the combination's simulation come
#: in as typed function pointers, so the skeleton is compiled once, cached on disk, and shared by
#: every strategy, and compiles neither simulation. The first argument is the block (thread) a
#: call runs, the last the number of blocks.
SWEEP_SIG = types.void(
    types.int64,
    types.FunctionType(SIGNAL_KERNEL_SIG),
    types.FunctionType(SIMULATE_ONE_SIG),
    types.int64,
    types.int64,
    BAR_ARRAY,
    BAR_ARRAY,
    BAR_ARRAY,
    BAR_ARRAY,
    BAR_ARRAY,
    _F2,
    _F2,
    types.int64[:, ::1],
    _I1,
    _I1,
    types.float64,
    types.float64,
    _F2,
    _F2,
    types.int8[::1],
    types.int64,
)


def _sweep(
    block,
    signal_kernel,
    simulate_one,
    n_levels,
    n_scratch,
    open_,
    high,
    low,
    close,
    volume,
    params,
    fcfg,
    icfg,
    level_map,
    ends,
    ppy,
    rf,
    stats,
    periods,
    status,
    blocks,
):  # pragma: no cover - compiled
    """One block of the fused sweep, for every strategy (compiled by :func:`sweep_kernel`):
    ``blocks`` threads share the rows of ``params`` (block ``b`` takes rows ``b, b + blocks,
    ...``), each with its own scratch; for each of its rows a thread calls the strategy's
    ``signal_kernel``
    (:data:`soltrader.sim.lean.SIGNAL_KERNEL_SIG`) and simulates the combination with
    :func:`soltrader.sim.lean.run_combo_nb` and ``simulate_one``, which writes its statistics
    (``stats[i]``, ``SUMMARY_FIELDS`` order) and period returns (``periods[i]``), and what it
    did in ``status[i]`` (:data:`soltrader.sim.lean.COMBO_DONE`, or declined, or ruined).

    The kernel releases the GIL: :func:`fused_chunk` runs the blocks on Python threads. (A numba
    ``prange`` did the same work but doubled the compile time: its parallel region is compiled,
    with the whole simulator inside, apart from the function that launches it.)

    Parameters
    ----------
    block : int
        The block this call runs, in ``0..blocks - 1``.
    signal_kernel : function
        The strategy's signal kernel (``Fused.signals``).
    simulate_one : function
        The combination's simulation (:data:`soltrader.sim.lean.SIMULATE_ONE_SIG`): the common
        case's (:func:`soltrader.sim.simple.simulate_one_simple_nb`), which declines a
        combination whose signals go short, or the general one.
    n_levels, n_scratch : int
        Level rows the kernel writes and scratch rows it keeps (``Fused.levels``,
        ``Fused.scratch``).
    open_, high, low, close, volume : ndarray
        The bars (quote units; volume in base units), read-only.
    params, fcfg, icfg : ndarray
        One row per combination: the strategy's parameters, and the simulator's float and
        integer configuration (:func:`fused_plan`).
    level_map : ndarray of int64
        For each per-bar simulator input, the level row that carries it, or -1.
    ends : ndarray of int64
        The last bar of each calendar period.
    ppy, rf : float
        Bars per year (elapsed time) and the risk-free rate per bar.
    stats, periods, status : ndarray
        Outputs, one row per combination (``status``, int8: written, declined for the general
        simulation, or ruined for a full backtest).
    blocks : int
        Blocks (threads) the rows are spread over.

    Examples
    --------
    >>> import soltrader as st
    >>> from soltrader.data.schema import ohlcv_frame
    >>> rng = np.random.default_rng(0)
    >>> c = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 500)))
    >>> df = ohlcv_frame(np.arange(500) * 60_000, c, c * 1.01, c * 0.99, c, np.ones(500))
    >>> combos = [{"fast": 5, "slow": 20}, {"fast": 10, "slow": 40}]
    >>> plan = fused_plan(df, st.strategies.sma_cross, combos, {})
    >>> stats, rets = fused_chunk(plan, st.strategies.sma_cross, 0, 2, period_index(
    ...     pd.DatetimeIndex(df.index), "1h"))
    >>> bool(stats[0, 1] == st.backtest(df, st.strategies.sma_cross, fast=5, slow=20)
    ...      .stats()["end_value"])
    True
    """
    k = params.shape[0]
    n = close.shape[0]
    if block < k:
        ws = workspace_nb(n, n_levels)
        # two slots for the returns and the first pass of a combination: one waits for the
        # second pass over its returns until the next combination's can run in the same loop
        returns = np.empty((2, n))
        curves = np.empty((2, N_CURVE_STATE))
        scratch = np.full((n_scratch, max(n, n_scratch, 2)), np.nan)
        waiting = -1
        slot = 0
        for i in range(block, k, blocks):
            rows = signal_kernel(open_, high, low, close, volume, params[i], ws[0], ws[1], scratch)
            status[i] = run_combo_nb(
                simulate_one,
                open_,
                high,
                low,
                close,
                volume,
                ws,
                rows,
                level_map,
                fcfg[i],
                icfg[i],
                ends,
                ppy,
                rf,
                stats[i],
                periods[i],
                returns[slot],
                curves[slot],
                True,
            )
            if status[i] != COMBO_DONE or not spread_deferred_nb(curves[slot]):
                continue
            if waiting < 0:
                waiting = i
                slot = 1 - slot
                continue
            other = 1 - slot
            spread_pair_nb(curves[other], returns[other], stats[waiting], curves[slot],
                           returns[slot], stats[i], ppy)  # fmt: skip
            waiting = -1
            slot = other
        if waiting >= 0:  # alone: its slot is the other one
            other = 1 - slot
            spread_pair_nb(curves[other], returns[other], stats[waiting], curves[other],
                           returns[other], stats[waiting], ppy)  # fmt: skip


def generic_chunk(
    data: Any,
    strategy: Strategy,
    combos: list[dict[str, Any]],
    fixed_values: dict[str, Any],
    periods: Periods,
) -> tuple[np.ndarray, np.ndarray]:
    """Backtest each combination in full: (statistics, period returns) as two matrices.

    The statistics are the ``SUMMARY_FIELDS`` of ``Result.stats()`` (what the fused kernel
    computes too); the per-combination warning about entries rejected for cash is left out.
    """
    stats = np.empty((len(combos), N_STATS))
    rets = np.empty((len(combos), len(periods.ends)))
    fields = list(SUMMARY_FIELDS)
    for i, combo in enumerate(combos):
        with quiet_rejections():
            result = backtest(data, strategy, **fixed_values, **combo)
        stats[i] = result.stats()[fields].to_numpy()
        equity = np.ascontiguousarray(result.equity.to_numpy(), dtype=np.float64)
        lean.period_returns_nb(equity, periods.ends, float(result.init_cash), rets[i])
    return stats, rets


@dataclass(frozen=True)
class Plan:
    """Everything the fused kernel needs: the bars as 1-D arrays and one row of configuration per
    combination (see :mod:`soltrader.sim.lean`), and the sweep's own inputs for a combination
    that only a full backtest computes (an account ruined on the way)."""

    bars: tuple[np.ndarray, ...]
    params: np.ndarray
    fcfg: np.ndarray
    icfg: np.ndarray
    level_map: np.ndarray
    periods_per_year: float
    #: every combination is of the common case (:mod:`soltrader.sim.simple`)
    simple: bool = False
    data: Any = None
    combos: tuple[dict[str, Any], ...] = ()
    fixed_values: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def _key(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return (type(value).__name__, value)


def _lean_config(
    market: Market, keywords: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """The scalars of one set of backtest keywords, validated exactly as ``st.backtest`` does,
    and whether they are of the common case (:func:`soltrader.sim.simple.simple_case`); None when
    they need what only the full kernel offers (several assets or accounts, per-bar values, volume
    tiers, lower-timeframe bars, non-market entries)."""
    inputs = _kernel_inputs(market, False, None, **keywords)
    args, icfg, acc_cash = inputs.args, inputs.icfg, inputs.account_cash
    per_bar = [getattr(args, name) for name in lean.PER_BAR]
    if inputs.market.shape[1] != 1 or acc_cash.shape[0] != 1:
        return None
    if args.tier_vol.size or args.sub_low.shape[0]:  # fee tiers, lower-timeframe bars
        return None
    if any(a.strides != (0, 0) for a in per_bar) or int(args.order_type[0, 0]) != sim_nb.MARKET:
        return None
    if icfg[sim_nb.I_RISK] != 0:  # the account guards run in the full kernel only
        return None
    if args.leverage.strides != (0, 0):  # leverage per bar
        return None
    if args.exit_size.strides != (0, 0) or float(args.exit_size[0, 0]) != 1.0:  # partial exits
        return None
    for name in ("sl_stop", "sl_trail"):  # the entries are decided in the kernel: any may be long
        if not isinstance(keywords.get(name), bool | np.bool_ | None):
            _check_stop_loss(keywords[name], name, None, None)
    row = [float(a[0, 0]) for a in per_bar] + [float(v) for v in args.cfg] + [float(acc_cash[0])]
    return np.array(row), icfg.copy(), simple.simple_case(args)


def _strategy_row(strategy: Strategy, own: dict[str, Any]) -> list[float] | None:
    """The resolved parameters ``own`` as the kernel's float row (validated first); None when
    the fused kernel does not cover them."""
    if strategy.check is not None:
        strategy.check(**own)
    if strategy.fused.accepts is not None and not strategy.fused.accepts(own):
        return None
    try:
        return [float(own[name]) for name in strategy.params]
    except (TypeError, ValueError):
        return None


def _strategy_keeps_common_case(fcfg: np.ndarray, level_map: np.ndarray) -> bool:
    """Whether what the strategy sets per combination (``Fused.levels`` rows and
    ``Fused.scalars``) stays in the common case: no partial take-profit, no time stop (its
    sizes, stops and targets may be anything)."""
    return bool(
        level_map[lean.P_PTP] < 0 and np.isnan(fcfg[lean.P_PTP]) and fcfg[lean.P_MAX_BARS] <= 0.0
    )


@functools.cache
def combo_simulator(common: bool) -> Any:
    """A combination's simulation compiled for :data:`soltrader.sim.lean.SIMULATE_ONE_SIG` (on
    first use, from the on-disk cache when it is there): the common case's, or the general."""
    py_func = simple.simulate_one_simple_nb if common else lean.simulate_one_nb
    return njit(SIMULATE_ONE_SIG, cache=True, nogil=True)(py_func)


@functools.cache
def sweep_kernel() -> Any:
    """The fused-sweep skeleton compiled for :data:`SWEEP_SIG` (on first use, from the on-disk
    cache when it is there), so that importing soltrader compiles nothing."""
    return njit(SWEEP_SIG, cache=True, nogil=True)(_sweep)


def _read_only(column: np.ndarray) -> np.ndarray:
    """A contiguous float64 read-only view (or copy) of ``column``: the skeleton's bar type."""
    out = np.ascontiguousarray(column, dtype=np.float64)
    out = out.view()
    out.flags.writeable = False
    return out


def fused_plan(
    data: Any, strategy: Strategy, combos: list[dict[str, Any]], fixed_values: dict[str, Any]
) -> Plan | None:
    """The fused plan of a sweep, or None when some combination must take the generic path.

    Raises
    ------
    ParameterError
        For an invalid combination (as ``st.backtest`` would), including a backtest keyword that
        the strategy sets per bar.
    """
    if strategy.fused is None or isinstance(data, Mapping):
        return None
    market = market_from(data)
    if market.shape[0] == 0:
        raise DataError("data: has no bars; a sweep needs at least 2", field="data")
    levels = strategy.fused.levels
    k = len(combos)
    params = np.empty((k, len(strategy.params)))
    fcfg = np.empty((k, lean.N_FCFG))
    icfg = np.empty((k, sim_nb.N_ICFG), dtype=np.int64)
    configs: dict[tuple, tuple[np.ndarray, np.ndarray, bool] | None] = {}
    common = True
    for i, combo in enumerate(combos):
        merged = {**fixed_values, **combo}
        own = strategy.resolve(**{n: v for n, v in merged.items() if n in strategy.params})
        row = _strategy_row(strategy, own)
        rest = {n: v for n, v in merged.items() if n not in strategy.params}
        rest = {**strategy.keywords(own), **rest}
        clash = sorted((set(levels) | set(strategy.fused.scalars)) & set(rest))
        if clash:
            raise ParameterError(
                clash[0], f"is set per bar by {strategy.name}; change its parameters instead"
            )
        key = tuple(sorted((n, _key(v)) for n, v in rest.items()))
        if key not in configs:
            configs[key] = _lean_config(market, rest)  # checked above: not checked again
        config = configs[key]
        if row is None or config is None:
            return None
        params[i] = row
        fcfg[i], icfg[i], config_common = config
        common = common and config_common
        for field_name, param in strategy.fused.scalars.items():
            fcfg[i, lean.PARAM_FIELDS[field_name]] = float(own[param])
    bars = tuple(
        _read_only(x[:, 0])
        for x in (market.open, market.high, market.low, market.close, market.volume)
    )
    level_map = np.full(lean.N_PARAMS, -1, dtype=np.int64)
    positions = dict(lean.LEVEL_FIELDS)
    for r, name in enumerate(levels):
        level_map[positions[name]] = r
    common = common and all(_strategy_keeps_common_case(fcfg[i], level_map) for i in range(k))
    return Plan(
        bars, params, fcfg, icfg, level_map, periods_per_year(market.index), common, data,
        tuple(combos), dict(fixed_values),
    )  # fmt: skip


def fused_chunk(
    plan: Plan, strategy: Strategy, lo: int, hi: int, periods: Periods, threads: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Run combinations ``lo:hi`` of a plan in the parallel skeleton :func:`sweep_kernel` with the
    strategy's signal kernel, on ``threads`` numba threads (default: numba's setting): with the
    common case's simulation when the plan allows it, then the general one for any combination
    it declined, then a full backtest (:func:`generic_chunk`) for any whose account was ruined."""
    rows = np.arange(lo, hi)
    stats, rets, status = _run_rows(plan, strategy, rows, periods, threads, plan.simple)
    declined = status == lean.COMBO_DECLINED
    if declined.any():
        stats[declined], rets[declined], status[declined] = _run_rows(
            plan, strategy, rows[declined], periods, threads, False
        )
    ruined = status == lean.COMBO_RUINED
    if ruined.any():
        combos = [plan.combos[i] for i in rows[ruined]]
        stats[ruined], rets[ruined] = generic_chunk(
            plan.data, strategy, combos, dict(plan.fixed_values), periods
        )
    return stats, rets


def _run_rows(
    plan: Plan,
    strategy: Strategy,
    rows: np.ndarray,
    periods: Periods,
    threads: int | None,
    common: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The skeleton over the plan's ``rows``: (statistics, period returns, status)."""
    k = len(rows)
    stats = np.empty((k, N_STATS))
    rets = np.empty((k, len(periods.ends)))
    status = np.zeros(k, dtype=np.int8)
    wanted = numba.get_num_threads() if threads is None else threads
    blocks = max(1, min(wanted, numba.config.NUMBA_NUM_THREADS, k))
    fused = strategy.fused
    kernel = sweep_kernel()
    args = (
        fused.signals_kernel(),
        combo_simulator(common),
        len(fused.levels),
        fused.scratch,
        *plan.bars,
        plan.params[rows],
        plan.fcfg[rows],
        plan.icfg[rows],
        plan.level_map,
        periods.ends,
        plan.periods_per_year,
        0.0,
        stats,
        rets,
        status,
        blocks,
    )
    if blocks == 1:
        kernel(0, *args)
    else:
        with ThreadPoolExecutor(blocks, thread_name_prefix="soltrader-sweep") as pool:
            for done in [pool.submit(kernel, b, *args) for b in range(blocks)]:
                done.result()
    return stats, rets, status


def evaluate_chunk(
    data: Any,
    strategy: Strategy,
    combos: list[dict[str, Any]],
    fixed_values: dict[str, Any],
    periods: Periods,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Statistics and period returns of ``combos``: fused if possible, else generic (what a
    Dask worker runs)."""
    plan = fused_plan(data, strategy, combos, fixed_values)
    if plan is None:
        return generic_chunk(data, strategy, combos, fixed_values, periods)
    return fused_chunk(plan, strategy, 0, len(combos), periods, threads)


__all__ = [
    "Periods",
    "Plan",
    "combo_simulator",
    "evaluate_chunk",
    "fused_chunk",
    "fused_plan",
    "generic_chunk",
    "period_index",
    "periods_per_year",
    "sweep_kernel",
]
