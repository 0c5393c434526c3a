"""Backtest and sweep specs: the TOML files under ``backtests/`` that ``soltrader backtest`` and
``soltrader sweep`` run, interpreted from the parsed mapping (reading the file is the CLI's job).

A spec has these tables (all but ``[data]`` and ``[strategy]`` optional)::

    [data]        symbol, timeframe, exchange = "binance", start, end
    [strategy]    name = "sma_cross" (a name in st.strategies.REGISTRY)
    [params]      fixed strategy parameters and backtest keywords, e.g. fees = 0.001
    [space]       swept values: a list [10, 20], {range = [start, stop, step]} or
                  {linspace = [start, stop, count]}
    [sweep]       method, n_samples, n_trials, seed, constraints, metric, n_jobs, executor, address
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from soltrader.domain.errors import ParameterError
from soltrader.engine._hints import unknown
from soltrader.engine.backtest import _BACKTEST_KEYWORDS, not_a_keyword
from soltrader.strategies import Strategy
from soltrader.strategies import get as get_strategy

_SWEEP_OPTIONS = {
    "method",
    "n_samples",
    "n_trials",
    "seed",
    "constraints",
    "metric",
    "n_jobs",
    "executor",
    "address",
    "periods",
    "check_lookahead",
    "chunk_size",
}
_DATA_KEYS = {"symbol", "timeframe", "exchange", "start", "end"}
_TABLES = {"data", "strategy", "params", "space", "sweep"}
_STRATEGY_KEYS = {"name"}


@dataclass(frozen=True)
class Spec:
    """A parsed spec: where the data comes from, the strategy, fixed and swept values."""

    data: dict[str, Any]
    strategy: Strategy
    params: dict[str, Any] = field(default_factory=dict)
    space: dict[str, list[Any]] = field(default_factory=dict)
    sweep: dict[str, Any] = field(default_factory=dict)


def _values(name: str, value: Any) -> list[Any]:
    """Swept values from a list, ``{range = [a, b, step]}`` or ``{linspace = [a, b, n]}``."""
    if isinstance(value, list):
        if not value:
            raise ParameterError(f"space.{name}", "the list of values is empty")
        return value
    if isinstance(value, Mapping) and len(value) == 1:
        ((kind, args),) = value.items()
        if kind == "range" and isinstance(args, list) and 2 <= len(args) <= 3:
            values = list(range(*args))
        elif kind == "linspace" and isinstance(args, list) and len(args) == 3:
            values = [float(v) for v in np.linspace(args[0], args[1], int(args[2]))]
        else:
            raise ParameterError(
                f"space.{name}",
                f"{value!r}: use range = [start, stop, step] or linspace = [start, stop, count]",
            )
        if not values:
            raise ParameterError(f"space.{name}", f"{value!r} gives no values")
        return values
    raise ParameterError(
        f"space.{name}",
        f"{value!r}: give a list of values, {{range = [...]}} or {{linspace = [...]}}",
    )


def _table(raw: Mapping[str, Any], name: str, *, required: bool = False) -> dict[str, Any]:
    value = raw.get(name, {})
    if required and name not in raw:
        raise ParameterError(f"[{name}]", "this table is required in a spec")
    if not isinstance(value, Mapping):
        raise ParameterError(f"[{name}]", f"must be a table, got {type(value).__name__}")
    return dict(value)


def _check_keys(table: str, given: Mapping[str, Any], known: set[str] | frozenset[str]) -> None:
    """A :class:`ParameterError` naming the first key of ``[table]`` not in ``known``, with the
    closest known key and the known keys."""
    extra = sorted(set(given) - set(known))
    if extra:
        raise ParameterError(
            f"{table}.{extra[0]}", unknown(f"unknown key in [{table}]", extra[0], known)
        )


def _check_strategy_keys(table: str, given: Mapping[str, Any], strategy: Strategy) -> None:
    """Keys of ``[params]`` / ``[space]`` must be parameters of ``strategy`` or backtest keywords;
    the message suggests the closest of either and lists the strategy's parameters."""
    extra = sorted(k for k in given if k not in strategy.params and k not in _BACKTEST_KEYWORDS)
    if extra:
        raise ParameterError(
            f"{table}.{extra[0]}", f"unknown key in [{table}]: {not_a_keyword(strategy, extra[0])}"
        )


def parse_spec(raw: Mapping[str, Any]) -> Spec:
    """Interpret a parsed TOML spec.

    Raises
    ------
    ParameterError
        Naming the table or key that is missing or wrong; an unknown table, key or strategy
        name also gets the closest known one (``difflib``) and the list of known ones, on one
        line.

    Examples
    --------
    >>> spec = parse_spec({"data": {"symbol": "SOL/USDT", "timeframe": "1h"},
    ...                    "strategy": {"name": "sma_cross"},
    ...                    "space": {"fast": {"range": [10, 31, 10]}}})
    >>> spec.space
    {'fast': [10, 20, 30]}
    >>> try:
    ...     parse_spec({"data": {"symbol": "SOL/USDT", "timeframe": "1h"},
    ...                 "strategy": {"name": "sma_cross"}, "sweep": {"metirc": "sortino"}})
    ... except ParameterError as exc:
    ...     print(exc)  # one line, wrapped here  # doctest: +NORMALIZE_WHITESPACE +ELLIPSIS
    sweep.metirc: unknown key in [sweep]; did you mean 'metric'?
    (known: address, check_lookahead, chunk_size, constraints, ...)
    """
    extra = sorted(set(raw) - _TABLES)
    if extra:
        raise ParameterError(
            f"[{extra[0]}]", unknown("unknown table in the spec", extra[0], _TABLES)
        )
    data = _table(raw, "data", required=True)
    _check_keys("data", data, _DATA_KEYS)
    missing = {"symbol", "timeframe"} - set(data)
    if missing:
        raise ParameterError(f"data.{sorted(missing)[0]}", "required")
    strategy_table = _table(raw, "strategy", required=True)
    _check_keys("strategy", strategy_table, _STRATEGY_KEYS)
    if "name" not in strategy_table:
        raise ParameterError("strategy.name", 'required, e.g. name = "sma_cross"')
    strategy = get_strategy(strategy_table["name"], field="strategy.name")
    params = _table(raw, "params")
    _check_strategy_keys("params", params, strategy)
    sweep = _table(raw, "sweep")
    _check_keys("sweep", sweep, _SWEEP_OPTIONS)
    space_table = _table(raw, "space")
    _check_strategy_keys("space", space_table, strategy)
    space = {k: _values(k, v) for k, v in space_table.items()}
    return Spec(data=data, strategy=strategy, params=params, space=space, sweep=sweep)
