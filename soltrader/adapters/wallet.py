"""Solana wallets: a signing key that never shows itself, loaded only from a safe place.

A :class:`Wallet` holds an ed25519 keypair and shows only its public key: its ``repr`` and
``str`` name the public key, it refuses to be pickled, and no method returns the secret. It is
loaded from

* a key file in the Solana CLI's format (a JSON array of the 64 secret-key bytes) that only its
  owner can read: a file readable or writable by the group or others, or owned by another user,
  is refused with the command that fixes it; or
* an environment variable holding the same JSON array or the base58 secret key.

Errors name the file or the variable, never a byte of its content. :func:`new_wallet` writes a
fresh key file with mode 0600, refusing to overwrite one. Only the live Solana venue loads a
wallet; nothing reachable from paper mode does.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "bot.json"
>>> wallet = new_wallet(path)
>>> oct(path.stat().st_mode & 0o777)
'0o600'
>>> load_wallet(path).pubkey == wallet.pubkey
True
>>> repr(wallet) == f"Wallet({wallet.pubkey})"
True
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, NoReturn, final

from solders.keypair import Keypair
from solders.message import MessageV0, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from soltrader.domain.errors import Error

_SECRET_LEN = 64


class WalletError(Error):
    """A wallet cannot be loaded or written (the message names the file or variable and the
    fix, never the key)."""


@final
class Wallet:
    """A Solana keypair that shows only its public key (see the module docstring).

    Examples
    --------
    >>> from solders.keypair import Keypair
    >>> wallet = Wallet(Keypair())
    >>> str(wallet) == str(wallet.pubkey)
    True
    """

    __slots__ = ("_keypair",)

    def __init__(self, keypair: Keypair) -> None:
        if not isinstance(keypair, Keypair):
            raise WalletError(f"a Wallet wraps a solders Keypair, got {type(keypair).__name__}")
        object.__setattr__(self, "_keypair", keypair)

    @property
    def pubkey(self) -> Pubkey:
        """The public key (the wallet's address)."""
        return self._keypair.pubkey()

    def sign_message(self, message: bytes) -> Signature:
        """An ed25519 signature of ``message`` (raw bytes)."""
        return self._keypair.sign_message(bytes(message))

    def sign(self, tx: VersionedTransaction) -> VersionedTransaction:
        """``tx`` with this wallet's signature in its slot (other signers' signatures kept):
        the signature is over the versioned message bytes, as validators check it.

        Raises
        ------
        WalletError
            The wallet is not one of the transaction's signers.
        """
        message = tx.message
        signers = list(message.account_keys[: message.header.num_required_signatures])
        if self.pubkey not in signers:
            raise WalletError(f"wallet {self.pubkey} is not a signer of this transaction")
        payload = to_bytes_versioned(message) if isinstance(message, MessageV0) else bytes(message)
        signatures = list(tx.signatures)
        signatures[signers.index(self.pubkey)] = self.sign_message(payload)
        return VersionedTransaction.populate(message, signatures)

    def __repr__(self) -> str:
        return f"Wallet({self.pubkey})"

    def __str__(self) -> str:
        return str(self.pubkey)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("a Wallet is immutable")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a Wallet is never pickled (its secret key would be written out)")

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Wallet is never pickled (its secret key would be written out)")


def _from_text(text: str, where: str) -> Wallet:
    """A wallet from a JSON byte array or a base58 secret key; errors name ``where`` only."""
    text = text.strip()
    try:
        if text.startswith("["):
            raw = json.loads(text)
            if (
                not isinstance(raw, list)
                or len(raw) != _SECRET_LEN
                or not all(isinstance(b, int) and 0 <= b <= 255 for b in raw)
            ):
                raise ValueError
            keypair = Keypair.from_bytes(bytes(raw))
        else:
            keypair = Keypair.from_base58_string(text)
    except BaseException as exc:  # solders may panic (a BaseException) on bad input
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise WalletError(
            f"{where}: not a Solana secret key (expected a JSON array of {_SECRET_LEN} bytes, "
            "as `solana-keygen new` writes, or a base58 secret key)"
        ) from None
    return Wallet(keypair)


def _check_private(path: Path, info: os.stat_result) -> None:
    """Refuse a key file others can read or write, or that belongs to another user."""
    if not stat.S_ISREG(info.st_mode):
        raise WalletError(f"key file {path} is not a regular file")
    uid = getattr(os, "getuid", lambda: info.st_uid)()
    if info.st_uid != uid:
        raise WalletError(
            f"key file {path} belongs to user id {info.st_uid}, not to this user ({uid}); "
            f"fix: chown {uid} {path} (or run as its owner)"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise WalletError(
            f"key file {path} has mode {mode:04o}: the group or others can read or change the "
            f"signing key; fix: chmod 600 {path}"
        )


def load_wallet(path: Path | str) -> Wallet:
    """The wallet in a key file that only its owner can read.

    Parameters
    ----------
    path : Path or str
        A JSON array of the 64 secret-key bytes (Solana CLI format), mode 0600 or 0400.

    Raises
    ------
    WalletError
        The file is missing, not private (with the ``chmod`` / ``chown`` that fixes it), or not
        a key.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise WalletError(f"key file {path} does not exist") from None
    except OSError as exc:
        raise WalletError(f"key file {path} cannot be opened ({exc.strerror})") from None
    with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as handle:
        _check_private(path, os.fstat(handle.fileno()))  # the file opened, not a swapped one
        text = handle.read()
    return _from_text(text, f"key file {path}")


def wallet_from_env(name: str, environ: dict[str, str] | None = None) -> Wallet:
    """The wallet in environment variable ``name`` (a JSON byte array or base58).

    Raises
    ------
    WalletError
        The variable is unset or empty, or holds no key.
    """
    env = os.environ if environ is None else environ
    text = env.get(name, "")
    if not text.strip():
        raise WalletError(f"environment variable {name} is not set (it should hold the key)")
    return _from_text(text, f"environment variable {name}")


def new_wallet(path: Path | str) -> Wallet:
    """Write a new key file (mode 0600, Solana CLI format) and return its wallet.

    Raises
    ------
    WalletError
        The file exists already (a key is never overwritten).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    keypair = Keypair()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise WalletError(f"key file {path} exists already; a key is never overwritten") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # whatever the umask
        handle.write(json.dumps(list(bytes(keypair))))
    return Wallet(keypair)


__all__ = ["Wallet", "WalletError", "load_wallet", "new_wallet", "wallet_from_env"]
