"""Invariants of soltrader.dex.transactions on synthetic ``getTransaction`` results built from
random balances (hypothesis): token deltas are post - pre per owner and mint (and per mint over
all owners), swapping pre and post negates every change, the order of the balance entries does
not matter, and a swap built from known legs reads back exactly."""

from __future__ import annotations

from typing import Any, NamedTuple

from hypothesis import given
from hypothesis import strategies as hs

from soltrader.dex.transactions import WSOL_MINT, sol_delta, swap_legs, token_deltas

U64 = 2**64 - 1
LETTERS = "abcdefghijkmnopqrstuvwxyz"  # base58 letters


def key(tag: str) -> str:
    """A distinct, well-formed base58 key for a tag."""
    return (tag + "1" * 44)[:44]


OWNERS = [key("Wa"), key("Wb"), key("Wc")]  # OWNERS[0] pays the fee
MINTS = [WSOL_MINT, key("Ma"), key("Mb")]
DECIMALS = {WSOL_MINT: 9, MINTS[1]: 6, MINTS[2]: 0}
TOKEN_2022 = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"


class Account(NamedTuple):
    """A synthetic token account: ``None`` amount = absent on that side (created or closed)."""

    mint: str
    owner: str
    pre: int | None
    post: int | None
    lamports_pre: int
    lamports_post: int


@hs.composite
def token_accounts(draw: Any) -> Account:
    pre, post = draw(hs.sampled_from([(True, True), (True, False), (False, True)]))
    return Account(
        mint=draw(hs.sampled_from(MINTS)),
        owner=draw(hs.sampled_from(OWNERS)),
        pre=draw(hs.integers(0, U64)) if pre else None,
        post=draw(hs.integers(0, U64)) if post else None,
        lamports_pre=draw(hs.integers(0, 10**12)),
        lamports_post=draw(hs.integers(0, 10**12)),
    )


class Synthetic(NamedTuple):
    accounts: list[Account]
    wallet_lamports: list[tuple[int, int]]  # (pre, post) per owner
    fee: int


synthetics = hs.builds(
    Synthetic,
    hs.lists(token_accounts(), max_size=12),
    hs.lists(hs.tuples(hs.integers(0, 10**15), hs.integers(0, 10**15)), min_size=3, max_size=3),
    hs.integers(0, 10**7),
)


def entry(index: int, account: Account, amount: int) -> dict[str, Any]:
    program = TOKEN_2022 if account.mint == MINTS[2] else None  # None: the field is absent
    out = {
        "accountIndex": index,
        "mint": account.mint,
        "owner": account.owner,
        "uiTokenAmount": {"amount": str(amount), "decimals": DECIMALS[account.mint]},
    }
    return out if program is None else {**out, "programId": program}


def build(s: Synthetic) -> dict[str, Any]:
    """A ``getTransaction`` result: the owners, then one key per token account."""
    n, accts = len(OWNERS), s.accounts
    keys = OWNERS + [key("T" + LETTERS[i]) for i in range(len(accts))]
    pre_tokens = [entry(n + i, a, a.pre) for i, a in enumerate(accts) if a.pre is not None]
    post_tokens = [entry(n + i, a, a.post) for i, a in enumerate(accts) if a.post is not None]
    return {
        "slot": 1,
        "blockTime": None,
        "transaction": {"signatures": ["5ig"], "message": {"accountKeys": keys}},
        "meta": {
            "err": None,
            "fee": s.fee,
            "preBalances": [p for p, _ in s.wallet_lamports] + [a.lamports_pre for a in accts],
            "postBalances": [q for _, q in s.wallet_lamports] + [a.lamports_post for a in accts],
            "preTokenBalances": pre_tokens,
            "postTokenBalances": post_tokens,
        },
    }


def reversed_in_time(result: dict[str, Any]) -> dict[str, Any]:
    meta = result["meta"]
    swapped = {
        "preBalances": meta["postBalances"],
        "postBalances": meta["preBalances"],
        "preTokenBalances": meta["postTokenBalances"],
        "postTokenBalances": meta["preTokenBalances"],
    }
    return {**result, "meta": {**meta, **swapped}}


def totals_of(accounts: list[Account]) -> tuple[int, int]:
    """Summed amounts before and after, an absent side counting as 0."""
    return sum(a.pre or 0 for a in accounts), sum(a.post or 0 for a in accounts)


@given(synthetics)
def test_token_deltas_are_post_minus_pre_per_owner_and_mint(s: Synthetic) -> None:
    result = build(s)
    totals: dict[str, int] = {}
    for owner in OWNERS:
        mine = [a for a in s.accounts if a.owner == owner]
        want = {m: totals_of([a for a in mine if a.mint == m]) for m in {a.mint for a in mine}}
        got = token_deltas(result, owner)
        assert [d.mint for d in got] == sorted(want)
        assert {d.mint: (d.pre, d.post) for d in got} == want
        assert all(d.delta == d.post - d.pre and d.decimals == DECIMALS[d.mint] for d in got)
        for d in got:
            totals[d.mint] = totals.get(d.mint, 0) + d.delta
    for mint, total in totals.items():  # over all owners: all post - all pre of the mint
        pre, post = totals_of([a for a in s.accounts if a.mint == mint])
        assert total == post - pre


@given(synthetics)
def test_sol_delta_adds_the_fee_and_the_owned_accounts_lamports(s: Synthetic) -> None:
    result = build(s)
    for i, owner in enumerate(OWNERS):
        d = sol_delta(result, owner)
        pre, post = s.wallet_lamports[i]
        assert d.native == post - pre and d.fee == (s.fee if i == 0 else 0)
        mine = [a for a in s.accounts if a.owner == owner]
        assert d.rent + d.wrapped == sum(a.lamports_post - a.lamports_pre for a in mine)
        wsol_pre, wsol_post = totals_of([a for a in mine if a.mint == WSOL_MINT])
        assert d.wrapped == wsol_post - wsol_pre
        assert d.sol == d.native + d.fee + d.rent + d.wrapped


@given(synthetics)
def test_swapping_pre_and_post_negates_every_change(s: Synthetic) -> None:
    result, backwards = build(s), reversed_in_time(build(s))
    for owner in OWNERS:
        forth, back = token_deltas(result, owner), token_deltas(backwards, owner)
        assert [(d.mint, -d.delta) for d in forth] == [(d.mint, d.delta) for d in back]
        assert [(d.pre, d.post) for d in forth] == [(d.post, d.pre) for d in back]
        a, b = sol_delta(result, owner), sol_delta(backwards, owner)
        assert (a.native, a.rent, a.wrapped, a.fee) == (-b.native, -b.rent, -b.wrapped, b.fee)


@given(synthetics, hs.randoms(use_true_random=False))
def test_the_order_of_balance_entries_does_not_matter(s: Synthetic, rng: Any) -> None:
    result = build(s)
    shuffled = build(s)
    rng.shuffle(shuffled["meta"]["preTokenBalances"])
    rng.shuffle(shuffled["meta"]["postTokenBalances"])
    for owner in OWNERS:
        assert token_deltas(shuffled, owner) == token_deltas(result, owner)
        assert sol_delta(shuffled, owner) == sol_delta(result, owner)


def acct(index: int, mint: str, owner: str, amount: int) -> dict[str, Any]:
    ui = {"amount": str(amount), "decimals": DECIMALS[mint]}
    return {"accountIndex": index, "mint": mint, "owner": owner, "uiTokenAmount": ui}


def swap(sol: int, tokens: int, fee: int, buy: bool) -> dict[str, Any]:
    """A swap of ``sol`` lamports for ``tokens`` of MINTS[1] (``buy``) or back, by OWNERS[0]
    against the pool OWNERS[1]. Keys: the wallet, a temporary wSOL account (created and closed:
    0 -> 0 lamports, in no token balance), the wallet's token account (opened by a buy: rent
    2039280), the pool's wSOL vault and token vault."""
    wallet, pool, mint, rent, big = OWNERS[0], OWNERS[1], MINTS[1], 2_039_280, 10**18
    paid, sold = (sol, -tokens) if buy else (-sol, tokens)  # lamports and tokens the pool gains
    vault_pre = [acct(3, WSOL_MINT, pool, big), acct(4, mint, pool, big)]
    vault_post = [acct(3, WSOL_MINT, pool, big + paid), acct(4, mint, pool, big + sold)]
    if buy:  # the wallet's token account is new: absent before, rent paid by the wallet
        mine_pre, mine_post = [], [acct(2, mint, wallet, tokens)]
        wallet_lamports = ([big, 0, 0], [big - sol - fee - rent, 0, rent])
    else:
        mine_pre, mine_post = [acct(2, mint, wallet, big)], [acct(2, mint, wallet, big - tokens)]
        wallet_lamports = ([big, 0, rent], [big + sol - fee, 0, rent])
    keys = [wallet, key("Tmp"), key("Ata"), key("Vs"), key("Vt")]
    meta = {
        "err": None,
        "fee": fee,
        "preBalances": [*wallet_lamports[0], rent + big, rent],
        "postBalances": [*wallet_lamports[1], rent + big + paid, rent],
        "preTokenBalances": vault_pre + mine_pre,
        "postTokenBalances": mine_post + vault_post,
    }
    message = {"accountKeys": keys}
    return {"slot": 3, "transaction": {"signatures": ["5ig"], "message": message}, "meta": meta}


@given(
    hs.integers(1, 10**12),  # lamports of SOL in or out
    hs.integers(1, 10**18),  # tokens out or in
    hs.integers(0, 10**6),  # fee
    hs.booleans(),  # buy (SOL -> token) or sell (token -> SOL)
)
def test_a_swap_through_a_temporary_wsol_account_reads_back_its_legs(
    sol: int, tokens: int, fee: int, buy: bool
) -> None:
    result = swap(sol, tokens, fee, buy)
    legs = swap_legs(result, OWNERS[0])
    assert legs is not None and legs.ok and legs.fee_lamports == fee
    want = (WSOL_MINT, sol, MINTS[1], tokens) if buy else (MINTS[1], tokens, WSOL_MINT, sol)
    assert (legs.mint_in, legs.amount_in, legs.mint_out, legs.amount_out) == want
    # the pool sees the mirror image and pays no fee
    mirror = swap_legs(result, OWNERS[1])
    assert mirror is not None and mirror.fee_lamports == 0
    assert (mirror.mint_out, mirror.amount_out, mirror.mint_in, mirror.amount_in) == want
