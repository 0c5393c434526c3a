"""The strategies' live forms (``Strategy.live``) equal the signal function on the window.

The live loop acts on the newest row of the signals computed on the window ending at each
closed bar; a live form computes that row without recomputing the window. On the bundled
SOL/USDT 1m bars, at the default live windows and at short ones, with parameters from each
strategy's search space, every field of every row is compared with the signal function's
(booleans exactly, floats bit for bit, NaN to NaN), and so are the intents of a replay through
the live forms and through the signal function. Synthetic bars with missing and non-positive
values check the runs of valid bars the indicators restart on.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest

import soltrader as st
from soltrader.engine.paper import PaperLoop
from soltrader.strategies import REGISTRY
from soltrader.strategies.spec import Bars
from tests.conftest import read_sample_bars

LIVE = ("sma_cross", "mean_reversion", "momentum", "grid", "smc_order_block")
ALL_BARS = 2**62
#: the kernel dtype of every field, as the Python scalar a live form returns
SCALAR = {
    "entries": bool, "exits": bool, "short_entries": bool, "short_exits": bool,
    "sl_stop": float, "size": float, "exit_size": float, "max_bars": int,
    "partial_tp_stop": float, "partial_tp_size": float, "leverage": float, "limit_price": float,
    "order_type": int,
}  # fmt: skip


@cache
def _sol_1m() -> Bars:
    bars = read_sample_bars("binance", "SOL-USDT", "1m")
    return Bars(*(np.ascontiguousarray(bars[c].to_numpy()) for c in
                  ("open", "high", "low", "close", "volume")))  # fmt: skip


def _window_row(name: str, params: dict[str, Any], bars: Bars, start: int, stop: int) -> dict:
    """The newest row of the signal function on ``bars[start:stop]`` (a copy: no view)."""
    sig = REGISTRY[name].signal(Bars(*(np.array(a[start:stop]) for a in bars)), **params)
    return {"entries": sig.entries[-1], "exits": sig.exits[-1],
            **{k: v[-1] for k, v in sig.extras().items()}}  # fmt: skip


def _assert_rows_equal(
    name: str, params: dict[str, Any], bars: Bars, window: int, stops: range
) -> int:
    """Every row of the live form over ``stops`` equals the window's; returns the rows that
    decide something (so that a test can require some)."""
    row = REGISTRY[name].live(**params)
    acted = 0
    for stop in stops:
        start = max(0, stop - window)
        got = row(bars, start, stop)
        want = _window_row(name, params, bars, start, stop)
        assert got.keys() == want.keys(), (stop, sorted(got), sorted(want))
        for key, value in got.items():
            assert type(value) is SCALAR[key], (stop, key, type(value))
            ref = want[key].item()
            same = value == ref or (value != value and ref != ref)
            assert same, (
                f"{name} {params} window {window}, bar {stop - 1}: {key} {value!r} != {ref!r}"
            )
        acted += bool(got["entries"] or got["exits"])
    return acted


CASES = [
    ("sma_cross", {}),
    ("sma_cross", {"fast": 10, "slow": 50}),
    ("sma_cross", {"fast": 100, "slow": 50}),
    ("mean_reversion", {}),
    ("mean_reversion", {"rsi_n": 5, "z_entry": 1.0, "allow_short": True, "risk_fraction": 0.01}),
    ("momentum", {}),
    (
        "momentum",
        {
            "roc_n": 12,
            "roc_entry": 0.02,
            "breakout_n": 24,
            "surge": 2.0,
            "act": 0.5,
            "allow_short": True,
            "min_age_bars": 0,
        },
    ),
    ("grid", {}),
    ("grid", {"range_n": 24, "max_width": 0.04, "n_levels": 4, "spacing": "geometric"}),
]


@pytest.mark.parametrize(("name", "overrides"), CASES)
def test_a_live_form_equals_the_signal_on_the_default_window(name: str, overrides: dict) -> None:
    """From the first bar (growing windows) to well past a full default window."""
    strategy = REGISTRY[name]
    params = strategy.resolve(**overrides)
    window = strategy.live_window or ALL_BARS
    stop = 2_600 if strategy.live_window else 3_200
    assert _assert_rows_equal(name, params, _sol_1m(), window, range(1, stop)) > 0


SMC_CASES = [
    {},
    {"left": 2, "right": 4, "trade_breakers": False, "allow_short": False, "sizing": "percent"},
    {"left": 5, "right": 2, "stop_atr": 0.5, "fresh_tp_atr": 3.0, "approach_atr": 3.0},
    {"mode": "B"},
]


@pytest.mark.parametrize("overrides", SMC_CASES)
def test_the_smc_live_form_equals_the_signal_on_its_window(overrides: dict) -> None:
    """Growing windows, then full 5,000-bar windows (the window computation takes
    milliseconds a bar: a few hundred bars of each)."""
    params = REGISTRY["smc_order_block"].resolve(**overrides)
    bars = _sol_1m()
    acted = _assert_rows_equal("smc_order_block", params, bars, 5_000, range(1, 700))
    acted += _assert_rows_equal("smc_order_block", params, bars, 5_000, range(9_000, 9_400))
    assert acted > 0


@pytest.mark.parametrize(("name", "overrides"), CASES)
def test_a_live_form_equals_the_signal_on_a_short_window(name: str, overrides: dict) -> None:
    """A window shorter than the indicators need, and one just long enough: the tails of the
    window's runs and the grid's trailing-window path."""
    for window in (40, 230):
        _assert_rows_equal(name, REGISTRY[name].resolve(**overrides), _sol_1m(), window,
                           range(6_000, 6_500))  # fmt: skip


def _holed(seed: int, n: int = 1_500) -> Bars:
    """Random-walk bars with NaN, ±inf, zero and negative values scattered in them."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.004, n)))
    spread = close * rng.uniform(0.0005, 0.004, n)
    cols = [close * (1 + rng.normal(0, 0.001, n)), close + spread, close - spread, close,
            rng.lognormal(3.0, 1.0, n)]  # fmt: skip
    volume = cols[4]
    volume[rng.random(n) < 0.05] = 0.0
    for col in cols:
        holes = rng.choice(n, size=4, replace=False)
        col[holes] = rng.choice([np.nan, np.inf, -np.inf, 0.0, -1.0], size=4)
    return Bars(*cols)


@pytest.mark.parametrize("name", [n for n in LIVE if n != "smc_order_block"])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_live_form_restarts_where_the_indicators_do(name: str, seed: int) -> None:
    """Missing and non-positive values end the runs the indicators are computed on
    (smc_order_block refuses such bars, as the data rules do)."""
    strategy = REGISTRY[name]
    small = {"sma_cross": {"fast": 5, "slow": 30}, "momentum": {"min_age_bars": 10},
             "grid": {"range_n": 24, "max_vol": 0.02}}.get(name, {})  # fmt: skip
    params = strategy.resolve(**small)
    bars = _holed(seed)
    with np.errstate(all="ignore"):
        for window in (ALL_BARS, 300):
            _assert_rows_equal(name, params, bars, window, range(1, 1_500))


def test_the_grid_live_form_rebuilds_its_state_out_of_order() -> None:
    """A call that is not the next bar replays the history first; the rows stay equal."""
    params = REGISTRY["grid"].resolve(range_n=24, max_width=0.04, n_levels=4)
    row = REGISTRY["grid"].live(**params)
    bars = _sol_1m()
    for stop in (3_000, 1_200, 1_201, 2_500, 2_499, 2_500):
        want = _window_row("grid", params, bars, 0, stop)
        got = row(bars, 0, stop)
        assert got.keys() == want.keys()
        for key, value in got.items():
            ref = want[key].item()
            assert value == ref or (value != value and ref != ref), (stop, key)


@pytest.mark.parametrize("name", LIVE)
def test_a_replay_through_the_live_form_sends_the_window_s_intents(name: str) -> None:
    """The loop with the live form and the loop calling the signal function on every window
    send the same intents, bit for bit, and end in the same state."""
    bars = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:2_600]
    kw: dict[str, Any] = {"fees": 0.001}
    if name == "grid":
        kw["window"] = "all"
    if name == "smc_order_block":
        kw["fill"] = "next_open"  # a live loop's fills (mode A decides at the touching close)
    live = PaperLoop.for_data(bars, REGISTRY[name], signals="window", **kw)
    recompute = PaperLoop.for_data(bars, REGISTRY[name], signals="recompute", **kw)
    market = live.market
    for t in range(market.shape[0]):
        row = [
            col[t] for col in (market.open, market.high, market.low, market.close, market.volume)
        ]
        a = live.step(int(market.ticks[t]), *row)
        b = recompute.step(int(market.ticks[t]), *row)
        assert a.intents.tobytes() == b.intents.tobytes(), t
        assert a.equity.tobytes() == b.equity.tobytes(), t
    assert len(live.intents()) > 0
    assert live.intents().tobytes() == recompute.intents().tobytes()


def test_signals_recompute_is_a_choice_of_for_data() -> None:
    bars = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:50]
    with pytest.raises(st.ParameterError, match="recompute") as err:
        PaperLoop.for_data(bars, st.strategies.sma_cross, signals="incremental")
    assert err.value.name == "signals"


def _tail_cases() -> list[tuple[str, Any, int, int, str]]:
    """(name, kernel(x, n), n, first output of a run, how tails start)."""
    from soltrader.indicators import nb

    return [
        ("sma", nb.sma_1d_nb, 20, 19, "anchored"),
        ("sma", nb.sma_1d_nb, 100, 99, "anchored"),
        ("zscore", nb.zscore_1d_nb, 20, 19, "anchored"),
        ("surge", nb.volume_surge_1d_nb, 24, 24, "anchored"),
        ("realized_vol", lambda x, n: nb.realized_vol_1d_nb(x, n, 1.0), 47, 47, "anchored"),
        ("rolling_max", nb.rolling_max_1d_nb, 48, 47, "blocked"),
        ("rolling_min", nb.rolling_min_1d_nb, 24, 23, "blocked"),
    ]


@pytest.mark.parametrize("case", _tail_cases(), ids=lambda c: f"{c[0]}-{c[2]}")
def test_a_tail_gives_the_kernel_s_numbers_bit_for_bit(case: tuple) -> None:
    """The tails the live forms compute on give the whole series' values exactly, on real
    closes and on bars with holes (the run after the last hole)."""
    from soltrader.indicators.nb import anchor_period_nb
    from soltrader.strategies.live import anchored_start_nb, blocked_start_nb, run_start_nb

    _name, kernel, n, first, how = case
    real = _sol_1m().close[:3_000]
    holed = _holed(3, 3_000).close
    with np.errstate(all="ignore"):
        for x in (real, holed):
            valid = np.isfinite(x) & (x > 0.0) if _name == "realized_vol" else np.isfinite(x)
            for stop in range(3_000, 2_000, -37):
                r = run_start_nb(np.where(valid, 1.0, np.nan), 0, stop)
                need = stop - 2
                if r > need:
                    continue
                if how == "anchored":
                    s = anchored_start_nb(r, need, first, anchor_period_nb(n))
                else:
                    s = blocked_start_nb(r, need, n)
                whole = kernel(x[:stop], n)[need:]
                tail = kernel(x[s:stop], n)[need - s :]
                assert whole.tobytes() == tail.tobytes(), (stop, s)


def test_a_tail_off_the_anchors_gives_other_numbers() -> None:
    """The control of the test above: a tail that does not start a whole number of periods
    after the run's start re-anchors elsewhere, and its averages differ in the last bits (on
    full-precision prices: the bundled ones have few digits, and their sums are exact)."""
    from soltrader.indicators.nb import sma_1d_nb

    x = 100.0 * np.exp(np.cumsum(np.random.default_rng(4).normal(0.0, 0.01, 3_000)))
    differ = 0
    for stop in range(3_000, 2_000, -37):
        s = stop - 2 - 99 - 7  # not a multiple of 200 bars after bar 0
        differ += sma_1d_nb(x[:stop], 100)[-1] != sma_1d_nb(x[s:stop], 100)[-1]
    assert differ > 0
