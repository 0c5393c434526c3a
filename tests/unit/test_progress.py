"""Progress bars of sweeps, walk-forward and Monte Carlo: ``progress=True`` draws tqdm's bar on
stderr with the right total, ``False`` writes nothing, ``None`` (automatic) draws nothing when
stderr is not a terminal (as under pytest) or when the work is short, and the results never
depend on the bar."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader.engine import _progress
from soltrader.engine.validation import monte_carlo, walk_forward
from soltrader.engine.validation.montecarlo import BOOTSTRAP, SHUFFLE, mc_paths_nb

SPACE = dict(fast=[5, 10, 20], slow=[30, 60], fees=0.001)  # 6 combinations
RETURNS = np.random.default_rng(3).normal(0.002, 0.03, 400)


@pytest.fixture(scope="module")
def bars(sol_1h: pd.DataFrame) -> pd.DataFrame:
    return sol_1h.loc["2024-01-01":"2024-04-30"]


def _totals(err: str) -> set[tuple[str, str]]:
    """The ``done/total`` counters a tqdm text bar printed."""
    return set(re.findall(r"\b(\d+)/(\d+)\b", err))


def _sweep(data, progress: bool | None, **kw) -> st.SweepResult:
    kw = {"n_jobs": 2, "check_lookahead": False, **SPACE, **kw}
    return st.sweep(data, st.strategies.sma_cross, progress=progress, **kw)


@pytest.mark.parametrize("chunk_size", [None, 2])
def test_sweep_bar_counts_the_combinations(bars, capsys, chunk_size) -> None:
    shown = _sweep(bars, True, chunk_size=chunk_size)
    err = capsys.readouterr().err
    assert shown.fused and "sweep" in err and "combination" in err
    assert ("6", "6") in _totals(err)  # the total, reached
    assert ("0", "6") in _totals(err)  # drawn from the start
    quiet = _sweep(bars, False, chunk_size=chunk_size)
    assert capsys.readouterr().err == ""
    pd.testing.assert_frame_equal(shown.table, quiet.table)
    pd.testing.assert_frame_equal(shown.returns, quiet.returns)


def test_generic_and_optuna_sweeps_count_chunks_and_trials(bars, capsys) -> None:
    generic = _sweep({"SOL": bars}, True)  # a dict of assets takes the generic path
    err = capsys.readouterr().err
    assert not generic.fused and ("6", "6") in _totals(err)
    quiet = _sweep({"SOL": bars}, False)
    assert capsys.readouterr().err == ""
    pd.testing.assert_frame_equal(generic.table, quiet.table)
    pytest.importorskip("optuna")
    shown = _sweep(bars, True, method="optuna", n_trials=5, seed=1)
    err = capsys.readouterr().err
    assert "sweep (optuna)" in err and "trial" in err and ("5", "5") in _totals(err)
    quiet = _sweep(bars, False, method="optuna", n_trials=5, seed=1)
    assert capsys.readouterr().err == ""
    pd.testing.assert_frame_equal(shown.table, quiet.table)


def test_walk_forward_bar_counts_the_windows(bars, capsys) -> None:
    space = {"fast": [10, 20], "slow": [50]}
    shown = walk_forward(
        bars, st.strategies.sma_cross, space, train="40D", test="20D", progress=True
    )
    err = capsys.readouterr().err
    n = len(shown.splits)
    assert n >= 3 and "walk-forward" in err and "window" in err
    assert (str(n), str(n)) in _totals(err)
    quiet = walk_forward(
        bars, st.strategies.sma_cross, space, train="40D", test="20D", progress=False
    )
    assert capsys.readouterr().err == ""
    pd.testing.assert_frame_equal(shown.windows, quiet.windows)
    pd.testing.assert_series_equal(shown.equity, quiet.equity)


@pytest.mark.parametrize("method", ["bootstrap", "shuffle"])
def test_monte_carlo_bar_counts_paths_and_batches_change_nothing(capsys, method) -> None:
    # 2,501 paths of 400 trades: batches of 250 paths (11 batches, the last one shorter)
    shown = monte_carlo(RETURNS, n_paths=2_501, method=method, seed=5, progress=True)
    err = capsys.readouterr().err
    assert "monte carlo" in err and "path" in err and ("2501", "2501") in _totals(err)
    quiet = monte_carlo(RETURNS, n_paths=2_501, method=method, seed=5, progress=False)
    assert capsys.readouterr().err == ""
    for name in ("final_equity", "max_drawdown", "min_equity", "curves"):
        assert np.array_equal(getattr(shown, name), getattr(quiet, name)), name
    code = SHUFFLE if method == "shuffle" else BOOTSTRAP
    one_call = mc_paths_nb(RETURNS, 2_501, code, 5, 10_000.0, shown.steps)
    assert np.array_equal(one_call[0], shown.final_equity)


def test_automatic_bars_stay_silent_off_a_terminal_and_for_short_work(
    bars, capsys, monkeypatch
) -> None:
    # under pytest stderr is captured, not a terminal, and this is no Jupyter kernel
    assert not _progress.shows(None)
    _sweep(bars, None)
    monte_carlo(RETURNS, n_paths=500, progress=None)
    assert capsys.readouterr().err == ""
    # on a terminal a bar exists, but it is drawn only after AUTO_DELAY_S: short work is silent
    monkeypatch.setattr(_progress, "stderr_is_terminal", lambda: True)
    assert _progress.shows(None)
    monte_carlo(RETURNS, n_paths=500, progress=None)
    assert capsys.readouterr().err == ""


def test_progress_must_be_true_false_or_none(bars) -> None:
    with pytest.raises(st.ParameterError, match="progress") as err:
        monte_carlo(RETURNS, progress="yes")
    assert "\n" not in str(err.value)
    with pytest.raises(st.ParameterError, match="progress"):
        _sweep(bars, 1)
    with pytest.raises(st.ParameterError, match="progress"):
        walk_forward(
            bars, st.strategies.sma_cross, {"fast": [10]}, train="40D", test="20D", progress="on"
        )
