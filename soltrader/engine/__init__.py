"""Research drivers: the replay backtest, parameter sweeps, the coordinator and validation."""

from soltrader.engine.backtest import backtest, backtest_signals
from soltrader.engine.coordinator import CoordinatorResult, coordinate
from soltrader.engine.result import Result
from soltrader.engine.sweep import SweepResult, fixed, sweep

__all__ = [
    "CoordinatorResult",
    "Result",
    "SweepResult",
    "backtest",
    "backtest_signals",
    "coordinate",
    "fixed",
    "sweep",
]
