"""The pure parts of DEX market data: response parsing, candle checks, cache intervals, and the
way a universe snapshot reaches the screener."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from soltrader.adapters.dex_data import (
    PoolCache,
    merge_intervals,
    missing_intervals,
    parse_provider_urls,
    to_records,
)
from soltrader.adapters.dex_providers import (
    CandlePage,
    DexRefusedError,
    GeckoTerminal,
    Policy,
    Quota,
    birdeye_type,
    check_candles,
    check_pool,
    most_liquid_per_mint,
    parse_birdeye_ohlcv,
    parse_birdeye_tokens,
    parse_gecko_ohlcv,
    parse_gecko_pools,
    shared_guard,
)
from soltrader.data.schema import OHLCVArrays
from soltrader.domain.errors import DataError, ParameterError
from soltrader.domain.ports import TokenSnapshot, candle_dt
from soltrader.strategies.screener import screen
from soltrader.strategies.universe import (
    UNIVERSE_COLUMNS,
    holders_known,
    screen_snapshots,
    universe_frame,
)

H = 3_600_000
DAY = 86_400_000
POOL = "8sLbNZoA1cfnvMJLPfp98ZLAnFSYCFApfJKMbiXNLwxj"


def gecko(rows: list[list[float]]) -> dict:
    return {"data": {"id": "x", "attributes": {"ohlcv_list": rows}}}


def birdeye(items: list[dict]) -> dict:
    return {"success": True, "data": {"items": items}}


ROWS = [  # newest first, as GeckoTerminal sends them: [ts_s, o, h, l, c, v_usd]
    [3 * 3600, 2.0, 2.5, 1.9, 2.4, 100.0],
    [2 * 3600, 1.5, 2.1, 1.4, 2.0, 80.0],
    [0, 1.0, 1.6, 0.9, 1.5, 50.0],  # the 01:00 bar had no trade: a gap, not an error
]


# --------------------------------------------------------------------------- parsing


def test_gecko_candles_are_read_in_their_order_then_put_in_time_order() -> None:
    raw = parse_gecko_ohlcv(gecko(ROWS))
    assert raw.ts.tolist() == [3 * H, 2 * H, 0]
    candles, gaps = check_candles(raw, "1h", newest_first=True, lo_ms=0, hi_ms=4 * H, label="gt")
    assert candles.ts.tolist() == [0, 2 * H, 3 * H] and gaps == 1
    assert candles.close.tolist() == [1.5, 2.0, 2.4] and candles.volume.tolist() == [50, 80, 100]


def test_gecko_numbers_may_be_strings_and_null_is_a_missing_value() -> None:
    raw = parse_gecko_ohlcv(gecko([[3600, "1", "2", "1", "1.5", None]]))
    assert raw.open[0] == 1.0 and math.isnan(raw.volume[0])
    with pytest.raises(DataError) as nan:
        check_candles(raw, "1h", newest_first=True, lo_ms=0, hi_ms=10 * H, label="gt")
    assert nan.value.code == "nan" and nan.value.field == "volume"


@pytest.mark.parametrize(
    ("doc", "code", "field"),
    [
        ({"data": {"attributes": {}}}, "missing_field", "data.attributes.ohlcv_list"),
        ({}, "missing_field", "data"),
        (gecko([[3600, 1, 2, 1, 1.5]]), "missing_field", "volume"),
        (gecko([[3600.5, 1, 2, 1, 1.5, 3]]), "bad_value", "timestamp"),
        (gecko([[3600, 1, "two", 1, 1.5, 3]]), "bad_value", "high"),
        (gecko([[3600, 1, True, 1, 1.5, 3]]), "bad_value", "high"),
        ({"data": {"attributes": {"ohlcv_list": {}}}}, "bad_payload", "data"),
    ],
)
def test_gecko_shape_errors_name_the_field(doc: dict, code: str, field: str) -> None:
    with pytest.raises(DataError) as error:
        parse_gecko_ohlcv(doc)
    assert (error.value.code, error.value.field) == (code, field)


def test_birdeye_volume_is_converted_to_usd_unless_given_in_usd() -> None:
    items = [
        {"unixTime": 0, "o": 1, "h": 2, "l": 1, "c": 2, "v": 5.0, "type": "1H"},
        {"unixTime": 3600, "o": 2, "h": 3, "l": 2, "c": 3, "v": 5.0, "v_usd": 14.0},
    ]
    raw = parse_birdeye_ohlcv(birdeye(items))
    assert raw.ts.tolist() == [0, H] and raw.volume.tolist() == [10.0, 14.0]


@pytest.mark.parametrize("missing", ["unixTime", "o", "h", "l", "c", "v"])
def test_a_birdeye_item_without_a_field_is_refused(missing: str) -> None:
    item = {"unixTime": 0, "o": 1, "h": 2, "l": 1, "c": 2, "v": 5.0}
    del item[missing]
    with pytest.raises(DataError) as error:
        parse_birdeye_ohlcv(birdeye([item]))
    assert error.value.code == "missing_field" and error.value.field == missing
    assert error.value.row == 0


@pytest.mark.parametrize(
    ("change", "newest_first", "code"),
    [
        (lambda r: r.insert(1, list(r[0])), True, "duplicate_timestamp"),
        (lambda r: r.__setitem__(slice(0, 2), [r[1], r[0]]), True, "unsorted"),
        (lambda r: r.reverse(), True, "unsorted"),  # oldest first where newest first is due
        (lambda r: r[1].__setitem__(5, -1.0), True, "negative_volume"),
        (lambda r: r[1].__setitem__(4, float("nan")), True, "nan"),
        (lambda r: r[1].__setitem__(2, 0.5), True, "high_below_low"),
        (lambda r: r[1].__setitem__(0, 2 * 3600 + 60), True, "off_grid"),
        (lambda r: r[1].__setitem__(1, 0.0), True, "non_positive_price"),
    ],
)
def test_candle_checks_give_the_validation_reason_code(change, newest_first, code) -> None:
    rows = [list(r) for r in ROWS]
    change(rows)
    raw = parse_gecko_ohlcv(gecko(rows))
    with pytest.raises(DataError) as error:
        check_candles(raw, "1h", newest_first=newest_first, lo_ms=0, hi_ms=10 * H, label="gt")
    assert error.value.code == code and str(error.value).startswith("gt: row ")


def test_candles_outside_the_window_are_checked_then_left_out() -> None:
    raw = parse_gecko_ohlcv(gecko(ROWS))
    kept, _ = check_candles(raw, "1h", newest_first=True, lo_ms=H, hi_ms=3 * H, label="gt")
    assert kept.ts.tolist() == [2 * H]
    bad = [list(r) for r in ROWS]
    bad[0][5] = -1.0  # outside the window, still a broken answer
    with pytest.raises(DataError, match="negative_volume"):
        check_candles(
            parse_gecko_ohlcv(gecko(bad)), "1h", newest_first=True, lo_ms=0, hi_ms=H, label="gt"
        )


def test_gecko_pools_become_token_snapshots() -> None:
    item = {
        "id": "solana_P",
        "attributes": {
            "address": POOL,
            "name": "WIF / SOL",
            "pool_created_at": "2024-01-02T00:00:00Z",
            "reserve_in_usd": "250000.5",
            "base_token_price_usd": "1.25",
            "volume_usd": {"h24": "1000000"},
            "price_change_percentage": {"h24": "-3.5"},
        },
        "relationships": {
            "base_token": {"data": {"id": "solana_MintW"}},
            "dex": {"data": {"id": "orca"}},
        },
    }
    doc = {"data": [item], "included": [{"id": "solana_MintW", "type": "token",
                                         "attributes": {"symbol": "$WIF"}}]}  # fmt: skip
    (snap,) = parse_gecko_pools(doc)
    assert snap == TokenSnapshot(
        "MintW", "$WIF", POOL, "orca", int(pd.Timestamp("2024-01-02", tz="UTC").value // 10**6),
        250_000.5, 1e6, 1.25, -0.035, None, "geckoterminal",
    )  # fmt: skip
    assert parse_gecko_pools({"data": [item]})[0].symbol == "WIF"  # from the pool's name
    del item["attributes"]["reserve_in_usd"]
    with pytest.raises(DataError) as error:
        parse_gecko_pools({"data": [item]})
    assert error.value.code == "missing_field" and error.value.field == "reserve_in_usd"
    item["attributes"]["reserve_in_usd"] = "1"
    item["attributes"]["pool_created_at"] = "2024-01-02T00:00:00"
    with pytest.raises(DataError, match="no time zone"):
        parse_gecko_pools({"data": [item]})


def test_birdeye_tokens_carry_holders_and_listing_time() -> None:
    doc = {
        "success": True,
        "data": {
            "has_next": True,
            "items": [
                {"address": "MintA", "symbol": "A", "liquidity": 1e5, "price": 2.0,
                 "volume_24h_usd": 3e5, "price_change_24h_percent": -50.0, "holder": 1200,
                 "recent_listing_time": 1_700_000_000},
                {"address": "MintB", "symbol": "B", "liquidity": 2e5, "price": 1.0,
                 "volume_24h_usd": 1e5, "price_change_24h_percent": 10.0, "holder": None,
                 "recent_listing_time": None},
            ],
        },
    }  # fmt: skip
    tokens, more = parse_birdeye_tokens(doc)
    assert more and [t.mint for t in tokens] == ["MintA", "MintB"]
    assert tokens[0].created_ms == 1_700_000_000_000 and tokens[0].holders == 1200
    assert tokens[0].price_change_24h == -0.5 and tokens[0].pool == "" and tokens[0].dex == ""
    assert tokens[1].created_ms is None and tokens[1].holders is None


def test_one_snapshot_per_mint_the_most_liquid_pool() -> None:
    a1 = TokenSnapshot("A", "A", "pa1", "d", 0, 5.0, 1.0, 1.0, 0.0)
    a2 = TokenSnapshot("A", "A", "pa2", "d", 0, 50.0, 1.0, 1.0, 0.0)
    b = TokenSnapshot("B", "B", "pb", "d", 0, 20.0, 1.0, 1.0, 0.0)
    assert [s.pool for s in most_liquid_per_mint([a1, b, a2])] == ["pa2", "pb"]


def test_timeframes_and_addresses() -> None:
    assert [birdeye_type(t) for t in ("1m", "30m", "1h", "12h", "1d", "1w")] == [
        "1m", "30m", "1H", "12H", "1D", "1W",
    ]  # fmt: skip
    with pytest.raises(DexRefusedError, match="no 10m candles"):
        birdeye_type("10m")
    with pytest.raises(ParameterError, match="base58"):
        check_pool("../../etc/passwd")
    with pytest.raises(ParameterError, match="base58"):
        check_pool("0OIl" * 10)  # not base58 letters
    assert parse_provider_urls(["GeckoTerminal=http://h/api/v2"]) == [
        ("geckoterminal", "http://h/api/v2")
    ]
    with pytest.raises(ParameterError, match="NAME=URL"):
        parse_provider_urls(["http://h"])


def test_a_provider_keeps_one_quota_per_process() -> None:
    first = shared_guard("unit-provider", "http://127.0.0.1:1/x", Quota(3, 1.0))
    assert shared_guard("unit-provider", "http://127.0.0.1:1/x/", Quota(3, 1.0)) is first
    assert shared_guard("unit-provider", "http://127.0.0.1:2/x", Quota(3, 1.0)) is not first
    with pytest.raises(ParameterError, match="already runs with"):
        shared_guard("unit-provider", "http://127.0.0.1:1/x", Quota(9, 1.0))


def test_a_policy_that_cannot_work_is_refused() -> None:
    url = "http://127.0.0.1:3/unit"
    with pytest.raises(ParameterError, match=r"policy\.attempts: must be >= 1"):
        GeckoTerminal(url, policy=Policy(attempts=0))
    with pytest.raises(ParameterError, match=r"policy\.timeout_s"):
        GeckoTerminal(url, policy=Policy(timeout_s=0.0))
    with pytest.raises(ParameterError, match="page_limit"):
        GeckoTerminal(url, page_limit=1001)
    assert "SECRET" not in repr(GeckoTerminal(url))


# --------------------------------------------------------------------------- the cache


def test_intervals() -> None:
    assert merge_intervals([(10, 20), (0, 5), (5, 7), (19, 25), (30, 30)]) == [(0, 7), (10, 25)]
    assert missing_intervals([(0, 7), (10, 25)], 0, 30) == [(7, 10), (25, 30)]
    assert missing_intervals([(0, 7), (10, 25)], 2, 6) == []
    assert missing_intervals([], 2, 6) == [(2, 6)]


def arrays(ts: list[int], close: float = 2.0) -> OHLCVArrays:
    n = len(ts)
    full = np.full(n, close)
    return OHLCVArrays(np.asarray(ts, dtype=np.int64), full, full + 1, full - 1, full, full * 10)


def test_the_pool_cache_stores_pages_across_years_and_refuses_disagreements(
    tmp_path: Path,
) -> None:
    cache = PoolCache(tmp_path / "pool" / "1h", "1h")
    new_year = int(pd.Timestamp("2025-01-01", tz="UTC").value // 10**6)
    page = CandlePage(arrays([new_year - 2 * H, new_year - H, new_year]), new_year - 5 * H,
                      new_year + H, "p", 0, 3)  # fmt: skip
    assert cache.add(page, "p") == 3
    assert sorted(p.name for p in cache.folder.iterdir()) == [
        "2024.parquet", "2025.parquet", "coverage.json",
    ]  # fmt: skip
    assert cache.missing(new_year - 10 * H, new_year + 3 * H) == [
        (new_year - 10 * H, new_year - 5 * H), (new_year + H, new_year + 3 * H),
    ]  # fmt: skip
    again = CandlePage(arrays([new_year]), new_year, new_year + H, "q", 0, 1)
    assert cache.add(again, "q") == 0  # the same candle again: nothing added, no conflict
    read = cache.read(new_year - 5 * H, new_year + H)
    assert read.ts.tolist() == [new_year - 2 * H, new_year - H, new_year]
    other = CandlePage(arrays([new_year], close=3.0), new_year, new_year + H, "q", 0, 1)
    with pytest.raises(DataError) as conflict:
        cache.add(other, "q")
    assert conflict.value.code == "conflict" and conflict.value.field == "open"
    assert cache.read(new_year, new_year + H).close.tolist() == [2.0]  # nothing was written
    nothing = CandlePage(arrays([]), new_year + 5 * H, new_year + 9 * H, "q", 0, 0)
    assert cache.add(nothing, "q") == 0  # an empty answer: the window stays to be asked
    assert cache.missing(new_year + 5 * H, new_year + 9 * H) == [
        (new_year + 5 * H, new_year + 9 * H)
    ]
    records = to_records(read)
    assert records.dtype == candle_dt and records["open_time_ms"].tolist() == read.ts.tolist()


# --------------------------------------------------------------------------- to the screener


def snapshots() -> list[TokenSnapshot]:
    return [
        TokenSnapshot("MintA", "A", "PA", "raydium", 0, 2e5, 5e5, 1.0, 0.1, 3000, "x"),
        TokenSnapshot("MintB", "B", "PB", "orca", 9 * DAY, 2e5, 5e5, 1.0, 0.1, 3000, "x"),
        TokenSnapshot("MintC", "C", "PC", "orca", 0, 2e4, 5e5, 1.0, 0.1, 500, "x"),
        TokenSnapshot("MintD", "D", "PD", "orca", 0, 2e5, 5e5, 1.0, -0.9, 3000, "x"),
    ]


def test_the_snapshot_frame_is_what_screen_reads() -> None:
    frame = universe_frame(snapshots(), now_ms=10 * DAY)
    assert tuple(frame.columns) == UNIVERSE_COLUMNS
    assert frame["age_days"].tolist() == [10.0, 1.0, 10.0, 10.0]
    assert str(frame["holders"].dtype) == "Int64"
    direct = screen(frame)
    assert direct.tradable["token"].tolist() == ["MintA"]
    assert direct.rejections == {
        "min_age_days": 1, "min_liquidity": 1, "min_volume_24h": 0, "min_holders": 1,
        "max_abs_change": 1,
    }  # fmt: skip


def test_screen_snapshots_applies_the_holder_rule_only_when_holders_are_known() -> None:
    known = screen_snapshots(snapshots(), now_ms=10 * DAY)
    assert known.thresholds["min_holders"] == 1_000.0 and known.approval_rate == 0.25
    unknown = [s._replace(holders=None) for s in snapshots()]
    assert not holders_known(unknown)
    res = screen_snapshots(unknown, now_ms=10 * DAY)
    assert "min_holders" not in res.thresholds
    with pytest.raises(DataError) as missing:  # asked for explicitly: the unknown is refused
        screen_snapshots(unknown, now_ms=10 * DAY, min_holders=100)
    assert missing.value.field == "holders" and "MintA" in str(missing.value)
    relaxed = screen_snapshots(snapshots(), now_ms=10 * DAY, min_age_days=None, min_liquidity=1e4)
    assert relaxed.tradable["token"].tolist() == ["MintA", "MintB"]


def test_an_unknown_creation_time_is_refused_by_the_age_rule_only() -> None:
    young = [snapshots()[0]._replace(created_ms=None)]
    with pytest.raises(DataError) as missing:
        screen_snapshots(young, now_ms=10 * DAY)
    assert missing.value.field == "age_days"
    assert screen_snapshots(young, now_ms=10 * DAY, min_age_days=None).approval_rate == 1.0


def test_screen_snapshots_refuses_what_it_cannot_screen() -> None:
    with pytest.raises(DataError, match="no token"):
        screen_snapshots([], now_ms=0)
    with pytest.raises(ParameterError, match="min_age"):
        screen_snapshots(snapshots(), now_ms=0, min_age=3)
    with pytest.raises(ParameterError, match="now_ms"):
        universe_frame(snapshots(), now_ms=1.5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="TokenSnapshot"):
        universe_frame([("MintA",)], now_ms=0)  # type: ignore[list-item]
