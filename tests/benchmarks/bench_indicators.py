"""Indicator speed: soltrader's wrappers and kernels against TA-Lib on 1,000,000 bars, and the
per-update cost of the streaming forms.

Batch rows: the public wrapper (``soltrader_ms``, numpy in and out), the bare 1-D kernel
allocating its own outputs (``kernel_ms``) and the TA-Lib function (``talib_ms``) on the same
synthetic geometric-Brownian close / high / low / volume (fixed seed); ``ratio = soltrader_ms /
talib_ms``. Each figure is the best of ``PASSES`` x ``REPEATS`` warm calls: each pass goes
over the rows, calling a row's three functions once (the first pass compiles / loads the
kernel) and then ``REPEATS`` times in turn. Other processes sharing the cores then slow a
round or a pass of a row, not all its calls, and not one function more than the other two.
Rows with a goal carry ``target`` (on ``ratio``) and ``meets_target``.
Streaming rows: microseconds per ``update`` over ``UPDATES`` bars of plain Python floats (best of
two passes).

Run with ``python -m tests.benchmarks indicators``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

import soltrader.indicators as ind
from soltrader.indicators import nb

BARS = 1_000_000
UPDATES = 200_000
REPEATS = 8
PASSES = 3
SEED = 20240101
#: Goals on ``ratio`` (soltrader_ms / talib_ms) by (indicator, params).
TARGETS = {
    ("atr", "n=14"): "<= 1.5",
    ("rolling_min", "n=20"): "<= 1.5",
    ("rolling_max", "n=20"): "<= 1.5",
}


def market(bars: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """Synthetic 1-minute-like bars: GBM close, high/low around it, log-normal volume."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, bars)))
    wick = np.abs(rng.normal(0.0, 5e-4, (2, bars)))
    return {
        "high": close * (1.0 + wick[0]),
        "low": close * (1.0 - wick[1]),
        "close": close,
        "volume": rng.lognormal(5.0, 1.0, bars),
    }


def best_ms(
    groups: list[list[Callable[[], Any] | None]], repeats: int = REPEATS, passes: int = PASSES
) -> list[list[float | None]]:
    """Best wall time in ms of every function of ``groups`` (None for a None).

    ``passes`` passes over the groups; in each, a group's functions are called once (to
    compile, and to bring back the group's own allocation pattern), then ``repeats`` rounds
    call them in turn. A burst of load from other processes thus spoils one round of a group
    or one pass, not a row. A function's result is dropped before the next one starts.
    """
    best = [[float("inf")] * len(group) for group in groups]
    for _ in range(passes):
        for group, times in zip(groups, best, strict=True):
            live = [(j, func) for j, func in enumerate(group) if func is not None]
            for _, func in live:
                func()
            for _ in range(repeats):
                for j, func in live:
                    start = time.perf_counter()
                    func()
                    times[j] = min(times[j], time.perf_counter() - start)
    return [
        [None if func is None else t * 1e3 for func, t in zip(group, times, strict=True)]
        for group, times in zip(groups, best, strict=True)
    ]


def batch_cases(d: dict[str, np.ndarray]) -> list[tuple[str, str, Callable, Callable, Any]]:
    """``(indicator, params, wrapper call, kernel call, TA-Lib call or None)``."""
    try:
        import talib
    except ImportError:  # pragma: no cover - TA-Lib is a dev dependency
        talib = None
    h, lo, c, v = d["high"], d["low"], d["close"], d["volume"]

    def ta(name: str, *args: Any) -> Callable | None:
        return None if talib is None else (lambda: getattr(talib, name)(*args))

    return [
        ("sma", "n=20", lambda: ind.sma(c, 20), lambda: nb.sma_1d_nb(c, 20), ta("SMA", c, 20)),
        ("ema", "n=20", lambda: ind.ema(c, 20), lambda: nb.ema_1d_nb(c, 20), ta("EMA", c, 20)),
        ("wma", "n=20", lambda: ind.wma(c, 20), lambda: nb.wma_1d_nb(c, 20), ta("WMA", c, 20)),
        ("rsi", "n=14", lambda: ind.rsi(c, 14), lambda: nb.rsi_1d_nb(c, 14), ta("RSI", c, 14)),
        (
            "macd",
            "12,26,9",
            lambda: ind.macd(c),
            lambda: nb.macd_1d_nb(c, 12, 26, 9),
            ta("MACD", c, 12, 26, 9),
        ),
        (
            "bbands",
            "n=20,k=2",
            lambda: ind.bbands(c, 20, 2.0),
            lambda: nb.bbands_1d_nb(c, 20, 2.0),
            ta("BBANDS", c, 20, 2.0, 2.0),
        ),
        (
            "rolling_std",
            "n=20",
            lambda: ind.rolling_std(c, 20),
            lambda: nb.rolling_std_1d_nb(c, 20, 0),
            ta("STDDEV", c, 20, 1.0),
        ),
        (
            "atr",
            "n=14",
            lambda: ind.atr(h, lo, c, 14),
            lambda: nb.atr_1d_nb(h, lo, c, 14),
            ta("ATR", h, lo, c, 14),
        ),
        (
            "true_range",
            "",
            lambda: ind.true_range(h, lo, c),
            lambda: nb.true_range_1d_nb(h, lo, c),
            ta("TRANGE", h, lo, c),
        ),
        ("roc", "n=10", lambda: ind.roc(c, 10), lambda: nb.roc_1d_nb(c, 10), ta("ROCP", c, 10)),
        (
            "rolling_min",
            "n=20",
            lambda: ind.rolling_min(lo, 20),
            lambda: nb.rolling_min_1d_nb(lo, 20),
            ta("MIN", lo, 20),
        ),
        (
            "rolling_max",
            "n=20",
            lambda: ind.rolling_max(h, 20),
            lambda: nb.rolling_max_1d_nb(h, 20),
            ta("MAX", h, 20),
        ),
        (
            "rolling_max",
            "n=200",
            lambda: ind.rolling_max(h, 200),
            lambda: nb.rolling_max_1d_nb(h, 200),
            ta("MAX", h, 200),
        ),
        ("zscore", "n=20", lambda: ind.zscore(c, 20), lambda: nb.zscore_1d_nb(c, 20), None),
        (
            "realized_vol",
            "n=60",
            lambda: ind.realized_vol(c, 60, 525_600),
            lambda: nb.realized_vol_1d_nb(c, 60, 525_600.0),
            None,
        ),
        (
            "vwap",
            "n=20",
            lambda: ind.vwap(h, lo, c, v, 20),
            lambda: nb.vwap_1d_nb(h, lo, c, v, 20),
            None,
        ),
        (
            "volume_surge",
            "n=20",
            lambda: ind.volume_surge(v, 20),
            lambda: nb.volume_surge_1d_nb(v, 20),
            None,
        ),
    ]


def stream_cases() -> list[tuple[str, Callable[[], Any], tuple[str, ...]]]:
    """``(class name, factory, inputs fed to update)``."""
    return [
        ("SMA", lambda: ind.SMA(20), ("close",)),
        ("EMA", lambda: ind.EMA(20), ("close",)),
        ("WMA", lambda: ind.WMA(20), ("close",)),
        ("RSI", lambda: ind.RSI(14), ("close",)),
        ("MACD", lambda: ind.MACD(12, 26, 9), ("close",)),
        ("BBands", lambda: ind.BBands(20, 2.0), ("close",)),
        ("RollingStd", lambda: ind.RollingStd(20), ("close",)),
        ("ZScore", lambda: ind.ZScore(20), ("close",)),
        ("ROC", lambda: ind.ROC(10), ("close",)),
        ("RealizedVol", lambda: ind.RealizedVol(60, 525_600), ("close",)),
        ("RollingMin", lambda: ind.RollingMin(20), ("low",)),
        ("RollingMax", lambda: ind.RollingMax(20), ("high",)),
        ("TrueRange", ind.TrueRange, ("high", "low", "close")),
        ("ATR", lambda: ind.ATR(14), ("high", "low", "close")),
        ("VWAP", lambda: ind.VWAP(20), ("high", "low", "close", "volume")),
        ("VolumeSurge", lambda: ind.VolumeSurge(20), ("volume",)),
    ]


def stream_us(factory: Callable[[], Any], columns: list[list[float]]) -> float:
    """Best of two passes of microseconds per ``update`` over the rows of ``columns``."""
    best = float("inf")
    for _ in range(2):
        update = factory().update
        if len(columns) == 1:
            values = columns[0]
            start = time.perf_counter()
            for x in values:
                update(x)
        else:
            rows = list(zip(*columns, strict=True))
            start = time.perf_counter()
            for row in rows:
                update(*row)
        best = min(best, time.perf_counter() - start)
    return best / len(columns[0]) * 1e6


def run() -> list[dict]:
    """One row per batch indicator and per streaming class."""
    d = market(BARS)
    rows: list[dict] = []
    cases = batch_cases(d)
    timings = best_ms(
        [[wrapper, kernel, talib_call] for _, _, wrapper, kernel, talib_call in cases]
    )
    for (name, params, *_), (ours, bare, theirs) in zip(cases, timings, strict=True):
        ratio = None if theirs is None else ours / theirs
        row: dict[str, Any] = {
            "kind": "batch",
            "indicator": name,
            "params": params,
            "bars": BARS,
            "soltrader_ms": round(ours, 3),
            "kernel_ms": round(bare, 3),
            "talib_ms": None if theirs is None else round(theirs, 3),
            "ratio": None if ratio is None else round(ratio, 2),
        }
        target = TARGETS.get((name, params))
        if target is not None and ratio is not None:
            row["target"] = target
            row["meets_target"] = bool(ratio <= float(target.split()[1]))
        rows.append(row)
    small = {k: v[:UPDATES].tolist() for k, v in d.items()}
    for name, factory, inputs in stream_cases():
        rows.append(
            {
                "kind": "stream",
                "indicator": name,
                "bars": UPDATES,
                "us_per_update": round(stream_us(factory, [small[k] for k in inputs]), 3),
            }
        )
    return rows
