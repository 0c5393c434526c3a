"""The fused sweep's sma_cross kernel keeps a thread's averages between combinations (one fast
slot, ``SLOW_SLOTS`` slow slots, the last slow slot rotating once all are taken): whatever order
the combinations come in, every call writes the crossings ``sma_cross_nb`` gives for its windows,
bit for bit, and recomputes an average only when its window is not kept."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs

from soltrader.strategies.sma_cross import (
    SCRATCH_ROWS,
    SLOW_SLOTS,
    sma_cross_into_nb,
    sma_cross_nb,
)

N = 300
FASTS = hs.sampled_from([1, 2, 3, 5, 8])
SLOWS = hs.sampled_from([4, 6, 9, 12, 20, 31, 50, 80])  # more windows than slow slots


def _close(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    close = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.01, N))), 2)  # ties are common
    close.flags.writeable = False
    return close


def _run(close: np.ndarray, fast: int, slow: int, scratch: np.ndarray) -> np.ndarray:
    signals = np.zeros((4, N), dtype=np.bool_)
    params = np.array([fast, slow], dtype=np.float64)
    rows = sma_cross_into_nb(close, close, close, close, close, params, signals, np.empty((1, N)),
                             scratch)  # fmt: skip
    assert rows == 2
    return signals


@settings(max_examples=150, deadline=None)
@given(seed=hs.integers(0, 2**16), pairs=hs.lists(hs.tuples(FASTS, SLOWS), min_size=1, max_size=40))
def test_any_order_of_combinations_gives_each_ones_crossings(
    seed: int, pairs: list[tuple[int, int]]
) -> None:
    close = _close(seed)
    scratch = np.full((SCRATCH_ROWS, N), np.nan)
    for fast, slow in pairs:
        signals = _run(close, fast, slow, scratch)
        entries, exits = sma_cross_nb(close, fast, slow)
        assert np.array_equal(signals[0], entries) and np.array_equal(signals[1], exits)
    kept = scratch[-1, 1 : SLOW_SLOTS + 1]
    kept = kept[~np.isnan(kept)]
    assert len(set(kept)) == len(kept)  # a window is never kept twice


def test_kept_averages_are_not_recomputed_and_the_last_slot_rotates() -> None:
    close = _close(7)
    scratch = np.full((SCRATCH_ROWS, N), np.nan)
    slows = [4, 6, 9, 12, 20, 31, 50]  # two more than the slots
    for slow in slows:
        _run(close, 3, slow, scratch)
    keys = scratch[-1]
    assert keys[0] == 3
    assert list(keys[1:SLOW_SLOTS]) == slows[: SLOW_SLOTS - 1]  # the first ones stay
    assert keys[SLOW_SLOTS] == slows[-1]  # the last slot holds the newest
    entries, exits = sma_cross_nb(close, 3, slows[0])
    assert entries.any() and exits.any()
    # a kept average is read, not recomputed: below every price, it would leave no crossing
    scratch[1, :] = -1.0
    signals = _run(close, 3, slows[0], scratch)
    assert not signals[0].any() and not signals[1].any()
    assert np.array_equal(scratch[1], np.full(N, -1.0))
    # a window that is not kept is computed into the rotating slot, over the tampered row 5
    signals = _run(close, 3, 80, scratch)
    entries, exits = sma_cross_nb(close, 3, 80)
    assert np.array_equal(signals[0], entries) and np.array_equal(signals[1], exits)
    assert scratch[-1, SLOW_SLOTS] == 80
