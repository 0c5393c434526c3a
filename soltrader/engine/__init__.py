"""Research drivers: the replay backtest, parameter sweeps and validation."""

from soltrader.engine.backtest import backtest, backtest_signals
from soltrader.engine.result import Result
from soltrader.engine.sweep import SweepResult, fixed, sweep

__all__ = ["Result", "SweepResult", "backtest", "backtest_signals", "fixed", "sweep"]
