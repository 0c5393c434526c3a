"""Research drivers: the replay backtest, parameter sweeps, the coordinator and validation."""

from soltrader.engine.backtest import backtest, backtest_signals
from soltrader.engine.coordinator import CoordinatorResult, coordinate
from soltrader.engine.drivers import arbitrage_backtest, compare_modes, smc_backtest
from soltrader.engine.paper import ReplayTiming, paper_replay
from soltrader.engine.result import Result
from soltrader.engine.sweep import SweepResult, close_local_cluster, fixed, sweep

__all__ = [
    "CoordinatorResult",
    "ReplayTiming",
    "Result",
    "SweepResult",
    "arbitrage_backtest",
    "backtest",
    "backtest_signals",
    "close_local_cluster",
    "compare_modes",
    "coordinate",
    "fixed",
    "paper_replay",
    "smc_backtest",
    "sweep",
]
