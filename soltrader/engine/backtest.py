"""The replay backtest: signals in, a :class:`Result` out."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np

from soltrader.costs.models import LAMPORTS_PER_SOL, AMMPool, FeeSchedule, Impact, SolanaTxCost
from soltrader.data.schema import ohlcv_arrays
from soltrader.data.timeframes import NS_PER_DAY
from soltrader.domain.enums import OrderType
from soltrader.domain.errors import DataError, ParameterError
from soltrader.engine._hints import did_you_mean
from soltrader.engine.inputs import (
    Market,
    as_matrix,
    check_aligned,
    check_range,
    flag,
    market_from,
    numbers,
    scalar,
)
from soltrader.engine.result import DeferredCurves, Result
from soltrader.risk.codes import ControlMode
from soltrader.risk.limits import RiskLimits
from soltrader.sim import _nb, simple
from soltrader.sim.rules import VECTORBT_REFUSALS, Conventions, resolve_conventions
from soltrader.strategies import get as get_strategy
from soltrader.strategies.spec import Bars, Strategy

_SIZE_TYPES = {"percent": _nb.SIZE_PERCENT, "amount": _nb.SIZE_AMOUNT, "value": _nb.SIZE_VALUE}
_ORDER_TYPES = {e.name.lower(): int(e) for e in OrderType}


_FRACTION = "a fraction of the price: 0.001 for 0.1 %"


def _check_entry_prices(codes, limits, stops, decided, row0: int = 0) -> None:
    """Every entry decision whose order type needs a limit or stop price must have a finite one
    (``row0``: the row number of the first row given, for the message)."""
    needs_limit = (codes == _nb.LIMIT) | (codes == _nb.STOP_LIMIT)
    needs_stop = (codes == _nb.STOP) | (codes == _nb.STOP_LIMIT)
    for need, arr, name in (
        (needs_limit, limits, "limit_price"),
        (needs_stop, stops, "stop_price"),
    ):
        bad = need & decided & ~np.isfinite(arr)
        if bad.any():
            row = row0 + int(np.argwhere(bad)[0][0])
            raise ParameterError(
                name, f"an entry at row {row} needs a finite {name} for its order type"
            )


def _accumulate_code(accumulate: Any, conv: Conventions) -> int:
    """0: no accumulation, 1: entries add to a position ("add"), 2: entries add and exits or
    opposite entries sell their size ("both", vectorbt's ``accumulate=True``)."""
    if isinstance(accumulate, str):
        if accumulate not in ("add", "both"):
            raise ParameterError("accumulate", f"{accumulate!r}: use False, True, 'add' or 'both'")
        return 1 if accumulate == "add" else 2
    if not isinstance(accumulate, bool | np.bool_):
        raise ParameterError("accumulate", f"use False, True, 'add' or 'both', got {accumulate!r}")
    if not accumulate:
        return 0
    return 1 if conv.accumulate_mode == "add" else 2


def _is_set(value: Any, default: Any) -> bool:
    """Whether a keyword (scalar, array or per-asset dict) departs anywhere from its default."""
    if value is None:
        return default is not None
    if isinstance(value, str | bool | FeeSchedule | Impact | AMMPool | SolanaTxCost | RiskLimits):
        return value != default
    if isinstance(default, str):  # order types given as codes per bar
        default = _ORDER_TYPES[default]
    raw = numbers(value, "value")
    if default is None:
        return True
    return bool(raw.size) and not bool(np.all(raw == default))


_VECTORBT_DEFAULTS: dict[str, Any] = {
    "order_type": "market",
    "limit_price": None,
    "stop_price": None,
    "post_only": False,
    "tif": 0,
    "partial_tp_stop": None,
    "trail_after_partial": False,
    "max_bars": 0,
    "exit_size": 1.0,
    "cooldown": 0,
    "maker_fees": None,
    "impact": None,
    "amm": None,
    "solana": None,
    "max_volume_share": 0.0,
    "leverage": 1.0,
    "maintenance_margin": 0.0,
    "intrabar": None,
    "risk": None,
    "control": None,
}


def _refuse_for_vectorbt(conv: Conventions, kw: dict[str, Any]) -> None:
    """The vectorbt preset is exact wherever it is accepted: refuse what vectorbt cannot do."""

    def refuse(name: str, why: str) -> None:
        raise ParameterError(name, f"conventions='vectorbt' cannot reproduce this: {why}")

    if conv.fill != "close":
        refuse("fill", VECTORBT_REFUSALS["fill"])
    for name, default in _VECTORBT_DEFAULTS.items():
        if _is_set(kw[name], default):
            refuse(name, VECTORBT_REFUSALS[name])
    if kw["cancel"] is not None and numbers(kw["cancel"], "cancel").any():
        refuse("cancel", VECTORBT_REFUSALS["cancel"])
    if isinstance(kw["fees"], FeeSchedule):
        refuse("fees", "a FeeSchedule has maker / taker rates or tiers; pass one fee fraction")
    percent_reversal = (
        kw["size_type"] == "percent"
        and kw["size"] is not None
        and kw["entries"] is not None
        and kw["short_entries"] is not None
        and numbers(kw["entries"], "entries").any()
        and numbers(kw["short_entries"], "short_entries").any()
        and _accumulate_code(kw["accumulate"], conv) != 2
    )
    if percent_reversal:
        refuse(
            "size",
            "vectorbt raises for a percent-sized reversal ('SizeType.Percent does not support "
            "position reversal using signals'); give an amount or value size, or no size",
        )


_CALL_ORDERS = {"exits_first": 0, "columns": int(_nb.CALL_COLUMNS), "value": int(_nb.CALL_VALUE)}


def _check_order_model(conv: Conventions, accumulate_code: int, order_type: Any, leverage: Any):
    """Combinations the order-model switches of :mod:`soltrader.sim.rules` do not define."""
    one_order = conv.reversal == "one_order" or accumulate_code == 2
    if one_order and conv.fill != "close":
        name = "reversal" if conv.reversal == "one_order" else "accumulate"
        raise ParameterError(
            name, "a reversal or reduction as one order is defined for fill='close' only"
        )
    if conv.call_order != "exits_first" and _is_set(order_type, "market"):
        raise ParameterError(
            "call_order", f"{conv.call_order!r} is defined for market entries only"
        )
    if conv.call_order == "value" and conv.fill != "close":
        raise ParameterError("call_order", "'value' (vectorbt's 'auto') needs fill='close'")
    if one_order and _is_set(order_type, "market"):
        name = "reversal" if conv.reversal == "one_order" else "accumulate"
        raise ParameterError(name, "one-order reversals and reductions need market entries")
    if conv.short_cash == "proceeds" and _is_set(leverage, 1.0):
        raise ParameterError(
            "short_cash",
            "'proceeds' credits short sales to the cash: it has no margin, so "
            "it cannot be combined with leverage",
        )


def _order_type_codes(order_type: Any, market: Market):
    if isinstance(order_type, str):
        if order_type not in _ORDER_TYPES:
            raise ParameterError("order_type", f"{order_type!r}: use one of {sorted(_ORDER_TYPES)}")
        return np.broadcast_to(np.int64(_ORDER_TYPES[order_type]), market.shape)
    codes = as_matrix(order_type, "order_type", market, np.int64)
    if not np.isin(codes, list(_ORDER_TYPES.values())).all():
        raise ParameterError("order_type", "codes must be OrderType values (0..3)")
    return codes


def _check_whole(value: Any, name: str, meaning: str) -> None:
    """A whole number of bars >= 0 on every bar (``meaning`` says what 0 means)."""
    arr = numbers(value, name)
    bad = ~(np.isfinite(arr) & (arr >= 0) & (arr == np.round(arr)))
    if bad.any():
        raise ParameterError(
            name,
            f"must be a whole number of bars >= 0 ({meaning}), got {float(arr[bad][0])!r}",
        )


def _magnitude(name: str, v: float, where: str, side: str) -> ParameterError:
    level = "stop" if name.startswith("sl") else "target"
    return ParameterError(
        name,
        f"{v!r}{where} puts a {side}'s {level} at or below price 0 (no {level} at all): a "
        f"distance is a fraction of the price, {v / 100:g} for {v:g} %?",
    )


def _check_stop_loss(
    value: Any, name: str, market: Market | None, long_in: Any, row0: int = 0
) -> None:
    """A stop-loss or trailing distance: > 0 (NaN: none), and below 1 wherever a long entry is
    decided (``long_in``; None: on every bar), since a long's stop at ``1 - sl_stop`` of the
    price must stay above 0. A short's stop may lie beyond +100 %."""
    arr = check_range(value, name, 0.0, low_open=True, nan=True, hint=_FRACTION)
    if not (arr >= 1.0).any():
        return
    if long_in is None or market is None:
        raise _magnitude(name, float(arr[arr >= 1.0][0]), "", "long")
    levels = as_matrix(value, name, market)
    bad = long_in & (levels >= 1.0)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        where = f" on the long entry at row {row0 + row}"
        raise _magnitude(name, float(levels[row, col]), where, "long")


def _check_target(
    value: Any, name: str, market: Market, short_in: np.ndarray, row0: int = 0
) -> None:
    """A take-profit distance: > 0 (NaN: none; a long's target may lie beyond +100 %), and
    below 1 wherever a short entry is decided, since a short's target at ``1 - tp_stop`` of the
    price must stay above 0."""
    arr = check_range(value, name, 0.0, low_open=True, nan=True, hint=_FRACTION)
    if not (arr >= 1.0).any():
        return
    levels = as_matrix(value, name, market)
    bad = short_in & (levels >= 1.0)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise _magnitude(
            name, float(levels[row, col]), f" on the short entry at row {row0 + row}", "short"
        )


def _check_size(
    size: Any, size_type: str, decided: np.ndarray | None, market: Market, row0: int = 0
) -> None:
    """Sizes are finite and >= 0 everywhere, a percent size at most 1 (the whole cash), and every
    entry decision's size is > 0."""
    if size is None:
        if size_type != "percent":
            raise ParameterError("size", f"size_type={size_type!r} needs an explicit size")
        return
    arr = numbers(size, "size")
    if size_type != "percent" and np.isnan(arr).any():
        raise ParameterError("size", f"size_type={size_type!r} needs an explicit size")
    check_range(arr[~np.isnan(arr)], "size", 0.0)
    if size_type == "percent" and (arr > 1.0).any():
        v = float(arr[arr > 1.0][0])
        raise ParameterError(
            "size",
            f"{v!r} is not a percent size: with size_type='percent' it is a fraction of the cash "
            f"in (0, 1] (1.0: all of it); {v / 100:g} for {v:g} %?",
        )
    if decided is None or (arr.size and (arr > 0.0).all()):
        return
    bad = decided & ~(as_matrix(size, "size", market) > 0.0)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise ParameterError(
            "size",
            f"the entry decided at row {row0 + row} (asset {market.assets[col]!r}) has no size > 0",
        )


def _accounts(market: Market, accounts: Any, allocation: Any, init_cash: float):
    """Account index of every asset and the starting cash of every account."""
    m = market.shape[1]
    if accounts is None:
        acc = np.zeros(m, dtype=np.int64)
    else:
        if isinstance(accounts, Mapping):
            missing = [a for a in market.assets if a not in accounts]
            if missing:
                raise ParameterError("accounts", f"no account for asset(s) {missing}")
            names = list(dict.fromkeys(accounts[a] for a in market.assets))
            acc = np.array([names.index(accounts[a]) for a in market.assets], dtype=np.int64)
        else:
            raw = numbers(accounts, "accounts")
            if not (raw == np.round(raw)).all():
                raise ParameterError("accounts", f"need whole account indices, got {accounts!r}")
            acc = raw.astype(np.int64)
        if acc.shape != (m,) or (acc < 0).any():
            raise ParameterError("accounts", f"need one account index >= 0 per asset ({m})")
    n_acc = int(acc.max()) + 1
    if set(np.unique(acc).tolist()) != set(range(n_acc)):
        raise ParameterError("accounts", "account indices must be 0..k-1 without holes")
    if allocation is None:
        weights = np.full(n_acc, 1.0 / n_acc)
    else:
        weights = numbers(allocation, "allocation")
        if weights.shape != (n_acc,) or (weights < 0).any() or not np.isclose(weights.sum(), 1.0):
            raise ParameterError(
                "allocation", f"need {n_acc} weights >= 0 summing to 1, got {allocation!r}"
            )
    return acc, init_cash * weights


def _fee_inputs(fees: Any, maker_fees: Any, fixed_fees: Any, market: Market):
    """Maker, taker and fixed fee matrices, the tier arrays and the tier window in bars."""
    empty = np.empty(0)
    shape, index = market.shape, market.index
    given = 0.0 if fixed_fees is None else fixed_fees
    check_range(given, "fixed_fees", 0.0, hint="quote per order")
    extra = fees.fixed if isinstance(fees, FeeSchedule) else 0.0
    if isinstance(given, Real):  # a scalar stays a broadcast view (the fused sweeps need it)
        fixed = as_matrix(given + extra, "fixed_fees", market)
    else:
        fixed = as_matrix(given, "fixed_fees", market) + extra
    if isinstance(fees, FeeSchedule):
        if maker_fees is not None:
            raise ParameterError("maker_fees", "already given by the FeeSchedule in fees")
        taker = np.broadcast_to(np.float64(fees.taker), shape)
        maker = np.broadcast_to(np.float64(fees.maker), shape)
        tiers = fees.tier_arrays() if fees.tiers else (empty, empty, empty)
        window = 0
        if fees.tiers:  # the window in bars of the most common spacing (the bar length)
            bar_days = 1.0
            if len(index) > 1:
                steps, counts = np.unique(np.diff(index.asi8), return_counts=True)
                bar_days = int(steps[counts.argmax()]) / 86_400e9
            window = max(1, round(fees.window_days / bar_days))
        return maker, taker, fixed, tiers, window
    check_range(fees, "fees", 0.0, 1.0, high_open=True, hint=_FRACTION)
    taker = as_matrix(fees, "fees", market)
    maker = taker
    if maker_fees is not None:
        check_range(maker_fees, "maker_fees", 0.0, 1.0, high_open=True, hint=_FRACTION)
        maker = as_matrix(maker_fees, "maker_fees", market)
    return maker, taker, fixed, (empty, empty, empty), 0


def _sigma(market: Market, impact: Impact | None) -> np.ndarray:
    """Per-bar volatility for the impact models: sample std of the previous ``vol_window``
    close-to-close returns (known before the bar; NaN-free: 0 during the warm-up)."""
    n, m = market.shape
    if impact is None or impact.model == "linear":
        return np.broadcast_to(np.float64(0.0), (n, m))
    rets = np.zeros((n, m))
    rets[1:] = market.close[1:] / market.close[:-1] - 1.0
    w = impact.vol_window
    csum = np.cumsum(np.vstack([np.zeros((1, m)), rets]), axis=0)
    csq = np.cumsum(np.vstack([np.zeros((1, m)), rets**2]), axis=0)
    sigma = np.zeros((n, m))
    idx = np.arange(n)
    lo = np.maximum(idx - w, 0)
    count = (idx - lo)[:, None].astype(float)
    s1 = csum[idx] - csum[lo]
    s2 = csq[idx] - csq[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (s2 - s1 * s1 / count) / (count - 1.0)
    ok = count[:, 0] >= 2
    sigma[ok] = np.sqrt(np.maximum(var[ok], 0.0))
    return sigma


def _solana_inputs(solana: SolanaTxCost | None, market: Market):
    zero = np.broadcast_to(np.float64(0.0), market.shape)
    if solana is None:
        return zero, zero, 0.0, 0
    if not isinstance(solana, SolanaTxCost):
        raise ParameterError("solana", f"expected a soltrader.costs.SolanaTxCost, got {solana!r}")
    if solana.sol_price is None:
        sol = market.close
    else:
        check_range(solana.sol_price, "solana.sol_price", 0.0, low_open=True, hint="quote per SOL")
        sol = as_matrix(solana.sol_price, "solana.sol_price", market)
    ok = solana.success_lamports / LAMPORTS_PER_SOL * sol
    failed = solana.failure_lamports / LAMPORTS_PER_SOL * sol
    return ok, failed, solana.fail_rate, solana.seed


#: The largest read-only int64 zeros handed out by :func:`_idle_zeros` so far.
_IDLE_ZEROS: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]


def _idle_zeros(n: int) -> np.ndarray:
    """``n`` int64 zeros, read-only and shared between runs: the per-bar input of a feature that
    is off (no account guards, no control schedule, no sub-bars), which no kernel writes.

    A fresh ``np.zeros`` of a million bars is an 8 MB memset whenever the allocator hands back
    memory it had before (most calls after the first); three of them were about a tenth of one
    backtest of 1M bars with statistics. The shared array grows to the longest run seen and is
    kept (8 bytes a bar of that run); a writer, the live loop's buffers, copies it
    (:func:`soltrader.engine.paper._writable`).

    Examples
    --------
    >>> a = _idle_zeros(3)
    >>> a.tolist(), a.flags.writeable, _idle_zeros(2).base is a.base
    ([0, 0, 0], False, True)
    """
    zeros = _IDLE_ZEROS[0]
    if zeros.shape[0] < n:
        zeros = np.zeros(n, dtype=np.int64)
        zeros.flags.writeable = False
        _IDLE_ZEROS[0] = zeros
    return zeros[:n]


def _intrabar(market: Market, intrabar: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower-timeframe lows, highs and the range of sub-bars inside every bar (see the kernel).

    A sub-bar belongs to bar t when ``index[t] <= its open time < index[t + 1]`` (for the last
    bar: before ``index[-1]`` plus the most common bar spacing); sub-bars outside the data are
    ignored. Sub-bar times must be strictly increasing.
    """
    n, m = market.shape
    if intrabar is None:
        empty = np.empty((0, m))
        return empty, empty, _idle_zeros(n + 1)
    sub = market_from(intrabar, "intrabar")
    if sub.assets != market.assets and not (len(sub.assets) == 1 == m):
        raise ParameterError(
            "intrabar",
            f"needs the same assets as data {list(market.assets)}, got {list(sub.assets)}",
        )
    bar_ns = market.index.as_unit("ns").asi8  # market_from gives ns already: a no-op guard
    sub_ns = sub.index.as_unit("ns").asi8  # strictly increasing: market_from checked it
    step = int(np.median(np.diff(bar_ns))) if n > 1 else 0
    owner = np.searchsorted(bar_ns, sub_ns, side="right") - 1
    keep = (owner >= 0) & (sub_ns < bar_ns[-1] + step)
    owner = owner[keep]
    sub_start = np.searchsorted(owner, np.arange(n + 1), side="left").astype(np.int64)
    return (np.ascontiguousarray(sub.low[keep]), np.ascontiguousarray(sub.high[keep]), sub_start)


def _risk_config(risk: RiskLimits | None, cfg: np.ndarray, icfg: np.ndarray) -> None:
    """The account guards of ``risk`` as kernel configuration (a guard set to None is off)."""
    if risk is None:
        return
    if not isinstance(risk, RiskLimits):
        raise ParameterError("risk", f"expected a soltrader.risk.RiskLimits, got {risk!r}")

    def limit(value: Any) -> float:
        return np.inf if value is None else float(value)

    cfg[_nb.C_SOFT_DD] = limit(risk.soft_drawdown)
    cfg[_nb.C_SOFT_MULT] = float(risk.soft_multiplier)
    cfg[_nb.C_HARD_DD] = limit(risk.hard_drawdown)
    cfg[_nb.C_DAILY_LOSS] = limit(risk.daily_loss_limit)
    cfg[_nb.C_MAX_EXPOSURE] = limit(risk.max_symbol_exposure)
    cfg[_nb.C_MAX_HEAT] = limit(risk.max_heat)
    cfg[_nb.C_REDUCE_MULT] = float(risk.reduce_multiplier)
    cfg[_nb.C_MAX_CORR] = limit(risk.max_correlation)
    icfg[_nb.I_CORR_OBS] = risk.correlation_min_obs
    icfg[_nb.I_RISK] = 1
    icfg[_nb.I_MAX_POSITIONS] = risk.max_open_positions or 0


def _control_modes(control: Any, market: Market, risk: RiskLimits | None, cfg, icfg):
    """The control mode of every bar as kernel input (all NORMAL when not given); a control
    schedule switches the account guards on (with every limit off unless ``risk`` sets them)."""
    n = market.shape[0]
    if control is None:  # the live loop writes a guarded run's modes: those get their own
        return np.zeros(n, dtype=np.int64) if icfg[_nb.I_RISK] else _idle_zeros(n)
    check_aligned(control, "control", market)
    modes = np.asarray(control.to_numpy() if hasattr(control, "to_numpy") else control)
    if modes.ndim == 0:
        modes = np.full(n, modes)
    if modes.shape != (n,):
        raise ParameterError("control", f"need one ControlMode per bar ({n}), got {modes.shape}")
    lookup = {}
    for value in np.unique(modes).tolist():
        try:
            mode = ControlMode[value.upper()] if isinstance(value, str) else ControlMode(value)
        except (KeyError, ValueError) as exc:
            row = int(np.flatnonzero(modes == value)[0])
            names = [m.name.lower() for m in ControlMode]
            raise ParameterError(
                "control", f"row {row}: {value!r} is not a control mode ({names})"
            ) from exc
        lookup[value] = int(mode)
    out = np.array([lookup[v] for v in modes.tolist()], dtype=np.int64)
    if risk is None:
        for k in (
            _nb.C_SOFT_DD,
            _nb.C_HARD_DD,
            _nb.C_DAILY_LOSS,
            _nb.C_MAX_EXPOSURE,
            _nb.C_MAX_HEAT,
            _nb.C_MAX_CORR,
        ):
            cfg[k] = np.inf
        cfg[_nb.C_SOFT_MULT] = 1.0
        cfg[_nb.C_REDUCE_MULT] = float(RiskLimits().reduce_multiplier)
        icfg[_nb.I_RISK] = 1
    return out


def record_capacity(shape: tuple[int, int]) -> int:
    """Room for the orders, fills and trades of a typical run of ``shape`` (bars, assets)."""
    return 256 + shape[0] * shape[1] // 32


def _run_kernel(
    args: _nb.SimArgs, icfg: np.ndarray, shape: tuple[int, int]
) -> tuple[tuple, DeferredCurves | None]:
    """Run the kernel with record buffers sized for a typical run; in the rare run that needs
    more records, run it again with room for exactly as many as it produced (the simulation does
    not depend on its records, so the second run is the same run).

    Returns ``(orders, fills, trades, cash, equity, position, value)`` and None; or, in the
    common case, the equity-only run's records and equity with None for the three other curves,
    and the :class:`DeferredCurves` that builds them when a result's reader asks."""
    start = record_capacity(shape)
    icfg[[_nb.I_CAP_ORDERS, _nb.I_CAP_FILLS, _nb.I_CAP_TRADES]] = start
    lean = simple.simple_case(args)
    simulate = simple.simulate_simple_equity if lean else _nb.simulate
    out = simulate(args)
    counts = (out[0] if lean else out)[-1][:3]
    if (counts > start).any():
        icfg[[_nb.I_CAP_ORDERS, _nb.I_CAP_FILLS, _nb.I_CAP_TRADES]] = counts
        out = simulate(args)
    if not lean:
        return out[:-1], None
    (orders, fills, trades, _cash, equity, _pos, _value, _cnt), in_market = out
    rowless = {name: getattr(args, name)[:0] for name in _nb.OUTPUTS}  # kept: not the buffers
    deferred = DeferredCurves(args._replace(**rowless), in_market)
    return (orders, fills, trades, None, equity, None, None), deferred


def _check_scalars(init_cash, maintenance_margin, max_leverage, max_volume_share, cooldown):
    """The scalar account and order keywords: numbers of the right kind in their ranges."""
    cash = scalar(init_cash, "init_cash")
    if not (np.isfinite(cash) and cash > 0):
        raise ParameterError("init_cash", f"must be a positive amount, got {init_cash!r}")
    if not 0.0 <= scalar(maintenance_margin, "maintenance_margin") < 1.0 / max_leverage:
        raise ParameterError(
            "maintenance_margin", f"must be in [0, 1/leverage), got {maintenance_margin!r}"
        )
    if not 0.0 <= scalar(max_volume_share, "max_volume_share") <= 1.0:
        raise ParameterError("max_volume_share", f"must be in [0, 1], got {max_volume_share!r}")
    if isinstance(cooldown, bool | np.bool_) or not isinstance(cooldown, Integral):
        raise ParameterError("cooldown", f"must be a whole number of bars, got {cooldown!r}")
    if cooldown < 0:
        raise ParameterError("cooldown", f"must be >= 0 bars, got {cooldown!r}")


class KernelInputs(NamedTuple):
    """What :func:`_kernel_inputs` gives: the checked market, the simulator's arguments by
    name, its integer configuration (also ``args.icfg``), the resolved conventions, each
    asset's account and each account's starting cash (quote)."""

    market: Market
    args: _nb.SimArgs
    icfg: np.ndarray
    conventions: Conventions
    account_of: np.ndarray
    account_cash: np.ndarray


def _utc_days(market: Market, icfg: np.ndarray) -> np.ndarray:
    """The UTC day number of every bar, read only by the account guards' daily loss limit
    (zeros without guards: an int64 division of every timestamp is not free on long data)."""
    if icfg[_nb.I_RISK] == 0:
        return _idle_zeros(market.shape[0])
    return market.ticks // NS_PER_DAY


def _kernel_inputs(
    data: Any,
    entries: Any,
    exits: Any = None,
    *,
    short_entries: Any = None,
    short_exits: Any = None,
    fill: str | None = None,
    size: Any = None,
    size_type: str = "percent",
    order_type: Any = "market",
    limit_price: Any = None,
    stop_price: Any = None,
    tif: Any = 0,
    post_only: Any = False,
    cancel: Any = None,
    sl_stop: Any = None,
    tp_stop: Any = None,
    sl_trail: Any = None,
    partial_tp_stop: Any = None,
    partial_tp_size: Any = 0.5,
    trail_after_partial: bool = False,
    max_bars: Any = 0,
    exit_size: Any = 1.0,
    cooldown: int = 0,
    cooldown_same_direction: bool = False,
    fees: Any = 0.0,
    maker_fees: Any = None,
    fixed_fees: Any = 0.0,
    slippage: Any = 0.0,
    impact: Impact | None = None,
    amm: AMMPool | None = None,
    solana: SolanaTxCost | None = None,
    max_volume_share: float = 0.0,
    leverage: Any = 1.0,
    maintenance_margin: float = 0.0,
    init_cash: float = 10_000.0,
    accounts: Sequence[int] | Mapping[str, Any] | None = None,
    allocation: Sequence[float] | None = None,
    accumulate: bool | str = False,
    intrabar: Any = None,
    risk: RiskLimits | None = None,
    control: Any = None,
    conventions: str | None = None,
    stop_anchor: str | None = None,
    stop_slippage: bool | None = None,
    stops_in_fill_bar: bool | None = None,
    open_first: bool | None = None,
    allow_partial: bool | None = None,
    min_size: float | None = None,
    short_cash: str | None = None,
    reversal: str | None = None,
    value_sizing: str | None = None,
    stop_on_add: str | None = None,
    call_order: str | None = None,
) -> KernelInputs:
    """Validate the arguments of :func:`backtest_signals` and build the simulation kernel's
    inputs (a :class:`KernelInputs`)."""
    for name, value in (
        ("stop_slippage", stop_slippage),
        ("stops_in_fill_bar", stops_in_fill_bar),
        ("open_first", open_first),
        ("allow_partial", allow_partial),
    ):
        if value is not None:
            flag(value, name)
    conv = resolve_conventions(
        conventions,
        fill=fill,
        stop_anchor=stop_anchor,
        stop_slippage=stop_slippage,
        stops_in_fill_bar=stops_in_fill_bar,
        open_first=open_first,
        allow_partial=allow_partial,
        min_size=None if min_size is None else scalar(min_size, "min_size"),
        short_cash=short_cash,
        reversal=reversal,
        value_sizing=value_sizing,
        stop_on_add=stop_on_add,
        call_order=call_order,
    )
    accumulate_code = _accumulate_code(accumulate, conv)
    if conv.preset == "vectorbt":
        _refuse_for_vectorbt(conv, dict(locals()))
    _check_order_model(conv, accumulate_code, order_type, leverage)
    if not isinstance(size_type, str) or size_type not in _SIZE_TYPES:
        raise ParameterError("size_type", f"{size_type!r}: use one of {sorted(_SIZE_TYPES)}")
    lev_raw = check_range(leverage, "leverage", 1.0, hint="1 for none, 10 for 10x")
    if lev_raw.size == 0:
        raise ParameterError("leverage", "needs a value")
    max_leverage = float(lev_raw.max())
    _check_scalars(init_cash, maintenance_margin, max_leverage, max_volume_share, cooldown)
    for name, value in (
        ("trail_after_partial", trail_after_partial),
        ("cooldown_same_direction", cooldown_same_direction),
        ("accumulate", accumulate),
    ):
        flag(value, name)
    for name, value, kind in (("impact", impact, Impact), ("amm", amm, AMMPool)):
        if value is not None and not isinstance(value, kind):
            raise ParameterError(name, f"expected a soltrader.costs.{kind.__name__}, got {value!r}")
    _check_whole(tif, "tif", "0: good until cancelled")
    _check_whole(max_bars, "max_bars", "0: no time stop")
    stop_name = "sl_stop"
    if sl_trail is not None and not isinstance(sl_trail, bool | np.bool_):
        if sl_stop is not None:
            raise ParameterError(
                "sl_trail", "give a trailing distance, or sl_stop with sl_trail=True, not both"
            )
        stop_name, sl_stop, sl_trail = "sl_trail", sl_trail, True
    check_range(slippage, "slippage", 0.0, 1.0, high_open=True, hint=_FRACTION)
    check_range(exit_size, "exit_size", 0.0, 1.0, low_open=True, hint="a fraction of the position")
    check_range(partial_tp_size, "partial_tp_size", 0.0, 1.0, low_open=True, hint="a fraction")
    for name, value in (("limit_price", limit_price), ("stop_price", stop_price)):
        if value is not None:
            check_range(value, name, 0.0, low_open=True, nan=True, hint="an absolute price")
    market = market_from(data)
    if market.shape[0] == 0:
        raise DataError("data: has no bars; a backtest needs at least one", field="data")
    shape = market.shape

    def signal(value: Any, name: str) -> np.ndarray:
        if value is None:
            return np.broadcast_to(np.False_, shape)
        return as_matrix(value, name, market, np.bool_)

    def number(value: Any, name: str, dtype: type = np.float64) -> np.ndarray:
        return as_matrix(np.nan if value is None else value, name, market, dtype)

    long_in, short_in = signal(entries, "entries"), signal(short_entries, "short_entries")
    decided = long_in if short_entries is None else long_in | short_in
    if sl_stop is not None:
        _check_stop_loss(sl_stop, stop_name, market, long_in)
    for name, value in (("tp_stop", tp_stop), ("partial_tp_stop", partial_tp_stop)):
        if value is not None:
            _check_target(value, name, market, short_in)
    _check_size(size, size_type, decided, market)
    sizes = number(1.0 if size is None else size, "size")
    ptp_size = number(partial_tp_size, "partial_tp_size")
    codes = _order_type_codes(order_type, market)
    limits, stops = number(limit_price, "limit_price"), number(stop_price, "stop_price")
    if not (isinstance(order_type, str) and order_type == "market"):
        _check_entry_prices(codes, limits, stops, decided)
    maker, taker, fixed, tiers, window = _fee_inputs(fees, maker_fees, fixed_fees, market)
    tx_ok, tx_fail, fail_rate, seed = _solana_inputs(solana, market)
    acc, acc_cash = _accounts(market, accounts, allocation, float(init_cash))
    amm_liq = (
        np.broadcast_to(np.float64(np.nan), shape)
        if amm is None
        else as_matrix(amm.liquidity, "amm.liquidity", market)
    )
    trail = as_matrix(bool(sl_trail), "sl_trail", market, np.bool_)
    cfg = np.zeros(_nb.N_CFG)
    cfg[_nb.C_MIN_SIZE] = conv.min_size
    cfg[_nb.C_MAX_VOLUME_SHARE] = max_volume_share
    cfg[_nb.C_LEVERAGE] = max_leverage  # the per-bar leverage itself is a kernel input
    cfg[_nb.C_MAINT_MARGIN] = maintenance_margin
    cfg[_nb.C_FAIL_RATE] = fail_rate
    cfg[_nb.C_IMPACT_K1] = impact.k if impact is not None else 0.0
    cfg[_nb.C_IMPACT_K2] = impact.gamma if impact is not None else 0.0
    cfg[_nb.C_AMM_FEE] = amm.fee if amm is not None else 0.0
    icfg = np.zeros(_nb.N_ICFG, dtype=np.int64)
    icfg[_nb.I_SIZE_TYPE] = _SIZE_TYPES[size_type]
    icfg[_nb.I_FILL_MODE] = _nb.FILL_CLOSE if conv.fill == "close" else _nb.FILL_NEXT_OPEN
    icfg[_nb.I_STOP_ANCHOR] = (
        _nb.ANCHOR_FILL if conv.stop_anchor == "fill" else _nb.ANCHOR_SIGNAL_CLOSE
    )
    icfg[_nb.I_STOP_SLIPPAGE] = int(conv.stop_slippage)
    icfg[_nb.I_STOPS_IN_FILL_BAR] = int(conv.stops_in_fill_bar)
    icfg[_nb.I_OPEN_FIRST] = int(conv.open_first)
    icfg[_nb.I_ALLOW_PARTIAL] = int(conv.allow_partial)
    icfg[_nb.I_COOLDOWN] = cooldown
    icfg[_nb.I_COOLDOWN_SAME_DIR] = int(cooldown_same_direction)
    icfg[_nb.I_TRAIL_AFTER_PTP] = int(trail_after_partial)
    icfg[_nb.I_IMPACT_MODEL] = impact.code if impact is not None else 0
    icfg[_nb.I_SEED] = seed
    icfg[_nb.I_TIER_WINDOW] = window
    icfg[_nb.I_ACCUMULATE] = accumulate_code
    icfg[_nb.I_SHORT_PROCEEDS] = int(conv.short_cash == "proceeds")
    icfg[_nb.I_REVERSAL_ONE] = int(conv.reversal == "one_order")
    icfg[_nb.I_VALUE_NOTIONAL] = int(conv.value_sizing == "notional")
    icfg[_nb.I_STOP_RESET_ADD] = int(conv.stop_on_add == "reset")
    icfg[_nb.I_CALL_COLUMNS] = _CALL_ORDERS[conv.call_order]
    icfg[_nb.I_SIZE_ALL] = int(size is None and size_type == "percent")
    cfg[_nb.C_SHORT_LIQ] = 0.0 if conv.short_cash == "proceeds" else 1.0
    _risk_config(risk, cfg, icfg)
    modes = _control_modes(control, market, risk, cfg, icfg)
    opens, highs, lows, closes, volumes = (
        np.broadcast_to(x, shape)
        for x in (market.open, market.high, market.low, market.close, market.volume)
    )
    tier_vol, tier_maker, tier_taker = tiers
    sub_low, sub_high, sub_start = _intrabar(market, intrabar)
    args = _nb.SimArgs(
        open_=opens,
        high=highs,
        low=lows,
        close=closes,
        volume=volumes,
        long_entry=long_in,
        long_exit=signal(exits, "exits"),
        short_entry=short_in,
        short_exit=signal(short_exits, "short_exits"),
        size=sizes,
        order_type=codes,
        limit_price=limits,
        stop_price=stops,
        tif=number(tif, "tif", np.int64),
        post_only=signal(post_only, "post_only"),
        cancel=signal(cancel, "cancel"),
        sl_stop=number(sl_stop, "sl_stop"),
        tp_stop=number(tp_stop, "tp_stop"),
        sl_trail=trail,
        ptp_stop=number(partial_tp_stop, "partial_tp_stop"),
        ptp_size=ptp_size,
        max_bars=number(max_bars, "max_bars", np.int64),
        maker_fee=maker,
        taker_fee=taker,
        fixed_fee=fixed,
        slippage=number(slippage, "slippage"),
        tx_cost=tx_ok,
        tx_fail_cost=tx_fail,
        amm_liq=amm_liq,
        sigma=_sigma(market, impact),
        tier_vol=tier_vol,
        tier_maker=tier_maker,
        tier_taker=tier_taker,
        account_of=acc,
        account_cash=acc_cash,
        cfg=cfg,
        icfg=icfg,
        cash_out=np.empty((shape[0], len(acc_cash))),
        equity_out=np.empty((shape[0], len(acc_cash))),
        pos_out=np.empty(shape),
        value_out=np.empty(shape),
        sub_low=sub_low,
        sub_high=sub_high,
        sub_start=sub_start,
        day=_utc_days(market, icfg),
        control=modes,
        leverage=number(leverage, "leverage"),
        exit_size=number(exit_size, "exit_size"),
    )
    return KernelInputs(market, args, icfg, conv, acc, acc_cash)


def backtest_signals(
    data: Any,
    entries: Any,
    exits: Any = None,
    *,
    short_entries: Any = None,
    short_exits: Any = None,
    fill: str | None = None,
    size: Any = None,
    size_type: str = "percent",
    order_type: Any = "market",
    limit_price: Any = None,
    stop_price: Any = None,
    tif: Any = 0,
    post_only: Any = False,
    cancel: Any = None,
    sl_stop: Any = None,
    tp_stop: Any = None,
    sl_trail: Any = None,
    partial_tp_stop: Any = None,
    partial_tp_size: Any = 0.5,
    trail_after_partial: bool = False,
    max_bars: Any = 0,
    exit_size: Any = 1.0,
    cooldown: int = 0,
    cooldown_same_direction: bool = False,
    fees: Any = 0.0,
    maker_fees: Any = None,
    fixed_fees: Any = 0.0,
    slippage: Any = 0.0,
    impact: Impact | None = None,
    amm: AMMPool | None = None,
    solana: SolanaTxCost | None = None,
    max_volume_share: float = 0.0,
    leverage: Any = 1.0,
    maintenance_margin: float = 0.0,
    init_cash: float = 10_000.0,
    accounts: Sequence[int] | Mapping[str, Any] | None = None,
    allocation: Sequence[float] | None = None,
    accumulate: bool | str = False,
    intrabar: Any = None,
    risk: RiskLimits | None = None,
    control: Any = None,
    conventions: str | None = None,
    stop_anchor: str | None = None,
    stop_slippage: bool | None = None,
    stops_in_fill_bar: bool | None = None,
    open_first: bool | None = None,
    allow_partial: bool | None = None,
    min_size: float | None = None,
    short_cash: str | None = None,
    reversal: str | None = None,
    value_sizing: str | None = None,
    stop_on_add: str | None = None,
    call_order: str | None = None,
) -> Result:
    """Backtest entry/exit signals on one asset or several assets with shared or split cash.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or dict of them
        OHLCV bars; a dict name -> frame simulates several assets (one shared time index).
        Bar times in any resolution (s, ms, us, ns) and time zone, naive read as UTC: the
        results do not depend on it and are indexed by UTC nanoseconds.
        The bars are checked first by the rules of :func:`soltrader.data.validate` that need no
        timeframe (finite prices > 0, high >= open, close >= low, finite volume >= 0, sorted
        unique times; gaps are allowed): a :class:`~soltrader.DataError` names the row and the
        reason code.
    entries, exits, short_entries, short_exits : bool array-like (n,) / (n, m), Series,
        DataFrame or dict
        Long / short entry and exit decisions taken at each bar's close: booleans, or numbers
        that are exactly 0 or 1 (NaN is an error, not False). Every per-bar argument given as
        a pandas Series or DataFrame (signals, sizes, levels, prices, leverage, ``exit_size``,
        ``tif``, ``cancel``, ``control``, also inside a dict of assets) must carry exactly the
        data's index, else a :class:`~soltrader.ParameterError` names it and the first
        differing label; nothing is realigned or read by position. numpy arrays and polars
        Series are positional (length n).
    fill : {"next_open", "close"}, optional
        Where a market decision on bar t fills: t+1's open (default) or t's close (opt-in).
    size, size_type
        Entry size: ``"percent"`` of the account's cash, a fraction in (0, 1] (default 1.0 =
        all, fees included; 2 is refused, not capped: 0.02 is 2 %), ``"amount"`` in base units
        or ``"value"`` in quote currency. Finite and >= 0 everywhere, > 0 on every bar with an
        entry decision (other bars may hold 0 or NaN).
    order_type : {"market", "limit", "stop", "stop_limit"} or codes per bar
        Entry order type; limit and stop orders rest from the next bar at ``limit_price`` /
        ``stop_price`` (absolute prices > 0) for ``tif`` bars (whole bars >= 0; 0: until
        cancelled, replaced by a new entry signal, or cancelled by an exit signal or
        ``cancel``). ``post_only`` rejects a limit order that would take liquidity when placed.
    sl_stop, tp_stop : float or array, optional
        Stop-loss / take-profit distances, fractions of the anchor price (NaN: none on that
        bar). ``sl_stop`` lies in (0, 1): at 1 or more a long's stop sits at or below price 0,
        i.e. no stop at all, so ``sl_stop=2`` is refused as the percent mistake it is (0.02
        for 2 %). ``tp_stop`` is > 0 and may exceed 1 for longs (a +150 % target is a real
        target), but must be below 1 on a bar with a short entry (a short's target
        ``1 - tp_stop`` of the price must stay above 0).
    sl_trail : bool or float, optional
        ``True`` makes ``sl_stop`` trail; a float in (0, 1) is a trailing distance on its own.
    partial_tp_stop, partial_tp_size, trail_after_partial
        Take ``partial_tp_size`` of the position (a fraction in (0, 1]) at ``partial_tp_stop``
        (a distance like ``tp_stop``); with ``trail_after_partial`` the stop-loss then trails
        from that level.
    max_bars : int or array
        Time stop: exit at the close of the bar ``max_bars`` bars after the entry (whole bars
        >= 0; 0: none).
    exit_size : float or array
        Fraction of the position an exit signal closes (per bar; default 1.0, all of it): a
        partial exit is reduce-only and records a trade for the part closed.
    cooldown, cooldown_same_direction
        Ignore entry decisions for ``cooldown`` bars (an int >= 0) from an exit (only in the
        exited direction).
    fees, maker_fees, fixed_fees, slippage
        Taker fee fraction or a :class:`~soltrader.costs.FeeSchedule`; maker fee fraction (resting
        limit and take-profit fills; default: ``fees``); fixed fee per order (quote, >= 0);
        slippage fraction on taking fills. Fee and slippage fractions lie in [0, 1) (0.001 is
        0.1 %): a slippage of 1 would fill a short at price 0.
    impact, amm, solana
        Market impact model, constant-product pool execution, Solana transaction costs with a
        failure rate (:mod:`soltrader.costs`).
    max_volume_share : float
        Cap every fill at this share of the bar's volume (0: no cap); the rest stays pending.
    leverage, maintenance_margin : float (leverage also per bar)
        Isolated-margin leverage (>= 1; per bar: the leverage of an entry decided on that bar,
        which its position keeps) and maintenance margin fraction; liquidation loses the
        position's margin.
    init_cash : float
        Starting cash, quote currency, split across ``accounts`` by ``allocation``.
    accounts, allocation
        Account of each asset (sub-accounts: an asset spends only its account's cash) and the
        weights of the starting cash.
    accumulate : bool or {"add", "both"}
        ``False`` (default): one position per asset, entries are ignored while it is open.
        ``True`` / ``"add"``: an entry in the position's direction adds to it (average entry
        price; the stop levels of the first entry stay unless ``stop_on_add="reset"``).
        ``"both"`` (what ``True`` means under ``conventions="vectorbt"``): entries add, and an
        exit or an opposite entry sells (buys back) its own size, as one order at the close.
    intrabar : OHLCV frame (or dict of them), optional
        Lower-timeframe bars (e.g. 1m inside 1h) that decide whether the stop or the target came
        first when both lie inside one bar; without them (and when one sub-bar holds both) the
        stop is taken first.
    risk : RiskLimits, optional
        Account guards, checked at every bar's close on each account's value (see
        :func:`soltrader.risk.nb.guard_step_nb`): a soft drawdown scales the size of later entries
        by ``soft_multiplier``; a daily loss beyond the limit refuses entries for the rest of the
        UTC day; a hard drawdown flattens the account (at that close with ``fill="close"``,
        else at the next open; exit reason ``risk_guard``) and halts it for good; entries beyond
        ``max_open_positions`` open positions are refused, and so are entries whose net notional
        in the asset would exceed ``max_symbol_exposure`` of the account's value or whose risk at
        the stop, added to the open positions', would exceed ``max_heat`` of it (both estimated at
        the decision bar's close). Refused entries are recorded as rejected orders
        (``risk_limit``, ``position_limit``, ``concentration``, ``heat``, ``correlation``); the
        correlation of an entry's asset with each other open position is measured on the last
        ``correlation_min_obs`` bar returns (an entry is refused while it cannot be measured).
    control : ControlMode codes or names per bar, optional
        A control schedule (e.g. a replayed kill switch): ``pause`` refuses entries, ``reduce``
        scales them by ``risk.reduce_multiplier`` (0.5 without ``risk``), ``emergency`` refuses
        them and flattens every account at that close (``fill="close"``) or the next open.
    conventions, stop_anchor, stop_slippage, stops_in_fill_bar, open_first, allow_partial, min_size
        Fill conventions, see :mod:`soltrader.sim.rules`: ``stops_in_fill_bar`` (default True)
        lets protective orders act in the rest of the bar an entry filled in; ``open_first``
        (default True) fills a take-profit the bar opens beyond at the open even if the bar then
        trades through the stop; ``allow_partial`` (default False) fills an ``amount`` entry the
        cash does not cover at the size it buys instead of rejecting it. ``conventions="vectorbt"``
        reproduces vectorbt's ``Portfolio.from_signals`` wherever it is accepted and refuses,
        naming the keyword, what vectorbt cannot do.
    short_cash, reversal, value_sizing, stop_on_add, call_order
        The order-model switches on which vectorbt differs (:mod:`soltrader.sim.rules`):
        ``short_cash="proceeds"`` credits short sales to the cash (no margin, no liquidation),
        ``reversal="one_order"`` books a reversal as one order, ``value_sizing="notional"`` reads
        a value size as a notional with fees on top, ``stop_on_add="reset"`` re-anchors the
        levels on each add, ``call_order="columns"`` runs each asset's orders of a bar in column
        order (vectorbt's default ``call_seq``), ``call_order="value"`` in ascending order of
        their approximate value, sales first (vectorbt's ``call_seq="auto"``). ``None``: the
        value of ``conventions``.

    Returns
    -------
    Result

    Examples
    --------
    >>> import soltrader as st
    >>> bars = st.data.load("SOL/USDT", "1h")                                # doctest: +SKIP
    >>> fast, slow = (st.indicators.sma(bars["close"], n) for n in (20, 100))  # doctest: +SKIP
    >>> res = st.backtest_signals(bars, fast > slow, fast < slow, sl_stop=0.02,
    ...                           fees=0.001, slippage=0.0005)                 # doctest: +SKIP
    >>> res.stats()["total_return"]                                          # doctest: +SKIP
    """
    # every parameter of this function is one of _kernel_inputs (same names, same order)
    inputs = _kernel_inputs(**locals())
    out, deferred = _run_kernel(inputs.args, inputs.icfg, inputs.market.shape)
    return Result.from_kernel(
        inputs.market,
        out,
        init_cash=float(init_cash),
        conventions=inputs.conventions,
        accounts=inputs.account_of,
        account_cash=inputs.account_cash,
        deferred=deferred,
    )


_BACKTEST_KEYWORDS = frozenset(inspect.signature(backtest_signals).parameters) - {
    "data",
    "entries",
    "exits",
}


def _strategy_signals(data: Any, strategy: Strategy, params: dict[str, Any]) -> dict[str, Any]:
    """Run the strategy's signal function on every asset; per-asset outputs become dicts."""
    if isinstance(data, Mapping):
        per_asset = {name: strategy.signal(_bars(frame), **params) for name, frame in data.items()}
        fields: dict[str, Any] = {}
        for name, sig in per_asset.items():
            for key, value in {"entries": sig.entries, "exits": sig.exits, **sig.extras()}.items():
                fields.setdefault(key, {})[name] = value
        incomplete = [k for k, v in fields.items() if len(v) != len(per_asset)]
        if incomplete:
            raise ParameterError(
                "strategy", f"{strategy.name} returned {incomplete} for some assets only"
            )
        return fields
    sig = strategy.signal(_bars(data), **params)
    return {"entries": sig.entries, "exits": sig.exits, **sig.extras()}


def _bars(frame: Any) -> Bars:
    arrays = ohlcv_arrays(frame, with_time=False)
    return Bars(arrays.open, arrays.high, arrays.low, arrays.close, arrays.volume)


def checked_strategy(strategy: Any) -> Strategy:
    """``strategy`` if it is a :class:`Strategy` spec, else a :class:`ParameterError`.

    A name is refused too, with the way to the spec: a known name (``"sma_cross"``) points at
    ``st.strategies.sma_cross``; an unknown one is named with the closest known name and the
    list of known ones (:func:`soltrader.strategies.get`).

    Examples
    --------
    >>> checked_strategy("sma_crss")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    soltrader.domain.errors.ParameterError: strategy: 'sma_crss' is not a known strategy; ...
    """
    if isinstance(strategy, str):
        found = get_strategy(strategy)  # an unknown name raises, suggesting the closest
        raise ParameterError(
            "strategy",
            f"expected a Strategy spec, got the name {strategy!r}: pass "
            f"st.strategies.{found.name} (st.strategies.get({strategy!r}) finds it by name)",
        )
    if not isinstance(strategy, Strategy):
        raise ParameterError(
            "strategy",
            f"expected a Strategy spec such as "
            f"st.strategies.sma_cross, got {type(strategy).__name__}",
        )
    return strategy


def not_a_keyword(strategy: Strategy, name: str) -> str:
    """The message of a keyword ``name`` that is neither a parameter of ``strategy`` nor a
    backtest keyword, with the closest of either when one is close.

    Examples
    --------
    >>> from soltrader.strategies import sma_cross
    >>> not_a_keyword(sma_cross, "fess").split("; ")[-1]
    "did you mean 'fees'?"
    """
    return (
        f"neither a parameter of {strategy.name} ({sorted(strategy.params)}) nor a backtest "
        f"keyword{did_you_mean(name, [*strategy.params, *_BACKTEST_KEYWORDS])}"
    )


def strategy_call(
    strategy: Strategy, kwargs: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``kwargs`` into the strategy's resolved parameters and the simulator keywords (the
    strategy's own keywords first, the caller's override them); an unknown keyword is an error."""
    own = {k: v for k, v in kwargs.items() if k in strategy.params}
    rest = {k: v for k, v in kwargs.items() if k not in strategy.params}
    unknown = sorted(set(rest) - _BACKTEST_KEYWORDS)
    if unknown:
        raise ParameterError(unknown[0], not_a_keyword(strategy, unknown[0]))
    params = strategy.resolve(**own)
    return params, {**strategy.keywords(params), **rest}


def backtest(data: Any, strategy: Strategy, **kwargs: Any) -> Result:
    """Backtest a strategy spec: its signal function's decisions through :func:`backtest_signals`.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or dict of them
        OHLCV bars of one asset, or of several sharing one time index.
    strategy : Strategy
        A pure strategy spec, e.g. ``st.strategies.sma_cross`` (``st.strategies.get(name)``
        finds one by name).
    **kwargs
        The strategy's parameters (e.g. ``fast=20``) and any keyword of
        :func:`backtest_signals` (``fees``, ``slippage``, ``sl_stop``, ``fill``, ...). A keyword
        that the strategy itself sets per bar (e.g. an ATR stop as ``sl_stop``) cannot be given
        too.

    Returns
    -------
    Result
        With ``result.params`` holding the strategy name and its resolved parameters.

    Examples
    --------
    >>> import soltrader as st
    >>> bars = st.data.load("SOL/USDT", "1h")                              # doctest: +SKIP
    >>> res = st.backtest(bars, st.strategies.sma_cross, fast=20, slow=100, sl_stop=0.02,
    ...                   fees=0.001, slippage=0.0005)                     # doctest: +SKIP
    >>> res.stats()["sharpe"]                                              # doctest: +SKIP
    """
    params, rest = strategy_call(checked_strategy(strategy), kwargs)
    signals = _strategy_signals(data, strategy, params)
    clash = sorted(set(signals) & set(rest))
    if clash:
        raise ParameterError(
            clash[0], f"is set per bar by {strategy.name}; change its parameters instead"
        )
    result = backtest_signals(data, **signals, **rest)
    result.params = {"strategy": strategy.name, **params}
    return result


__all__ = ["Conventions", "backtest", "backtest_signals"]
