"""Risk (pure): account limits checked before every order, the drawdown / daily-loss guard per
bar, VaR / CVaR, and a GARCH(1,1)-t volatility forecast.

:meth:`RiskLimits.check` takes a :class:`TradeIntent` and a :class:`PortfolioState` and returns a
:class:`RiskDecision`; the simulator and the live runtime call the same method. The numba kernels
(``*_nb``) are in :mod:`soltrader.risk.nb`. Conventions and formulas: ``docs/sizing_and_risk.md``.

Examples
--------
>>> from soltrader.risk import PortfolioState, RiskLimits, TradeIntent
>>> from soltrader.domain.enums import Side
>>> state = PortfolioState(equity=8_400, day_start_equity=8_500, peak_equity=10_000)
>>> d = RiskLimits(max_symbol_exposure=1.0).check(TradeIntent("SOL/USDT", Side.BUY, 5, 150), state)
>>> d.allowed, d.reason.name, d.size_multiplier  # 16 % below the peak: half size
(True, 'SOFT_DRAWDOWN', 0.5)
"""

from soltrader.risk.codes import ControlMode, RiskReason
from soltrader.risk.garch import GarchFitError, GarchForecast, garch_forecast
from soltrader.risk.limits import (
    GuardPath,
    OpenPosition,
    PortfolioState,
    RiskDecision,
    RiskLimits,
    TradeIntent,
)
from soltrader.risk.var import (
    historical_cvar,
    historical_var,
    normal_cvar,
    normal_var,
    parametric_cvar,
    parametric_var,
)

__all__ = [
    "ControlMode",
    "GarchFitError",
    "GarchForecast",
    "GuardPath",
    "OpenPosition",
    "PortfolioState",
    "RiskDecision",
    "RiskLimits",
    "RiskReason",
    "TradeIntent",
    "garch_forecast",
    "historical_cvar",
    "historical_var",
    "normal_cvar",
    "normal_var",
    "parametric_cvar",
    "parametric_var",
]
