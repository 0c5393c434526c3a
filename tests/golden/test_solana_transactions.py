"""Real ``getTransaction`` responses (mainnet swaps and a transfer) booked the way the Solana
venue books a landed swap: fee, error, the signer's lamport change and its token changes per
mint, against values read by hand (expected.json) and against solders' own parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from solders.pubkey import Pubkey
from solders.rpc.responses import GetTransactionResp
from solders.signature import Signature

from soltrader.adapters.solana_rpc import parse_transaction

HERE = Path(__file__).parent / "solana" / "getTransaction"
EXPECTED = json.loads((HERE / "expected.json").read_text())
CASES = sorted(k for k in EXPECTED if not k.startswith("_"))


@pytest.mark.parametrize("name", CASES)
def test_a_real_transaction_is_booked_from_its_balances(name: str) -> None:
    doc = json.loads((HERE / name).read_text())
    want = EXPECTED[name]
    tx = parse_transaction(Signature.default(), doc["result"])
    signer = Pubkey.from_string(want["signer"])
    assert tx.fee == want["fee"] and tx.err is None
    assert tx.lamport_delta(signer) == want["lamports"]
    mints = {b.mint for b in (*tx.pre_tokens, *tx.post_tokens) if b.owner == signer}
    deltas = {str(m): tx.token_delta(signer, m) for m in mints}
    assert {m: d for m, d in deltas.items() if d} == want["tokens"]
    # solders reads the same numbers from the same response
    theirs = GetTransactionResp.from_json(json.dumps(doc)).value.transaction.meta
    assert theirs.fee == tx.fee
    assert list(theirs.pre_balances) == list(tx.pre_lamports)
    assert list(theirs.post_balances) == list(tx.post_lamports)
    assert len(theirs.post_token_balances) == len(tx.post_tokens)
    assert tx.slot == doc["result"]["slot"]
