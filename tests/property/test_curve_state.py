"""The statistics' first pass run value by value (``curve_state_nb`` / ``curve_step_nb`` /
``finish_curve_nb``, as the fused sweep's simulation runs it while it marks the equity) gives
``curve_stats_nb``'s result bit for bit: on drawn curves with flat stretches, new peaks, deep
drawdowns, a ruin (a value of zero or less), and either risk-free rate."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs

from soltrader.metrics._nb import (
    N_CURVE_STATE,
    curve_state_nb,
    curve_stats_nb,
    curve_step_nb,
    finish_curve_nb,
)

STEPS = hs.sampled_from([0.0, 0.0, 0.0, 0.01, -0.01, 0.2, -0.3, 1e-12])


def _same(a: tuple, b: tuple) -> bool:
    return all(
        (x == y) or (isinstance(x, float) and np.isnan(x) and np.isnan(y))
        for x, y in zip(a, b, strict=True)
    )


@settings(max_examples=300, deadline=None)
@given(
    steps=hs.lists(STEPS, min_size=0, max_size=80),
    init=hs.sampled_from([100.0, 1e-6, 1e6]),
    rf=hs.sampled_from([0.0, 1e-5, -1e-4]),
    ruin_at=hs.one_of(hs.none(), hs.integers(0, 79)),
    ruin_value=hs.sampled_from([0.0, -5.0]),
)
def test_value_by_value_equals_the_two_pass_function(
    steps: list[float], init: float, rf: float, ruin_at: int | None, ruin_value: float
) -> None:
    equity = init * np.cumprod(1.0 + np.array(steps, dtype=np.float64))
    if ruin_at is not None and ruin_at < len(equity):
        equity[ruin_at:] = ruin_value
    n = len(equity)
    want = curve_stats_nb(equity, init, 525_600.0, rf, np.empty(n))
    cs, scratch = np.empty(N_CURVE_STATE), np.empty(n)
    curve_state_nb(cs, init, rf)
    for i in range(n):
        curve_step_nb(cs, i, equity[i], scratch)
    got = finish_curve_nb(cs, n, init, 525_600.0, scratch)
    assert _same(got, want), (got, want)
    assert got[12] == (ruin_at is not None and ruin_at < n)  # ruined
