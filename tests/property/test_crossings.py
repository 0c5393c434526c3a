"""The one-pass crossing kernel (``crossings_into_nb``, used by ``sma_cross`` and its fused sweep
kernel) equals ``crossed_above_nb`` and ``crossed_below_nb`` bit for bit, on drawn series with
ties, NaN runs and infinities."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs

from soltrader.strategies.signals import crossed_above_nb, crossed_below_nb, crossings_into_nb

# few distinct values, so ties (a == b) are common; NaN and +-inf among them
VALUES = hs.sampled_from([1.0, 2.0, 2.0, 3.0, np.nan, np.inf, -np.inf])


@settings(max_examples=400, deadline=None)
@given(hs.lists(hs.tuples(VALUES, VALUES), min_size=0, max_size=60))
def test_one_pass_crossings_equal_the_two_functions(pairs: list[tuple[float, float]]) -> None:
    a = np.array([p[0] for p in pairs], dtype=np.float64)
    b = np.array([p[1] for p in pairs], dtype=np.float64)
    above = np.empty(a.shape[0], dtype=np.bool_)
    below = np.empty(a.shape[0], dtype=np.bool_)
    crossings_into_nb(a, b, above, below)
    assert np.array_equal(above, crossed_above_nb(a, b))
    assert np.array_equal(below, crossed_below_nb(a, b))


def test_real_like_series_cross_both_ways() -> None:
    rng = np.random.default_rng(3)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 5_000)))
    fast = np.convolve(close, np.ones(5) / 5, "same")
    above = np.empty(5_000, dtype=np.bool_)
    below = np.empty(5_000, dtype=np.bool_)
    crossings_into_nb(fast, close, above, below)
    assert above.sum() > 100 and below.sum() > 100
    assert np.array_equal(above, crossed_above_nb(fast, close))
    assert np.array_equal(below, crossed_below_nb(fast, close))
