"""The grid strategy: rules by construction through ``st.backtest``, kernel == wrapper, an
independent reference of the rules, no look-ahead, parameter errors and the SOL 1h golden."""

from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import soltrader as st
from soltrader.data.schema import ohlcv_frame
from soltrader.domain.errors import ParameterError
from soltrader.strategies.grid import grid, grid_levels_nb, grid_nb, grid_signals
from soltrader.strategies.spec import Bars

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "strategies"
HOUR_MS = 3_600_000
FEE = 0.001

# A clean range; partial sells (one rung per sell level crossed, the highest held buy level
# re-armed), a two-level sell, two rungs in one order, a sell capped at the rungs held, an upside
# breakout, the stand-down, then a new grid. Columns: open, high, low, close. Grid of bars 4..19:
# [90, 110], buy levels 94, 98, sell levels 102, 106, breakout beyond 88.2 / 112.2. Rules checked
# bar by bar in test_signals_by_construction ("held" = buy levels holding a rung after the bar).
HAND = np.array(
    [
        [100.0, 110.0, 90.0, 100.0],  # 0  window 0..3: lo 90, hi 110 (width 0.2, vol 0)
        [100.0, 101.0, 99.0, 100.0],  # 1
        [100.0, 101.0, 99.0, 100.0],  # 2
        [100.0, 101.0, 99.0, 100.0],  # 3
        [100.0, 101.0, 99.0, 100.0],  # 4  grid laid on [90, 110]: levels 94, 98 | 102, 106
        [100.0, 100.0, 97.0, 97.0],  # 5  crosses 98 down: rung (size 1/2); held {98}
        [97.0, 97.0, 93.0, 93.0],  # 6  crosses 94: rung (size 1/1); held {94, 98}
        [93.0, 100.0, 93.0, 100.0],  # 7  no sell level crossed
        [100.0, 100.0, 97.0, 97.0],  # 8  crosses 98 again, but that level holds a rung
        [97.0, 103.0, 97.0, 103.0],  # 9  crosses 102 up: sell 1 of 2 rungs (1/2); held {94}
        [103.0, 103.0, 97.0, 97.0],  # 10 crosses 98 (re-armed): rung (size 1/1); held {94, 98}
        [97.0, 97.0, 93.0, 93.0],  # 11 crosses 94, still held: nothing
        [93.0, 107.0, 93.0, 107.0],  # 12 crosses 102 and 106: sell 2 of 2 (all); held {}
        [107.0, 107.0, 93.0, 93.0],  # 13 crosses 98 and 94: two rungs in one order (size 1)
        [93.0, 103.0, 93.0, 103.0],  # 14 crosses 102: sell 1 of 2 (1/2); held {94}
        [103.0, 107.0, 103.0, 107.0],  # 15 crosses 106: sell 1 of 1 (all); held {}
        [107.0, 107.0, 97.0, 97.0],  # 16 crosses 98: rung (size 1/2); held {98}
        [97.0, 107.0, 97.0, 107.0],  # 17 crosses 102 and 106 with 1 rung: sell 1 of 1 (all)
        [107.0, 107.0, 97.0, 97.0],  # 18 crosses 98: rung (size 1/2)
        [97.0, 112.5, 97.0, 112.5],  # 19 112.5 > 110 * 1.02: breakout, flatten (all)
        [112.5, 113.0, 112.0, 112.5],  # 20 a valid range, but standing down
        [112.5, 112.5, 103.0, 103.0],  # 21 would cross a buy level of a grid laid at 20: no buy
        [108.0, 109.0, 107.0, 108.0],  # 22
        [108.0, 109.0, 107.0, 108.0],  # 23
        [108.0, 110.2, 107.8, 110.0],  # 24 first bar allowed (19 + 4 + 1): grid on [103, 113]
        [110.0, 110.0, 104.5, 104.5],  # 25 crosses 107 and 105: two rungs in one order
        [104.5, 105.0, 104.0, 104.5],  # 26 fills both rungs at 104.5 (all cash); still open
    ]
)
ENTRY_BARS = [5, 6, 10, 13, 16, 18, 25]
ENTRY_SIZES = [0.5, 1.0, 1.0, 1.0, 0.5, 0.5, 1.0]
EXIT_BARS = [9, 12, 14, 15, 17, 19]
EXIT_SIZES = [0.5, 1.0, 0.5, 1.0, 1.0, 1.0]
HAND_PARAMS = {
    "range_n": 4,
    "max_width": 0.25,
    "max_vol": 1.0,
    "n_levels": 4,
    "spacing": "arithmetic",
    "break_buffer": 0.02,
    "alloc": 1.0,
}


def frame(ohlc: np.ndarray) -> pd.DataFrame:
    n = ohlc.shape[0]
    o, h, lo, c = (np.ascontiguousarray(ohlc[:, i]) for i in range(4))
    return ohlcv_frame(np.arange(n, dtype=np.int64) * HOUR_MS, o, h, lo, c, np.full(n, 1e6))


def bars_of(df: pd.DataFrame) -> Bars:
    return Bars(
        *(df[k].to_numpy(dtype=np.float64) for k in ("open", "high", "low", "close", "volume"))
    )


@pytest.fixture(scope="module")
def sol() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", st.SoltraderWarning)  # the sample's real gaps
        return st.data.load("SOL/USDT", "1h")


# ---- (a) rules by construction -----------------------------------------------------------


def test_levels_arithmetic_and_geometric() -> None:
    np.testing.assert_allclose(
        grid_levels_nb(90.0, 110.0, 4, False, np.empty(4)), [94.0, 98.0, 102.0, 106.0]
    )
    geo = grid_levels_nb(100.0, 200.0, 3, True, np.empty(3))
    np.testing.assert_allclose(geo, 100.0 * 2.0 ** (np.arange(1, 4) / 4.0))
    np.testing.assert_allclose(np.diff(np.log(geo)), np.log(2.0) / 4.0)


def test_signals_by_construction() -> None:
    sig = grid_signals(bars_of(frame(HAND)), **HAND_PARAMS)
    assert np.flatnonzero(sig.entries).tolist() == ENTRY_BARS
    np.testing.assert_array_equal(sig.size[ENTRY_BARS], ENTRY_SIZES)
    assert np.isnan(np.delete(sig.size, ENTRY_BARS)).all()
    assert np.flatnonzero(sig.exits).tolist() == EXIT_BARS
    np.testing.assert_array_equal(sig.exit_size[EXIT_BARS], EXIT_SIZES)
    assert (np.delete(sig.exit_size, EXIT_BARS) == 1.0).all()


def test_a_sell_rearms_the_highest_held_buy_level() -> None:
    # after bar 9 sells one of the rungs at 94 and 98, 98 buys again (bar 10) and 94 does not
    # (bar 11); re-arming the lowest held level instead would swap the two
    sig = grid_signals(bars_of(frame(HAND[:12])), **HAND_PARAMS)
    assert sig.exits[9] and sig.exit_size[9] == 0.5
    assert sig.entries[10] and not sig.entries[11]


def test_stand_down_blocks_a_grid_that_would_buy() -> None:
    # run from bar 16: a grid laid at bar 20 on the window 16..19 ([97, 112.5], levels 100.1,
    # 103.2 | 106.3, 109.4) buys at bar 21 (103.2 crossed down) ...
    fresh = grid_signals(bars_of(frame(HAND[16:22])), **HAND_PARAMS)
    assert np.flatnonzero(fresh.entries).tolist() == [21 - 16]
    # ... but in the full run bar 19 broke out: no grid before bar 24, so no buy at 21
    full = grid_signals(bars_of(frame(HAND)), **HAND_PARAMS)
    assert not full.entries[20:24].any()


def hand_ledger() -> tuple[list[float], list[float]]:
    """Units of every fill of the hand-built run (fills at the next open = the decision close,
    taker fee ``FEE``; 10,000 of starting cash) and the cash after each exit fill."""
    cash, pos, units, cash_after_exit = 10_000.0, 0.0, [], []

    def buy(share: float, price: float) -> None:
        nonlocal cash, pos
        u = share * cash / (1 + FEE) / price
        cash, pos = cash - share * cash, pos + u
        units.append(u)

    def sell(part: float, price: float) -> None:
        nonlocal cash, pos
        u = part * pos
        cash, pos = cash + u * price * (1 - FEE), pos - u
        units.append(u)
        cash_after_exit.append(cash)

    for side, part, price in (
        (buy, 0.5, 97.0),
        (buy, 1.0, 93.0),
        (sell, 0.5, 103.0),
        (buy, 1.0, 97.0),
        (sell, 1.0, 107.0),
        (buy, 1.0, 93.0),
        (sell, 0.5, 103.0),
        (sell, 1.0, 107.0),
        (buy, 0.5, 97.0),
        (sell, 1.0, 107.0),
        (buy, 0.5, 97.0),
        (sell, 1.0, 112.5),
        (buy, 1.0, 104.5),
    ):
        side(part, price)
    return units, cash_after_exit


FILL_PRICES = [97.0, 93.0, 103.0, 97.0, 107.0, 93.0, 103.0, 107.0, 97.0, 107.0, 97.0, 112.5, 104.5]
FILL_SIDES = "buy buy sell buy sell buy sell sell buy sell buy sell buy".split()
FILL_DECISIONS = [5, 6, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19, 25]


def test_backtest_fills_and_trades_by_construction() -> None:
    res = st.backtest(frame(HAND), grid, fees=FEE, **HAND_PARAMS)
    fills = res.fills
    assert fills["bar"].tolist() == [b + 1 for b in FILL_DECISIONS]
    assert fills["side"].tolist() == FILL_SIDES
    np.testing.assert_allclose(fills["price"], FILL_PRICES, rtol=1e-12)
    units, cash = hand_ledger()
    np.testing.assert_allclose(fills["size"], units, rtol=1e-12)
    # one trade per exit fill (a partial sell closes a part of the position), then the open one
    tr = res.trades
    assert tr["entry_bar"].tolist() == [6, 6, 14, 14, 17, 19, 26]
    assert tr["exit_bar"].tolist() == [10, 13, 15, 16, 18, 20, -1]
    assert tr["is_open"].tolist() == [False] * 6 + [True]
    assert tr["exit_reason"].tolist()[:6] == ["signal"] * 6
    np.testing.assert_allclose(tr["size"], [units[i] for i in (2, 4, 6, 7, 9, 11, 12)], rtol=1e-12)
    # the position has one average entry price: the first sell closes half of the rungs bought
    # at 97 and 93, the second the rest of them plus the rung rebought at 97
    avg_1 = (units[0] * 97.0 + units[1] * 93.0) / (units[0] + units[1])
    avg_2 = (units[2] * avg_1 + units[3] * 97.0) / (units[2] + units[3])
    np.testing.assert_allclose(
        tr["entry_price"], [avg_1, avg_2, 93.0, 93.0, 97.0, 97.0, 104.5], rtol=1e-12
    )
    # the first sell recovers half the cost of the first two rungs (all the starting cash)
    np.testing.assert_allclose(tr["pnl"].iloc[0], cash[0] - 5_000.0, rtol=1e-10)
    pnl = tr["pnl"].to_numpy()
    np.testing.assert_allclose(pnl[:2].sum(), cash[1] - 10_000.0, rtol=1e-10)
    np.testing.assert_allclose(pnl[2:4].sum(), cash[3] - cash[1], rtol=1e-10)
    np.testing.assert_allclose(pnl[4], cash[4] - cash[3], rtol=1e-10)
    np.testing.assert_allclose(pnl[5], cash[5] - cash[4], rtol=1e-10)
    np.testing.assert_allclose(res.equity.iloc[-1], units[-1] * 104.5, rtol=1e-12)


def test_fill_at_close_uses_the_crossing_bar_close() -> None:
    res = st.backtest(frame(HAND), grid, fill="close", **HAND_PARAMS)
    assert res.fills["bar"].tolist() == FILL_DECISIONS
    np.testing.assert_allclose(res.fills["price"], FILL_PRICES, rtol=1e-12)
    pos = res.positions.iloc[:, 0].to_numpy()
    np.testing.assert_allclose(pos[[9, 14]], 0.5 * pos[[8, 13]], rtol=1e-12)  # partial sells
    assert (pos[[12, 15, 17, 19]] == 0.0).all()


def test_rungs_are_equal_shares_of_the_allocation() -> None:
    res = st.backtest(
        frame(HAND[:9]), grid, accumulate=True, fees=FEE, **{**HAND_PARAMS, "alloc": 0.5}
    )
    f = res.fills
    spent = (f["size"] * f["price"] + f["fees"]).to_numpy()
    np.testing.assert_allclose(spent, [2_500.0, 2_500.0], rtol=1e-12)
    np.testing.assert_allclose(res.cash.iloc[-1], 5_000.0, rtol=1e-12)


def test_without_accumulate_only_the_first_rung_fills() -> None:
    applied = st.backtest(frame(HAND[:9]), grid, fees=FEE, **HAND_PARAMS)
    assert applied.fills["bar"].tolist() == [6, 7]  # the strategy's accumulate=True applies
    res = st.backtest(frame(HAND[:9]), grid, fees=FEE, accumulate=False, **HAND_PARAMS)
    assert res.fills["bar"].tolist() == [6]


def test_odd_levels_centre_trades_nothing() -> None:
    # three levels on [90, 110]: 95 (buy), 100 (centre), 105 (sell)
    c = [100.0, 100.0, 100.0, 100.0, 101.0, 99.0, 101.0, 94.0, 99.0, 101.0, 106.0]
    ohlc = np.column_stack([c, np.array(c) + 0.5, np.array(c) - 0.5, c])
    ohlc[0, 1:3] = [110.0, 90.0]
    sig = grid_signals(bars_of(frame(ohlc)), **{**HAND_PARAMS, "n_levels": 3})
    assert np.flatnonzero(sig.entries).tolist() == [7]  # 100 crossed at 5 and 9: nothing
    assert np.flatnonzero(sig.exits).tolist() == [10]
    assert sig.size[7] == 1.0
    assert sig.exit_size[10] == 1.0


@pytest.mark.parametrize(
    ("override", "trades"),
    [({}, True), ({"max_vol": 0.02}, False), ({"max_width": 0.015}, False)],
)
def test_width_and_volatility_filters(override: dict, trades: bool) -> None:
    # window closes 100, 102, 100, 102: width 2/101 = 0.0198, per-bar vol 0.0228
    c = np.array([100.0, 102.0, 100.0, 102.0, 101.0, 100.2, 101.9])
    ohlc = np.column_stack([c, c, c, c])
    params = {**HAND_PARAMS, "max_width": 0.05, "max_vol": 0.03, "n_levels": 2, **override}
    sig = grid_signals(bars_of(frame(ohlc)), **params)
    assert bool(sig.entries.any()) is trades
    assert bool(sig.exits.any()) is trades


# ---- (b) kernel == wrapper, and an independent reference of the rules ----------------------


def test_kernel_equals_wrapper_and_spec(sol: pd.DataFrame) -> None:
    b = bars_of(sol)
    params = {**grid.params, "spacing": "geometric", "n_levels": 7, "alloc": 0.8}
    e, x, s, xs = grid_nb(b.high, b.low, b.close, 48, 0.08, 0.01, 7, True, 0.01, 0.8)
    for sig in (grid_signals(b, **params), grid(b, spacing="geometric", n_levels=7, alloc=0.8)):
        np.testing.assert_array_equal(sig.entries, e)
        np.testing.assert_array_equal(sig.exits, x)
        np.testing.assert_array_equal(sig.size, s)
        np.testing.assert_array_equal(sig.exit_size, xs)
    assert e.sum() > 50 and x.sum() > 50 and (xs < 1.0).sum() > 20


def reference(df: pd.DataFrame, p: dict) -> tuple[np.ndarray, ...]:
    """The docstring's rules in plain pandas / Python, written independently of the kernel:
    ``(entries, exits, size, exit_size, held)``, ``held`` the rungs held after each bar."""
    n, k = p["range_n"], p["n_levels"]
    hi = df["high"].rolling(n).max().shift(1).to_numpy()
    lo = df["low"].rolling(n).min().shift(1).to_numpy()
    rets = np.log(df["close"]).diff()
    vol = rets.rolling(n - 1).std(ddof=1).shift(1).to_numpy()
    close = df["close"].to_numpy()
    m = len(df)
    entries, exits = np.zeros(m, bool), np.zeros(m, bool)
    size, exit_size, n_held = np.full(m, np.nan), np.ones(m), np.zeros(m, np.int64)
    grid_rng, held, resume, n_buy = None, set(), n, k // 2
    for t in range(n, m):
        c, prev = close[t], close[t - 1]
        if grid_rng is not None:
            g_lo, g_hi, levels = grid_rng
            if c > g_hi * (1 + p["break_buffer"]) or c < g_lo * (1 - p["break_buffer"]):
                exits[t], grid_rng, resume = bool(held), None, t + n + 1
                held = set()
                continue
            new = {i for i in range(n_buy) if i not in held and prev > levels[i] >= c}
            crossed_up = sum(prev < lv <= c for lv in levels[k - n_buy :])
            if new:
                entries[t] = True
                size[t] = len(new) * p["alloc"] / (n_buy - len(held) * p["alloc"])
                held |= new
            elif held and crossed_up:
                sold = min(crossed_up, len(held))
                exits[t], exit_size[t] = True, sold / len(held)
                held -= set(sorted(held)[len(held) - sold :])  # the highest held levels
        elif t >= resume:
            width = (hi[t] - lo[t]) / ((hi[t] + lo[t]) / 2)
            if width <= p["max_width"] and vol[t] <= p["max_vol"] and lo[t] <= c <= hi[t]:
                f = np.arange(1, k + 1) / (k + 1)
                levels = (
                    lo[t] * (hi[t] / lo[t]) ** f
                    if p["spacing"] == "geometric"
                    else (lo[t] + f * (hi[t] - lo[t]))
                )
                grid_rng = (lo[t], hi[t], levels)
        n_held[t] = len(held)
    return entries, exits, size, exit_size, n_held


@pytest.mark.parametrize(
    "override", [{}, {"spacing": "geometric", "n_levels": 5, "range_n": 24, "alloc": 0.6}]
)
def test_kernel_matches_reference_on_real_data(sol: pd.DataFrame, override: dict) -> None:
    df = sol.iloc[-12_000:]
    params = {**grid.params, **override}
    sig = grid_signals(bars_of(df), **params)
    e, x, s, xs, _ = reference(df, params)
    assert e.sum() > 20 and (xs < 1.0).sum() > 5
    np.testing.assert_array_equal(sig.entries, e)
    np.testing.assert_array_equal(sig.exits, x)
    np.testing.assert_allclose(sig.size, s, rtol=1e-12)
    np.testing.assert_allclose(sig.exit_size, xs, rtol=1e-12)


def test_position_follows_the_rungs_on_real_data(sol: pd.DataFrame) -> None:
    # fills at the decision close: the position is flat exactly when no rung is held, and every
    # sell of m of h rungs leaves (h - m) / h of the position
    df = sol.iloc[-12_000:]
    _, x, _, xs, held = reference(df, dict(grid.params))
    res = st.backtest(df, grid, fill="close", fees=FEE)
    pos = res.positions.iloc[:, 0].to_numpy()
    np.testing.assert_array_equal(pos == 0.0, held == 0)
    part = np.flatnonzero(x & (xs < 1.0))
    assert len(part) > 5
    np.testing.assert_allclose(pos[part], pos[part - 1] * (1.0 - xs[part]), rtol=1e-9)
    np.testing.assert_allclose(held[part] / held[part - 1], 1.0 - xs[part], rtol=1e-12)


# ---- (c) no look-ahead -------------------------------------------------------------------


@pytest.fixture(scope="module")
def lookahead_case(sol: pd.DataFrame) -> tuple[Bars, object, np.ndarray]:
    b = bars_of(sol.iloc[-8_000:])
    full = grid_signals(b, range_n=24)
    decisions = np.flatnonzero(full.entries | full.exits)
    assert len(decisions) > 40
    return b, full, decisions


@settings(max_examples=20, deadline=None)
@given(pick=hs.floats(0.0, 1.0), back=hs.integers(0, 3))
def test_truncation_leaves_earlier_signals_unchanged(
    lookahead_case: tuple[Bars, object, np.ndarray], pick: float, back: int
) -> None:
    # cut points at (or just before) bars where the full run decides something, so that a
    # decision peeking at a later bar would change at the cut
    b, full, decisions = lookahead_case
    cut = int(decisions[min(int(pick * len(decisions)), len(decisions) - 1)]) - back
    short = grid_signals(Bars(*(a[: cut + 1] for a in b)), range_n=24)
    np.testing.assert_array_equal(short.entries, full.entries[: cut + 1])
    np.testing.assert_array_equal(short.exits, full.exits[: cut + 1])
    np.testing.assert_array_equal(short.size, full.size[: cut + 1])
    np.testing.assert_array_equal(short.exit_size, full.exit_size[: cut + 1])


# ---- (d) bad parameters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("range_n", 2),
        ("range_n", 10.5),
        ("range_n", "48"),
        ("n_levels", 1),
        ("n_levels", True),
        ("max_width", 0.0),
        ("max_width", np.nan),
        ("max_vol", -0.01),
        ("spacing", "log"),
        ("break_buffer", -0.01),
        ("break_buffer", np.inf),
        ("alloc", 0.0),
        ("alloc", 1.5),
    ],
)
def test_bad_parameters_raise(name: str, value: object) -> None:
    b = bars_of(frame(HAND))
    with pytest.raises(ParameterError) as err:
        grid_signals(b, **{**HAND_PARAMS, name: value})
    assert err.value.name == name


def test_unknown_parameter_raises_through_the_spec() -> None:
    with pytest.raises(ParameterError) as err:
        grid.resolve(levels=5)
    assert err.value.name == "levels"


# ---- (e) golden on the bundled SOL/USDT 1h -----------------------------------------------


def _generator():
    path = GOLDEN_DIR / "make_strategy_goldens_grid.py"
    spec = importlib.util.spec_from_file_location("make_strategy_goldens_grid", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_golden_sol_1h_trades_and_stats() -> None:
    gen = _generator()
    golden = json.loads((GOLDEN_DIR / "grid_sol_1h.json").read_text())
    assert golden["params"] == dict(grid.params)
    res = gen.run()
    got = gen.trades_of(res)
    want = golden["trades"]
    assert len(got) == len(want) == golden["stats"]["n_trades"]
    for field in ("entry_bar", "exit_bar", "exit_reason", "is_open"):
        assert [r[field] for r in got] == [r[field] for r in want], field
    for field in ("size", "entry_price", "exit_price", "entry_fees", "exit_fees", "pnl"):
        np.testing.assert_allclose(
            [r[field] for r in got], [r[field] for r in want], rtol=1e-9, err_msg=field
        )
    assert len(res.fills) == golden["n_fills"]
    assert gen.partial_exits() == golden["n_partial_exits"] > 0
    stats = res.stats()
    for key, value in golden["stats"].items():
        assert stats[key] == pytest.approx(value, rel=1e-9), key
