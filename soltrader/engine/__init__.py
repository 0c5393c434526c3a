"""Research drivers: the replay backtest (and, as they land, sweeps and validation)."""

from soltrader.engine.backtest import backtest, backtest_signals
from soltrader.engine.result import Result

__all__ = ["Result", "backtest", "backtest_signals"]
