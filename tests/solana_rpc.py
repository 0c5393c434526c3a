"""A Solana JSON-RPC server on 127.0.0.1 over a real Solana runtime in process (LiteSVM).

The live Solana venue is tested against this instead of fakes: transactions are decoded,
signature-checked and executed by ``solders.litesvm.LiteSVM`` (System and SPL Token programs,
fees, compute units, lookup tables), and the chain around it is modelled here, because LiteSVM
keeps one blockhash and no token balances:

* **blocks**: :meth:`Chain.advance` produces blocks one by one (block height and slot + 1, a new
  blockhash whose ``lastValidBlockHeight`` is the height + ``blocks_valid``, 150 as on mainnet);
  :meth:`Chain.produce` does it on a timer;
* **landing**: a sent transaction waits in a queue and lands in a later block, the way a leader
  includes it, unless its blockhash has expired by then (it is dropped: never lands) or a fault
  keeps it out; a signature lands at most once, whatever was re-sent;
* **balances**: each landed transaction keeps the lamports and SPL token balances of its accounts
  before and after, so ``getTransaction`` returns ``preTokenBalances`` / ``postTokenBalances``
  and ``preBalances`` / ``postBalances`` computed from the accounts themselves.

:class:`RpcEndpoint` serves one chain over JSON-RPC 2.0 (aiohttp), with its own switchable faults
(429 with ``Retry-After`` from a sliding window, a slow endpoint, a dead one, a node that is
behind, a reply lost after the send was accepted). Several endpoints over one chain are the
several providers of an RPC pool. :class:`ChainFaults` are the chain's own, seeded: dropped sends,
delayed landing, transactions that never land, a block height that jumps past expiry.

Run on its own for manual use (a funded wallet is written to the key file, mode 0600)::

    python -m tests.solana_rpc --port 8899 --block-ms 400 --key-file /tmp/local-wallet.json
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import random
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import base58
from aiohttp import web
from solders.account import Account
from solders.address_lookup_table_account import AddressLookupTable
from solders.hash import Hash
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.token.state import Mint, TokenAccount, TokenAccountState
from solders.transaction import VersionedTransaction

TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
LOOKUP_TABLE_PROGRAM = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")
_TOKEN_PROGRAMS = (TOKEN_PROGRAM, TOKEN_2022_PROGRAM)
_TOKEN_ACCOUNT_LEN = 165
_MINT_LEN = 82
FIRST_SLOT = 300_000_000
FIRST_TIME_S = 1_760_000_000
SLOTS_PER_BLOCK = 1  # no skipped slots

# JSON-RPC error codes as Solana nodes use them
INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
PREFLIGHT_FAILURE = -32002
SIGNATURE_FAILURE = -32003
NODE_BEHIND = -32005


@dataclass
class ChainFaults:
    """Seeded faults of the chain (each send is numbered 0, 1, 2, ... in arrival order).

    Attributes
    ----------
    drop_sends : frozenset of int
        Sends accepted (their signature returned) that never land.
    drop_rate : float
        Probability that any other send is dropped the same way.
    delay_blocks : int
        Blocks between a send and its landing (0: the next block).
    delay_sends : dict of int to int
        Per-send landing delays in blocks, overriding ``delay_blocks`` and the drop faults
        (such a send lands after its delay, if its blockhash is still valid).
    never_land : bool
        Nothing lands at all (every blockhash expires first).
    seed : int
        Seed of ``drop_rate``'s draws.
    """

    drop_sends: frozenset[int] = frozenset()
    drop_rate: float = 0.0
    delay_blocks: int = 0
    delay_sends: dict[int, int] = field(default_factory=dict)
    never_land: bool = False
    seed: int = 0


@dataclass(frozen=True)
class Balances:
    """An account's lamports and, for an SPL token account, its mint, owner, program, amount
    (atomic units) and the mint's decimals."""

    lamports: int
    mint: Pubkey | None = None
    owner: Pubkey | None = None
    program: Pubkey | None = None
    amount: int = 0
    decimals: int = 0


@dataclass(frozen=True)
class Landed:
    """A transaction that landed: where, with which result, and its accounts around it."""

    signature: Signature
    tx: VersionedTransaction
    slot: int
    height: int
    block_time: int
    err: Any  # the error as JSON (None: success)
    fee: int
    logs: list[str]
    units: int
    keys: list[Pubkey]  # static keys, then the lookup tables' writable, then readonly ones
    loaded: tuple[list[str], list[str]]
    pre: list[Balances]
    post: list[Balances]


@dataclass
class _Pending:
    tx: VersionedTransaction
    land_at: int  # block height at which it lands
    number: int


class Chain:
    """A LiteSVM runtime with blocks, blockhash expiry and a landing queue (module docstring).

    Parameters
    ----------
    blocks_valid : int
        Blocks a blockhash stays valid after the block that made it (150 on mainnet).
    finalize_after : int
        Blocks after which a landed transaction is ``finalized`` (32 on mainnet).
    faults : ChainFaults, optional
        The chain's faults.

    Examples
    --------
    >>> chain = Chain()
    >>> payer = chain.funded_keypair(2 * 10**9)
    >>> chain.balance(payer.pubkey())
    2000000000
    >>> before = chain.height; chain.advance(3); chain.height - before
    3
    """

    def __init__(
        self,
        *,
        blocks_valid: int = 150,
        finalize_after: int = 32,
        faults: ChainFaults | None = None,
    ) -> None:
        self.svm = LiteSVM().with_blockhash_check(False)  # expiry is modelled here
        self.faults = faults or ChainFaults()
        self.blocks_valid = blocks_valid
        self.finalize_after = finalize_after
        #: Blocks a landed transaction stays ``processed`` before it is ``confirmed`` (0: at once).
        self.confirm_depth = 0
        self.height = 0
        self.slot = FIRST_SLOT
        self.sends = 0  # sendTransaction calls accepted
        self.dropped = 0  # sends that will never land (faults)
        self.expired = 0  # sends whose blockhash expired before they could land
        self.landed: dict[Signature, Landed] = {}
        self.submitted: list[Signature] = []  # the signature of every send, in order
        self.priority_fees: list[int] = [0, 1_000, 5_000, 20_000]  # micro-lamports per CU
        self._valid: dict[Hash, int] = {}  # blockhash -> lastValidBlockHeight
        self._blockhash = self._new_blockhash()
        self._pending: list[_Pending] = []
        self._rng = random.Random(self.faults.seed)
        self._producer: asyncio.Task[None] | None = None

    # -- accounts ---------------------------------------------------------------------------

    def funded_keypair(self, lamports: int) -> Keypair:
        """A new keypair holding ``lamports``."""
        kp = Keypair()
        self.svm.airdrop(kp.pubkey(), lamports)
        return kp

    def balance(self, key: Pubkey) -> int:
        """Lamports of ``key`` (0 for no account)."""
        account = self.svm.get_account(key)
        return 0 if account is None else account.lamports

    def create_mint(self, decimals: int, authority: Pubkey | None = None) -> Pubkey:
        """A new SPL token mint (written directly, as a genesis account)."""
        address = Keypair().pubkey()
        mint = Mint(
            mint_authority=authority, supply=0, decimals=decimals, is_initialized=True,
            freeze_authority=None,
        )  # fmt: skip
        self._put(address, bytes(mint), TOKEN_PROGRAM)
        return address

    def create_token_account(
        self, mint: Pubkey, owner: Pubkey, amount: int, address: Pubkey | None = None
    ) -> Pubkey:
        """A token account of ``owner`` holding ``amount`` atomic units of ``mint`` (the
        mint's supply grows by it)."""
        address = address or Keypair().pubkey()
        state = TokenAccount(
            mint=mint, owner=owner, amount=amount, delegate=None, state=_INITIALIZED,
            is_native=None, delegated_amount=0, close_authority=None,
        )  # fmt: skip
        self._put(address, bytes(state), TOKEN_PROGRAM)
        raw = self.svm.get_account(mint)
        old = Mint.from_bytes(bytes(raw.data)[:_MINT_LEN])
        grown = Mint(
            mint_authority=old.mint_authority, supply=old.supply + amount, decimals=old.decimals,
            is_initialized=True, freeze_authority=old.freeze_authority,
        )  # fmt: skip
        self._put(mint, bytes(grown), TOKEN_PROGRAM)
        return address

    def token_amount(self, address: Pubkey) -> int:
        """Atomic units held by a token account (0 when it does not exist)."""
        return self.balances(address).amount

    def _put(self, address: Pubkey, data: bytes, owner: Pubkey) -> None:
        lamports = self.svm.minimum_balance_for_rent_exemption(len(data))
        self.svm.set_account(
            address, Account(lamports=lamports, data=data, owner=owner, executable=False)
        )

    def balances(self, key: Pubkey) -> Balances:
        """The account's lamports and token balance now."""
        account = self.svm.get_account(key)
        if account is None:
            return Balances(0)
        data = bytes(account.data)
        if account.owner not in _TOKEN_PROGRAMS or len(data) < _TOKEN_ACCOUNT_LEN:
            return Balances(account.lamports)
        state = TokenAccount.from_bytes(data[:_TOKEN_ACCOUNT_LEN])
        mint = self.svm.get_account(state.mint)
        decimals = 0 if mint is None else Mint.from_bytes(bytes(mint.data)[:_MINT_LEN]).decimals
        return Balances(
            account.lamports, state.mint, state.owner, account.owner, state.amount, decimals
        )

    # -- blocks -----------------------------------------------------------------------------

    @property
    def blockhash(self) -> Hash:
        """The newest block's hash."""
        return self._blockhash

    def last_valid_height(self, blockhash: Hash) -> int | None:
        """The last block height at which a transaction with ``blockhash`` may land."""
        return self._valid.get(blockhash)

    def _new_blockhash(self) -> Hash:
        digest = hashlib.sha256(f"block {self.height} {self.slot}".encode()).digest()
        blockhash = Hash(digest)
        self._valid[blockhash] = self.height + self.blocks_valid
        return blockhash

    def advance(self, blocks: int = 1) -> None:
        """Produce ``blocks`` blocks; the transactions due land in each."""
        for _ in range(blocks):
            self.height += 1
            self.slot += SLOTS_PER_BLOCK
            self.svm.warp_to_slot(self.slot)
            self._blockhash = self._new_blockhash()
            self._land_due()

    def jump(self, blocks: int) -> None:
        """The block height jumps ``blocks`` ahead at once with nothing landing in between (a
        node that was far behind catching up): every older blockhash may expire."""
        self.height += blocks - 1
        self.slot += (blocks - 1) * SLOTS_PER_BLOCK
        self.advance(1)

    async def produce(self, block_s: float) -> None:
        """Produce a block every ``block_s`` seconds until cancelled."""
        while True:
            await asyncio.sleep(block_s)
            self.advance()

    @contextlib.asynccontextmanager
    async def producing(self, block_s: float) -> AsyncIterator[Chain]:
        """Blocks on a timer inside the ``async with`` block."""
        task = asyncio.create_task(self.produce(block_s))
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- transactions -----------------------------------------------------------------------

    def submit(self, tx: VersionedTransaction) -> Signature:
        """Accept a signed transaction for landing (a send with ``skipPreflight``); returns its
        signature. A signature that has landed is not queued again."""
        number = self.sends
        self.sends += 1
        signature = tx.signatures[0]
        self.submitted.append(signature)
        faults = self.faults
        planned = number in faults.delay_sends  # a send's own plan wins over the drop faults
        dropped = not planned and (
            faults.never_land
            or number in faults.drop_sends
            or (faults.drop_rate > 0 and self._rng.random() < faults.drop_rate)
        )
        if dropped:
            self.dropped += 1
        elif signature not in self.landed:
            delay = faults.delay_sends.get(number, faults.delay_blocks)
            self._pending.append(_Pending(tx, self.height + 1 + delay, number))
        return signature

    def simulate(self, tx: VersionedTransaction) -> dict[str, Any]:
        """``simulateTransaction``'s value for ``tx`` (nothing changes)."""
        result = self.svm.simulate_transaction(tx)
        doc = json.loads(result.to_json())
        meta = doc.get("meta", doc)
        return {
            "err": doc.get("err"),
            "logs": meta.get("logs", []),
            "accounts": None,
            "unitsConsumed": int(meta.get("compute_units_consumed", 0)),
            "returnData": None,
        }

    def _land_due(self) -> None:
        due = [p for p in self._pending if p.land_at <= self.height]
        self._pending = [p for p in self._pending if p.land_at > self.height]
        for pending in due:
            self._land(pending.tx)

    def _land(self, tx: VersionedTransaction) -> None:
        signature = tx.signatures[0]
        last_valid = self._valid.get(tx.message.recent_blockhash)
        if signature in self.landed:
            return
        if last_valid is None or self.height > last_valid:
            self.expired += 1
            return
        keys, loaded = self._account_keys(tx)
        pre = [self.balances(k) for k in keys]
        result = self.svm.send_transaction(tx)
        doc = json.loads(result.to_json())
        meta = doc.get("meta", doc)
        err = doc.get("err")
        if err == "AlreadyProcessed":  # LiteSVM saw these bytes before (never via this queue)
            return
        post = [self.balances(k) for k in keys]
        self.landed[signature] = Landed(
            signature, tx, self.slot, self.height, FIRST_TIME_S + (self.slot - FIRST_SLOT) * 2 // 5,
            err, int(meta.get("fee", 0)), list(meta.get("logs", [])),
            int(meta.get("compute_units_consumed", 0)), keys, loaded, pre, post,
        )  # fmt: skip

    def _account_keys(self, tx: VersionedTransaction) -> tuple[list[Pubkey], tuple[list, list]]:
        """The transaction's static keys, then the addresses its lookup tables load (writable,
        then readonly), as a node orders them."""
        message = tx.message
        keys = list(message.account_keys)
        writable: list[Pubkey] = []
        readonly: list[Pubkey] = []
        for lookup in getattr(message, "address_table_lookups", None) or []:
            account = self.svm.get_account(lookup.account_key)
            if account is None:
                continue
            table = AddressLookupTable.deserialize(bytes(account.data))
            writable += [table.addresses[i] for i in lookup.writable_indexes]
            readonly += [table.addresses[i] for i in lookup.readonly_indexes]
        loaded = ([str(k) for k in writable], [str(k) for k in readonly])
        return keys + writable + readonly, loaded

    # -- queries ----------------------------------------------------------------------------

    def status(self, signature: Signature) -> dict[str, Any] | None:
        """``getSignatureStatuses``'s entry for one signature (None: not landed)."""
        landed = self.landed.get(signature)
        if landed is None:
            return None
        depth = self.height - landed.height
        finalized = depth >= self.finalize_after
        level = "confirmed" if depth >= self.confirm_depth else "processed"
        return {
            "slot": landed.slot,
            "confirmations": None if finalized else depth,
            "err": landed.err,
            "status": {"Ok": None} if landed.err is None else {"Err": landed.err},
            "confirmationStatus": "finalized" if finalized else level,
        }

    def transaction(self, signature: Signature, encoding: str) -> dict[str, Any] | None:
        """``getTransaction``'s result (``json`` or ``base64`` encoding), None if not landed."""
        landed = self.landed.get(signature)
        if landed is None or self.height - landed.height < self.confirm_depth:
            return None  # not landed, or only processed: not served at "confirmed"
        meta = {
            "err": landed.err,
            "status": {"Ok": None} if landed.err is None else {"Err": landed.err},
            "fee": landed.fee,
            "preBalances": [b.lamports for b in landed.pre],
            "postBalances": [b.lamports for b in landed.post],
            "innerInstructions": [],
            "logMessages": landed.logs,
            "preTokenBalances": _token_balances(landed.pre),
            "postTokenBalances": _token_balances(landed.post),
            "rewards": [],
            "loadedAddresses": {"writable": landed.loaded[0], "readonly": landed.loaded[1]},
            "computeUnitsConsumed": landed.units,
        }
        if encoding == "base64":
            encoded: Any = [base64.b64encode(bytes(landed.tx)).decode(), "base64"]
        else:
            encoded = _json_transaction(landed.tx)
        return {
            "slot": landed.slot,
            "blockTime": landed.block_time,
            "meta": meta,
            "transaction": encoded,
            "version": 0 if _is_v0(landed.tx) else "legacy",
        }

    def token_accounts(self, owner: Pubkey, mint: Pubkey | None, program: Pubkey | None) -> list:
        """(address, account) of the token accounts of ``owner`` (of one mint or program)."""
        out = []
        for prog in _TOKEN_PROGRAMS if program is None else (program,):
            for address, account in self.svm.get_program_accounts(prog):
                data = bytes(account.data)
                if len(data) < _TOKEN_ACCOUNT_LEN or len(data) == _MINT_LEN:
                    continue
                state = TokenAccount.from_bytes(data[:_TOKEN_ACCOUNT_LEN])
                if state.owner == owner and (mint is None or state.mint == mint):
                    out.append((address, account))
        return out


_INITIALIZED = TokenAccountState.Initialized


def _is_v0(tx: VersionedTransaction) -> bool:
    return type(tx.message).__name__ == "MessageV0"


def _token_balances(balances: list[Balances]) -> list[dict[str, Any]]:
    """Balances as a node reports ``pre/postTokenBalances`` (token accounts only)."""
    out = []
    for index, b in enumerate(balances):
        if b.mint is None:
            continue
        ui = b.amount / 10**b.decimals
        out.append(
            {
                "accountIndex": index,
                "mint": str(b.mint),
                "owner": str(b.owner),
                "programId": str(b.program),
                "uiTokenAmount": {
                    "amount": str(b.amount),
                    "decimals": b.decimals,
                    "uiAmount": ui if b.amount else None,
                    "uiAmountString": _ui_string(b.amount, b.decimals),
                },
            }
        )
    return out


def _ui_string(amount: int, decimals: int) -> str:
    if decimals == 0:
        return str(amount)
    whole, frac = divmod(amount, 10**decimals)
    text = f"{whole}.{frac:0{decimals}d}".rstrip("0").rstrip(".")
    return text


def _json_transaction(tx: VersionedTransaction) -> dict[str, Any]:
    """The transaction in ``json`` encoding (keys, header, compiled instructions in base58)."""
    message = tx.message
    header = message.header
    doc: dict[str, Any] = {
        "accountKeys": [str(k) for k in message.account_keys],
        "header": {
            "numRequiredSignatures": header.num_required_signatures,
            "numReadonlySignedAccounts": header.num_readonly_signed_accounts,
            "numReadonlyUnsignedAccounts": header.num_readonly_unsigned_accounts,
        },
        "instructions": [
            {
                "programIdIndex": ix.program_id_index,
                "accounts": list(bytes(ix.accounts)),
                "data": base58.b58encode(bytes(ix.data)).decode(),
                "stackHeight": None,
            }
            for ix in message.instructions
        ],
        "recentBlockhash": str(message.recent_blockhash),
    }
    if _is_v0(tx):
        doc["addressTableLookups"] = [
            {
                "accountKey": str(lookup.account_key),
                "writableIndexes": list(bytes(lookup.writable_indexes)),
                "readonlyIndexes": list(bytes(lookup.readonly_indexes)),
            }
            for lookup in message.address_table_lookups
        ]
    return {"message": doc, "signatures": [str(s) for s in tx.signatures]}


# ------------------------------------------------------------------------------- endpoint


@dataclass
class EndpointFaults:
    """Faults of one RPC endpoint, switchable while it serves.

    Attributes
    ----------
    rate_limit : tuple of (int, float), optional
        At most ``n`` requests per ``window_s`` sliding window; beyond it HTTP 429 with
        ``Retry-After`` (whole seconds, at least 1).
    delay_s : float
        Added to every reply (a slow endpoint).
    dead : bool
        Every request gets HTTP 503 (a provider that is down).
    behind : bool
        Every request gets the JSON-RPC error ``-32005 Node is behind`` without ``data`` (the
        shape that makes solders' response classes panic).
    lose_send_replies : int
        The next this-many ``sendTransaction`` calls are accepted by the chain, and then their
        connection is closed without a reply.
    """

    rate_limit: tuple[int, float] | None = None
    delay_s: float = 0.0
    dead: bool = False
    behind: bool = False
    lose_send_replies: int = 0


class RpcEndpoint:
    """One JSON-RPC endpoint over a :class:`Chain` on 127.0.0.1 (use ``async with``).

    Every path is served (providers put keys in the path or the query). ``requests`` counts the
    requests received per method, ``refused`` the ones a fault answered.

    Examples
    --------
    >>> async def height(chain):
    ...     async with RpcEndpoint(chain) as rpc, aiohttp.ClientSession() as http:
    ...         body = {"jsonrpc": "2.0", "id": 1, "method": "getBlockHeight"}
    ...         async with http.post(rpc.url, json=body) as reply:
    ...             return (await reply.json())["result"]
    >>> import aiohttp; asyncio.run(height(Chain()))
    0
    """

    def __init__(
        self,
        chain: Chain,
        faults: EndpointFaults | None = None,
        *,
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chain = chain
        self.faults = faults or EndpointFaults()
        self.requests: dict[str, int] = {}
        self.refused = 0
        self.bundles = 0  # sendBundle calls accepted (the endpoint as a Jito block engine)
        #: What ``getTipAccounts`` answers (Jito's first mainnet tip account by default).
        self.tip_accounts = [Pubkey.from_string("96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5")]
        self._port = port
        self._clock = clock
        self._window: deque[float] = deque()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> RpcEndpoint:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._port = port
        self.url = f"http://{host}:{port}/"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- HTTP -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        faults = self.faults
        if faults.delay_s:
            await asyncio.sleep(faults.delay_s)
        if faults.dead:
            self.refused += 1
            return web.Response(status=503, text="service unavailable")
        wait = self._limited()
        if wait is not None:
            self.refused += 1
            return web.Response(
                status=429, text="Too many requests", headers={"Retry-After": str(wait)}
            )
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _reply(_error(None, -32700, "Parse error"))
        calls = body if isinstance(body, list) else [body]
        replies = []
        for call in calls:
            reply = self._call(call)
            if reply is _LOST:
                assert request.transport is not None
                request.transport.close()  # accepted, then the reply is lost
                return web.Response(status=204)
            replies.append(reply)
        return _reply(replies if isinstance(body, list) else replies[0])

    def _limited(self) -> int | None:
        """Seconds to wait (Retry-After) when the sliding window is full, else None."""
        if self.faults.rate_limit is None:
            return None
        n, window_s = self.faults.rate_limit
        now = self._clock()
        while self._window and self._window[0] <= now - window_s:
            self._window.popleft()
        if len(self._window) >= n:
            return max(1, int(self._window[0] + window_s - now + 0.999))
        self._window.append(now)
        return None

    # -- JSON-RPC ---------------------------------------------------------------------------

    def _call(self, call: Any) -> Any:
        if not isinstance(call, dict) or not isinstance(call.get("method"), str):
            return _error(None, -32600, "Invalid request")
        rid, method = call.get("id"), call["method"]
        self.requests[method] = self.requests.get(method, 0) + 1
        if self.faults.behind:
            self.refused += 1
            return _error(rid, NODE_BEHIND, "Node is behind by 42 slots")
        handler = _METHODS.get(method)
        if handler is None:
            return _error(rid, METHOD_NOT_FOUND, "Method not found")
        params = call.get("params") or []
        try:
            result = handler(self, *params)
        except _RpcError as exc:
            return _error(rid, exc.code, exc.message, exc.data)
        except (TypeError, ValueError) as exc:
            return _error(rid, INVALID_PARAMS, f"Invalid params: {exc}")
        if result is _LOST:
            return _LOST
        return {"jsonrpc": "2.0", "result": result, "id": rid}

    def _context(self, value: Any) -> dict[str, Any]:
        return {"context": {"apiVersion": "2.2.0", "slot": self.chain.slot}, "value": value}

    def get_latest_blockhash(self, config: dict | None = None) -> dict[str, Any]:
        chain = self.chain
        last = chain.last_valid_height(chain.blockhash)
        return self._context({"blockhash": str(chain.blockhash), "lastValidBlockHeight": last})

    def get_block_height(self, config: dict | None = None) -> int:
        return self.chain.height

    def get_slot(self, config: dict | None = None) -> int:
        return self.chain.slot

    def get_health(self) -> str:
        return "ok"

    def get_balance(self, key: str, config: dict | None = None) -> dict[str, Any]:
        return self._context(self.chain.balance(_pubkey(key)))

    def get_account_info(self, key: str, config: dict | None = None) -> dict[str, Any]:
        account = self.chain.svm.get_account(_pubkey(key))
        return self._context(None if account is None else _account_json(account))

    def get_multiple_accounts(self, keys: list, config: dict | None = None) -> dict[str, Any]:
        if len(keys) > 100:
            raise _RpcError(INVALID_PARAMS, "Too many inputs provided; max 100")
        accounts = [self.chain.svm.get_account(_pubkey(k)) for k in keys]
        return self._context([None if a is None else _account_json(a) for a in accounts])

    def get_program_accounts(self, program: str, config: dict | None = None) -> list[dict]:
        """The program's accounts that pass every ``dataSize`` and ``memcmp`` filter (the
        node's own semantics: ``memcmp.bytes`` is base58, compared at ``offset``)."""
        filters = (config or {}).get("filters", [])
        out = []
        for address, account in self.chain.svm.get_program_accounts(_pubkey(program)):
            data = bytes(account.data)
            if all(_passes(data, f) for f in filters):
                out.append({"pubkey": str(address), "account": _account_json(account)})
        return out

    def get_token_accounts_by_owner(
        self, owner: str, selector: dict, config: dict | None = None
    ) -> dict[str, Any]:
        mint = _pubkey(selector["mint"]) if "mint" in selector else None
        program = _pubkey(selector["programId"]) if "programId" in selector else None
        if mint is None and program is None:
            raise _RpcError(INVALID_PARAMS, "Invalid params: expected mint or programId")
        found = self.chain.token_accounts(_pubkey(owner), mint, program)
        return self._context(
            [{"pubkey": str(address), "account": _account_json(a)} for address, a in found]
        )

    def get_recent_prioritization_fees(self, keys: list | None = None) -> list[dict[str, int]]:
        slot = self.chain.slot
        fees = self.chain.priority_fees
        return [
            {"slot": slot - len(fees) + 1 + i, "prioritizationFee": f} for i, f in enumerate(fees)
        ]

    def simulate_transaction(self, encoded: str, config: dict | None = None) -> dict[str, Any]:
        tx = _decode_tx(encoded, config)
        return self._context(self.chain.simulate(tx))

    def send_transaction(self, encoded: str, config: dict | None = None) -> Any:
        config = config or {}
        tx = _decode_tx(encoded, config)
        if not all(tx.verify_with_results()):
            raise _RpcError(SIGNATURE_FAILURE, "Transaction signature verification failure")
        if not config.get("skipPreflight", False):
            chain = self.chain
            last = chain.last_valid_height(tx.message.recent_blockhash)
            if last is None or chain.height > last:
                raise _RpcError(
                    PREFLIGHT_FAILURE, "Transaction simulation failed: Blockhash not found",
                    {"err": "BlockhashNotFound", "logs": [], "accounts": None,
                     "unitsConsumed": 0, "returnData": None},
                )  # fmt: skip
            simulated = chain.simulate(tx)
            if simulated["err"] is not None:
                raise _RpcError(
                    PREFLIGHT_FAILURE,
                    f"Transaction simulation failed: {json.dumps(simulated['err'])}",
                    simulated,
                )
        signature = self.chain.submit(tx)
        if self.faults.lose_send_replies > 0:
            self.faults.lose_send_replies -= 1
            return _LOST
        return str(signature)

    def send_bundle(self, encoded: list, config: dict | None = None) -> str:
        """Jito's ``sendBundle``: up to 5 signed transactions, all landing in one block or none
        (each is signature-checked here; the bundle id is a hash of their signatures)."""
        if not isinstance(encoded, list) or not 1 <= len(encoded) <= 5:
            raise _RpcError(INVALID_PARAMS, "Invalid params: a bundle holds 1 to 5 transactions")
        txs = [_decode_tx(e, config) for e in encoded]
        if not all(all(tx.verify_with_results()) for tx in txs):
            raise _RpcError(SIGNATURE_FAILURE, "Transaction signature verification failure")
        self.bundles += 1
        for tx in txs:
            self.chain.submit(tx)
        joined = "".join(str(tx.signatures[0]) for tx in txs)
        return hashlib.sha256(joined.encode()).hexdigest()

    def get_tip_accounts(self) -> list[str]:
        """Jito's ``getTipAccounts``."""
        return [str(a) for a in self.tip_accounts]

    def get_signature_statuses(self, signatures: list, config: dict | None = None) -> dict:
        if len(signatures) > 256:
            raise _RpcError(INVALID_PARAMS, "Invalid params: too many inputs provided; max 256")
        return self._context([self.chain.status(_signature(s)) for s in signatures])

    def get_transaction(self, signature: str, config: dict | str | None = None) -> Any:
        if isinstance(config, str):
            config = {"encoding": config}
        config = config or {}
        encoding = config.get("encoding", "json")
        if encoding not in ("json", "base64"):
            raise _RpcError(INVALID_PARAMS, f"Invalid params: unsupported encoding {encoding}")
        result = self.chain.transaction(_signature(signature), encoding)
        if result is not None and result["version"] == 0:
            if config.get("maxSupportedTransactionVersion") is None:
                raise _RpcError(
                    -32015,
                    "Transaction version (0) is not supported by the requesting client. Please "
                    "try the request again with the following configuration parameter: "
                    '"maxSupportedTransactionVersion": 0',
                )
        return result


class _RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


@contextlib.contextmanager
def serving(chain: Chain) -> Iterator[str]:
    """The chain's JSON-RPC endpoint, served from a thread while the block runs."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()
    url: list[str] = []

    async def serve() -> None:
        async with RpcEndpoint(chain) as node:
            url.append(node.url)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield url[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


_LOST = object()

_METHODS: dict[str, Callable[..., Any]] = {
    "getLatestBlockhash": RpcEndpoint.get_latest_blockhash,
    "getBlockHeight": RpcEndpoint.get_block_height,
    "getSlot": RpcEndpoint.get_slot,
    "getHealth": RpcEndpoint.get_health,
    "getBalance": RpcEndpoint.get_balance,
    "getAccountInfo": RpcEndpoint.get_account_info,
    "getMultipleAccounts": RpcEndpoint.get_multiple_accounts,
    "getProgramAccounts": RpcEndpoint.get_program_accounts,
    "getTokenAccountsByOwner": RpcEndpoint.get_token_accounts_by_owner,
    "getRecentPrioritizationFees": RpcEndpoint.get_recent_prioritization_fees,
    "simulateTransaction": RpcEndpoint.simulate_transaction,
    "sendTransaction": RpcEndpoint.send_transaction,
    "getSignatureStatuses": RpcEndpoint.get_signature_statuses,
    "getTransaction": RpcEndpoint.get_transaction,
    "sendBundle": RpcEndpoint.send_bundle,
    "getTipAccounts": RpcEndpoint.get_tip_accounts,
}


def _error(rid: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "error": error, "id": rid}


def _reply(doc: Any) -> web.Response:
    return web.Response(text=json.dumps(doc), content_type="application/json")


def _passes(data: bytes, rule: dict[str, Any]) -> bool:
    """One ``getProgramAccounts`` filter (``dataSize`` or ``memcmp`` with base58 bytes)."""
    if "dataSize" in rule:
        return len(data) == int(rule["dataSize"])
    if "memcmp" in rule:
        offset, wanted = int(rule["memcmp"]["offset"]), base58.b58decode(rule["memcmp"]["bytes"])
        return data[offset : offset + len(wanted)] == wanted
    raise _RpcError(INVALID_PARAMS, f"Invalid params: unknown filter {sorted(rule)}")


def _pubkey(text: Any) -> Pubkey:
    if not isinstance(text, str):
        raise ValueError(f"expected a base58 public key, got {type(text).__name__}")
    return Pubkey.from_string(text)


def _signature(text: Any) -> Signature:
    if not isinstance(text, str):
        raise ValueError(f"expected a base58 signature, got {type(text).__name__}")
    return Signature.from_string(text)


def _decode_tx(encoded: Any, config: dict | None) -> VersionedTransaction:
    encoding = (config or {}).get("encoding", "base58")
    if not isinstance(encoded, str):
        raise ValueError("expected an encoded transaction")
    raw = base64.b64decode(encoded) if encoding == "base64" else base58.b58decode(encoded)
    return VersionedTransaction.from_bytes(raw)


def _account_json(account: Any) -> dict[str, Any]:
    return {
        "data": [base64.b64encode(bytes(account.data)).decode(), "base64"],
        "executable": account.executable,
        "lamports": account.lamports,
        "owner": str(account.owner),
        "rentEpoch": 18446744073709551615,
        "space": len(bytes(account.data)),
    }


def spl_transfer(
    source: Pubkey, mint: Pubkey, destination: Pubkey, owner: Pubkey, amount: int, decimals: int
) -> Any:
    """An SPL Token ``TransferChecked`` instruction (``amount`` in atomic units)."""
    from solders.instruction import AccountMeta, Instruction

    data = bytes([12]) + amount.to_bytes(8, "little") + bytes([decimals])
    metas = [
        AccountMeta(source, is_signer=False, is_writable=True),
        AccountMeta(mint, is_signer=False, is_writable=False),
        AccountMeta(destination, is_signer=False, is_writable=True),
        AccountMeta(owner, is_signer=True, is_writable=False),
    ]
    return Instruction(TOKEN_PROGRAM, data, metas)


async def _main(port: int, block_ms: float, key_file: str) -> None:
    from soltrader.adapters.wallet import new_wallet

    chain = Chain()
    wallet = new_wallet(key_file)  # mode 0600; the secret is never printed
    chain.svm.airdrop(wallet.pubkey, 100 * 10**9)
    async with RpcEndpoint(chain, port=port) as rpc, chain.producing(block_ms / 1000.0):
        print(f"Solana JSON-RPC over LiteSVM at {rpc.url}")
        print(f"funded wallet {wallet.pubkey} (100 SOL), key file {key_file}")
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8899)
    parser.add_argument("--block-ms", type=float, default=400.0)
    parser.add_argument("--key-file", required=True, help="where to write the funded wallet")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args.port, args.block_ms, args.key_file))
