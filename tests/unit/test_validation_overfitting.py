"""PBO by CSCV and the probabilistic / deflated Sharpe ratio: hand-computed cases and the DSR
paper's published example (golden JSON), a brute-force CSCV reference, and bad input."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy import stats

import soltrader as st
from soltrader.engine.validation.overfitting import (
    deflated_sharpe_from_sweep,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    pbo_cscv,
    probabilistic_sharpe_ratio,
    sharpe_stats,
)

GOLDEN = json.loads(
    (Path(__file__).resolve().parents[1] / "golden" / "validation_overfitting.json").read_text()
)


def brute_force_cscv(m: np.ndarray, s: int, metric) -> tuple[np.ndarray, ...]:
    """Straight from the paper: slice rows, compute the metric per half, rank with scipy."""
    blocks = np.array_split(np.arange(m.shape[0]), s)
    best, is_perf, oos_perf, logits = [], [], [], []
    for combo in itertools.combinations(range(s), s // 2):
        rows_in = np.concatenate([blocks[b] for b in combo])
        rows_out = np.concatenate([blocks[b] for b in range(s) if b not in combo])
        r_in, r_out = metric(m[rows_in]), metric(m[rows_out])
        k = int(np.argmax(r_in))
        w = stats.rankdata(r_out)[k] / (m.shape[1] + 1)
        best.append(k)
        is_perf.append(r_in[k])
        oos_perf.append(r_out[k])
        logits.append(math.log(w / (1 - w)))
    return np.array(best), np.array(is_perf), np.array(oos_perf), np.array(logits)


def sharpe(rows: np.ndarray) -> np.ndarray:
    return rows.mean(axis=0) / rows.std(axis=0, ddof=1)


# ------------------------------------------------------------------------ golden PBO cases


@pytest.mark.parametrize("case", GOLDEN["pbo_cases"], ids=lambda c: c["name"])
def test_pbo_hand_computed_cases(case: dict) -> None:
    res = pbo_cscv(np.array(case["matrix"], dtype=float), case["n_splits"], case["metric"])
    exp = case["expected"]
    assert res.pbo == exp["pbo"]
    assert res.is_best.tolist() == exp["is_best"]
    np.testing.assert_allclose(res.is_performance, exp["is_performance"], rtol=1e-12)
    np.testing.assert_allclose(res.oos_performance, exp["oos_performance"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res.oos_relative_rank, exp["oos_relative_rank"], rtol=1e-12)
    np.testing.assert_allclose(res.logits, exp["logits"], rtol=1e-12, atol=1e-12)
    assert res.prob_oos_loss == exp["prob_oos_loss"]
    if exp["slope"] is None:
        assert math.isnan(res.slope) and math.isnan(res.intercept)
    else:
        assert res.slope == pytest.approx(exp["slope"], abs=1e-9)
        assert res.intercept == pytest.approx(exp["intercept"], abs=1e-9)


# ------------------------------------------------------------------------ against a reference


@pytest.mark.parametrize(("t", "n", "s"), [(130, 7, 6), (64, 3, 8), (41, 12, 4)])
def test_sharpe_cscv_matches_the_brute_force_reference(t: int, n: int, s: int) -> None:
    m = np.random.default_rng(t).normal(0.0005, 0.01, (t, n))
    res = pbo_cscv(m, s)
    best, is_perf, oos_perf, logits = brute_force_cscv(m, s, sharpe)
    assert res.n_combinations == math.comb(s, s // 2)
    assert np.array_equal(res.is_best, best)
    np.testing.assert_allclose(res.is_performance, is_perf, rtol=1e-9)
    np.testing.assert_allclose(res.oos_performance, oos_perf, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.logits, logits, rtol=1e-12)
    assert res.pbo == np.mean(logits <= 0)


def test_total_return_metric_matches_the_reference() -> None:
    m = np.random.default_rng(5).normal(0.0, 0.02, (60, 5))
    res = pbo_cscv(m, 6, "total_return")
    best, is_perf, oos_perf, _ = brute_force_cscv(m, 6, lambda r: np.prod(1 + r, axis=0) - 1)
    assert np.array_equal(res.is_best, best)
    np.testing.assert_allclose(res.is_performance, is_perf, rtol=1e-9)
    np.testing.assert_allclose(res.oos_performance, oos_perf, rtol=1e-9)


def test_a_callable_metric_gives_the_same_as_the_built_in() -> None:
    m = np.random.default_rng(2).normal(0.0, 0.01, (48, 6))
    a = pbo_cscv(m, 8, "mean")
    b = pbo_cscv(m, 8, lambda rows: rows.mean(axis=0))
    assert np.array_equal(a.is_best, b.is_best)
    np.testing.assert_allclose(a.logits, b.logits, rtol=1e-12)
    np.testing.assert_allclose(a.oos_performance, b.oos_performance, rtol=1e-9)


def test_noise_overfits_half_the_time_and_skill_does_not() -> None:
    # With pure noise the in-sample winner's out-of-sample rank is uniform: PBO is 1/2 on
    # average over realisations (a single realisation varies widely, as the paper shows).
    rng = np.random.default_rng(11)
    mean_pbo = np.mean([pbo_cscv(rng.normal(0.0, 0.01, (160, 20)), 8).pbo for _ in range(40)])
    assert 0.4 < mean_pbo < 0.6
    noise = rng.normal(0.0, 0.01, (800, 40))
    skilled = noise.copy()
    skilled[:, 7] += 0.004
    res = pbo_cscv(skilled, 10)
    assert res.pbo < 0.05
    assert (res.is_best == 7).mean() > 0.95


def test_frames_keep_their_column_labels() -> None:
    m = np.random.default_rng(3).normal(0.0, 0.01, (40, 3))
    m[:, 1] += 0.01
    frame = pd.DataFrame(m, columns=["a", "b", "c"])
    res = pbo_cscv(frame, 4)
    assert res.configs == ["a", "b", "c"]
    assert set(res.table()["config"]) == {"b"}
    assert pbo_cscv(pl.from_pandas(frame), 4).pbo == res.pbo
    assert "pbo=0.000" in repr(res)


@pytest.mark.parametrize(
    ("matrix", "kwargs", "name"),
    [
        (np.zeros((0, 3)), {}, "perf_matrix"),
        (np.zeros((20, 1)), {"n_splits": 4}, "perf_matrix"),
        (np.zeros(20), {}, "perf_matrix"),
        (np.zeros((20, 3)), {"n_splits": 5}, "n_splits"),
        (np.zeros((20, 3)), {"n_splits": 22}, "n_splits"),
        (np.zeros((20, 3)), {"n_splits": 0}, "n_splits"),
        (np.zeros((6, 3)), {"n_splits": 8}, "n_splits"),
        (np.zeros((3, 3)), {"n_splits": 2}, "n_splits"),
        (np.zeros((20, 3)), {"n_splits": 4, "metric": "sortino"}, "metric"),
        (np.full((20, 3), -2.0), {"n_splits": 4, "metric": "total_return"}, "perf_matrix"),
        (np.zeros((20, 3)), {"n_splits": 4, "metric": lambda r: r.mean()}, "metric"),
    ],
)
def test_bad_pbo_input_raises_a_parameter_error(matrix, kwargs: dict, name: str) -> None:
    with pytest.raises(st.ParameterError) as err:
        pbo_cscv(matrix, **kwargs)
    assert err.value.name == name


def test_nan_in_the_matrix_names_row_and_column() -> None:
    frame = pd.DataFrame(np.zeros((20, 3)), columns=["x", "y", "z"])
    frame.iloc[7, 2] = np.nan
    with pytest.raises(st.DataError, match=r"row 7.*'z'") as err:
        pbo_cscv(frame, 4)
    assert (err.value.row, err.value.field) == (7, "z")


# ------------------------------------------------------------------------ PSR / DSR


def test_the_dsr_papers_numerical_example() -> None:
    ex = GOLDEN["dsr_paper_example"]
    inp, hand, published = ex["inputs"], ex["hand"], ex["published"]
    ppy = inp["periods_per_year"]
    sr = inp["sr_annualised"] / math.sqrt(ppy)
    var = inp["var_trials_sr_annualised"] / ppy
    sr0 = expected_max_sharpe(inp["n_trials"], var)
    dsr = deflated_sharpe_ratio(
        sr, inp["n_trials"], var, inp["n_obs"], inp["skew"], inp["kurtosis"]
    )
    assert sr0 == pytest.approx(published["sr0"], abs=5e-5)
    assert dsr == pytest.approx(published["dsr"], abs=1e-4)
    assert sr0 == pytest.approx(hand["sr0"], rel=1e-9)
    assert dsr == pytest.approx(hand["dsr"], rel=1e-9)
    psr = probabilistic_sharpe_ratio(sr, 0.0, inp["n_obs"], inp["skew"], inp["kurtosis"])
    assert psr == pytest.approx(hand["psr_vs_zero"], rel=1e-9)


@pytest.mark.parametrize("case", GOLDEN["psr_cases"])
def test_psr_hand_cases(case: dict) -> None:
    got = probabilistic_sharpe_ratio(
        case["sr"], case["sr_benchmark"], case["n_obs"], case["skew"], case["kurtosis"]
    )
    assert got == pytest.approx(case["psr"], rel=1e-9)


@pytest.mark.parametrize("case", GOLDEN["expected_max_sharpe_cases"])
def test_expected_max_sharpe_hand_cases(case: dict) -> None:
    assert expected_max_sharpe(case["n_trials"], case["var_trials_sr"]) == pytest.approx(
        case["sr0"], rel=1e-9
    )


def test_one_trial_is_not_deflated() -> None:
    assert expected_max_sharpe(1, 0.3) == 0.0
    assert deflated_sharpe_ratio(0.05, 1, 0.3, 400) == probabilistic_sharpe_ratio(0.05, 0.0, 400)


def test_sharpe_stats_agree_with_scipy(sol_1h: pd.DataFrame) -> None:
    r = sol_1h["close"].pct_change().dropna().to_numpy()[-5000:]
    got = sharpe_stats(r)
    assert got.sr == pytest.approx(r.mean() / r.std(ddof=1), rel=1e-12)
    assert got.n_obs == 5000
    assert got.skew == pytest.approx(stats.skew(r), rel=1e-9)
    assert got.kurtosis == pytest.approx(stats.kurtosis(r, fisher=False), rel=1e-9)


def test_deflated_sharpe_of_a_noise_sweep_falls_below_its_psr() -> None:
    m = np.random.default_rng(4).normal(0.0, 0.01, (750, 300))
    d = deflated_sharpe_from_sweep(pd.DataFrame(m, columns=[f"c{j}" for j in range(300)]))
    srs = m.mean(axis=0) / m.std(axis=0, ddof=1)
    assert d.best == f"c{int(np.argmax(srs))}"
    assert d.sr == pytest.approx(srs.max(), rel=1e-12)
    assert d.var_trials_sr == pytest.approx(srs.var(ddof=1), rel=1e-12)
    assert d.n_trials == 300 and d.n_obs == 750
    assert d.dsr < 0.5 < 0.9 < d.psr
    single = deflated_sharpe_from_sweep(m, n_trials=1)
    assert single.dsr == single.psr == d.psr


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_obs": 1}, "n_obs"),
        ({"kurtosis": 0.5}, "kurtosis"),
        ({"skew": 2.0, "kurtosis": 3.0}, "kurtosis"),
        ({"sr": float("nan")}, "sr"),
    ],
)
def test_bad_psr_input(kwargs: dict, name: str) -> None:
    args = {"sr": 0.1, "sr_benchmark": 0.0, "n_obs": 100, "skew": 0.0, "kurtosis": 3.0, **kwargs}
    with pytest.raises(st.ParameterError) as err:
        probabilistic_sharpe_ratio(**args)
    assert err.value.name == name


def test_bad_dsr_input() -> None:
    with pytest.raises(st.ParameterError, match="n_trials"):
        expected_max_sharpe(0, 0.1)
    with pytest.raises(st.ParameterError, match="var_trials_sr"):
        expected_max_sharpe(10, -0.1)
    with pytest.raises(st.ParameterError, match="constant and not zero"):
        deflated_sharpe_from_sweep(np.ones((10, 3)))
    with pytest.raises(st.ParameterError, match="constant"):
        sharpe_stats([0.01] * 5)


def test_a_column_of_zeros_is_a_trial_with_sharpe_zero() -> None:
    # a configuration that never traded: flat returns count as a trial with Sharpe 0
    rng = np.random.default_rng(8)
    m = rng.normal(0.0005, 0.01, (400, 5))
    m[:, [1, 3]] = 0.0
    d = deflated_sharpe_from_sweep(m)
    srs = m.mean(axis=0) / np.where(m.std(axis=0, ddof=1) > 0, m.std(axis=0, ddof=1), 1.0)
    assert d.n_flat == 2 and d.n_trials == 5
    assert d.var_trials_sr == pytest.approx(srs.var(ddof=1), rel=1e-12)
    assert d.best == int(np.argmax(srs)) and d.sr == pytest.approx(srs.max(), rel=1e-12)
    assert deflated_sharpe_from_sweep(m[:, [0, 2, 4]]).n_flat == 0


def test_when_the_best_column_is_flat_nothing_beat_doing_nothing() -> None:
    m = np.zeros((50, 3))
    m[:, 0] = np.random.default_rng(2).normal(-0.01, 0.01, 50)  # loses
    d = deflated_sharpe_from_sweep(m)
    assert d.best == 1 and d.sr == d.psr == d.dsr == 0.0 and d.n_flat == 2
    assert math.isnan(d.skew) and math.isnan(d.kurtosis)


def test_pbo_ranks_a_flat_column_as_sharpe_zero() -> None:
    rng = np.random.default_rng(3)
    m = rng.normal(0.0, 0.01, (160, 6))
    m[:, 2] = 0.0
    res = pbo_cscv(m, 8)
    assert 0.0 <= res.pbo <= 1.0 and np.isfinite(res.logits).all()
    # the same as the brute-force definition with a flat Sharpe of 0
    blocks = np.array_split(np.arange(160), 8)
    below = 0
    combos = list(itertools.combinations(range(8), 4))
    for chosen in combos:
        ins = np.concatenate([blocks[b] for b in chosen])
        out = np.concatenate([blocks[b] for b in range(8) if b not in chosen])

        def sharpe(rows):
            sd = rows.std(axis=0, ddof=1)
            return np.where(sd > 0, rows.mean(axis=0) / np.where(sd > 0, sd, 1.0), 0.0)

        best = int(np.argmax(sharpe(m[ins])))
        oos = sharpe(m[out])
        rank = stats.rankdata(oos)[best] / (6 + 1)
        below += np.log(rank / (1 - rank)) <= 0
    assert res.pbo == pytest.approx(below / len(combos), abs=1e-12)
