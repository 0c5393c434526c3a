"""Honest validation of strategies and sweeps (pure: no I/O, no clock).

* :mod:`~.splits` -- walk-forward windows and purged K-fold splits;
* :mod:`~.walkforward` -- walk-forward optimisation with a stitched
  out-of-sample equity curve;
* :mod:`~.overfitting` -- probability of backtest overfitting (CSCV) and the
  probabilistic / deflated Sharpe ratio;
* :mod:`~.montecarlo` -- bootstrap / shuffle of trade returns, risk of ruin;
* :mod:`~.stattests` -- ADF, Jarque-Bera, Ljung-Box;
* :mod:`~.lookahead` -- look-ahead check of any strategy;
* :mod:`~.window` -- whether a trailing window of history reproduces the decisions (live).

Importing compiles nothing and imports neither matplotlib nor statsmodels; both load on first
use. See ``docs/validation.md`` for what each tool answers and how to read it.

Examples
--------
>>> import soltrader.engine.validation as sv
>>> [(w.train, w.test) for w in sv.walk_forward_windows(10, 6, 2)]
[(slice(0, 6, None), slice(6, 8, None)), (slice(2, 8, None), slice(8, 10, None))]
"""

from soltrader.engine.validation.lookahead import LookaheadReport, lookahead_check
from soltrader.engine.validation.montecarlo import MonteCarloResult, monte_carlo
from soltrader.engine.validation.overfitting import (
    DeflatedSharpe,
    PBOResult,
    SharpeStats,
    deflated_sharpe_from_sweep,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    pbo_cscv,
    probabilistic_sharpe_ratio,
    sharpe_stats,
)
from soltrader.engine.validation.splits import (
    Fold,
    Window,
    purged_kfold,
    walk_forward_windows,
    windows_table,
)
from soltrader.engine.validation.stattests import (
    StatTestResult,
    adf,
    jarque_bera,
    ljung_box,
    return_tests,
)
from soltrader.engine.validation.walkforward import (
    WalkForwardResult,
    evaluate,
    grid,
    optimise,
    walk_forward,
)
from soltrader.engine.validation.window import WindowReport, window_check

__all__ = [
    "DeflatedSharpe",
    "Fold",
    "LookaheadReport",
    "MonteCarloResult",
    "PBOResult",
    "SharpeStats",
    "StatTestResult",
    "WalkForwardResult",
    "Window",
    "WindowReport",
    "adf",
    "deflated_sharpe_from_sweep",
    "deflated_sharpe_ratio",
    "evaluate",
    "expected_max_sharpe",
    "grid",
    "jarque_bera",
    "ljung_box",
    "lookahead_check",
    "monte_carlo",
    "optimise",
    "pbo_cscv",
    "probabilistic_sharpe_ratio",
    "purged_kfold",
    "return_tests",
    "sharpe_stats",
    "walk_forward",
    "walk_forward_windows",
    "window_check",
    "windows_table",
]
