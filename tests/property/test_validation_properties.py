"""Invariants of the validation tools (hypothesis).

* walk-forward and purged K-fold splits never train on a test bar, its purge zone or its
  embargo zone, by bar count and by time span (with gaps in the times);
* CSCV's kernel equals a brute-force computation of the paper's definition;
* shuffling trades keeps the final equity and only moves the path; every path's drawdown is a
  fraction in [0, 1];
* PSR rises with the Sharpe ratio and the DSR never exceeds the PSR against zero;
* a causal strategy passes the look-ahead check at random cuts of random bars.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from hypothesis import assume, given
from hypothesis import strategies as hs
from scipy import stats

import soltrader as st
from soltrader.data.schema import ohlcv_frame
from soltrader.engine.validation import (
    deflated_sharpe_ratio,
    lookahead_check,
    monte_carlo,
    pbo_cscv,
    probabilistic_sharpe_ratio,
    purged_kfold,
    walk_forward_windows,
)

H = pd.Timedelta(hours=1)


def _no_train_in_guarded_zone(
    train: np.ndarray, start: int, stop: int, before: int, after: int
) -> bool:
    return not ((train >= start - before) & (train < stop + after)).any()


@given(
    n=hs.integers(10, 400),
    train=hs.integers(1, 120),
    test=hs.integers(1, 60),
    step=hs.one_of(hs.none(), hs.integers(1, 60)),
    anchored=hs.booleans(),
    purge=hs.integers(0, 10),
    embargo=hs.integers(0, 10),
)
def test_walk_forward_bar_windows_never_train_on_the_test(
    n, train, test, step, anchored, purge, embargo
) -> None:
    assume(train + test <= n and train > purge + embargo)
    wins = walk_forward_windows(
        n, train, test, step=step, anchored=anchored, purge=purge, embargo=embargo
    )
    assert wins
    for w in wins:
        tr = np.arange(w.train.start, w.train.stop)
        assert 0 <= w.train.start < w.train.stop <= n and 0 <= w.test.start < w.test.stop <= n
        assert _no_train_in_guarded_zone(tr, w.test.start, w.test.stop, purge + embargo, embargo)
        assert w.train.stop == w.test.start - purge - embargo
        assert w.n_train == (w.train.stop if anchored else train - purge - embargo)
        assert w.n_test <= test
    if step is None or step == test:  # the tests tile the data after the first training span
        assert [w.test.start for w in wins[1:]] == [w.test.stop for w in wins[:-1]]
        assert wins[0].test.start == train and wins[-1].test.stop == n


@hs.composite
def gappy_times(draw: hs.DrawFn) -> pd.DatetimeIndex:
    steps = draw(hs.lists(hs.sampled_from([1, 1, 1, 1, 2, 5, 30]), min_size=50, max_size=400))
    hours = np.concatenate([[0], np.cumsum(steps)])
    return pd.DatetimeIndex(pd.Timestamp("2024-01-01", tz="UTC") + hours * H)


@given(
    times=gappy_times(),
    train_h=hs.integers(5, 200),
    test_h=hs.integers(1, 80),
    anchored=hs.booleans(),
    purge=hs.integers(0, 3),
    embargo=hs.integers(0, 3),
)
def test_walk_forward_time_windows_respect_their_spans(
    times, train_h, test_h, anchored, purge, embargo
) -> None:
    bar = pd.Timedelta(int(np.median(np.diff(times.asi8))))
    assume(pd.Timedelta(hours=train_h + test_h) <= times[-1] - times[0] + bar)
    try:
        wins = walk_forward_windows(
            times, f"{train_h}h", f"{test_h}h", anchored=anchored, purge=purge, embargo=embargo
        )
    except st.ParameterError as exc:  # a gap left a training window empty: refused, not fixed
        assert exc.name in ("purge", "train")
        return
    t0, first, test = times[0], pd.Timedelta(hours=train_h), pd.Timedelta(hours=test_h)
    for w in wins:
        tr = np.arange(w.train.start, w.train.stop)
        assert _no_train_in_guarded_zone(tr, w.test.start, w.test.stop, purge + embargo, embargo)
        boundary = t0 + first + ((times[w.test.start] - t0 - first) // test) * test
        assert times[w.test.start] >= boundary > times[w.train.stop - 1]
        assert times[w.test.stop - 1] < boundary + pd.Timedelta(hours=test_h)
        if not anchored:
            assert times[w.train.start] >= boundary - pd.Timedelta(hours=train_h)


@given(
    n=hs.integers(4, 300),
    k=hs.integers(2, 10),
    purge=hs.integers(0, 8),
    embargo=hs.integers(0, 8),
    h=hs.integers(0, 8),
)
def test_purged_kfold_never_trains_on_overlapping_labels(n, k, purge, embargo, h) -> None:
    assume(k <= n)
    try:
        folds = purged_kfold(n, k, purge=purge, embargo=embargo, label_horizon=h)
    except st.ParameterError as exc:
        assert exc.name == "embargo"
        return
    tests = np.concatenate([np.arange(f.test.start, f.test.stop) for f in folds])
    assert np.array_equal(tests, np.arange(n))
    for f in folds:
        a, b = f.test.start, f.test.stop
        assert np.all(np.diff(f.train) > 0)
        # label [i, i + h] overlaps the test labels' span [a, b - 1 + h]: never trained on
        assert not ((f.train + h >= a) & (f.train <= b - 1 + h)).any()
        assert _no_train_in_guarded_zone(f.train, a, b, purge + h, h + embargo)
        outside = np.setdiff1d(
            np.arange(n), np.arange(max(0, a - purge - h), min(n, b + h + embargo))
        )
        assert np.array_equal(f.train, outside)


@given(
    seed=hs.integers(0, 2**32 - 1),
    t=hs.integers(8, 60),
    n=hs.integers(2, 8),
    s=hs.sampled_from([2, 4, 6]),
    metric=hs.sampled_from(["sharpe", "mean"]),
)
def test_cscv_equals_the_papers_definition(seed, t, n, s, metric) -> None:
    assume(t >= max(s, 4))
    m = np.random.default_rng(seed).normal(0.0, 0.01, (t, n))
    res = pbo_cscv(m, s, metric)
    blocks = np.array_split(np.arange(t), s)
    for c, combo in enumerate(itertools.combinations(range(s), s // 2)):
        rows_in = np.concatenate([blocks[b] for b in combo])
        rows_out = np.setdiff1d(np.arange(t), rows_in)

        def perf(rows):
            x = m[rows]
            return x.mean(axis=0) / x.std(axis=0, ddof=1) if metric == "sharpe" else x.mean(axis=0)

        r_in, r_out = perf(rows_in), perf(rows_out)
        k = int(np.argmax(r_in))
        assert res.is_best[c] == k
        w = stats.rankdata(r_out)[k] / (n + 1)
        assert math.isclose(res.logits[c], math.log(w / (1 - w)), rel_tol=1e-12, abs_tol=1e-15)
    assert 0.0 <= res.pbo <= 1.0


@given(
    r=hs.lists(hs.floats(-0.5, 0.5, allow_subnormal=False), min_size=1, max_size=60),
    seed=hs.integers(0, 10_000),
)
def test_shuffle_keeps_final_equity_and_drawdowns_stay_fractions(r, seed) -> None:
    mc = monte_carlo(r, n_paths=64, method="shuffle", seed=seed, init_cash=100.0)
    np.testing.assert_allclose(mc.final_equity, mc.observed_final_equity, rtol=1e-12)
    boot = monte_carlo(r, n_paths=64, method="bootstrap", seed=seed, init_cash=100.0)
    for res in (mc, boot):
        assert ((res.max_drawdown >= 0.0) & (res.max_drawdown <= 1.0)).all()
        assert (res.min_equity <= 100.0).all() and (res.min_equity <= res.final_equity).all()
        np.testing.assert_array_equal(res.curves[:, -1], res.final_equity)
    # the worst drawdown of any order is bounded by losing every losing trade in a row
    losses = np.asarray(r)[np.asarray(r) < 0]
    assert mc.max_drawdown.max() <= 1.0 - np.prod(1.0 + losses) + 1e-12


@given(
    sr=hs.floats(-0.3, 0.3),
    d=hs.floats(0.001, 0.2),
    t=hs.integers(10, 5000),
    skew=hs.floats(-2, 2),
    excess=hs.floats(0, 20),
    n=hs.integers(1, 10_000),
    var=hs.floats(0, 0.05),
)
def test_psr_rises_with_sharpe_and_deflation_only_lowers_it(sr, d, t, skew, excess, n, var) -> None:
    kurt = 1.0 + skew * skew + excess
    lo = probabilistic_sharpe_ratio(sr, 0.0, t, skew, kurt)
    hi = probabilistic_sharpe_ratio(sr + d, 0.0, t, skew, kurt)
    assert 0.0 <= lo <= 1.0
    assert hi >= lo - 1e-12  # z = sr / sqrt(1 - skew sr + ...) increases while skew * sr < 2
    assert deflated_sharpe_ratio(sr, n, var, t, skew, kurt) <= lo + 1e-12


@hs.composite
def random_bars(draw: hs.DrawFn) -> pd.DataFrame:
    n = draw(hs.integers(120, 400))
    seed = draw(hs.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    spread = close * rng.uniform(0.0, 0.01, n)
    ts = 1_704_067_200_000 + 3_600_000 * np.arange(n)
    return ohlcv_frame(ts, close, close + spread, close - spread, close, rng.uniform(1, 10, n))


@given(
    bars=random_bars(), fast=hs.integers(2, 20), slow=hs.integers(5, 60), seed=hs.integers(0, 1000)
)
def test_a_causal_strategy_passes_the_lookahead_check(bars, fast, slow, seed) -> None:
    rep = lookahead_check(
        st.strategies.sma_cross, bars, params={"fast": fast, "slow": slow}, n_cuts=6, seed=seed
    )
    assert rep.ok
    rev = lookahead_check(
        st.strategies.mean_reversion,
        bars,
        params={"rsi_n": 5, "z_n": 10, "z_entry": 1.0, "allow_short": True},
        n_cuts=4,
        seed=seed,
    )
    assert rev.ok
