"""Unit tests of :mod:`soltrader.structure`: the hand-worked golden cases of
``tests/golden/structure_cases.json``, input kinds and output tables, bad input, ``blocks_at``,
the kernels behind the wrappers, and an import that compiles nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

import soltrader.structure as ss
from soltrader.domain.errors import DataError, ParameterError
from soltrader.strategies import Bars
from soltrader.structure import nb

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "structure_cases.json"
CASES = json.loads(GOLDEN.read_text())["cases"]
DIRS = {"bull": 1, "bear": -1}
BREAKS = {"BOS": 1, "CHoCH": 2}
KINDS = {"fresh": 0, "breaker": 1}


def case_frame(case: dict[str, Any]) -> pd.DataFrame:
    rows = np.asarray(case["bars"], dtype=np.float64)
    index = pd.date_range("2024-01-01", periods=len(rows), freq="h", tz="UTC", name="timestamp")
    return pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=index)


def flagged(values: Any) -> list[int]:
    return np.flatnonzero(np.asarray(values)).tolist()


# ---------------------------------------------------------------------------------------------
# golden cases


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_swings(case: dict[str, Any]) -> None:
    exp = case["expect"]
    out = ss.swings(case_frame(case), left=case["left"], right=case["right"])
    assert flagged(out["swing_high"]) == exp["swing_high"]
    assert flagged(out["swing_low"]) == exp["swing_low"]
    high_conf = out["swing_high_confirm_bar"].to_numpy()
    low_conf = out["swing_low_confirm_bar"].to_numpy()
    assert high_conf[exp["swing_high"]].tolist() == exp["swing_high_confirm"]
    assert low_conf[exp["swing_low"]].tolist() == exp["swing_low_confirm"]
    assert (np.delete(high_conf, exp["swing_high"]) == -1).all()
    assert (np.delete(low_conf, exp["swing_low"]) == -1).all()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_structure(case: dict[str, Any]) -> None:
    exp = case["expect"]
    res = ss.structure(case_frame(case), left=case["left"], right=case["right"])
    assert res.per_bar["trend"].tolist() == exp["trend"]
    got = res.events[["bar", "kind", "direction", "level", "swing_bar", "ob_id"]]
    want = [
        (e["bar"], BREAKS[e["kind"]], DIRS[e["direction"]], e["level"], e["swing_bar"], e["ob_id"])
        for e in exp["events"]
    ]
    assert list(got.itertuples(index=False, name=None)) == want
    kinds = np.zeros(len(exp["trend"]), dtype=int)
    kinds[[e["bar"] for e in exp["events"]]] = [BREAKS[e["kind"]] for e in exp["events"]]
    assert res.per_bar["break_kind"].tolist() == kinds.tolist()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_order_blocks(case: dict[str, Any]) -> None:
    exp = case["expect"]
    res = ss.order_blocks(case_frame(case), left=case["left"], right=case["right"])
    cols = [
        "direction",
        "kind",
        "low",
        "high",
        "source_candle_bar",
        "created_bar",
        "invalidated_bar",
        "parent",
    ]
    want = [
        (
            DIRS[b["direction"]],
            KINDS[b["kind"]],
            b["low"],
            b["high"],
            b["source_candle_bar"],
            b["created_bar"],
            b["invalidated_bar"],
            b["parent"],
        )
        for b in exp["blocks"]
    ]
    assert list(res.blocks[cols].itertuples(index=False, name=None)) == want
    assert res.blocks["id"].tolist() == list(range(len(want)))
    for column, values in exp["zones"].items():
        assert res.zones[column].tolist() == values, column
    for side in ("bull", "bear"):
        assert (res.zones[f"{side}_touch"] == (res.zones[f"{side}_touch_id"] >= 0)).all()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_known_at_every_bar(case: dict[str, Any]) -> None:
    """Cutting a golden case after any bar t changes nothing known at t."""
    bars = case_frame(case)
    full = ss.smc(bars, left=case["left"], right=case["right"])
    right = case["right"]
    for t in range(len(bars)):
        cut = ss.smc(bars.iloc[: t + 1], left=case["left"], right=right)
        known = slice(0, max(t + 1 - right, 0))
        pd.testing.assert_frame_equal(
            cut.per_bar.drop(columns=_UNCONFIRMED),
            full.per_bar.iloc[: t + 1].drop(columns=_UNCONFIRMED),
        )
        pd.testing.assert_frame_equal(cut.per_bar.iloc[known], full.per_bar.iloc[known])
        pd.testing.assert_frame_equal(cut.events, full.events[full.events["bar"] <= t])
        pd.testing.assert_frame_equal(ss.blocks_at(cut.blocks, t), ss.blocks_at(full.blocks, t))


_UNCONFIRMED = ["swing_high", "swing_low", "swing_high_confirm_bar", "swing_low_confirm_bar"]


# ---------------------------------------------------------------------------------------------
# input and output kinds

CASE = CASES[1]


def test_pandas_in_pandas_out_with_index_and_times() -> None:
    bars = case_frame(CASE).assign(volume=1.0)
    res = ss.smc(bars, left=1, right=1)
    assert isinstance(res.per_bar, pd.DataFrame) and res.per_bar.index.equals(bars.index)
    assert (res.events["time"] == bars.index[res.events["bar"]]).all()
    valid = res.blocks["invalidated_bar"] == -1
    assert res.blocks.loc[valid, "invalidated_time"].isna().all()
    inv = res.blocks.loc[~valid]
    assert (inv["invalidated_time"].to_numpy() == bars.index[inv["invalidated_bar"]]).all()
    assert (res.blocks["created_time"] == bars.index[res.blocks["created_bar"]]).all()


def test_numpy_polars_and_bars_agree_with_pandas() -> None:
    frame = case_frame(CASE)
    ref = ss.smc(frame, left=1, right=1)
    arrays = {c: frame[c].to_numpy() for c in frame.columns}
    as_np = ss.smc(arrays, left=1, right=1)
    as_pl = ss.smc(pl.from_pandas(frame.reset_index(drop=True)), left=1, right=1)
    as_bars = ss.smc(Bars(*arrays.values(), volume=np.ones(len(frame))), left=1, right=1)
    assert as_np.per_bar.dtype.names == tuple(ref.per_bar.columns)
    assert as_np.events.dtype == ss.event_dt and as_np.blocks.dtype == ss.order_block_dt
    assert isinstance(as_pl.per_bar, pl.DataFrame) and isinstance(as_pl.blocks, pl.DataFrame)
    for name in ref.per_bar.columns:
        np.testing.assert_array_equal(as_np.per_bar[name], ref.per_bar[name].to_numpy())
        np.testing.assert_array_equal(as_pl.per_bar[name].to_numpy(), ref.per_bar[name])
        np.testing.assert_array_equal(as_bars.per_bar[name], ref.per_bar[name].to_numpy())
    for table, dtype in (("events", ss.event_dt), ("blocks", ss.order_block_dt)):
        for name in dtype.names:
            want = getattr(ref, table)[name].to_numpy()
            np.testing.assert_array_equal(getattr(as_np, table)[name], want)
            np.testing.assert_array_equal(getattr(as_pl, table)[name].to_numpy(), want)


def test_column_names_in_any_case_as_the_backtest_reads_them(sol_1h: pd.DataFrame) -> None:
    bars = sol_1h.iloc[-3000:]
    ref = ss.smc(bars, left=3, right=3)
    capital = bars.rename(columns=str.capitalize)  # "Open", "High", ... as many CSVs have
    shouting = bars.rename(columns=str.upper)
    import soltrader as st

    assert (
        st.backtest(capital, st.strategies.sma_cross)
        .stats()
        .equals(st.backtest(bars, st.strategies.sma_cross).stats())
    )
    for other in (
        capital,
        shouting,
        pl.from_pandas(capital.reset_index(drop=True)),
        {c: capital[c].to_numpy() for c in capital.columns},
    ):
        got = ss.smc(other, left=3, right=3)
        for name in ref.per_bar.columns:
            np.testing.assert_array_equal(np.asarray(got.per_bar[name]), ref.per_bar[name])
    with pytest.raises(ParameterError, match=r"^bars: columns \['close', 'Close'\]"):
        ss.smc(bars.assign(Close=bars["close"]))


def test_separate_functions_match_smc() -> None:
    frame = case_frame(CASES[2])
    full = ss.smc(frame, left=2, right=1)
    sw = ss.swings(frame, left=2, right=1)
    st_res = ss.structure(frame, left=2, right=1)
    ob = ss.order_blocks(frame, left=2, right=1)
    pd.testing.assert_frame_equal(full.per_bar[list(sw.columns)], sw)
    pd.testing.assert_frame_equal(full.per_bar[list(st_res.per_bar.columns)], st_res.per_bar)
    pd.testing.assert_frame_equal(full.per_bar[list(ob.zones.columns)], ob.zones)
    pd.testing.assert_frame_equal(full.events, st_res.events)
    pd.testing.assert_frame_equal(full.blocks, ob.blocks)


def test_last_swing_levels_follow_confirmations() -> None:
    frame = case_frame(CASES[1])
    out = ss.swings(frame, left=1, right=1)
    # swing highs at 2, 7, 9 (12.0, 12.8, 13.2) are known from 3, 8, 10
    assert out["last_swing_high_bar"].tolist() == [-1] * 3 + [2] * 5 + [7] * 2 + [9] * 5
    assert out["last_swing_high"].iloc[8] == 12.8 and np.isnan(out["last_swing_high"].iloc[2])
    assert out["last_swing_low_bar"].tolist() == [-1] * 5 + [4] * 4 + [8] * 4 + [12] * 2


def test_no_swing_without_full_windows_and_empty_input() -> None:
    x = np.array([1.0, 5.0, 2.0])
    out = ss.swings({"open": x, "high": x, "low": x, "close": x}, left=2, right=1)
    assert not out["swing_high"].any() and not out["swing_low"].any()
    empty = pd.DataFrame({c: np.array([], dtype=float) for c in ("open", "high", "low", "close")})
    res = ss.smc(empty)
    assert len(res.per_bar) == 0 and len(res.events) == 0 and len(res.blocks) == 0


def test_enums_match_kernel_codes() -> None:
    assert (ss.Trend.BULLISH, ss.Trend.BEARISH, ss.Trend.NEUTRAL) == (
        nb.BULLISH,
        nb.BEARISH,
        nb.NEUTRAL,
    )
    assert (ss.BreakKind.BOS, ss.BreakKind.CHOCH, ss.BreakKind.NONE) == (
        nb.BOS,
        nb.CHOCH,
        nb.NO_BREAK,
    )
    assert (ss.ZoneKind.FRESH, ss.ZoneKind.BREAKER, ss.ZoneKind.NONE) == (
        nb.FRESH,
        nb.BREAKER,
        nb.NO_ZONE,
    )


# ---------------------------------------------------------------------------------------------
# blocks_at


def test_blocks_at_all_kinds() -> None:
    frame = case_frame(CASES[1])
    pdres = ss.order_blocks(frame, left=1, right=1).blocks
    npres = ss.order_blocks({c: frame[c].to_numpy() for c in frame.columns}, left=1, right=1).blocks
    plres = ss.order_blocks(pl.from_pandas(frame.reset_index(drop=True)), left=1, right=1).blocks
    at = ss.blocks_at(pdres, 11)
    assert at["id"].tolist() == [0, 1, 2, 3, 4]
    assert at["invalidated_bar"].tolist() == [11, 11, -1, -1, -1]
    assert at["invalidated_time"].isna().tolist() == [False, False, True, True, True]
    assert ss.blocks_at(npres, 11)["invalidated_bar"].tolist() == [11, 11, -1, -1, -1]
    assert ss.blocks_at(plres, 11)["invalidated_bar"].to_list() == [11, 11, -1, -1, -1]
    assert ss.blocks_at(pdres, 10)["invalidated_bar"].tolist() == [-1, -1]
    assert len(ss.blocks_at(npres, 5)) == 0
    assert npres["invalidated_bar"].tolist() == [11, 11, 13, -1, -1]  # the input is untouched


def test_blocks_at_bad_arguments() -> None:
    frame = case_frame(CASES[1])
    blocks = ss.order_blocks(frame, left=1, right=1).blocks
    with pytest.raises(ParameterError, match=r"^bar:"):
        ss.blocks_at(blocks, -1)
    with pytest.raises(ParameterError, match=r"^blocks:"):
        ss.blocks_at(frame, 3)


# ---------------------------------------------------------------------------------------------
# bad input


def _arrays(case: dict[str, Any] = CASE) -> dict[str, np.ndarray]:
    frame = case_frame(case)
    return {c: frame[c].to_numpy().copy() for c in frame.columns}


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"left": 0}, "left"),
        ({"right": 0}, "right"),
        ({"left": 1.5}, "left"),
        ({"right": True}, "right"),
        ({"left": "3"}, "left"),
    ],
)
def test_bad_windows(kwargs: dict[str, Any], name: str) -> None:
    for fn in (ss.swings, ss.structure, ss.order_blocks, ss.smc):
        with pytest.raises(ParameterError, match=f"^{name}: expected an integer number of bars"):
            fn(_arrays(), **kwargs)


def test_bad_containers() -> None:
    with pytest.raises(ParameterError, match=r"^bars: missing \['low'\]"):
        ss.smc(case_frame(CASE).drop(columns="low"))
    with pytest.raises(ParameterError, match=r"^bars: missing \['open', 'close'\]"):
        ss.smc(pl.from_pandas(case_frame(CASE)).drop(["open", "close"]))
    with pytest.raises(ParameterError, match=r"^bars: expected a pandas or polars DataFrame"):
        ss.smc(np.ones((5, 4)))
    with pytest.raises(ParameterError, match=r"^bars\['close'\]: values must be numeric"):
        ss.smc(case_frame(CASE).assign(close="x"))
    arrays = _arrays()
    arrays["high"] = arrays["high"][:-1]
    with pytest.raises(ParameterError, match=r"^bars\['high'\]: shape"):
        ss.smc(arrays)
    two_d = {c: np.column_stack([v, v]) for c, v in _arrays().items()}
    with pytest.raises(ParameterError, match=r"^bars: expected one series per price"):
        ss.smc(two_d)


@pytest.mark.parametrize(
    ("field", "row", "value", "code"),
    [
        ("close", 3, np.nan, "nan"),
        ("open", 7, np.inf, "inf"),
        ("low", 2, -np.inf, "inf"),
        ("high", 5, 9.0, "high_below_low"),
        ("close", 4, 11.5, "ohlc_inconsistent"),
        ("open", 9, 9.0, "ohlc_inconsistent"),
    ],
)
def test_bad_prices_name_row_and_field(field: str, row: int, value: float, code: str) -> None:
    frame = case_frame(CASE)
    frame.iloc[row, frame.columns.get_loc(field)] = value
    with pytest.raises(DataError, match=rf"^bars: row {row} \(2024-01-01 ") as err:
        ss.smc(frame)
    assert (err.value.code, err.value.row, err.value.field) == (code, row, field)
    assert err.value.timestamp == frame.index[row]
    arrays = {c: frame[c].to_numpy() for c in frame.columns}
    with pytest.raises(DataError, match=rf"^bars: row {row}: {field} "):
        ss.swings(arrays)


def test_first_bad_row_is_reported() -> None:
    arrays = _arrays()
    arrays["close"][6] = np.nan
    arrays["open"][2] = np.nan
    with pytest.raises(DataError, match="row 2: open is nan; expected a finite price"):
        ss.structure(arrays)


# ---------------------------------------------------------------------------------------------
# kernels


def test_kernels_are_what_the_wrappers_run() -> None:
    p = _arrays(CASES[2])
    sh, sl = nb.swings_nb(p["high"], p["low"], 2, 1)
    st_out = nb.structure_nb(p["high"], p["low"], p["close"], sh, sl, 1)
    ob = nb.order_blocks_nb(
        p["open"], p["high"], p["low"], p["close"], st_out[6], st_out[8], st_out[10]
    )
    zones = nb.zones_nb(p["high"], p["low"], ob[0], ob[1], ob[2], ob[3], ob[5], ob[6])
    res = ss.smc(p, left=2, right=1)
    np.testing.assert_array_equal(res.per_bar["swing_high"], sh)
    np.testing.assert_array_equal(res.per_bar["trend"], st_out[0])
    np.testing.assert_array_equal(res.events["bar"], st_out[6])
    np.testing.assert_array_equal(res.blocks["source_candle_bar"], ob[4])
    np.testing.assert_array_equal(res.per_bar["bull_touch_id"], zones[4])
    np.testing.assert_array_equal(res.per_bar["bear_id"], zones[5])


def test_ob_source_rules() -> None:
    # bars 1..3 bearish, bar 4 a doji at the low, bar 5 breaks
    o = np.array([10.0, 11.0, 10.6, 10.2, 9.9, 10.0])
    c = np.array([11.0, 10.6, 10.2, 9.9, 9.9, 11.5])
    h = np.maximum(o, c) + 0.1
    lo = np.minimum(o, c) - 0.1
    assert nb.ob_source_nb(o, h, lo, c, 1, 5, nb.BULLISH) == 3  # the doji at 4 is skipped
    assert nb.ob_source_nb(o, h, lo, c, 4, 5, nb.BULLISH) == -1  # only the doji in range
    # the breaking bar itself never is the order block, even when it makes the low
    o2 = np.array([10.0, 10.5, 12.0])
    c2 = np.array([10.5, 10.2, 11.0])
    h2 = np.array([11.0, 10.6, 12.1])
    lo2 = np.array([9.9, 10.1, 9.0])
    assert nb.ob_source_nb(o2, h2, lo2, c2, 0, 2, nb.BULLISH) == 1


def test_import_compiles_nothing() -> None:
    code = (
        "import soltrader.structure as ss\n"
        "from soltrader.structure import _nb\n"
        "kernels = [getattr(_nb, k) for k in dir(_nb) if k.endswith('_nb')]\n"
        "print(len(kernels), sum(len(k.signatures) for k in kernels))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    count, compiled = map(int, out.stdout.split())
    assert count >= 10 and compiled == 0
