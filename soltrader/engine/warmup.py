"""Compile ahead of the first run: ``soltrader warmup`` and :func:`warmup`.

A numba kernel compiles on its first call, in every process, unless the shared disk cache
(:mod:`soltrader._cache`) already holds it. :func:`warmup` runs each registered strategy once
through ``st.backtest`` (both fill conventions), ``st.sweep`` and the live loop
(``st.paper_replay``: the decision core's step kernels and the strategy's live form) on a small
seeded market, so the kernels a first run calls are compiled with the very types that run uses
and kept in the cache; a later process, a notebook, the CLI or a live runner then loads them in
milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from soltrader.domain.errors import ParameterError

#: Bars of the seeded market warmup runs on (kernel types do not depend on the length).
N_BARS = 3_000
#: Bars the live-loop step replays (bar by bar in Python: a few hundred compile every kernel).
N_LIVE_BARS = 300


class WarmupStep(NamedTuple):
    """One warmup call: what ran, how long it took (seconds, wall clock), how many numba
    functions it compiled (0 when the cache already held them), and why it was skipped (a
    strategy whose rules a convention cannot reproduce, e.g. a grid under vectorbt's)."""

    name: str
    seconds: float
    compiled: int
    skipped: str = ""


def _market(n: int = N_BARS, seed: int = 7) -> pd.DataFrame:
    """Seeded geometric Brownian motion bars, one minute apart (prices near 100)."""
    from soltrader.data.schema import ohlcv_frame

    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, n)))
    open_ = np.concatenate([[100.0], close[:-1]])
    wick = np.abs(rng.normal(0.0, 0.001, n)) * close
    high = np.maximum(open_, close) + wick
    low = np.minimum(open_, close) - wick
    volume = rng.lognormal(3.0, 1.0, n)
    return ohlcv_frame(1_700_000_000_000 + 60_000 * np.arange(n), open_, high, low, close, volume)


class _CompileCounter:
    """Counts numba compilations while installed (numba's public event API)."""

    def __init__(self) -> None:
        from numba.core import event

        self._event = event
        self.count = 0
        outer = self

        class _Listener(event.Listener):
            def on_start(self, event: Any) -> None:
                outer.count += 1

            def on_end(self, event: Any) -> None:
                return None

        self._listener = _Listener()

    def __enter__(self) -> _CompileCounter:
        self._event.register("numba:compile", self._listener)
        return self

    def __exit__(self, *exc: object) -> None:
        self._event.unregister("numba:compile", self._listener)


def _timed(name: str, call: Callable[[], object]) -> WarmupStep:
    skipped = ""
    with _CompileCounter() as counter:
        started = time.perf_counter()
        try:
            call()
        except ParameterError as exc:  # the rules refuse this convention: nothing to compile
            skipped = str(exc)
        seconds = time.perf_counter() - started
    return WarmupStep(name, seconds, counter.count, skipped)


def _calls(names: list[str], sweep: bool, live: bool) -> list[tuple[str, Callable[[], object]]]:
    from soltrader.engine.backtest import backtest
    from soltrader.engine.paper import paper_replay
    from soltrader.engine.sweep import sweep as run_sweep
    from soltrader.strategies import get

    bars = _market()
    costs = {"fees": 0.001, "slippage": 0.0005}
    calls: list[tuple[str, Callable[[], object]]] = []
    for name in names:
        strategy = get(name, field="strategies")
        calls.append((f"backtest {name}", lambda s=strategy: backtest(bars, s, **costs)))
        calls.append(
            (
                f"backtest {name} (vectorbt conventions)",
                lambda s=strategy: backtest(bars, s, conventions="vectorbt", **costs),
            )
        )
        if sweep:
            grid = {key: [value] for key, value in strategy.params.items()}
            calls.append(
                (
                    f"sweep {name}",
                    lambda s=strategy, g=grid: run_sweep(
                        bars, s, progress=False, check_lookahead=False, **costs, **g
                    ),
                )
            )
        if live:  # a live loop trades at the next open, whatever the backtest default
            calls.append(
                (
                    f"live loop {name}",
                    lambda s=strategy: paper_replay(
                        bars.iloc[:N_LIVE_BARS], s, fill="next_open", **costs
                    ),
                )
            )
    return calls


def warmup(
    strategies: Iterable[str] | None = None,
    *,
    sweep: bool = True,
    live: bool = True,
    report: Callable[[WarmupStep], None] | None = None,
) -> list[WarmupStep]:
    """Compile the kernels of a first backtest, sweep and live loop of each strategy into the
    disk cache.

    Parameters
    ----------
    strategies : iterable of str, optional
        Registered strategy names (default: every one in ``st.strategies.REGISTRY``).
    sweep : bool
        Also run a one-combination ``st.sweep`` of each (the fused sweep kernel and the
        strategy's signal kernel for it).
    live : bool
        Also replay a few hundred bars of each through the live loop (``st.paper_replay``): the
        decision core's step kernels and the strategy's live form (``Strategy.live``), as a live
        runner's first bar calls them.
    report : callable, optional
        Called with each :class:`WarmupStep` as soon as it is done (the CLI prints it).

    Returns
    -------
    list of WarmupStep
        One per call, in order: a step that compiled nothing found the cache warm.

    Raises
    ------
    ParameterError
        A name that is not a registered strategy (``strategies``).

    Examples
    --------
    >>> steps = warmup(["sma_cross"], sweep=False, live=False)  # doctest: +SKIP
    >>> [step.name for step in steps]  # doctest: +SKIP
    ['backtest sma_cross', 'backtest sma_cross (vectorbt conventions)']
    """
    from soltrader.strategies import REGISTRY

    names = sorted(REGISTRY) if strategies is None else list(strategies)
    if not names:
        raise ParameterError("strategies", "expected at least one strategy name, got none")
    steps = []
    for name, call in _calls(names, sweep, live):
        step = _timed(name, call)
        steps.append(step)
        if report is not None:
            report(step)
    return steps
