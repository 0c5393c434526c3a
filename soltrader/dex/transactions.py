"""What a wallet's Solana transaction did, read from a JSON-RPC ``getTransaction`` response.

The input is the parsed JSON of a ``getTransaction`` call made with ``encoding: "json"`` (legacy
or version-0 messages): either the whole response (``{"jsonrpc", "result", "id"}``) or its
``result`` object. Nothing here does I/O or decodes instructions: every figure comes from the
balances the validator recorded before and after the transaction, so it holds for any DEX or
aggregator. Amounts are exact integers in atomic units (lamports for SOL, the mint's smallest
unit for tokens).

Rules
-----
* **Accounts.** The account at index ``i`` is ``account_keys(tx)[i]``: the static
  ``transaction.message.accountKeys``, then ``meta.loadedAddresses.writable``, then
  ``meta.loadedAddresses.readonly`` (the address-lookup-table accounts).
* **Tokens.** A token balance entry (``meta.preTokenBalances`` / ``meta.postTokenBalances``)
  belongs to the wallet named by its ``owner`` field; SPL Token and Token-2022 accounts alike.
  Entries are matched by ``accountIndex``; an account missing on one side (created or closed by
  the transaction) counts as 0 there.
* **SOL, native and wrapped, is one asset.** The wallet's SOL change is

      lamports change at the wallet's key
      + the transaction fee, if the wallet is the fee payer (key 0)
      + the lamports change of every token account the wallet owns.

  The last term moves rent deposits of the wallet's own token accounts (an associated token
  account opened or closed by the swap) out of the SOL figure, and counts wrapped SOL
  (mint ``So11111111111111111111111111111111111111112``) held in the wallet's token accounts as
  SOL. A temporary wSOL account created and closed inside the transaction holds 0 lamports before
  and after, so it nets out by itself: a swap "from SOL" through such an account reports the SOL
  that left the wallet. SOL sent elsewhere in the same transaction (a tip, a router's platform fee
  paid in SOL, rent of an account the wallet does not own) stays in the figure: it left the
  wallet and nothing in the balances separates it from the swap's input.
* **Swap legs.** Per asset (SOL as above, under the wSOL mint, and every other mint), the
  wallet's net change. Exactly one asset down and one up is a swap; no asset down or none up
  (a transfer, a memo, an airdrop, opening an account) is not a swap and :func:`swap_legs`
  returns ``None``; more than one asset down or up raises :class:`AmbiguousSwapError`. A failed
  transaction (``meta.err`` not null) executed no legs, only its fee was paid.

Every missing or malformed field raises :class:`~soltrader.domain.errors.DataError` whose
``field`` is the path inside the ``result`` object, e.g.
``meta.postTokenBalances[2].uiTokenAmount.amount``.

Reference: the Solana JSON-RPC documentation of ``getTransaction`` (fields ``meta.fee``,
``preBalances``, ``postBalances``, ``preTokenBalances``, ``postTokenBalances``,
``loadedAddresses``). On the golden responses the account keys equal those of
``solders.rpc.responses.GetTransactionResp`` and the per-key changes those the Solana venue
books (``soltrader.adapters.solana_rpc.parse_transaction``).

Examples
--------
>>> W, M, T = "W" * 32, "M" * 32, "T" * 32  # the wallet, a mint, the wallet's account of M
>>> tx = {"slot": 5, "blockTime": 1700000000,
...       "transaction": {"signatures": ["5ig"], "message": {"accountKeys": [W, T]}},
...       "meta": {"err": None, "fee": 5000,
...                "preBalances": [1_000_000_000, 0], "postBalances": [897_955_720, 2_039_280],
...                "preTokenBalances": [], "postTokenBalances": [{"accountIndex": 1, "mint": M,
...                    "owner": W, "uiTokenAmount": {"amount": "42000000", "decimals": 6}}]}}
>>> legs = swap_legs(tx, W)
>>> legs.mint_in == WSOL_MINT, legs.amount_in, legs.amount_out, legs.fee_lamports
(True, 100000000, 42000000, 5000)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from soltrader.domain.errors import DataError

__all__ = [
    "WSOL_MINT",
    "AmbiguousSwapError",
    "SolDelta",
    "SwapLegs",
    "TokenDelta",
    "account_keys",
    "sol_delta",
    "swap_legs",
    "token_deltas",
]

WSOL_MINT = "So11111111111111111111111111111111111111112"
"""The wrapped-SOL mint; swap legs in SOL (native or wrapped) are reported under it."""

_BASE58 = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")


class AmbiguousSwapError(DataError):
    """The wallet gave up or received more than one asset, so the transaction is not one swap.

    The message lists the wallet's net change per asset; :func:`token_deltas` and
    :func:`sol_delta` still read such a transaction.
    """


class TokenDelta(NamedTuple):
    """The change of one wallet's balance of one mint across a transaction.

    Attributes
    ----------
    mint : str
        The mint address (base58).
    decimals : int
        The mint's decimals, as the token balance entries report them.
    program_id : str or None
        The token program owning the accounts (SPL Token or Token-2022), ``None`` when the
        response does not say.
    pre, post : int
        The wallet's balance before and after, summed over its accounts of the mint, in atomic
        units.
    """

    mint: str
    decimals: int
    program_id: str | None
    pre: int
    post: int

    @property
    def delta(self) -> int:
        """``post - pre``, atomic units (negative: the wallet gave tokens up)."""
        return self.post - self.pre


class SolDelta(NamedTuple):
    """One wallet's SOL change across a transaction, split by cause (all in lamports).

    Attributes
    ----------
    native : int
        ``postBalances - preBalances`` at the wallet's key (0 if the key is not in the
        transaction); the fee is included.
    fee : int
        The fee the wallet paid (``meta.fee`` if it is the fee payer, key 0, else 0).
    rent : int
        Lamports that went into the wallet's own token accounts beyond their wrapped SOL (rent of
        accounts it opened; negative for accounts it closed).
    wrapped : int
        The change of wrapped SOL held in the wallet's token accounts.
    """

    native: int
    fee: int
    rent: int
    wrapped: int

    @property
    def sol(self) -> int:
        """The wallet's SOL change, native and wrapped, net of the fee and its own rent deposits:
        ``native + fee + rent + wrapped`` (lamports, negative: SOL spent)."""
        return self.native + self.fee + self.rent + self.wrapped


class SwapLegs(NamedTuple):
    """What a wallet's transaction swapped.

    Attributes
    ----------
    mint_in : str or None
        The mint the wallet gave up (:data:`WSOL_MINT` for SOL); ``None`` if the transaction
        failed.
    amount_in : int
        How much of it, atomic units (> 0; 0 if the transaction failed).
    mint_out : str or None
        The mint the wallet received; ``None`` if the transaction failed.
    amount_out : int
        How much of it, atomic units (> 0; 0 if the transaction failed).
    fee_lamports : int
        The transaction fee the wallet paid, lamports (0 if another key paid it).
    signature : str
        The transaction's first signature (base58).
    slot : int
        The slot it landed in.
    block_time : int or None
        The block's Unix time, seconds, when the node knows it.
    ok : bool
        ``False`` if the transaction failed (``meta.err`` not null).
    error : Any
        ``meta.err`` as the node reported it (``None`` when ``ok``).
    """

    mint_in: str | None
    amount_in: int
    mint_out: str | None
    amount_out: int
    fee_lamports: int
    signature: str
    slot: int
    block_time: int | None
    ok: bool
    error: Any


class _Balance(NamedTuple):
    """One validated token balance entry."""

    index: int  # accountIndex
    mint: str
    owner: str
    amount: int  # atomic units
    decimals: int
    program_id: str | None
    path: str  # where it sits in the response, for error messages


# --- field access: every failure names the path of the field ----------------------------------


def _fail(path: str, message: str, code: str) -> DataError:
    return DataError(f"{path}: {message}", code=code, field=path)


def _field(obj: Any, key: str, path: str) -> Any:
    """``obj[key]``, or a :class:`DataError` naming ``path.key``."""
    where = f"{path}.{key}" if path else key
    if not isinstance(obj, dict):
        got = type(obj).__name__
        raise _fail(path or "result", f"expected a JSON object, got {got}", "bad_type")
    if key not in obj:
        raise _fail(where, "missing from the getTransaction result", "missing_field")
    return obj[key]


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(path, f"expected a JSON array, got {type(value).__name__}", "bad_type")
    return value


def _int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(path, f"expected a non-negative integer, got {value!r}", "bad_type")
    return value


def _amount(value: Any, path: str) -> int:
    """An exact atomic amount written as a decimal string (``uiTokenAmount.amount``)."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        raise _fail(path, f"expected a string of decimal digits, got {value!r}", "bad_type")
    return int(value)


def _key(value: Any, path: str) -> str:
    """A base58 public key (32 to 44 characters)."""
    if not (isinstance(value, str) and 32 <= len(value) <= 44 and _BASE58.issuperset(value)):
        raise _fail(path, f"expected a base58 public key, got {value!r}", "bad_type")
    return value


def _result(tx: Any) -> dict[str, Any]:
    """The ``result`` object of a response, or ``tx`` itself when it already is one."""
    if isinstance(tx, dict) and ("jsonrpc" in tx or "result" in tx or "error" in tx):
        if tx.get("error") is not None:
            raise _fail("error", f"the node answered with an error: {tx['error']!r}", "rpc_error")
        result = _field(tx, "result", "")
        if result is None:
            raise _fail("result", "null: the node does not have this transaction", "not_found")
        tx = result
    if not isinstance(tx, dict):
        raise _fail("result", f"expected a JSON object, got {type(tx).__name__}", "bad_type")
    return tx


# --- account keys -------------------------------------------------------------------------------


def account_keys(tx: dict[str, Any]) -> list[str]:
    """The transaction's account keys, in the order ``accountIndex`` and the balances use.

    Parameters
    ----------
    tx : dict
        A ``getTransaction`` response or its ``result`` (``encoding: "json"``).

    Returns
    -------
    list of str
        ``transaction.message.accountKeys``, then ``meta.loadedAddresses.writable``, then
        ``meta.loadedAddresses.readonly`` (base58).

    Raises
    ------
    DataError
        A field is missing or malformed, a key repeats, or the loaded addresses do not match
        the message's ``addressTableLookups``.

    Examples
    --------
    >>> tx = {"transaction": {"message": {"accountKeys": ["A" * 32, "B" * 32],
    ...       "addressTableLookups": [{"accountKey": "L" * 32, "writableIndexes": [3],
    ...                                "readonlyIndexes": [0]}]}},
    ...       "meta": {"loadedAddresses": {"writable": ["C" * 32], "readonly": ["D" * 32]}}}
    >>> [k[0] for k in account_keys(tx)]
    ['A', 'B', 'C', 'D']
    """
    result = _result(tx)
    message = _field(_field(result, "transaction", ""), "message", "transaction")
    keys = _keys(message, "accountKeys", "transaction.message")
    keys += _loaded_addresses(result, message)
    if len(set(keys)) != len(keys):
        repeated = next(k for k in keys if keys.count(k) > 1)
        raise _fail("transaction.message.accountKeys", f"{repeated} appears twice", "duplicate_key")
    return keys


def _keys(obj: Any, key: str, path: str) -> list[str]:
    """``obj[key]`` as a list of base58 keys."""
    where = f"{path}.{key}"
    return [_key(k, f"{where}[{i}]") for i, k in enumerate(_list(_field(obj, key, path), where))]


def _keys_of(lookup: Any, counted: str, path: str) -> list[Any]:
    """The ``writableIndexes`` or ``readonlyIndexes`` list of one address-table lookup."""
    return _list(_field(lookup, counted, path), f"{path}.{counted}")


def _loaded_addresses(result: dict[str, Any], message: dict[str, Any]) -> list[str]:
    """``meta.loadedAddresses`` writable then readonly, as many as the lookups' indexes ask."""
    path = "transaction.message.addressTableLookups"
    lookups = _list(message.get("addressTableLookups") or [], path)
    meta = _field(result, "meta", "")
    if isinstance(meta, dict) and "loadedAddresses" not in meta and not lookups:
        return []  # a legacy message: no lookup tables
    loaded = _field(meta, "loadedAddresses", "meta")
    out = []
    for side, counted in (("writable", "writableIndexes"), ("readonly", "readonlyIndexes")):
        keys = _keys(loaded, side, "meta.loadedAddresses")
        want = sum(len(_keys_of(t, counted, f"{path}[{i}]")) for i, t in enumerate(lookups))
        if len(keys) != want:
            msg = f"{len(keys)} addresses, but the lookup tables name {want}"
            raise _fail(f"meta.loadedAddresses.{side}", msg, "lookup_mismatch")
        out += keys
    return out


# --- token balances -----------------------------------------------------------------------------


def _balance(entry: Any, path: str) -> _Balance:
    """One ``meta.pre/postTokenBalances`` entry, every field checked."""
    ui, ui_path = _field(entry, "uiTokenAmount", path), f"{path}.uiTokenAmount"
    program = entry.get("programId")
    return _Balance(
        index=_int(_field(entry, "accountIndex", path), f"{path}.accountIndex"),
        mint=_key(_field(entry, "mint", path), f"{path}.mint"),
        owner=_key(_field(entry, "owner", path), f"{path}.owner"),
        amount=_amount(_field(ui, "amount", ui_path), f"{ui_path}.amount"),
        decimals=_int(_field(ui, "decimals", ui_path), f"{ui_path}.decimals"),
        program_id=None if program is None else _key(program, f"{path}.programId"),
        path=path,
    )


def _balances(meta: Any, side: str) -> dict[int, _Balance]:
    """``meta.<side>`` keyed by ``accountIndex`` (an index may appear once per side)."""
    path = f"meta.{side}"
    out: dict[int, _Balance] = {}
    for i, entry in enumerate(_list(_field(meta, side, "meta"), path)):
        b = _balance(entry, f"{path}[{i}]")
        if b.index in out:
            msg = f"account {b.index} is listed twice"
            raise _fail(f"{b.path}.accountIndex", msg, "duplicate_account")
        out[b.index] = b
    return out


def _token_tables(result: dict[str, Any]) -> tuple[dict[int, _Balance], dict[int, _Balance]]:
    """Pre and post token balances, checked to agree with each other."""
    meta = _field(result, "meta", "")
    pre, post = _balances(meta, "preTokenBalances"), _balances(meta, "postTokenBalances")
    _check_consistent([*pre.values(), *post.values()])
    for index in pre.keys() & post.keys():
        if pre[index].mint != post[index].mint:
            msg = f"account {index} holds {post[index].mint} after but {pre[index].mint} before"
            raise _fail(f"{post[index].path}.mint", msg, "inconsistent_mint")
    return pre, post


def _check_consistent(balances: Iterable[_Balance]) -> None:
    """Every entry of one mint reports the same decimals and (when given) the same program."""
    seen: dict[str, _Balance] = {}
    for b in balances:
        first = seen.setdefault(b.mint, b)
        if b.decimals != first.decimals:
            msg = f"{b.decimals} decimals for {b.mint}, but {first.path} says {first.decimals}"
            raise _fail(f"{b.path}.uiTokenAmount.decimals", msg, "inconsistent_mint")
        if None not in (b.program_id, first.program_id) and b.program_id != first.program_id:
            msg = f"{b.mint} under {b.program_id}, but {first.path} says {first.program_id}"
            raise _fail(f"{b.path}.programId", msg, "inconsistent_mint")
        if first.program_id is None and b.program_id is not None:
            seen[b.mint] = b


def token_deltas(tx: dict[str, Any], owner: str) -> list[TokenDelta]:
    """How a wallet's token balances changed, per mint (SPL Token and Token-2022).

    Only ``meta`` is read, so a bare ``{"meta": ...}`` object works too. Wrapped SOL is listed
    like any mint here; :func:`sol_delta` folds it into SOL.

    Parameters
    ----------
    tx : dict
        A ``getTransaction`` response or its ``result`` (``encoding: "json"``).
    owner : str
        The wallet (base58), as the entries' ``owner`` field names it.

    Returns
    -------
    list of TokenDelta
        One per mint the wallet held an account of before or after, sorted by mint; the
        amounts are summed over its accounts of that mint (atomic units). An account present on
        one side only counts as 0 on the other.

    Raises
    ------
    DataError
        An entry lacks a field or has a malformed one (``field`` names it, e.g.
        ``meta.postTokenBalances[2].uiTokenAmount.amount``), an ``accountIndex`` repeats on one
        side, or entries disagree on a mint's decimals, program or an account's mint.

    Examples
    --------
    >>> W, M = "W" * 32, "M" * 32
    >>> def entry(index, amount):
    ...     return {"accountIndex": index, "mint": M, "owner": W,
    ...             "uiTokenAmount": {"amount": amount, "decimals": 6}}
    >>> meta = {"preTokenBalances": [entry(3, "1000")],
    ...         "postTokenBalances": [entry(3, "250"), entry(4, "5")]}
    >>> [(d.pre, d.post, d.delta) for d in token_deltas({"meta": meta}, W)]
    [(1000, 255, -745)]
    """
    pre, post = _token_tables(_result(tx))
    totals: dict[str, list[int]] = {}  # mint -> [pre, post]
    info: dict[str, _Balance] = {}
    for side, table in enumerate((pre, post)):
        for b in table.values():
            if b.owner == owner:
                totals.setdefault(b.mint, [0, 0])[side] += b.amount
                if info.get(b.mint) is None or info[b.mint].program_id is None:
                    info[b.mint] = b
    return [
        TokenDelta(mint, info[mint].decimals, info[mint].program_id, *totals[mint])
        for mint in sorted(totals)
    ]


# --- SOL ----------------------------------------------------------------------------------------


def _lamports(meta: Any, side: str, n_keys: int) -> list[int]:
    """``meta.<side>`` (lamports per account key), one per key."""
    path = f"meta.{side}"
    values = [
        _int(v, f"{path}[{i}]") for i, v in enumerate(_list(_field(meta, side, "meta"), path))
    ]
    if len(values) != n_keys:
        raise _fail(path, f"{len(values)} balances for {n_keys} account keys", "length_mismatch")
    return values


def _fee_paid(result: dict[str, Any], keys: list[str], owner: str) -> int:
    """``meta.fee`` if ``owner`` is the fee payer (key 0), else 0 (lamports)."""
    fee = _int(_field(_field(result, "meta", ""), "fee", "meta"), "meta.fee")
    if not keys:
        raise _fail("transaction.message.accountKeys", "empty: no fee payer", "missing_field")
    return fee if keys[0] == owner else 0


def sol_delta(tx: dict[str, Any], owner: str) -> SolDelta:
    """How a wallet's SOL (native and wrapped) changed, split into fee, rent and the rest.

    Parameters
    ----------
    tx : dict
        A ``getTransaction`` response or its ``result`` (``encoding: "json"``).
    owner : str
        The wallet (base58).

    Returns
    -------
    SolDelta
        Lamports; ``.sol`` is the change net of the fee and of rent moved into or out of the
        wallet's own token accounts, with wrapped SOL counted as SOL (the rule in the module
        docstring).

    Raises
    ------
    DataError
        A field is missing or malformed, the balance arrays do not have one entry per account
        key, or a token balance names an ``accountIndex`` beyond the keys.

    Examples
    --------
    A wallet wraps 0.5 SOL into a new wSOL account it keeps, paying 5000 lamports of fee and
    2039280 of rent: its SOL (native + wrapped) is unchanged but for the fee.

    >>> W, A = "W" * 32, "A" * 32
    >>> wsol = lambda amount: [{"accountIndex": 1, "mint": WSOL_MINT, "owner": W,
    ...                         "uiTokenAmount": {"amount": amount, "decimals": 9}}]
    >>> tx = {"transaction": {"message": {"accountKeys": [W, A]}},
    ...       "meta": {"fee": 5000, "preBalances": [1_000_000_000, 0],
    ...                "postBalances": [497_955_720, 502_039_280],
    ...                "preTokenBalances": [], "postTokenBalances": wsol("500000000")}}
    >>> d = sol_delta(tx, W)
    >>> d
    SolDelta(native=-502044280, fee=5000, rent=2039280, wrapped=500000000)
    >>> d.sol
    0
    """
    result = _result(tx)
    keys = account_keys(result)
    meta = _field(result, "meta", "")
    pre = _lamports(meta, "preBalances", len(keys))
    post = _lamports(meta, "postBalances", len(keys))
    native = post[keys.index(owner)] - pre[keys.index(owner)] if owner in keys else 0
    owned, wrapped = _owned_accounts(result, owner, len(keys))
    in_accounts = sum(post[i] - pre[i] for i in owned)
    return SolDelta(native, _fee_paid(result, keys, owner), in_accounts - wrapped, wrapped)


def _owned_accounts(result: dict[str, Any], owner: str, n_keys: int) -> tuple[set[int], int]:
    """The indexes of the owner's token accounts (named on either side) and the change of the
    wrapped SOL they hold (atomic units)."""
    owned: set[int] = set()
    wrapped = 0
    for sign, table in zip((-1, 1), _token_tables(result), strict=True):
        for b in table.values():
            if b.owner != owner:
                continue
            if b.index >= n_keys:
                msg = f"{b.index} is beyond the {n_keys} account keys"
                raise _fail(f"{b.path}.accountIndex", msg, "bad_index")
            owned.add(b.index)
            wrapped += sign * b.amount if b.mint == WSOL_MINT else 0
    return owned, wrapped


# --- swap legs ----------------------------------------------------------------------------------


def _header(result: dict[str, Any]) -> tuple[str, int, int | None]:
    """The signature, slot and block time of a result."""
    path = "transaction.signatures"
    signatures = _list(_field(_field(result, "transaction", ""), "signatures", "transaction"), path)
    if not signatures or not isinstance(signatures[0], str) or not signatures[0]:
        raise _fail(f"{path}[0]", "expected the transaction's signature", "missing_field")
    slot = _int(_field(result, "slot", ""), "slot")
    block_time = result.get("blockTime")
    return signatures[0], slot, None if block_time is None else _int(block_time, "blockTime")


def _net_changes(result: dict[str, Any], owner: str) -> dict[str, int]:
    """The wallet's non-zero net change per asset: SOL (under the wSOL mint) and other mints."""
    changes = {d.mint: d.delta for d in token_deltas(result, owner) if d.mint != WSOL_MINT}
    changes[WSOL_MINT] = sol_delta(result, owner).sol
    return {mint: change for mint, change in changes.items() if change}


def swap_legs(tx: dict[str, Any], owner: str) -> SwapLegs | None:
    """The swap a wallet's transaction executed: what it gave up, what it got, the fee.

    Parameters
    ----------
    tx : dict
        A ``getTransaction`` response or its ``result`` (``encoding: "json"``).
    owner : str
        The wallet (base58); usually the fee payer and signer.

    Returns
    -------
    SwapLegs or None
        The wallet's net legs (atomic units; SOL and wSOL as one asset under
        :data:`WSOL_MINT`, net of the fee and of rent of its own token accounts, see the module
        docstring). A failed transaction gives ``ok=False``, its ``error``, no legs (``None``
        mints, 0 amounts) and the fee it paid. ``None`` when the transaction succeeded but is not
        a swap for this wallet: no asset went down or none went up (a transfer, a memo, an
        account opened).

    Raises
    ------
    AmbiguousSwapError
        More than one asset went down or up (several swaps, or a swap plus a transfer).
    DataError
        A field is missing or malformed (``field`` names its path).

    Examples
    --------
    A failed transaction only costs its fee:

    >>> W = "W" * 32
    >>> tx = {"slot": 9, "blockTime": None,
    ...       "transaction": {"signatures": ["5ig"], "message": {"accountKeys": [W]}},
    ...       "meta": {"err": {"InstructionError": [2, {"Custom": 6001}]}, "fee": 5000,
    ...                "preBalances": [10_000], "postBalances": [5_000],
    ...                "preTokenBalances": [], "postTokenBalances": []}}
    >>> legs = swap_legs(tx, W)
    >>> legs.ok, legs.mint_in, legs.amount_in, legs.fee_lamports, legs.error
    (False, None, 0, 5000, {'InstructionError': [2, {'Custom': 6001}]})
    """
    result = _result(tx)
    signature, slot, block_time = _header(result)
    error = _field(_field(result, "meta", ""), "err", "meta")
    fee = _fee_paid(result, account_keys(result), owner)
    if error is not None:
        return SwapLegs(None, 0, None, 0, fee, signature, slot, block_time, False, error)
    changes = _net_changes(result, owner)
    gave = [(mint, -change) for mint, change in changes.items() if change < 0]
    got = [(mint, change) for mint, change in changes.items() if change > 0]
    if not gave or not got:
        return None
    if len(gave) > 1 or len(got) > 1:
        raise AmbiguousSwapError(
            f"meta: {owner} changed {len(changes)} assets, not one swap: {changes}",
            code="ambiguous_swap",
            field="meta",
        )
    (mint_in, amount_in), (mint_out, amount_out) = gave[0], got[0]
    return SwapLegs(
        mint_in, amount_in, mint_out, amount_out, fee, signature, slot, block_time, True, None
    )
