"""Trading costs: fees with volume tiers, slippage, market impact, constant-product AMM fills and
Solana transaction costs (pure; the simulator consumes them).

Examples
--------
>>> import soltrader as st
>>> st.costs.binance_spot.taker
0.001
"""

from soltrader.costs.models import (
    LAMPORTS_PER_SOL,
    AMMPool,
    FeeSchedule,
    FeeTier,
    Impact,
    SolanaTxCost,
    binance_spot,
)

__all__ = [
    "LAMPORTS_PER_SOL",
    "AMMPool",
    "FeeSchedule",
    "FeeTier",
    "Impact",
    "SolanaTxCost",
    "binance_spot",
]
