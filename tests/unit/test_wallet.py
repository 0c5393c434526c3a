"""Wallets: key files only their owner can read, keys that never show themselves, signatures
that verify."""

from __future__ import annotations

import json
import logging
import os
import pickle
import traceback
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from soltrader.adapters.wallet import (
    Wallet,
    WalletError,
    load_wallet,
    new_wallet,
    wallet_from_env,
)
from tests.solana_rpc import Chain


def write_key(path: Path, keypair: Keypair, mode: int) -> Path:
    path.write_text(json.dumps(list(bytes(keypair))))
    path.chmod(mode)
    return path


def test_a_private_key_file_loads_and_others_are_refused_with_the_fix(tmp_path: Path) -> None:
    keypair = Keypair()
    ok = write_key(tmp_path / "ok.json", keypair, 0o600)
    assert load_wallet(ok).pubkey == keypair.pubkey()
    assert load_wallet(write_key(tmp_path / "ro.json", keypair, 0o400)).pubkey == keypair.pubkey()
    for mode in (0o644, 0o640, 0o604, 0o660, 0o606):
        loose = write_key(tmp_path / f"k{mode:o}.json", keypair, mode)
        with pytest.raises(WalletError, match=rf"mode {mode:04o}.*fix: chmod 600 {loose}"):
            load_wallet(loose)


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_a_key_file_of_another_user_is_refused(tmp_path: Path) -> None:
    path = write_key(tmp_path / "other.json", Keypair(), 0o600)
    os.chown(path, 12345, -1)
    with pytest.raises(WalletError, match=r"belongs to user id 12345.*fix: chown"):
        load_wallet(path)


def test_missing_bad_and_symlinked_files(tmp_path: Path) -> None:
    with pytest.raises(WalletError, match="does not exist"):
        load_wallet(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2, 3]")
    bad.chmod(0o600)
    with pytest.raises(WalletError, match="not a Solana secret key"):
        load_wallet(bad)
    link = tmp_path / "link.json"
    link.symlink_to(write_key(tmp_path / "real.json", Keypair(), 0o600))
    with pytest.raises(WalletError, match="cannot be opened"):
        load_wallet(link)  # never follows a link to a key


def test_new_wallet_writes_0600_and_never_overwrites(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "keys" / "bot.json"
        wallet = new_wallet(path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_wallet(path).pubkey == wallet.pubkey
    with pytest.raises(WalletError, match="never overwritten"):
        new_wallet(path)
    assert load_wallet(path).pubkey == wallet.pubkey


def test_a_wallet_from_the_environment() -> None:
    keypair = Keypair()
    assert wallet_from_env("K", {"K": str(keypair)}).pubkey == keypair.pubkey()  # base58
    as_json = json.dumps(list(bytes(keypair)))
    assert wallet_from_env("K", {"K": as_json}).pubkey == keypair.pubkey()
    with pytest.raises(WalletError, match="K is not set"):
        wallet_from_env("K", {})
    with pytest.raises(WalletError, match="environment variable K: not a Solana secret key"):
        wallet_from_env("K", {"K": "zzz-not-base58"})


def test_the_secret_never_shows(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    keypair = Keypair()
    secret_b58 = str(keypair)
    secret_json = json.dumps(list(bytes(keypair)))
    wallet = load_wallet(write_key(tmp_path / "k.json", keypair, 0o600))
    caplog.set_level(logging.DEBUG)
    logging.getLogger("soltrader.test").info("wallet %s %r", wallet, wallet)
    texts = [repr(wallet), str(wallet), f"{wallet}", caplog.text]
    with pytest.raises(TypeError) as refused:
        pickle.dumps(wallet)
    texts.append("".join(traceback.format_exception(refused.value)))
    broken = tmp_path / "broken.json"
    broken.write_text(secret_json[:-5] + "]")  # a damaged key: its bytes must not be echoed
    broken.chmod(0o600)
    with pytest.raises(WalletError) as damaged:
        load_wallet(broken)
    texts.append("".join(traceback.format_exception(damaged.value)))
    with pytest.raises(WalletError) as env_bad:
        wallet_from_env("K", {"K": secret_b58[:-3] + "0OI"})  # not base58: still not shown
    texts.append("".join(traceback.format_exception(env_bad.value)))
    joined = "\n".join(texts)
    assert secret_b58 not in joined and secret_b58[:20] not in joined
    assert secret_json[1:40] not in joined
    with pytest.raises(AttributeError):
        wallet._keypair = Keypair()  # type: ignore[misc]


def test_a_signed_transfer_verifies_and_executes() -> None:
    chain = Chain()
    payer = chain.funded_keypair(10**9)
    wallet = Wallet(payer)
    target = Keypair().pubkey()
    ix = transfer(TransferParams(from_pubkey=wallet.pubkey, to_pubkey=target, lamports=10**7))
    msg = MessageV0.try_compile(wallet.pubkey, [ix], [], chain.blockhash)
    unsigned = VersionedTransaction.populate(msg, [Signature.default()])
    signed = wallet.sign(unsigned)
    assert signed.verify_with_results() == [True]
    assert bytes(signed) == bytes(VersionedTransaction(msg, [payer]))  # as solders signs it
    chain.submit(signed)
    chain.advance()
    assert chain.balance(target) == 10**7
    with pytest.raises(WalletError, match="not a signer"):
        Wallet(Keypair()).sign(unsigned)
