"""Property tests of :mod:`soltrader.structure` (hypothesis) on windows of the real SOL 1h / 4h
bars and on drawn bars.

* no look-ahead: everything known at bar t (swings confirmed by t, trend and references, events
  up to t, order-block states at t, nearest and touched zones at t) is identical when the bars
  after t are dropped or replaced;
* invariants: zone ``low <= high``; no zone before its source candle; ``invalidated_bar >
  created_bar``; breakers flip their parent on its invalidation bar; events alternate
  consistently with the trend state; valid zones sit on the right side of the close;
* an independent, slow, plain-Python reading of the rules gives the kernels' results exactly
  on drawn bars full of ties and dojis.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import soltrader.structure as ss

UNCONFIRMED = ["swing_high", "swing_low", "swing_high_confirm_bar", "swing_low_confirm_bar"]
OHLC = ["open", "high", "low", "close"]


@pytest.fixture(scope="module")
def real(sol_1h: pd.DataFrame, sol_4h: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {"1h": sol_1h[OHLC], "4h": sol_4h[OHLC]}


@st.composite
def windows(draw: st.DrawFn) -> dict[str, Any]:
    length = draw(st.integers(60, 400))
    return {
        "tf": draw(st.sampled_from(["1h", "4h"])),
        "start": draw(st.floats(0.0, 1.0)),
        "length": length,
        "t": draw(st.integers(0, length - 2)),
        "left": draw(st.integers(1, 6)),
        "right": draw(st.integers(1, 6)),
        "alter": draw(st.sampled_from(["drop", "replace"])),
        "donor": draw(st.floats(0.0, 1.0)),
        "scale": draw(st.floats(0.5, 2.0)),
    }


def window(real: dict[str, pd.DataFrame], w: dict[str, Any]) -> pd.DataFrame:
    data = real[w["tf"]]
    start = int(w["start"] * (len(data) - w["length"]))
    return data.iloc[start : start + w["length"]]


def altered(real: dict[str, pd.DataFrame], bars: pd.DataFrame, w: dict[str, Any]) -> pd.DataFrame:
    """``bars`` cut after t, or with every bar after t replaced by other (scaled) real bars."""
    t = w["t"]
    if w["alter"] == "drop":
        return bars.iloc[: t + 1]
    data = real[w["tf"]]
    k = len(bars) - t - 1
    start = int(w["donor"] * (len(data) - k))
    tail = data.iloc[start : start + k].to_numpy() * w["scale"]
    out = bars.copy()
    out.iloc[t + 1 :] = tail
    return out


@given(w=windows())
def test_no_look_ahead_on_real_bars(real: dict[str, pd.DataFrame], w: dict[str, Any]) -> None:
    bars = window(real, w)
    t, right = w["t"], w["right"]
    full = ss.smc(bars, left=w["left"], right=right)
    other = ss.smc(altered(real, bars, w), left=w["left"], right=right)
    rows = slice(0, t + 1)
    # every column of rows <= t but the swing flags at their own (unconfirmed) bar
    pd.testing.assert_frame_equal(
        other.per_bar.iloc[rows].drop(columns=UNCONFIRMED),
        full.per_bar.iloc[rows].drop(columns=UNCONFIRMED),
    )
    # swings confirmed by t: flags and confirmation bars at bars <= t - right
    confirmed = slice(0, max(t + 1 - right, 0))
    pd.testing.assert_frame_equal(other.per_bar.iloc[confirmed], full.per_bar.iloc[confirmed])
    pd.testing.assert_frame_equal(
        other.events[other.events["bar"] <= t], full.events[full.events["bar"] <= t]
    )
    pd.testing.assert_frame_equal(ss.blocks_at(other.blocks, t), ss.blocks_at(full.blocks, t))


@given(w=windows())
def test_truncated_input_never_confirms_past_its_end(
    real: dict[str, pd.DataFrame], w: dict[str, Any]
) -> None:
    bars = window(real, w).iloc[: w["t"] + 1]
    out = ss.swings(bars, left=w["left"], right=w["right"])
    n = len(bars)
    for name in ("swing_high", "swing_low"):
        at = np.flatnonzero(out[name].to_numpy())
        assert (at >= w["left"]).all() and (at <= n - 1 - w["right"]).all()
        assert (out[f"{name}_confirm_bar"].to_numpy()[at] == at + w["right"]).all()


def check_invariants(bars: pd.DataFrame, res: ss.SMCResult, right: int) -> None:
    o, h, lo, c = (bars[k].to_numpy() for k in OHLC)
    pb, ev, ob = res.per_bar, res.events, res.blocks
    n = len(bars)
    # zones
    assert (ob["low"] <= ob["high"]).all()
    assert (ob["created_bar"] >= ob["source_candle_bar"]).all()
    inv = ob["invalidated_bar"]
    assert ((inv == -1) | (inv > ob["created_bar"])).all()
    assert (np.diff(ob["created_bar"]) >= 0).all() and (ob["id"] == np.arange(len(ob))).all()
    src = ob["source_candle_bar"].to_numpy()
    colour = np.sign(c[src] - o[src])
    fresh = ob[ob["kind"] == ss.ZoneKind.FRESH]
    assert (colour[fresh.index] == -fresh["direction"]).all()  # bearish candle -> bullish OB
    assert (fresh["low"].to_numpy() == lo[fresh["source_candle_bar"]]).all()
    assert (fresh["high"].to_numpy() == h[fresh["source_candle_bar"]]).all()
    assert fresh["source_candle_bar"].is_unique
    assert (ev.loc[fresh["event"], "bar"].to_numpy() == fresh["created_bar"].to_numpy()).all()
    for row in ob[ob["kind"] == ss.ZoneKind.BREAKER].itertuples():
        parent = ob.loc[row.parent]
        assert parent.kind == ss.ZoneKind.FRESH and parent.invalidated_bar == row.created_bar
        assert (parent.direction, parent.low, parent.high) == (-row.direction, row.low, row.high)
    for row in ob.itertuples():  # invalidated exactly at the first close beyond, never before
        seg = c[row.created_bar + 1 : n]
        beyond = seg < row.low if row.direction == 1 else seg > row.high
        first = row.created_bar + 1 + int(np.argmax(beyond)) if beyond.any() else -1
        assert row.invalidated_bar == first
    # events and trend
    assert (np.diff(ev["bar"]) > 0).all()
    dirs = ev["direction"].to_numpy()
    prev = np.concatenate([[0], dirs[:-1]])
    assert (ev["kind"] == np.where(prev == -dirs, ss.BreakKind.CHOCH, ss.BreakKind.BOS)).all()
    last_dir = np.zeros(n, dtype=int)
    last_dir[ev["bar"]] = dirs
    trend = pd.Series(np.where(last_dir == 0, np.nan, last_dir)).ffill().fillna(0).to_numpy()
    assert (pb["trend"].to_numpy() == trend).all()
    evb = ev["bar"].to_numpy()
    bull = dirs == 1
    assert (c[evb[bull]] > ev["level"].to_numpy()[bull]).all()
    assert (c[evb[~bull]] < ev["level"].to_numpy()[~bull]).all()
    swing_level = np.where(bull, h[ev["swing_bar"]], lo[ev["swing_bar"]])
    assert (ev["level"].to_numpy() == swing_level).all()
    assert (ev["swing_bar"] + right < ev["bar"]).all()
    # per-bar zones: valid at t, on the right side of the close, touched only when older
    for side, sign in (("bull", 1), ("bear", -1)):
        ids = pb[f"{side}_id"].to_numpy()
        has = ids >= 0
        t_idx = np.flatnonzero(has)
        z = ob.iloc[ids[has]]
        assert (z["direction"].to_numpy() == sign).all()
        assert (z["created_bar"].to_numpy() <= t_idx).all()
        zi = z["invalidated_bar"].to_numpy()
        assert ((zi == -1) | (zi > t_idx)).all()
        if sign == 1:
            assert (z["low"].to_numpy() <= c[t_idx]).all()
        else:
            assert (z["high"].to_numpy() >= c[t_idx]).all()
        touch = pb[f"{side}_touch_id"].to_numpy()
        tt = np.flatnonzero(touch >= 0)
        zt = ob.iloc[touch[tt]]
        assert (zt["created_bar"].to_numpy() < tt).all()
        if sign == 1:
            assert (lo[tt] <= zt["high"].to_numpy()).all()
        else:
            assert (h[tt] >= zt["low"].to_numpy()).all()


@given(w=windows())
def test_invariants_on_real_bars(real: dict[str, pd.DataFrame], w: dict[str, Any]) -> None:
    bars = window(real, w)
    check_invariants(bars, ss.smc(bars, left=w["left"], right=w["right"]), w["right"])


def test_invariants_on_all_of_sol_4h(real: dict[str, pd.DataFrame]) -> None:
    bars = real["4h"]
    res = ss.smc(bars, left=3, right=3)
    assert len(res.events) > 100 and (res.blocks["kind"] == ss.ZoneKind.BREAKER).any()
    check_invariants(bars, res, 3)


# ---------------------------------------------------------------------------------------------
# an independent plain-Python reading of the rules


def reference(
    o: list[float], h: list[float], lo: list[float], c: list[float], left: int, right: int
) -> dict[str, Any]:
    n = len(c)

    def swing(values: list[float], i: int, sign: int) -> bool:
        if i < left or i + right > n - 1:
            return False
        before = all(sign * values[i] > sign * values[j] for j in range(i - left, i))
        after = all(sign * values[i] >= sign * values[j] for j in range(i + 1, i + right + 1))
        return before and after

    sh = [swing(h, i, 1) for i in range(n)]
    sl = [swing(lo, i, -1) for i in range(n)]
    events: list[tuple[int, int, int, float, int]] = []
    consumed: set[tuple[int, int]] = set()
    trend = 0
    trends = []
    for t in range(n):
        known_h = [i for i in range(n) if sh[i] and i + right <= t - 1]
        known_l = [i for i in range(n) if sl[i] and i + right <= t - 1]
        for direction, known, values in ((1, known_h, h), (-1, known_l, lo)):
            if not known or (direction, known[-1]) in consumed:
                continue
            level = values[known[-1]]
            if (c[t] > level) if direction == 1 else (c[t] < level):
                kind = 2 if trend == -direction else 1
                events.append((t, kind, direction, level, known[-1]))
                consumed.add((direction, known[-1]))
                trend = direction
                break
        trends.append(trend)
    zones: list[dict[str, Any]] = []
    used: set[int] = set()
    for t in range(n):
        for z in list(zones):
            alive = z["inv"] == -1 and z["created"] < t
            if alive and ((c[t] < z["low"]) if z["dir"] == 1 else (c[t] > z["high"])):
                z["inv"] = t
                if z["kind"] == 0:
                    zones.append(
                        {
                            **z,
                            "dir": -z["dir"],
                            "kind": 1,
                            "created": t,
                            "inv": -1,
                            "parent": zones.index(z),
                        }
                    )
        for e, (bar, _, direction, _, s) in enumerate(events):
            if bar != t:
                continue
            span = range(s, t + 1)
            if direction == 1:
                lowest = min(lo[j] for j in span)
                origin = max(j for j in span if lo[j] == lowest)
                cands = [k for k in range(s, min(origin, t - 1) + 1) if c[k] < o[k]]
            else:
                highest = max(h[j] for j in span)
                origin = max(j for j in span if h[j] == highest)
                cands = [k for k in range(s, min(origin, t - 1) + 1) if c[k] > o[k]]
            if cands and cands[-1] not in used:
                k = cands[-1]
                used.add(k)
                zones.append(
                    {
                        "dir": direction,
                        "kind": 0,
                        "low": lo[k],
                        "high": h[k],
                        "source": k,
                        "created": t,
                        "inv": -1,
                        "parent": -1,
                        "event": e,
                    }
                )
    per_bar: dict[str, list[int]] = {
        "bull_id": [],
        "bull_touch_id": [],
        "bear_id": [],
        "bear_touch_id": [],
    }
    for t in range(n):
        valid = [
            (i, z)
            for i, z in enumerate(zones)
            if z["created"] <= t and (z["inv"] == -1 or z["inv"] > t)
        ]
        for side, sign in (("bull", 1), ("bear", -1)):
            mine = [
                (sign * (z["high"] if sign == 1 else z["low"]), i, z)
                for i, z in valid
                if z["dir"] == sign
            ]
            near = max(mine, key=lambda m: (m[0], m[1]))[1] if mine else -1
            older = [m for m in mine if m[2]["created"] < t]
            touch = -1
            if older:
                _, i, z = max(older, key=lambda m: (m[0], m[1]))
                hit = lo[t] <= z["high"] if sign == 1 else h[t] >= z["low"]
                touch = i if hit else -1
            per_bar[f"{side}_id"].append(near)
            per_bar[f"{side}_touch_id"].append(touch)
    return {
        "swing_high": sh,
        "swing_low": sl,
        "trend": trends,
        "events": events,
        "zones": zones,
        **per_bar,
    }


@st.composite
def drawn_bars(draw: st.DrawFn) -> tuple[pd.DataFrame, int, int]:
    """Bars on a coarse price grid (many ties) with random colours and dojis."""
    n = draw(st.integers(1, 70))
    steps = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
    body = draw(st.lists(st.integers(-2, 2), min_size=n, max_size=n))
    wick_up = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    wick_dn = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    close = 100.0 + np.cumsum(steps).astype(float)
    open_ = close - np.asarray(body, dtype=float)
    high = np.maximum(open_, close) + np.asarray(wick_up, dtype=float)
    low = np.minimum(open_, close) - np.asarray(wick_dn, dtype=float)
    bars = pd.DataFrame({"open": open_, "high": high, "low": low, "close": close})
    return bars, draw(st.integers(1, 4)), draw(st.integers(1, 4))


@given(case=drawn_bars())
def test_kernels_match_plain_python_reading(case: tuple[pd.DataFrame, int, int]) -> None:
    bars, left, right = case
    res = ss.smc(bars, left=left, right=right)
    ref = reference(*(bars[k].tolist() for k in OHLC), left, right)
    assert res.per_bar["swing_high"].tolist() == ref["swing_high"]
    assert res.per_bar["swing_low"].tolist() == ref["swing_low"]
    assert res.per_bar["trend"].tolist() == ref["trend"]
    got = res.events[["bar", "kind", "direction", "level", "swing_bar"]]
    assert list(got.itertuples(index=False, name=None)) == ref["events"]
    want = [
        (z["dir"], z["kind"], z["low"], z["high"], z["source"], z["created"], z["inv"], z["parent"])
        for z in ref["zones"]
    ]
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
    assert list(res.blocks[cols].itertuples(index=False, name=None)) == want
    for name in ("bull_id", "bull_touch_id", "bear_id", "bear_touch_id"):
        assert res.per_bar[name].tolist() == ref[name], name
    check_invariants(bars, res, right)
