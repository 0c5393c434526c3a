"""``sma_cross_nb`` computes both averages inside its crossing loop without storing them: its
crossings equal ``crossings_into_nb`` of the two ``sma_1d_nb`` averages bit for bit, whatever
the windows (longer than the series too), across the averages' recomputation blocks, with ties,
and with NaN, ±inf or overflowing prices (where it hands the series to ``sma_1d_nb``)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs

from soltrader.indicators.nb import sma_1d_nb
from soltrader.strategies.signals import crossings_into_nb
from soltrader.strategies.sma_cross import _sma_cross_one_pass_nb, sma_cross_nb

WINDOWS = hs.sampled_from([1, 2, 3, 5, 8, 15, 16, 17, 33, 80, 700])
BAD = hs.sampled_from([np.nan, np.inf, -np.inf, 1e308])


def _two_pass(close: np.ndarray, fast: int, slow: int) -> tuple[np.ndarray, np.ndarray]:
    entries = np.empty(close.shape[0], dtype=np.bool_)
    exits = np.empty(close.shape[0], dtype=np.bool_)
    crossings_into_nb(sma_1d_nb(close, fast), sma_1d_nb(close, slow), entries, exits)
    return entries, exits


@settings(max_examples=300, deadline=None)
@given(
    seed=hs.integers(0, 2**16),
    n=hs.integers(0, 600),
    fast=WINDOWS,
    slow=WINDOWS,
    decimals=hs.sampled_from([0, 2, 8]),
    bad=hs.lists(hs.tuples(hs.floats(0.0, 1.0, exclude_max=True), BAD), max_size=3),
)
def test_crossings_equal_the_two_stored_averages(
    seed: int,
    n: int,
    fast: int,
    slow: int,
    decimals: int,
    bad: list[tuple[float, float]],
) -> None:
    rng = np.random.default_rng(seed)
    close = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.01, n))), decimals)  # ties
    for where, value in bad:
        if n:
            close[int(where * n)] = value
    entries, exits = sma_cross_nb(close, fast, slow)
    want_entries, want_exits = _two_pass(close, fast, slow)
    assert np.array_equal(entries, want_entries)
    assert np.array_equal(exits, want_exits)
    if np.isfinite(close).all() and np.abs(close).max(initial=0.0) < 1e300:
        buffers = np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.bool_)
        assert _sma_cross_one_pass_nb(close, fast, slow, *buffers)  # the one-pass path ran


def test_a_bad_price_hands_the_series_to_the_stored_averages() -> None:
    close = 100.0 + np.sin(np.arange(500.0) / 9.0)
    close[250] = np.nan
    entries, exits = np.empty(500, dtype=np.bool_), np.empty(500, dtype=np.bool_)
    assert not _sma_cross_one_pass_nb(close, 5, 20, entries, exits)
    got = sma_cross_nb(close, 5, 20)
    want = _two_pass(close, 5, 20)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert got[0][260:].any() or got[1][260:].any()  # the run after the NaN still crosses
