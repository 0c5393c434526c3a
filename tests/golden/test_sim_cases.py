"""Hand-computed simulator cases from ``sim_cases.json``: every fill, price and cash figure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from soltrader.costs import AMMPool, SolanaTxCost
from soltrader.data.schema import ohlcv_frame
from soltrader.engine import backtest_signals

CASES = json.loads((Path(__file__).with_name("sim_cases.json")).read_text())["cases"]
START_MS = 1_704_067_200_000  # 2024-01-01 00:00 UTC


def frame(rows: list[list[float]]) -> pd.DataFrame:
    arr = np.asarray(rows, dtype=np.float64)
    ts = START_MS + 60_000 * np.arange(len(arr))
    return ohlcv_frame(ts, *arr.T)


def flags(bars: list[int], n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[bars] = True
    return out


def build(case: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    multi = isinstance(case["bars"], dict)
    data = {k: frame(v) for k, v in case["bars"].items()} if multi else frame(case["bars"])
    n = len(next(iter(data.values()))) if multi else len(data)
    kwargs: dict[str, Any] = {}
    for name, bars in case["signals"].items():
        kwargs[name] = (
            {k: flags(v, n) for k, v in bars.items()} if isinstance(bars, dict) else flags(bars, n)
        )
    for key, value in case["params"].items():
        if key == "amm":
            value = AMMPool(**value)
        elif key == "solana":
            value = SolanaTxCost(**value)
        elif key == "intrabar":
            rows = np.asarray(value["rows"], dtype=np.float64)
            start = START_MS + 60_000 * value["start_bar"]
            value = ohlcv_frame(start + 1_000 * value["spacing_s"] * np.arange(len(rows)), *rows.T)
        elif isinstance(value, list) and key not in ("accounts", "allocation"):
            value = np.asarray(value + [value[-1]] * (n - len(value)))
        kwargs[key] = value
    kwargs.setdefault("entries", None)
    return data, kwargs


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_hand_computed_case(case: dict[str, Any]) -> None:
    data, kwargs = build(case)
    res = backtest_signals(data, **kwargs)
    expect = case["expect"]
    fills = res.fills
    assert len(fills) == len(expect["fills"]), fills
    rtol = expect.get("price_rtol", 1e-12)
    for got, want in zip(fills.itertuples(), expect["fills"], strict=True):
        assert got.bar == want["bar"]
        assert got.side == want["side"]
        assert got.size == pytest.approx(want["size"], rel=1e-9)
        assert got.price == pytest.approx(want["price"], rel=rtol)
        assert got.reason == want["reason"]
        if "fees" in want:
            assert got.fees == pytest.approx(want["fees"], rel=1e-9, abs=1e-12)
        if "asset" in want:
            assert got.asset == want["asset"]
    orders = res.orders
    if "order_statuses" in expect:
        assert orders["status"].tolist() == expect["order_statuses"]
    if "reject_reasons" in expect:
        assert orders["reject_reason"].tolist() == expect["reject_reasons"]
    if "requested_sizes" in expect:
        np.testing.assert_allclose(orders["requested_size"], expect["requested_sizes"], rtol=1e-9)
        np.testing.assert_allclose(orders["filled_size"], expect["filled_sizes"], rtol=1e-9)
    if "order_fees" in expect:
        np.testing.assert_allclose(orders["fees"], expect["order_fees"], rtol=1e-9)
    for want, got in zip(expect.get("trades", []), res.trades.itertuples(), strict=False):
        assert got.pnl == pytest.approx(want["pnl"], rel=1e-9)
        assert got.exit_reason == want["exit_reason"]
    assert res.cash.iloc[-1] == pytest.approx(expect["final_cash"], rel=1e-9, abs=1e-6)
    if "final_equity" in expect:
        assert res.equity.iloc[-1] == pytest.approx(expect["final_equity"], rel=1e-9)
    if "account_equity" in expect:
        np.testing.assert_allclose(res.account_equity.iloc[-1], expect["account_equity"], rtol=1e-9)
    # the accounting identity holds on every bar of every case
    np.testing.assert_allclose(
        res.cash + res.position_values.sum(axis=1), res.equity, rtol=1e-12, atol=1e-9
    )
