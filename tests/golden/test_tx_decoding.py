"""Real mainnet ``getTransaction`` responses and transaction ``meta`` objects decoded by
``soltrader.dex.transactions``, against legs and token deltas read by hand from the JSON
(``data/solana/tx/swap_legs_expected.json`` and ``token_deltas_expected.json``, each case with a
``how`` note giving the arithmetic)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from soltrader.dex.transactions import (
    WSOL_MINT,
    AmbiguousSwapError,
    SolDelta,
    SwapLegs,
    account_keys,
    sol_delta,
    swap_legs,
    token_deltas,
)
from soltrader.domain.errors import DataError

HERE = Path(__file__).parent / "data" / "solana" / "tx"
SWAPS = json.loads((HERE / "swap_legs_expected.json").read_text())
METAS = json.loads((HERE / "token_deltas_expected.json").read_text())
SWAP_CASES = sorted(k for k in SWAPS if not k.startswith("_"))
META_CASES = sorted(k for k in METAS if not k.startswith("_"))
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TOKEN_2022 = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"
RAYDIUM = "getTransaction_raydium_clmm_swap_sol_slot376411673.json"
ROUTER = "getTransaction_router_pumpswap_swap_sol_slot376396640.json"


def load(name: str) -> dict[str, Any]:
    return json.loads((HERE / name).read_text())


@pytest.mark.parametrize("name", SWAP_CASES)
def test_swap_legs_match_the_hand_read_values(name: str) -> None:
    want = SWAPS[name]
    legs = swap_legs(load(name), want["owner"])
    assert (legs if legs is None else legs._asdict()) == want["legs"]


@pytest.mark.parametrize("name", SWAP_CASES)
def test_sol_delta_splits_fee_rent_and_wrapped_sol(name: str) -> None:
    want = SWAPS[name]
    assert sol_delta(load(name), want["owner"]) == SolDelta(**want["sol"])


@pytest.mark.parametrize("name", SWAP_CASES)
def test_the_response_and_its_result_read_the_same(name: str) -> None:
    doc, owner = load(name), SWAPS[name]["owner"]
    assert len(account_keys(doc)) == SWAPS[name]["n_account_keys"]
    assert account_keys(doc) == account_keys(doc["result"])
    assert swap_legs(doc, owner) == swap_legs(doc["result"], owner)
    assert token_deltas(doc, owner) == token_deltas({"meta": doc["result"]["meta"]}, owner)


def test_lookup_table_addresses_extend_the_static_keys_in_order() -> None:
    result = load(ROUTER)["result"]
    keys = account_keys(result)
    loaded = result["meta"]["loadedAddresses"]
    assert keys == [
        *result["transaction"]["message"]["accountKeys"],
        *loaded["writable"],
        *loaded["readonly"],
    ]
    # the owner's wSOL source of the router's pool leg (index 12) sits in a lookup table
    assert keys[12] == "2rikd7tzPbmowhUJzPNVtX7fuUGcnBa8jqJnx6HbtHeE"
    assert keys[24] == "8k1DvnFBsbuWJw2t4JqTibR7cAgqadMveqiykMr1pump"


def test_a_token_2022_leg_keeps_its_program_and_decimals() -> None:
    name = "getTransaction_pumpswap_amm_swap_sol_slot376243586.json"
    (delta,) = token_deltas(load(name), SWAPS[name]["owner"])
    assert (delta.program_id, delta.decimals, delta.delta) == (TOKEN_2022, 9, -468934276696458)


def test_the_swap_counterparties_mirror_the_owner() -> None:
    """The pool side of each swap moves the same amounts the other way (a check of the data)."""
    result = load(RAYDIUM)["result"]
    pool = "EM4Fvu4G3qLuSNdBeturuHzqh871hh1evxY7RLBoF6ZL"
    deltas = {d.mint: d.delta for d in token_deltas(result, pool)}
    assert deltas == {
        WSOL_MINT: 300000000,
        "7eR1yv7pUzhaqQneKJ2fmVTRuzY61ja5KwfbBrLsq1Gu": -807769528641,
    }


@pytest.mark.parametrize("name", META_CASES)
def test_token_deltas_of_bare_meta_objects(name: str) -> None:
    meta = load(name)
    assert set(meta) >= {"preTokenBalances", "postTokenBalances", "fee"}
    assert "transaction" not in meta and "accountKeys" not in meta  # meta only: no keys
    for owner, want in METAS[name]["deltas"].items():
        got = token_deltas({"meta": meta}, owner)
        assert [(d.mint, d.decimals, d.pre, d.post, d.delta) for d in got] == [
            (w["mint"], w["decimals"], w["pre"], w["post"], w["delta"]) for w in want
        ]
        assert {d.program_id for d in got} == {TOKEN_PROGRAM}


@pytest.mark.parametrize("name", META_CASES)
def test_bare_meta_objects_conserve_every_mint(name: str) -> None:
    """No mint or burn in these swaps: over all owners each mint's deltas add up to 0."""
    totals: dict[str, int] = {}
    for owner in METAS[name]["deltas"]:
        for d in token_deltas({"meta": load(name)}, owner):
            totals[d.mint] = totals.get(d.mint, 0) + d.delta
    assert set(totals.values()) == {0}


# --- failures, non-swaps and malformed input ----------------------------------------------------


def failed(result: dict[str, Any]) -> dict[str, Any]:
    """The result as if the swap had failed: nothing moved but the fee payer's fee."""
    out = copy.deepcopy(result)
    meta = out["meta"]
    meta["err"] = {"InstructionError": [4, {"Custom": 6022}]}
    meta["status"] = {"Err": meta["err"]}
    meta["postBalances"] = list(meta["preBalances"])
    meta["postBalances"][0] -= meta["fee"]
    meta["postTokenBalances"] = copy.deepcopy(meta["preTokenBalances"])
    return out


def test_a_failed_swap_executes_no_leg_but_pays_its_fee() -> None:
    result, owner = failed(load(RAYDIUM)["result"]), SWAPS[RAYDIUM]["owner"]
    error = {"InstructionError": [4, {"Custom": 6022}]}
    signature = result["transaction"]["signatures"][0]
    assert swap_legs(result, owner) == SwapLegs(
        mint_in=None, amount_in=0, mint_out=None, amount_out=0, fee_lamports=6500,
        signature=signature, slot=376411673, block_time=1761676473, ok=False, error=error,
    )  # fmt: skip
    assert sol_delta(result, owner).sol == 0  # the fee is all it lost
    assert [d.delta for d in token_deltas(result, owner)] == [0]


def test_someone_else_paid_the_fee() -> None:
    """A wallet that is not key 0 pays no fee: a pool's legs carry fee_lamports 0."""
    result = load(RAYDIUM)["result"]
    pool = "EM4Fvu4G3qLuSNdBeturuHzqh871hh1evxY7RLBoF6ZL"
    legs = swap_legs(result, pool)
    assert legs is not None and legs.fee_lamports == 0
    assert (legs.mint_in, legs.amount_in) == (
        "7eR1yv7pUzhaqQneKJ2fmVTRuzY61ja5KwfbBrLsq1Gu",
        807769528641,
    )
    assert (legs.mint_out, legs.amount_out) == (WSOL_MINT, 300000000)


def test_a_wallet_outside_the_transaction_changed_nothing() -> None:
    result, stranger = load(RAYDIUM)["result"], "9" * 32
    assert token_deltas(result, stranger) == []
    assert sol_delta(result, stranger) == SolDelta(0, 0, 0, 0)
    assert swap_legs(result, stranger) is None


def test_two_assets_given_up_is_not_one_swap() -> None:
    result = copy.deepcopy(load(RAYDIUM)["result"])
    owner = SWAPS[RAYDIUM]["owner"]
    # the owner also gives up 5 units of another mint, from an account it closes (index 20)
    result["meta"]["preTokenBalances"].append(
        {
            "accountIndex": 20,
            "mint": "M" * 32,
            "owner": owner,
            "uiTokenAmount": {"amount": "5", "decimals": 0},
        }
    )
    with pytest.raises(AmbiguousSwapError) as info:
        swap_legs(result, owner)
    assert isinstance(info.value, DataError) and info.value.code == "ambiguous_swap"


def without(result: dict[str, Any], field: str) -> dict[str, Any]:
    """A copy of ``result`` lacking the field at the dotted path ``field`` (``a.b[2].c``)."""
    steps = [int(s) if s.isdigit() else s for s in re.findall(r"[^.\[\]]+", field)]
    out = copy.deepcopy(result)
    node: Any = out
    for step in steps[:-1]:
        node = node[step]
    del node[steps[-1]]
    return out


@pytest.mark.parametrize(
    "field",
    [
        "meta.postTokenBalances[2].uiTokenAmount.amount",
        "meta.postTokenBalances[0].uiTokenAmount.decimals",
        "meta.preTokenBalances[0].owner",
        "meta.preTokenBalances[1].accountIndex",
        "meta.preTokenBalances[3].mint",
        "meta.postTokenBalances",
        "meta.preBalances",
        "meta.fee",
        "meta.err",
        "meta.loadedAddresses.writable",
        "transaction.message.accountKeys",
        "transaction.signatures",
        "slot",
    ],
)
def test_a_missing_field_is_named_by_its_path(field: str) -> None:
    result = without(load(ROUTER)["result"], field)
    with pytest.raises(DataError) as info:
        swap_legs(result, SWAPS[ROUTER]["owner"])
    assert info.value.field == field and field in str(info.value)


@pytest.mark.parametrize(
    ("value", "code"),
    [(None, "bad_type"), ("12.5", "bad_type"), (125, "bad_type"), ("-3", "bad_type")],
)
def test_an_amount_must_be_an_exact_integer_string(value: Any, code: str) -> None:
    result = copy.deepcopy(load(RAYDIUM)["result"])
    result["meta"]["postTokenBalances"][0]["uiTokenAmount"]["amount"] = value
    with pytest.raises(DataError) as info:
        token_deltas(result, SWAPS[RAYDIUM]["owner"])
    assert info.value.code == code
    assert info.value.field == "meta.postTokenBalances[0].uiTokenAmount.amount"


def test_lookup_addresses_must_match_the_lookup_tables() -> None:
    result = copy.deepcopy(load(ROUTER)["result"])
    result["meta"]["loadedAddresses"]["readonly"].pop()
    with pytest.raises(DataError) as info:
        account_keys(result)
    assert info.value.field == "meta.loadedAddresses.readonly"


def test_balances_must_cover_every_account_key() -> None:
    result = copy.deepcopy(load(ROUTER)["result"])
    result["meta"]["postBalances"].pop()
    with pytest.raises(DataError) as info:
        sol_delta(result, SWAPS[ROUTER]["owner"])
    assert info.value.field == "meta.postBalances"


def test_a_repeated_account_index_is_refused() -> None:
    result = copy.deepcopy(load(RAYDIUM)["result"])
    result["meta"]["preTokenBalances"].append(result["meta"]["preTokenBalances"][0])
    with pytest.raises(DataError) as info:
        token_deltas(result, SWAPS[RAYDIUM]["owner"])
    assert info.value.field == "meta.preTokenBalances[3].accountIndex"


def test_an_unknown_transaction_is_refused() -> None:
    with pytest.raises(DataError) as info:
        swap_legs({"jsonrpc": "2.0", "result": None, "id": 1}, SWAPS[RAYDIUM]["owner"])
    assert info.value.field == "result" and info.value.code == "not_found"


@pytest.mark.parametrize("name", SWAP_CASES)
def test_keys_and_deltas_agree_with_solders_and_the_venue_parser(name: str) -> None:
    """Independent readings of the same response: solders' account keys, and the Solana venue's
    lamport and token changes, for every key of the transaction."""
    solders_responses = pytest.importorskip("solders.rpc.responses")
    from solders.pubkey import Pubkey
    from solders.signature import Signature

    from soltrader.adapters.solana_rpc import parse_transaction

    doc = load(name)
    keys = account_keys(doc)
    theirs = solders_responses.GetTransactionResp.from_json(json.dumps(doc)).value.transaction
    loaded = theirs.meta.loaded_addresses
    static = theirs.transaction.message.account_keys
    assert [str(k) for k in (*static, *loaded.writable, *loaded.readonly)] == keys
    venue = parse_transaction(Signature.default(), doc["result"])
    for owner in keys:
        pk = Pubkey.from_string(owner)
        mints = {b.mint for b in (*venue.pre_tokens, *venue.post_tokens) if b.owner == pk}
        assert {d.mint: d.delta for d in token_deltas(doc, owner)} == {
            str(m): venue.token_delta(pk, m) for m in mints
        }
        assert sol_delta(doc, owner).native == venue.lamport_delta(pk)
