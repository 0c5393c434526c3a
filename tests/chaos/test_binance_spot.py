"""The Binance spot simulator (tests/binance_spot.py) driven by the real, unmodified
``ccxt.async_support.binance`` client over HTTP on 127.0.0.1, on real SOL/USDT 1m bars: markets,
balances, market/limit/post-only/stop orders, cancels, trades, the filters, and every fault
(auth, clock skew, rate limit and ban, lost replies, latency, outage) as ccxt raises it."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Callable, Coroutine
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import pytest

from tests.binance_spot import (
    Bars,
    BinanceSpot,
    Candle,
    Faults,
    Filters,
    RequestRecord,
    SpotEngine,
)
from tests.conftest import read_sample_bars

pytestmark = pytest.mark.timeout(60)

SYMBOL = "SOL/USDT"
BARS = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:3000]
CANDLES = SpotEngine(BARS)  # exact decimal bars, for choosing test situations
D = Decimal


def run(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(asyncio.wait_for(make(), 45))


@contextlib.asynccontextmanager
async def trading(
    *, timeout_ms: int = 3000, **sim_kw: Any
) -> AsyncIterator[tuple[BinanceSpot, Any]]:
    """A simulator over BARS and a real ccxt client for it (always closed)."""
    sim_kw.setdefault("balances", {"USDT": 10_000})
    async with BinanceSpot(BARS, **sim_kw) as sim:
        exchange = sim.ccxt_exchange(timeout_ms=timeout_ms)
        try:
            yield sim, exchange
        finally:
            await exchange.close()


def find_bar(accept: Callable[[Candle, Candle], bool]) -> int:
    """The first bar ``i`` (>= 1) for which ``accept(bar i, bar i + 1)`` holds."""
    for i in range(1, len(BARS) - 2):
        if accept(CANDLES.candle(i), CANDLES.candle(i + 1)):
            return i
    raise LookupError("no such bar in the sample")


def dip_bar() -> int:
    """A bar whose low is at least 0.10 below its open, the next bar opening above open - 0.05
    (so that an order at open - 0.05 fills inside the bar, not at the next open)."""
    return find_bar(lambda c, n: c.open - c.low >= D("0.10") and n.open > c.open - D("0.05"))


def last(sim: BinanceSpot) -> RequestRecord:
    return sim.requests[-1]


class OffsetClock:
    """The real clock plus a settable offset (ms)."""

    def __init__(self, offset_ms: int = 0) -> None:
        self.offset_ms = offset_ms

    def __call__(self) -> int:
        import time

        return time.time_ns() // 1_000_000 + self.offset_ms


# -- markets and balances --------------------------------------------------------------------


def test_load_markets_takes_precision_and_limits_from_the_filters() -> None:
    filters = Filters(
        tick_size="0.05", min_price="0.05", step_size="0.01", min_qty="0.1", min_notional="10"
    )

    async def main() -> None:
        async with trading(filters=filters) as (sim, exchange):
            markets = await exchange.load_markets()
            market = markets[SYMBOL]
            assert (market["id"], market["spot"], market["active"]) == ("SOLUSDT", True, True)
            assert market["precision"]["price"] == 0.05
            assert market["precision"]["amount"] == 0.01
            assert market["limits"]["amount"]["min"] == 0.1
            assert market["limits"]["cost"]["min"] == 10.0
            assert market["limits"]["price"]["min"] == 0.05
            assert "LIMIT_MAKER" in market["info"]["orderTypes"]
            assert list(markets) == [SYMBOL]
            assert last(sim) == ("GET", "/api/v3/exchangeInfo", 200)

    run(main)


def test_fetch_balance_reports_free_and_locked() -> None:
    async def main() -> None:
        async with trading(balances={"USDT": 10_000, "SOL": "2.5"}) as (sim, exchange):
            balance = await exchange.fetch_balance()
            assert balance["USDT"] == {"free": 10_000.0, "used": 0.0, "total": 10_000.0}
            assert balance["SOL"] == {"free": 2.5, "used": 0.0, "total": 2.5}
            far = float(sim.price() * 2)
            await exchange.create_order(SYMBOL, "limit", "sell", 1.0, far)
            balance = await exchange.fetch_balance()
            assert balance["SOL"] == {"free": 1.5, "used": 1.0, "total": 2.5}
            assert sim.balances["SOL"].locked == D("1.000")

    run(main)


# -- market orders ---------------------------------------------------------------------------


def test_market_buy_by_quantity_fills_at_the_open_with_full_fills() -> None:
    async def main() -> None:
        async with trading(taker_fee="0.001", start_bar=5) as (sim, exchange):
            open_ = CANDLES.candle(5).open
            order = await exchange.create_order(SYMBOL, "market", "buy", 1.5)
            assert order["status"] == "closed" and order["filled"] == 1.5
            assert order["average"] == float(open_)
            assert order["cost"] == float(D("1.5") * open_)
            (fill,) = order["trades"]
            assert fill["price"] == float(open_) and fill["amount"] == 1.5
            assert fill["fee"] == {"currency": "SOL", "cost": 0.0015}
            assert fill["id"] == str(sim.trades[0].trade_id)
            raw = order["info"]["fills"][0]
            assert raw["commissionAsset"] == "SOL" and raw["commission"] == "0.00150000"
            assert sim.balances["USDT"].free == D(10_000) - D("1.5") * open_
            assert sim.balances["SOL"].free == D("1.4985")
            assert sim.orders[0].status == "FILLED" and sim.orders[0].bar == 5

    run(main)


def test_market_buy_given_a_price_is_sent_as_quote_order_qty() -> None:
    async def main() -> None:
        async with trading() as (sim, exchange):
            open_ = sim.price()
            order = await exchange.create_order(SYMBOL, "market", "buy", 1.0, 100.0)
            placed = sim.orders[0]
            assert placed.orig_quote_qty == D(100)  # amount x price
            qty = (D(100) / open_).quantize(D("0.001"), rounding="ROUND_DOWN")
            assert placed.executed_qty == qty and order["filled"] == float(qty)
            assert order["cost"] == float(qty * open_)
            assert sim.balances["USDT"].free == D(10_000) - qty * open_  # the rest is not kept
            assert sim.balances["USDT"].locked == 0

    run(main)


# -- limit orders ----------------------------------------------------------------------------


def test_limit_buy_rests_locks_funds_and_fills_once_a_bar_low_reaches_it() -> None:
    i = dip_bar()
    bar = CANDLES.candle(i)
    hit, miss = bar.open - D("0.05"), bar.low - D("0.05")  # one inside the bar, one below it

    async def main() -> None:
        async with trading(start_bar=i, maker_fee="0.0005", taker_fee="0.001") as (sim, ex):
            a = await ex.create_order(SYMBOL, "limit", "buy", 1.0, float(hit))
            b = await ex.create_order(SYMBOL, "limit", "buy", 1.0, float(miss))
            assert a["status"] == b["status"] == "open" and a["filled"] == 0
            assert {o["id"] for o in await ex.fetch_open_orders(SYMBOL)} == {a["id"], b["id"]}
            balance = await ex.fetch_balance()
            assert balance["USDT"]["used"] == float(hit + miss)
            assert sim.balances["USDT"].locked == hit + miss

            fills = sim.advance()
            assert [(t.order_id, t.price, t.is_maker) for t in fills] == [(1, hit, True)]
            assert sim.bar == i + 1
            done = await ex.fetch_order(a["id"], SYMBOL)
            assert done["status"] == "closed" and done["average"] == float(hit)
            assert [o["id"] for o in await ex.fetch_open_orders(SYMBOL)] == [b["id"]]
            assert sim.balances["USDT"].locked == miss
            assert sim.balances["SOL"].free == D("0.9995")  # maker fee, in the asset received
            (trade,) = await ex.fetch_my_trades(SYMBOL)
            assert trade["takerOrMaker"] == "maker" and trade["price"] == float(hit)
            assert trade["fee"] == {"currency": "SOL", "cost": 0.0005}

    run(main)


def test_marketable_limit_takes_at_the_open_and_ioc_that_cannot_fill_expires() -> None:
    async def main() -> None:
        async with trading(taker_fee="0.001") as (sim, ex):
            open_ = sim.price()
            taken = await ex.create_order(SYMBOL, "limit", "buy", 1.0, float(open_ + 1))
            assert taken["status"] == "closed" and taken["average"] == float(open_)
            assert sim.trades[0].is_maker is False
            # the price improvement is not kept locked
            assert sim.balances["USDT"].free == D(10_000) - open_
            low = float(open_ - 1)
            ioc = await ex.create_order(SYMBOL, "limit", "buy", 1.0, low, {"timeInForce": "IOC"})
            assert ioc["status"] == "expired" and ioc["filled"] == 0
            assert sim.balances["USDT"].locked == 0
            assert await ex.fetch_open_orders(SYMBOL) == []

    run(main)


def test_resting_orders_fill_partially_at_the_participation_cap() -> None:
    i = dip_bar()
    bar = CANDLES.candle(i)
    hit = bar.open - D("0.05")
    cap = (D("0.00005") * bar.volume).quantize(D("0.001"), rounding="ROUND_DOWN")
    assert 0 < cap < 1

    async def main() -> None:
        async with trading(start_bar=i, participation="0.00005") as (sim, ex):
            order = await ex.create_order(SYMBOL, "limit", "buy", 1.0, float(hit))
            sim.advance()
            now = await ex.fetch_order(order["id"], SYMBOL)
            assert now["status"] == "open" and now["info"]["status"] == "PARTIALLY_FILLED"
            assert now["filled"] == float(cap) and now["remaining"] == float(1 - cap)
            assert sim.balances["USDT"].locked == (1 - cap) * hit

    run(main)


def test_fetch_order_by_client_order_id_and_unknown_orders() -> None:
    cid = "a.B:c/d_e-9"  # every character class Binance allows

    async def main() -> None:
        async with trading() as (sim, ex):
            far = float(sim.price() - 5)
            placed = await ex.create_order(SYMBOL, "limit", "buy", 1.0, far, {"clientOrderId": cid})
            assert placed["clientOrderId"] == cid
            found = await ex.fetch_order(None, SYMBOL, {"clientOrderId": cid})
            assert (found["id"], found["clientOrderId"], found["status"]) == (
                placed["id"], cid, "open",
            )  # fmt: skip
            with pytest.raises(ccxt.OrderNotFound):
                await ex.fetch_order(None, SYMBOL, {"clientOrderId": "never-sent"})
            with pytest.raises(ccxt.OrderNotFound):
                await ex.fetch_order("999", SYMBOL)
            assert last(sim) == ("GET", "/api/v3/order", 400)
            with pytest.raises(ccxt.BadRequest, match="-1100"):
                await ex.create_order(
                    SYMBOL, "limit", "buy", 1.0, far, {"clientOrderId": "no spaces"}
                )
            assert len(sim.orders) == 1

    run(main)


def test_cancel_order_gives_the_funds_back() -> None:
    async def main() -> None:
        async with trading() as (sim, ex):
            price = sim.price() - 3
            order = await ex.create_order(SYMBOL, "limit", "buy", 2.0, float(price))
            assert (await ex.fetch_balance())["USDT"]["used"] == float(2 * price)
            cancelled = await ex.cancel_order(order["id"], SYMBOL)
            assert cancelled["status"] == "canceled" and cancelled["id"] == order["id"]
            # Binance's cancel reply names the cancel request's own id; the order's is "orig"
            assert cancelled["info"]["origClientOrderId"] == order["clientOrderId"]
            balance = await ex.fetch_balance()
            assert balance["USDT"] == {"free": 10_000.0, "used": 0.0, "total": 10_000.0}
            assert sim.balances["USDT"].free == D(10_000) and sim.orders[0].status == "CANCELED"
            with pytest.raises(ccxt.OrderNotFound):
                await ex.cancel_order(order["id"], SYMBOL)
            assert last(sim) == ("DELETE", "/api/v3/order", 400)

    run(main)


def test_fetch_my_trades_lists_both_sides_with_their_fees() -> None:
    async def main() -> None:
        async with trading(taker_fee="0.001") as (sim, ex):
            first = sim.price()
            buy = await ex.create_order(SYMBOL, "market", "buy", 2.0)
            sim.advance()
            second = sim.price()
            sell = await ex.create_order(SYMBOL, "market", "sell", 1.0)
            trades = await ex.fetch_my_trades(SYMBOL)
            assert [t["side"] for t in trades] == ["buy", "sell"]
            assert [t["order"] for t in trades] == [buy["id"], sell["id"]]
            assert [t["price"] for t in trades] == [float(first), float(second)]
            assert [t["fee"]["currency"] for t in trades] == ["SOL", "USDT"]
            assert trades[1]["fee"]["cost"] == float((second * D("0.001")).quantize(D("1e-8")))
            assert sim.balances["SOL"].free == D("2") - D("0.002") - D("1")
            usdt = D(10_000) - 2 * first + second * (1 - D("0.001"))
            assert sim.balances["USDT"].free == usdt  # exact to the last decimal

    run(main)


def test_stop_loss_limit_triggers_when_the_bar_trades_through_its_stop() -> None:
    i = dip_bar()
    bar = CANDLES.candle(i)
    stop = bar.open - D("0.05")
    limit = stop - D("0.02")

    async def main() -> None:
        async with trading(start_bar=i, taker_fee="0.001") as (sim, ex):
            await ex.create_order(SYMBOL, "market", "buy", 2.0)
            with pytest.raises(ccxt.OrderImmediatelyFillable):
                above = float(bar.open + D("0.05"))
                await ex.create_order(SYMBOL, "limit", "sell", 1.0, above, {"triggerPrice": above})
            order = await ex.create_order(
                SYMBOL, "limit", "sell", 1.998, float(limit), {"triggerPrice": float(stop)}
            )
            # Binance sends workingTime -1 for an untriggered stop; ccxt takes it as the timestamp
            assert order["info"]["workingTime"] == -1 and order["timestamp"] == -1
            placed = sim.orders[-1]
            assert (placed.type, placed.working_time, placed.status) == (
                "STOP_LOSS_LIMIT", -1, "NEW",
            )  # fmt: skip
            assert sim.balances["SOL"].locked == D("1.998")
            sim.advance()
            done = await ex.fetch_order(order["id"], SYMBOL)
            assert done["status"] == "closed" and done["triggerPrice"] == float(stop)
            assert done["average"] == float(stop)  # taken at the stop, above its limit
            assert sim.trades[-1].is_maker is False and sim.balances["SOL"].locked == 0

    run(main)


# -- rejections ------------------------------------------------------------------------------


def test_post_only_that_would_take_is_rejected_and_one_that_would_not_rests() -> None:
    async def main() -> None:
        async with trading() as (sim, ex):
            open_ = sim.price()
            with pytest.raises(ccxt.OrderImmediatelyFillable, match="immediately match"):
                await ex.create_order(
                    SYMBOL, "limit", "buy", 1.0, float(open_ + D("0.05")), {"postOnly": True}
                )
            assert last(sim) == ("POST", "/api/v3/order", 400) and sim.orders == []
            assert sim.balances["USDT"].free == D(10_000)
            maker = await ex.create_order(
                SYMBOL, "limit", "buy", 1.0, float(open_ - D("0.05")), {"postOnly": True}
            )
            assert maker["postOnly"] is True and maker["status"] == "open"
            assert sim.orders[0].type == "LIMIT_MAKER"

    run(main)


def test_filter_violations_are_rejected_by_the_server_naming_the_filter() -> None:
    filters = Filters(min_qty="0.01", step_size="0.001")

    async def main() -> None:
        async with trading(filters=filters) as (sim, ex):
            price = float(sim.price() - 1)
            cases = [
                (1.0, {"price": "50.005"}, "PRICE_FILTER"),  # off the tick grid
                (1.0, {"quantity": "1.0005"}, "LOT_SIZE"),  # off the step grid
                (0.005, {}, "LOT_SIZE"),  # on the grid, below minQty
            ]
            for amount, params, name in cases:
                with pytest.raises(ccxt.InvalidOrder, match=name):
                    await ex.create_order(SYMBOL, "limit", "buy", amount, price, params)
                assert last(sim) == ("POST", "/api/v3/order", 400)
            # -1013 "Filter failure: NOTIONAL" has no legacy text rule in ccxt: BadRequest
            for kind, px in (("limit", price), ("market", None)):
                with pytest.raises(ccxt.BadRequest, match="NOTIONAL") as caught:
                    await ex.create_order(SYMBOL, kind, "buy", 0.05, px)
                assert not isinstance(caught.value, ccxt.InvalidOrder)
                assert last(sim) == ("POST", "/api/v3/order", 400)
            assert sim.orders == [] and sim.balances["USDT"].free == D(10_000)

    run(main)


def test_insufficient_funds_including_funds_locked_by_open_orders() -> None:
    async def main() -> None:
        async with trading() as (sim, ex):
            with pytest.raises(ccxt.InsufficientFunds):
                await ex.create_order(SYMBOL, "market", "buy", 200.0)  # ~12k USDT
            with pytest.raises(ccxt.InsufficientFunds):
                await ex.create_order(SYMBOL, "market", "sell", 1.0)  # no SOL
            price = sim.price() - 1
            await ex.create_order(SYMBOL, "limit", "buy", 150.0, float(price))  # locks ~9k
            with pytest.raises(ccxt.InsufficientFunds):
                await ex.create_order(SYMBOL, "market", "buy", 20.0)  # ~1.2k > what is free
            assert [o.status for o in sim.orders] == ["NEW"]
            assert sim.balances["USDT"].free == D(10_000) - 150 * price

    run(main)


# -- auth and clock --------------------------------------------------------------------------


def test_bad_credentials_are_authentication_errors() -> None:
    async def main() -> None:
        async with BinanceSpot(BARS) as sim:
            for kwargs, status in (({"secret": "wrong"}, 400), ({"api_key": "wrong"}, 401)):
                exchange = sim.ccxt_exchange(**kwargs)
                try:
                    with pytest.raises(ccxt.AuthenticationError):
                        await exchange.fetch_balance()
                    assert last(sim) == ("GET", "/api/v3/account", status)
                finally:
                    await exchange.close()
            # ccxt reads -2015 after a success as a temporary ban, not bad credentials
            exchange = sim.ccxt_exchange()
            try:
                await exchange.fetch_balance()
                exchange.apiKey = "revoked"
                with pytest.raises(ccxt.DDoSProtection, match="-2015"):
                    await exchange.fetch_balance()
            finally:
                await exchange.close()

    run(main)


@pytest.mark.parametrize(
    ("offset_ms", "recv_window", "ok"),
    [
        (30_000, None, False),  # the request is 30 s old for the server
        (-5_000, None, False),  # the request comes from 5 s in the server's future
        (7_000, None, True),  # within ccxt's recvWindow of 10 000 ms
        (7_000, 5_000, False),  # ... but not within 5 000 ms
    ],
)
def test_clock_skew_beyond_recv_window_is_invalid_nonce(
    offset_ms: int, recv_window: int | None, ok: bool
) -> None:
    async def main() -> None:
        async with trading(clock=OffsetClock(offset_ms)) as (sim, ex):
            if recv_window is not None:
                ex.options["recvWindow"] = recv_window
            if ok:
                await ex.fetch_balance()
                assert last(sim) == ("GET", "/api/v3/account", 200)
            else:
                with pytest.raises(ccxt.InvalidNonce, match="-1021"):
                    await ex.fetch_balance()
                assert last(sim) == ("GET", "/api/v3/account", 400)

    run(main)


# -- faults ----------------------------------------------------------------------------------


def header(exchange: Any, name: str) -> str | None:
    headers = exchange.last_response_headers or {}
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def test_rate_limit_is_429_with_retry_after_then_a_418_ban() -> None:
    clock = OffsetClock()
    faults = Faults(weight_limit=30, ban_after_429s=1, ban_ms=120_000)

    async def main() -> None:
        async with trading(clock=clock, faults=faults, start_bar=10) as (sim, ex):
            await ex.load_markets()  # weight 20
            assert header(ex, "X-MBX-USED-WEIGHT-1M") == "20"
            with pytest.raises(ccxt.DDoSProtection, match="429"):
                await ex.fetch_balance()  # weight 20 more: over 30
            assert last(sim) == ("GET", "/api/v3/account", 429)
            assert header(ex, "Retry-After") == "60"  # until the first 20 leave the window
            with pytest.raises(ccxt.DDoSProtection, match="418"):
                await ex.fetch_balance()  # over the limit again, a second time in a row: banned
            assert last(sim) == ("GET", "/api/v3/account", 418)
            with pytest.raises(ccxt.DDoSProtection, match="418"):
                await ex.fetch_ohlcv(SYMBOL, "1m", limit=5)  # would fit, but the IP is banned
            assert header(ex, "Retry-After") == "120"
            clock.offset_ms += 121_000  # ban over, window empty
            assert len(await ex.fetch_ohlcv(SYMBOL, "1m", limit=5)) == 5
            assert last(sim) == ("GET", "/api/v3/klines", 200)

    run(main)


def test_lost_reply_raises_a_network_error_but_the_order_exists() -> None:
    cid = "lost-reply-1"

    async def main() -> None:
        async with trading(faults=Faults(lose_replies=1)) as (sim, ex):
            with pytest.raises(ccxt.NetworkError) as caught:
                await ex.create_order(SYMBOL, "market", "buy", 1.0, None, {"clientOrderId": cid})
            assert isinstance(caught.value, ccxt.ExchangeNotAvailable)
            assert last(sim) == ("POST", "/api/v3/order", 0)  # no reply was sent
            assert sim.faults.lose_replies == 0
            assert [(o.client_order_id, o.status) for o in sim.orders] == [(cid, "FILLED")]
            found = await ex.fetch_order(None, SYMBOL, {"clientOrderId": cid})
            assert found["status"] == "closed" and found["filled"] == 1.0
            assert sim.balances["SOL"].free == D("0.999")
            again = await ex.create_order(SYMBOL, "market", "buy", 1.0)
            assert again["status"] == "closed" and last(sim) == ("POST", "/api/v3/order", 200)

    run(main)


def test_client_order_id_is_unique_only_among_open_orders() -> None:
    async def main() -> None:
        async with trading() as (sim, ex):
            low = float(sim.price() - 3)
            first = await ex.create_order(SYMBOL, "limit", "buy", 1.0, low, {"clientOrderId": "r1"})
            with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
                await ex.create_order(SYMBOL, "limit", "buy", 1.0, low, {"clientOrderId": "r1"})
            await ex.cancel_order(first["id"], SYMBOL)
            second = await ex.create_order(
                SYMBOL, "limit", "buy", 1.0, low, {"clientOrderId": "r1"}
            )
            assert second["id"] != first["id"]
            found = await ex.fetch_order(None, SYMBOL, {"clientOrderId": "r1"})
            assert found["id"] == second["id"]  # the newest order with that id
            # a retry with the id of a FILLED order is a second order, not a no-op
            await ex.create_order(SYMBOL, "market", "buy", 1.0, None, {"clientOrderId": "m1"})
            await ex.create_order(SYMBOL, "market", "buy", 1.0, None, {"clientOrderId": "m1"})
            assert [o.status for o in sim.orders if o.client_order_id == "m1"] == ["FILLED"] * 2
            assert sim.balances["SOL"].free == D("1.998")

    run(main)


def test_strict_client_ids_reject_any_reuse() -> None:
    async def main() -> None:
        async with trading(strict_client_ids=True) as (sim, ex):
            await ex.create_order(SYMBOL, "market", "buy", 1.0, None, {"clientOrderId": "s1"})
            with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
                await ex.create_order(SYMBOL, "market", "buy", 1.0, None, {"clientOrderId": "s1"})
            low = float(sim.price() - 3)
            order = await ex.create_order(SYMBOL, "limit", "buy", 1.0, low, {"clientOrderId": "s2"})
            await ex.cancel_order(order["id"], SYMBOL)
            with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
                await ex.create_order(SYMBOL, "limit", "buy", 1.0, low, {"clientOrderId": "s2"})
            assert [o.client_order_id for o in sim.orders] == ["s1", "s2"]

    run(main)


def test_outage_is_exchange_not_available_until_it_ends() -> None:
    async def main() -> None:
        async with trading(faults=Faults(outage=True)) as (sim, ex):
            with pytest.raises(ccxt.ExchangeNotAvailable, match="503"):
                await ex.load_markets()
            assert last(sim) == ("GET", "/api/v3/exchangeInfo", 503)
            sim.faults.outage = False
            await ex.load_markets()
            assert (await ex.fetch_balance())["USDT"]["free"] == 10_000.0

    run(main)


def test_latency_beyond_the_client_timeout_is_request_timeout() -> None:
    faults = Faults(latency_mu=math.log(0.4), latency_sigma=0.0)

    async def main() -> None:
        async with trading(faults=faults, timeout_ms=150) as (sim, ex):
            with pytest.raises(ccxt.RequestTimeout):
                await ex.fetch_ohlcv(SYMBOL, "1m", limit=5)
            assert sim.delays == [pytest.approx(0.4)]

    run(main)


def test_latency_is_reproducible_from_the_seed() -> None:
    async def delays(seed: int) -> list[float]:
        faults = Faults(latency_mu=math.log(0.002), latency_sigma=1.0)
        async with trading(faults=faults, seed=seed) as (sim, ex):
            for _ in range(3):
                await ex.fetch_ohlcv(SYMBOL, "1m", limit=2)
            return sim.delays

    async def main() -> None:
        a, b, c = await delays(7), await delays(7), await delays(8)
        assert a == b and len(a) == 4 and a != c  # exchangeInfo, then 3 x klines

    run(main)


# -- market data -----------------------------------------------------------------------------


def test_klines_show_no_future_and_the_book_sits_around_the_open() -> None:
    async def main() -> None:
        async with trading(start_bar=10) as (sim, ex):
            rows = await ex.fetch_ohlcv(SYMBOL, "1m", limit=5)
            now = CANDLES.candle(10)
            assert [r[0] for r in rows] == [CANDLES.candle(i).time_ms for i in range(6, 11)]
            assert rows[-1][1:] == [float(now.open)] * 4 + [0.0]  # only the open is known
            past = CANDLES.candle(9)
            assert rows[-2][1:5] == [float(p) for p in (past.open, past.high, past.low, past.close)]
            sim.advance()
            rows = await ex.fetch_ohlcv(SYMBOL, "1m", limit=2)
            assert rows[0][1:5] == [float(p) for p in (now.open, now.high, now.low, now.close)]
            book = await ex.fetch_order_book(SYMBOL, 5)
            opened = float(CANDLES.candle(11).open)
            assert book["bids"][0][0] < opened < book["asks"][0][0]
            assert len(book["bids"]) == len(book["asks"]) == 5

    run(main)


def test_bars_from_numpy_arrays_match_bars_from_the_frame() -> None:
    frame = BARS.iloc[:100]
    arrays = Bars(
        (frame.index.asi8 // 1_000_000).astype("int64"),
        *(frame[c].to_numpy() for c in ("open", "high", "low", "close", "volume")),
    )
    by_arrays, by_frame = SpotEngine(arrays), SpotEngine(frame)
    assert [by_arrays.candle(i) for i in range(100)] == [by_frame.candle(i) for i in range(100)]
    assert by_arrays.bars.step_ms == 60_000
    assert by_frame.candle(0).open == D("60.74") and by_frame.candle(0).time_ms == 1701399600000


def test_fee_tiers_lower_the_rates_once_the_volume_is_traded() -> None:
    """Tier 1 at 1,000 USDT traded: 0.09 % / 0.08 %. The first order pays the base taker
    rate, the next one (after more than 1,000 USDT traded) the tier's, and the account shows it."""
    engine = SpotEngine(BARS, balances={"USDT": 100_000},
                        fee_tiers=[("1000", "0.0009", "0.0008")])  # fmt: skip
    first, _ = engine.place({"symbol": "SOLUSDT", "side": "BUY", "type": "MARKET",
                             "quoteOrderQty": "2000"})  # fmt: skip
    second, _ = engine.place({"symbol": "SOLUSDT", "side": "BUY", "type": "MARKET",
                              "quoteOrderQty": "2000"})  # fmt: skip
    t1, t2 = engine.trades
    assert t1.commission == (t1.qty * Decimal("0.001")).quantize(Decimal("1e-8"))
    assert t2.commission == (t2.qty * Decimal("0.0008")).quantize(Decimal("1e-8"))
    assert engine.rates() == (Decimal("0.0009"), Decimal("0.0008"))
    assert first.status == second.status == "FILLED"


def test_the_market_streams_serve_ccxt_pro_klines_with_the_closed_flag_and_trades() -> None:
    """``watch_ohlcv`` and ``watch_trades`` of the real ccxt pro client work against the
    simulator; a raw client subscribed by ``SUBSCRIBE`` sees each bar open (``x`` false) and
    close (``x`` true) and the account's trade; with repeats on, events come more than once."""
    import aiohttp

    async def main() -> None:
        async with BinanceSpot(BARS, balances={"USDT": 10_000}) as sim:
            exchange = sim.ccxt_pro_exchange()
            raw: list[dict[str, Any]] = []
            async with aiohttp.ClientSession() as http:
                ws = await http.ws_connect(sim.url.replace("http", "ws") + "/ws")
                streams = [sim.market_stream.kline_stream, sim.market_stream.trade_stream]
                await ws.send_json({"method": "SUBSCRIBE", "params": streams, "id": 1})
                assert (await ws.receive_json()) == {"result": None, "id": 1}
                candles = asyncio.ensure_future(exchange.watch_ohlcv(SYMBOL, "1m"))
                trades = asyncio.ensure_future(exchange.watch_trades(SYMBOL))
                await asyncio.sleep(0.3)  # ccxt subscribed
                await exchange.create_order(SYMBOL, "market", "buy", 1.0)
                sim.market_stream.faults.repeat_rate = 0.999
                sim.advance()
                got_candles, got_trades = await asyncio.gather(candles, trades)
                for _ in range(4):
                    raw.append(await asyncio.wait_for(ws.receive_json(), 5))
                await ws.close()
            await exchange.close()
            first = sim.candle(0)
            closed = [c for c in got_candles if c[0] == first.time_ms]
            assert closed and closed[-1][4] == float(first.close)
            assert [(t["price"], t["amount"]) for t in got_trades] == [(float(first.open), 1.0)]
            kinds = [(e["e"], e.get("k", {}).get("x")) for e in raw]
            assert kinds == [("trade", None)] + [("kline", True)] * 3  # the close, three times

    run(main)


def _oco(price: Decimal, client: str) -> dict[str, str]:
    """A sell OCO of 1 SOL around ``price``: take profit 1 % above (limit maker), stop 1 %
    below (stop-loss-limit, limit a tick under the stop)."""
    tick = D("0.01")
    stop = (price * D("0.99")).quantize(tick)
    return {
        "symbol": "SOLUSDT", "side": "SELL", "quantity": "1", "listClientOrderId": client,
        "aboveType": "LIMIT_MAKER", "abovePrice": str((price * D("1.01")).quantize(tick)),
        "belowType": "STOP_LOSS_LIMIT", "belowStopPrice": str(stop),
        "belowPrice": str(stop - tick), "belowTimeInForce": "GTC",
    }  # fmt: skip


def test_an_oco_locks_once_and_one_leg_executing_expires_the_other() -> None:
    """Through the real ccxt client's raw endpoint: an OCO sell of 1 SOL locks 1 SOL once;
    the bars play out until one leg executes, the other expires, nothing stays locked; a
    second list is cancelled by cancelling one leg."""

    async def main() -> None:
        async with trading(balances={"USDT": 10_000, "SOL": 2}) as (sim, exchange):
            reply = await exchange.private_post_orderlist_oco(_oco(sim.price(), "list-1"))
            assert reply["contingencyType"] == "OCO" and len(reply["orderReports"]) == 2
            assert sim.balances["SOL"].locked == 1 and sim.balances["SOL"].free == 1
            with pytest.raises(ccxt.InvalidOrder):  # the prices must straddle the market
                await exchange.private_post_orderlist_oco(
                    {**_oco(sim.price(), "bad"), "abovePrice": str(sim.price() - 1)}
                )
            above, below = sim.orders
            while above.is_open and below.is_open:
                sim.advance()
            done, other = (above, below) if above.status == "FILLED" else (below, above)
            assert other.status == "EXPIRED" and done.status == "FILLED"
            assert sim.balances["SOL"].locked == 0 and sim.balances["SOL"].total == 1
            second = await exchange.private_post_orderlist_oco(_oco(sim.price(), "list-2"))
            leg = second["orders"][0]["orderId"]
            await exchange.cancel_order(str(leg), SYMBOL)
            assert [o.status for o in sim.orders[2:]] == ["CANCELED", "CANCELED"]
            assert sim.balances["SOL"].locked == 0 and sim.balances["SOL"].free == 1

    run(main)
