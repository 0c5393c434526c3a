"""soltrader: research crypto trading strategies in notebooks and trade the winner live.

``import soltrader as st`` gives the public API. Importing compiles nothing, configures no
logging and reads nothing from disk or the network; its one effect is to point numba's disk
cache at soltrader's shared folder when ``NUMBA_CACHE_DIR`` is unset (see
:mod:`soltrader._cache`), so that every process reuses the kernels another compiled.

Examples
--------
>>> import soltrader as st
>>> bars = st.data.load("SOL/USDT", "1h")          # doctest: +SKIP
>>> st.indicators.rsi(bars["close"], 14).iloc[-1]  # doctest: +SKIP
"""

from soltrader._cache import use_shared_cache

use_shared_cache()  # before any kernel is defined: numba picks its cache folder at definition

from soltrader import (  # noqa: E402
    costs,
    data,
    dex,
    indicators,
    metrics,
    risk,
    sim,
    sizing,
    strategies,
    structure,
)
from soltrader.domain.errors import (  # noqa: E402
    DataError,
    DataNotFoundError,
    DownloadError,
    Error,
    InsufficientCashWarning,
    LateTradeError,
    MissingDependencyError,
    ParameterError,
    SoltraderWarning,
)
from soltrader.engine import (  # noqa: E402
    CoordinatorResult,
    Result,
    SweepResult,
    arbitrage_backtest,
    backtest,
    backtest_signals,
    compare_modes,
    coordinate,
    fixed,
    paper_replay,
    smc_backtest,
    sweep,
    validation,
)
from soltrader.engine.validation import walk_forward  # noqa: E402

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """Import ``soltrader.report`` (matplotlib) and ``promote`` (pydantic, the live extra) on
    first use rather than at ``import soltrader``."""
    if name == "report":
        import soltrader.report as report

        return report
    if name == "promote":
        from soltrader.engine.live_spec import promote

        return promote
    raise AttributeError(f"module 'soltrader' has no attribute {name!r}")


__all__ = [
    "CoordinatorResult",
    "DataError",
    "DataNotFoundError",
    "DownloadError",
    "Error",
    "InsufficientCashWarning",
    "LateTradeError",
    "MissingDependencyError",
    "ParameterError",
    "Result",
    "SoltraderWarning",
    "SweepResult",
    "__version__",
    "arbitrage_backtest",
    "backtest",
    "backtest_signals",
    "compare_modes",
    "coordinate",
    "costs",
    "data",
    "dex",
    "fixed",
    "indicators",
    "metrics",
    "paper_replay",
    "promote",
    "report",
    "risk",
    "sim",
    "sizing",
    "smc_backtest",
    "strategies",
    "structure",
    "sweep",
    "validation",
    "walk_forward",
]
