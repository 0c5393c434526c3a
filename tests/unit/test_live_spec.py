"""Live specs: strict tables (an unknown key anywhere is named), credentials that never show,
fills at the close refused with the reason, and promote writing a file that reads back."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

import soltrader as st
from soltrader.engine.live_spec import (
    CONFIRM_REAL_MONEY,
    parse_live_spec,
    promote,
)

SENTINEL = "SENTINEL-KEY-93af1c"


def _raw(**tables: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "data": {"symbol": "SOL/USDT", "timeframe": "1m"},
        "strategy": {"name": "sma_cross"},
        "params": {"fast": 10, "slow": 50, "fees": 0.001},
    }
    raw.update(tables)
    return raw


@pytest.mark.parametrize(
    ("tables", "where"),
    [
        ({"live": {"vneue": "paper"}}, "live.vneue"),
        ({"live": {"feed": {"ws_ulr": "ws://127.0.0.1:1"}}}, "live.feed.ws_ulr"),
        ({"risk": {"kill_drawdwn": 0.1}}, "risk.kill_drawdwn"),
        ({"ops": {"health_prot": 8080}}, "ops.health_prot"),
        ({"data": {"symbol": "SOL/USDT", "timeframe": "1m", "exhcange": "x"}}, "data.exhcange"),
        ({"live": {"credentials": {"api_kye": SENTINEL}}}, "live.credentials.api_kye"),
    ],
)
def test_an_unknown_key_is_named_with_its_table(tables: dict, where: str) -> None:
    with pytest.raises(st.ParameterError) as err:
        parse_live_spec(_raw(**tables))
    assert err.value.name == where
    assert "unknown key" in str(err.value)
    assert SENTINEL not in str(err.value)


def test_wrong_values_are_named_without_echoing_them() -> None:
    with pytest.raises(st.ParameterError) as err:
        parse_live_spec(_raw(risk={"kill_drawdown": 1.5}))
    assert err.value.name == "risk.kill_drawdown"
    with pytest.raises(st.ParameterError) as err:
        parse_live_spec(_raw(live={"credentials": {"api_key": 12345}}))
    assert err.value.name.startswith("live.credentials.api_key")
    assert "12345" not in str(err.value)


def test_fill_at_the_close_is_refused_with_the_reason() -> None:
    raw = _raw()
    raw["params"]["fill"] = "close"
    with pytest.raises(st.ParameterError, match="next bar's open") as err:
        parse_live_spec(raw)
    assert err.value.name == "params.fill"


def test_credentials_never_show() -> None:
    spec = parse_live_spec(
        _raw(live={"credentials": {"api_key": SENTINEL, "api_secret": SENTINEL + "x"}})
    )
    assert SENTINEL not in repr(spec) and SENTINEL not in str(spec)
    assert SENTINEL not in repr(spec.model_dump())
    assert spec.live.credentials.api_key.reveal() == SENTINEL


def test_a_real_venue_needs_the_confirmation() -> None:
    kill = {"kill_drawdown": 0.2}
    with pytest.raises(st.ParameterError) as err:
        parse_live_spec(_raw(live={"venue": "ccxt"}, ccxt={}, risk=kill))
    assert err.value.name == "live.confirm"
    spec = parse_live_spec(
        _raw(live={"venue": "ccxt", "confirm": CONFIRM_REAL_MONEY}, ccxt={}, risk=kill)
    )
    assert spec.live.venue == "ccxt" and spec.ccxt is not None


@pytest.mark.parametrize(
    ("tables", "key"),
    [
        ({"risk": {"kill_drawdown": 0.2}}, "ccxt"),
        ({"ccxt": {}}, "risk.kill_drawdown"),
        (
            {"ccxt": {}, "risk": {"kill_drawdown": 0.2}, "params": {"sl_stop": 0.02}},
            "params.sl_stop",
        ),
        (
            {"ccxt": {"key_env": "K", "secret_env": "K"}, "risk": {"kill_drawdown": 0.2}},
            "ccxt.secret_env",
        ),
        (
            {"ccxt": {"unknown_orders": "adopt"}, "risk": {"kill_drawdown": 0.2}},
            "ccxt.unknown_orders",
        ),
        ({"ccxt": {"exhcange": "binance"}, "risk": {"kill_drawdown": 0.2}}, "ccxt.exhcange"),
    ],
)
def test_a_ccxt_venue_spec_is_refused_naming_what_is_missing(tables: Any, key: str) -> None:
    raw = _raw(live={"venue": "ccxt", "confirm": CONFIRM_REAL_MONEY}, **tables)
    if "params" in tables:
        raw["params"] = {"fast": 10, "slow": 50, **tables["params"]}
    with pytest.raises(st.ParameterError) as err:
        parse_live_spec(raw)
    assert err.value.name == key


def test_risk_limits_not_named_are_off_and_reach_the_backtest() -> None:
    spec = parse_live_spec(_raw(risk={"hard_drawdown": 0.3, "kill_drawdown": 0.2}))
    kw = spec.backtest_kwargs()
    assert kw["risk"].hard_drawdown == 0.3 and kw["risk"].daily_loss_limit is None
    assert kw["control"] == "normal"
    assert "risk" not in parse_live_spec(_raw(risk={"kill_drawdown": 0.2})).backtest_kwargs()


def test_promote_writes_a_spec_that_reads_back(tmp_path: Path) -> None:
    path = promote(
        st.strategies.sma_cross,
        {"fast": 10, "slow": 50, "fees": 0.001},
        tmp_path / "live" / "sma.toml",
        symbol="SOL/USDT",
        timeframe="1m",
        risk={"kill_drawdown": 0.25},
    )
    raw = tomllib.loads(path.read_text())
    spec = parse_live_spec(raw)
    assert spec.strategy.name == "sma_cross" and spec.params["fast"] == 10
    assert spec.risk.kill_drawdown == 0.25 and spec.live.venue == "paper"
    with pytest.raises(st.ParameterError, match="exists"):
        promote(st.strategies.sma_cross, {}, path, symbol="SOL/USDT", timeframe="1m")


def test_promote_refuses_unknown_parameters(tmp_path: Path) -> None:
    with pytest.raises(st.ParameterError):
        promote(
            st.strategies.sma_cross, {"fsat": 10}, tmp_path / "x.toml", symbol="S", timeframe="1m"
        )


# ------------------------------------------------------------------------------- [solana]

SOL_MINT = "So11111111111111111111111111111111111111112"
USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"


def _solana(**over: Any) -> dict[str, Any]:
    table: dict[str, Any] = {
        "base_mint": SOL_MINT,
        "quote_mint": USDC_MINT,
        "base_decimals": 9,
        "quote_decimals": 6,
        "priority_fee_lamports": 20_000,
        "jito_tip_lamports": 10_000,
        "fail_rate": 0.02,
        "pool_liquidity": 5e6,
        "rpc": [{"label": "main", "url_env": "MAIN_RPC_URL"}],
        "jupiter_key_env": "JUPITER_API_KEY",
    }
    table.update(over)
    return table


def test_a_solana_table_gives_the_backtest_and_the_paper_venue_the_same_costs() -> None:
    spec = parse_live_spec(_raw(solana=_solana()))
    kw = spec.backtest_kwargs()
    assert kw["solana"] == st.costs.SolanaTxCost(
        base_fee=5_000, priority_fee=20_000, jito_tip=10_000, fail_rate=0.02
    )
    assert kw["amm"] == st.costs.AMMPool(liquidity=5e6, fee=0.0025)
    assert spec.backtest_spec().params["solana"] == kw["solana"]  # `soltrader backtest SPEC`
    assert spec.solana.rpc[0].url_env == "MAIN_RPC_URL"  # a variable's name, never a URL


@pytest.mark.parametrize(
    ("over", "where", "words"),
    [
        ({"base_mint": "not-a-mint"}, "solana.base_mint", "pattern"),
        ({"slippage_bps": 300}, "solana.slippage_bps", "above max_slippage_bps"),
        ({"quote_mint": SOL_MINT}, "solana.quote_mint", "must differ"),
        (
            {"rpc": [{"label": "x", "url_env": "X", "url": "https://rpc?api-key=k"}]},
            "solana.rpc.0.url",
            "unknown",
        ),
        ({"fail_rate": 1.5}, "solana.fail_rate", "less than or equal"),
        ({"wallet": "k.json", "wallet_env": "W"}, "solana.wallet_env", "or wallet_env"),
        ({"slipage_bps": 10}, "solana.slipage_bps", "unknown key"),
    ],
)
def test_a_bad_solana_table_is_named(over: dict, where: str, words: str) -> None:
    with pytest.raises(st.ParameterError) as err:
        parse_live_spec(_raw(solana=_solana(**over)))
    assert err.value.name == where
    assert words in str(err.value)
    assert "api-key=k" not in str(err.value)


def test_solana_costs_are_not_given_twice() -> None:
    raw = _raw(solana=_solana())
    raw["params"] = {**raw["params"], "solana": "x"}
    with pytest.raises(st.ParameterError, match=r"params\.solana: set by the \[solana\] table"):
        parse_live_spec(raw)


def test_a_solana_paper_replay_equals_its_backtest() -> None:
    """The paper venue (the live loop's, stepped bar by bar) charges the [solana] costs exactly
    as the backtest does: same trades, same equity."""
    from tests.conftest import read_sample_bars

    bars = read_sample_bars("binance", "SOL-USDT", "1m").iloc[-3_000:]
    spec = parse_live_spec(_raw(solana=_solana()))
    kw = spec.backtest_kwargs()
    kw.pop("control")
    ref = st.backtest(bars, st.strategies.sma_cross, **kw)
    replay = st.paper_replay(bars, st.strategies.sma_cross, window=2_000, **kw)
    assert len(ref.trades_records) > 0
    assert replay.trades_records.tobytes() == ref.trades_records.tobytes()
    assert (replay.account_equity.to_numpy() == ref.account_equity.to_numpy()).all()


def _solana_venue(**over: Any) -> dict[str, Any]:
    raw = _raw(
        live={"venue": "solana", "confirm": CONFIRM_REAL_MONEY},
        risk={"kill_drawdown": 0.2},
        solana=_solana(jito_tip_lamports=0, wallet_env="SOL_WALLET"),
    )
    for table, values in over.items():
        raw[table] = {**raw.get(table, {}), **values}
    return raw


def test_the_solana_venue_with_a_wallet_rpc_and_kill_switch_is_accepted() -> None:
    spec = parse_live_spec(_solana_venue())
    assert spec.live.venue == "solana" and spec.solana.wallet_env == "SOL_WALLET"


@pytest.mark.parametrize(
    ("over", "where", "words"),
    [
        ({"solana": {"wallet_env": None}}, "solana.wallet", "give wallet or wallet_env"),
        ({"solana": {"rpc": []}}, "solana.rpc", "at least one"),
        ({"solana": {"jito_tip_lamports": 5_000}}, "solana.jito_tip_lamports", "not wired"),
        ({"risk": {"kill_drawdown": None}}, "risk.kill_drawdown", "needs a kill switch"),
        ({"params": {"sl_stop": 0.02}}, "params.sl_stop", "market swaps only"),
        ({"params": {"order_type": "limit"}}, "params.order_type", "market swaps only"),
        ({"params": {"leverage": 3.0}}, "params.leverage", "market swaps only"),
        ({"live": {"confirm": None}}, "live.confirm", "trades real money"),
    ],
)
def test_what_the_solana_venue_cannot_do_is_named(over: dict, where: str, words: str) -> None:
    with pytest.raises(st.ParameterError) as err:
        parse_live_spec(_solana_venue(**over))
    assert err.value.name == where and words in str(err.value)


def test_the_solana_venue_needs_its_table() -> None:
    raw = _solana_venue()
    del raw["solana"]
    with pytest.raises(st.ParameterError) as err:
        parse_live_spec(raw)
    assert err.value.name == "solana"


def test_lamport_fees_are_priced_in_sol_or_refused() -> None:
    """The fees are priced at the close for a SOL base, at 1 for a SOL quote, else at the
    spec's sol_price; without one, a non-SOL pair paying fees is refused when read."""
    usdc, jup = (
        "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
        "JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN",
    )
    raw = {"data": {"symbol": "JUP/USDC", "timeframe": "1m"}, "strategy": {"name": "sma_cross"}}
    table = {"base_decimals": 6, "quote_decimals": 6}

    def spec(**solana):
        return parse_live_spec({**raw, "solana": {**table, **solana}})

    assert spec(base_mint=SOL_MINT, quote_mint=usdc).solana.fee_sol_price() is None
    assert spec(base_mint=jup, quote_mint=SOL_MINT).solana.fee_sol_price() == 1.0
    priced = spec(base_mint=jup, quote_mint=usdc, sol_price=150.0)
    assert priced.backtest_kwargs()["solana"].sol_price == 150.0
    with pytest.raises(st.ParameterError, match=r"solana\.sol_price: neither mint is wrapped SOL"):
        spec(base_mint=jup, quote_mint=usdc)
    free = spec(base_mint=jup, quote_mint=usdc, base_fee_lamports=0, priority_fee_lamports=0)
    assert free.solana.fee_sol_price() is None  # nothing to price
