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
from soltrader.strategies import REGISTRY, Strategy

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


def parse_spec(raw: Mapping[str, Any]) -> Spec:
    """Interpret a parsed TOML spec.

    Raises
    ------
    ParameterError
        Naming the table or key that is missing or wrong.

    Examples
    --------
    >>> spec = parse_spec({"data": {"symbol": "SOL/USDT", "timeframe": "1h"},
    ...                    "strategy": {"name": "sma_cross"},
    ...                    "space": {"fast": {"range": [10, 31, 10]}}})
    >>> spec.space
    {'fast': [10, 20, 30]}
    """
    unknown = set(raw) - {"data", "strategy", "params", "space", "sweep"}
    if unknown:
        raise ParameterError(f"[{sorted(unknown)[0]}]", "unknown table in the spec")
    data = _table(raw, "data", required=True)
    missing = {"symbol", "timeframe"} - set(data)
    if missing:
        raise ParameterError(f"data.{sorted(missing)[0]}", "required")
    if set(data) - _DATA_KEYS:
        raise ParameterError(f"data.{sorted(set(data) - _DATA_KEYS)[0]}", "unknown key")
    name = _table(raw, "strategy", required=True).get("name")
    if name not in REGISTRY:
        raise ParameterError("strategy.name", f"{name!r}: use one of {sorted(REGISTRY)}")
    sweep = _table(raw, "sweep")
    if set(sweep) - _SWEEP_OPTIONS:
        raise ParameterError(f"sweep.{sorted(set(sweep) - _SWEEP_OPTIONS)[0]}", "unknown option")
    space = {k: _values(k, v) for k, v in _table(raw, "space").items()}
    return Spec(
        data=data, strategy=REGISTRY[name], params=_table(raw, "params"), space=space, sweep=sweep
    )
