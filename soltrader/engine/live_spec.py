"""Live specs: a backtest spec plus the tables a live runner needs, validated strictly.

A live spec is the TOML file ``soltrader backtest`` already reads (``[data]``, ``[strategy]``,
``[params]``) plus three tables, so the file that was validated as a backtest is the file that
trades::

    [live]        venue = "paper", window, state_dir, flatten_on_exit, status_every,
                  confirm (needed by a real venue), [live.feed] (rest_url, ws_url,
                  stale_after_s, reconnect_cap_s), [live.credentials] (api_key, api_secret)
    [risk]        the RiskLimits fields (the account guards, applied in the backtest too) and the
                  kill switch: kill_drawdown, kill_daily_loss, max_errors_per_hour, kill_stale_s
    [ops]         health_port, metrics_port, telegram_token, telegram_chat (the operations
                  surface reads them)
    [solana]      the mints a Solana execution swaps, its caps and costs (the paper venue and
                  the backtest charge the same), [[solana.rpc]] endpoints and the wallet, by
                  the names of the environment variables that hold URLs and keys
    [ccxt]        the exchange a ``venue = "ccxt"`` spec trades on through a ccxt client: its
                  id, symbol, the environment variables holding the key, the secret and an API
                  URL override, the request rate limit, the order-resolution timings and the
                  reconciliation policy

Every table forbids unknown keys: a typo is an error naming the table and the key, with the
closest known key (``live.vneue: unknown key in [live]; did you mean 'venue'? (known: ...)``),
never a silently ignored option. Credentials are wrapped as
:class:`~soltrader.domain.secret.Secret` when read, so no repr of a spec shows them. A spec
asking for ``fill = "close"`` is refused with the reason (no live loop can trade at the close it
has just observed).

:func:`promote` writes such a file from a strategy and its parameters (the research result a user
wants to run), validated by reading it back.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from soltrader.costs.models import AMMPool, SolanaTxCost
from soltrader.domain.errors import ParameterError
from soltrader.domain.secret import Secret
from soltrader.engine._hints import unknown
from soltrader.engine.backtest import backtest_signals, not_a_keyword
from soltrader.engine.paper import resting_keyword
from soltrader.engine.spec import Spec
from soltrader.risk import RiskLimits
from soltrader.sim.rules import resolve_conventions
from soltrader.strategies import REGISTRY, Strategy
from soltrader.strategies import get as get_strategy

#: The confirmation a spec must carry before a real venue may trade it.
CONFIRM_REAL_MONEY = "I understand this trades real money"
_STRICT = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
_TIMEFRAME = re.compile(r"^[1-9][0-9]*(m|h|d)$")


def _secret(value: Any) -> Any:
    return Secret(value) if isinstance(value, str) else value


SecretField = Annotated[Secret, BeforeValidator(_secret)]


class DataTable(BaseModel):
    """``[data]``: the market (as ``st.data.load`` names it) and the bar length."""

    model_config = _STRICT
    symbol: str
    timeframe: Annotated[str, Field(pattern=_TIMEFRAME.pattern)]
    exchange: str = "binance"
    start: str | None = None
    end: str | None = None


class StrategyTable(BaseModel):
    """``[strategy]``: a name in ``st.strategies.REGISTRY``."""

    model_config = _STRICT
    name: str


class FeedTable(BaseModel):
    """``[live.feed]``: where klines come from (default: the venue's public endpoints), how a
    silent feed is detected (seconds), and the REST calls' rate limit (requests per second)
    and circuit breaker (opens after ``breaker_failures`` consecutive failures, probes after
    ``breaker_reset_s`` seconds)."""

    model_config = _STRICT
    rest_url: str | None = None
    ws_url: str | None = None
    stale_after_s: Annotated[float, Field(gt=0)] | None = None
    reconnect_cap_s: Annotated[float, Field(gt=0)] = 5.0
    rest_per_s: Annotated[int, Field(ge=1)] = 10
    breaker_failures: Annotated[int, Field(ge=1)] = 3
    breaker_reset_s: Annotated[float, Field(gt=0)] = 300.0


class Credentials(BaseModel):
    """``[live.credentials]``: venue keys, held as secrets."""

    model_config = _STRICT
    api_key: SecretField | None = None
    api_secret: SecretField | None = None


class LiveTable(BaseModel):
    """``[live]``: the venue (``paper`` unless a real one is confirmed), the signal window
    (bars; default the strategy's ``live_window``), the state folder and shutdown options
    (``flatten_on_exit``: a stop by SIGINT / SIGTERM halts the runner, so that it flattens at
    the first bar it decides next and takes no entry until ``soltrader resume``), and a status
    line every ``status_every`` bars."""

    model_config = _STRICT
    venue: Literal["paper", "ccxt", "solana"] = "paper"
    window: Annotated[int, Field(ge=2)] | None = None
    state_dir: str | None = None
    flatten_on_exit: bool = False
    status_every: Annotated[int, Field(ge=1)] = 60
    confirm: str | None = None
    feed: FeedTable = FeedTable()
    credentials: Credentials = Credentials()


#: The RiskLimits fields a [risk] table may set, and those that can be off (None).
_LIMIT_FIELDS = tuple(RiskLimits.__dataclass_fields__)
_OPTIONAL_LIMITS = tuple(
    k for k, f in RiskLimits.__dataclass_fields__.items() if "None" in str(f.type)
)


class RiskTable(BaseModel):
    """``[risk]``: the account guards (:class:`~soltrader.risk.RiskLimits` fields; the backtest
    of the spec applies them too) and the runtime's kill switch (fractions of equity; errors
    per hour; seconds without a bar)."""

    model_config = _STRICT
    daily_loss_limit: float | None = None
    soft_drawdown: float | None = None
    soft_multiplier: float | None = None
    hard_drawdown: float | None = None
    reduce_multiplier: float | None = None
    max_open_positions: int | None = None
    max_symbol_exposure: float | None = None
    max_correlation: float | None = None
    max_heat: float | None = None
    correlation_min_obs: int | None = None
    kill_drawdown: Annotated[float, Field(gt=0, lt=1)] | None = None
    kill_daily_loss: Annotated[float, Field(gt=0, lt=1)] | None = None
    max_errors_per_hour: Annotated[int, Field(ge=1)] | None = None
    kill_stale_s: Annotated[float, Field(gt=0)] | None = None

    def limits(self) -> RiskLimits | None:
        """The account guards the table sets (None when it sets none); a limit it does not
        name is off, so what the file says is all that applies."""
        given = {k: getattr(self, k) for k in _LIMIT_FIELDS if getattr(self, k) is not None}
        if not given:
            return None
        off = {k: None for k in _OPTIONAL_LIMITS}
        return RiskLimits(**{**off, **given})


class OpsTable(BaseModel):
    """``[ops]``: the operations surface. ``health_port`` serves ``/health`` (and ``/metrics``
    unless ``metrics_port`` is given) on 127.0.0.1 (None or 0: a free port); notifications go
    to the Telegram chat ``telegram_chat`` with the bot token read from the environment
    variable ``telegram_token_env`` (or, discouraged, ``telegram_token`` in the file) through
    ``telegram_base_url``, with a summary at each UTC day's end when ``daily_summary``."""

    model_config = _STRICT
    health_port: Annotated[int, Field(ge=0, le=65535)] | None = None
    metrics_port: Annotated[int, Field(ge=0, le=65535)] | None = None
    telegram_token: SecretField | None = None
    telegram_token_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    telegram_chat: str | None = None
    telegram_base_url: Annotated[str, Field(pattern=r"^https?://")] = "https://api.telegram.org"
    daily_summary: bool = True


#: The wrapped SOL mint (SOL as an SPL token).
WRAPPED_SOL_MINT = "So11111111111111111111111111111111111111112"
#: A base58 Solana address (32 bytes: 32 to 44 characters of the base58 alphabet).
_ADDRESS = r"^[1-9A-HJ-NP-Za-km-z]{32,44}$"
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
#: Jupiter's default host (configurable: hosts and key rules have changed).
JUPITER_URL = "https://api.jup.ag"


class RpcTable(BaseModel):
    """One ``[[solana.rpc]]`` endpoint: a label for logs, the environment variable holding its
    URL (providers put API keys in it, so the URL never sits in the spec) and its quota."""

    model_config = _STRICT
    label: Annotated[str, Field(min_length=1)]
    url_env: Annotated[str, Field(pattern=_ENV_NAME)]
    max_calls: Annotated[int, Field(ge=1)] = 10
    per_s: Annotated[float, Field(gt=0)] = 1.0


class SolanaTable(BaseModel):
    """``[solana]``: where a strategy's decisions are executed on Solana, and what that costs.

    The feed stays ``[data]``'s market (e.g. SOL/USDT klines from a CEX) while execution swaps
    ``base_mint`` / ``quote_mint`` through Jupiter. The paper venue and the backtest charge the
    same Solana costs (:meth:`LiveSpec.backtest_kwargs`): ``base_fee_lamports`` +
    ``priority_fee_lamports`` per transaction, ``jito_tip_lamports`` when it lands,
    ``fail_rate`` of transactions failing (fees paid, nothing filled), and, with
    ``pool_liquidity``, a constant-product pool's price impact and ``pool_fee``. The fees are
    lamports, priced in the quote currency at ``[data]``'s close when the base mint is wrapped
    SOL, at 1 when the quote mint is, and otherwise at ``sol_price`` (quote per SOL, required
    then: the close of another asset is not a SOL price). The real venue
    keeps to the caps (``max_slippage_bps``, ``max_price_impact``, ``max_priority_lamports``),
    signs with the wallet in ``wallet`` (a key file) or ``wallet_env``, reads its RPC
    endpoints and Jupiter key from environment variables named here, and calls Jupiter at most
    ``jupiter_max_calls`` times per ``jupiter_per_s`` seconds.
    """

    model_config = _STRICT
    base_mint: Annotated[str, Field(pattern=_ADDRESS)]
    quote_mint: Annotated[str, Field(pattern=_ADDRESS)]
    base_decimals: Annotated[int, Field(ge=0, le=18)]
    quote_decimals: Annotated[int, Field(ge=0, le=18)]
    slippage_bps: Annotated[int, Field(ge=0, le=10_000)] = 50
    max_slippage_bps: Annotated[int, Field(ge=0, le=10_000)] = 100
    max_price_impact: Annotated[float, Field(gt=0, lt=1)] = 0.01
    max_priority_lamports: Annotated[int, Field(ge=0)] = 100_000
    priority_level: Literal["medium", "high", "veryHigh"] = "high"
    base_fee_lamports: Annotated[int, Field(ge=0)] = 5_000
    priority_fee_lamports: Annotated[int, Field(ge=0)] = 10_000
    jito_tip_lamports: Annotated[int, Field(ge=0)] = 0
    fail_rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    pool_liquidity: Annotated[float, Field(gt=0)] | None = None
    pool_fee: Annotated[float, Field(ge=0, lt=1)] = 0.0025
    sol_price: Annotated[float, Field(gt=0)] | None = None
    jupiter_url: str = JUPITER_URL
    jupiter_key_env: Annotated[str, Field(pattern=_ENV_NAME)] | None = None
    jupiter_max_calls: Annotated[int, Field(ge=1)] = 60
    jupiter_per_s: Annotated[float, Field(gt=0)] = 60.0
    rpc: list[RpcTable] = []
    wallet: str | None = None
    wallet_env: Annotated[str, Field(pattern=_ENV_NAME)] | None = None

    def fee_sol_price(self) -> float | None:
        """Quote per SOL for the fees: None (the bar's close) when the base mint is wrapped
        SOL, 1.0 when the quote mint is, else ``sol_price``.

        Raises
        ------
        ParameterError
            Neither mint is wrapped SOL, some lamport fee is charged and ``sol_price`` is not
            given.
        """
        if self.base_mint == WRAPPED_SOL_MINT:
            return self.sol_price
        if self.quote_mint == WRAPPED_SOL_MINT:
            return 1.0
        fees = self.base_fee_lamports + self.priority_fee_lamports + self.jito_tip_lamports
        if self.sol_price is None and fees:
            raise ParameterError(
                "solana.sol_price",
                "neither mint is wrapped SOL, so the close of [data]'s market is not a SOL price: "
                "give sol_price (quote per SOL) to price the lamport fees",
            )
        return self.sol_price

    def costs(self) -> dict[str, Any]:
        """The backtest keywords of these costs: ``solana`` and, with a pool depth, ``amm``."""
        kw: dict[str, Any] = {
            "solana": SolanaTxCost(
                base_fee=self.base_fee_lamports,
                priority_fee=self.priority_fee_lamports,
                jito_tip=self.jito_tip_lamports,
                fail_rate=self.fail_rate,
                sol_price=self.fee_sol_price(),
            )
        }
        if self.pool_liquidity is not None:
            kw["amm"] = AMMPool(liquidity=self.pool_liquidity, fee=self.pool_fee)
        return kw


class CcxtTable(BaseModel):
    """``[ccxt]``: the exchange a ``venue = "ccxt"`` spec trades on (market orders through a
    ccxt client; see :mod:`soltrader.adapters.ccxt_venue`).

    ``exchange`` is a ccxt exchange id and ``symbol`` a unified symbol (default ``[data]``'s).
    The API key and secret are read from the environment variables ``key_env`` and
    ``secret_env``; ``api_url_env`` may name one holding a base URL that replaces the
    exchange's REST host (a testnet or a local simulator). Every call passes one rate limiter,
    ``max_calls`` per ``per_s`` seconds. An order whose reply was lost is asked about every
    ``poll_s`` seconds for at most ``resolve_timeout_s``; "not found" is believed only
    ``recv_window_ms`` (the exchange's request window, sent as ccxt's ``recvWindow``) plus
    ``skew_ms`` after it was sent; rate-limit refusals are re-tried ``max_retries`` times.
    With ``user_stream`` (default), the exchange's user-data websocket reports each order's
    status and trades as they happen (through ccxt pro), and REST is asked about an order only
    after ``rest_every_s`` of silence; without it, REST every ``poll_s``.

    Reconciliation (at the first bar a run decides, then every ``reconcile_every`` bars):
    open orders on the symbol that the journal does not know are cancelled, left alone, or halt
    the runner (``unknown_orders``); the base balance less ``base_reserve`` (units held outside
    the strategy) and the dust sells left behind must equal the journal's position within
    ``position_tolerance`` base units (default: half a lot step), else the runner halts and
    stops with both quantities in the reason.
    """

    model_config = _STRICT
    exchange: Annotated[str, Field(pattern=r"^[a-z0-9]+$")] = "binance"
    symbol: str | None = None
    key_env: Annotated[str, Field(pattern=_ENV_NAME)] = "SOLTRADER_CCXT_KEY"
    secret_env: Annotated[str, Field(pattern=_ENV_NAME)] = "SOLTRADER_CCXT_SECRET"
    api_url_env: Annotated[str, Field(pattern=_ENV_NAME)] | None = None
    max_calls: Annotated[int, Field(ge=1)] = 10
    per_s: Annotated[float, Field(gt=0)] = 1.0
    recv_window_ms: Annotated[int, Field(ge=100, le=60_000)] = 10_000
    skew_ms: Annotated[int, Field(ge=0)] = 1_000
    poll_s: Annotated[float, Field(gt=0)] = 0.5
    resolve_timeout_s: Annotated[float, Field(gt=0)] = 120.0
    max_retries: Annotated[int, Field(ge=0)] = 5
    timeout_ms: Annotated[int, Field(ge=100)] = 10_000
    unknown_orders: Literal["cancel", "leave", "halt"] = "halt"
    base_reserve: Annotated[float, Field(ge=0)] = 0.0
    position_tolerance: Annotated[float, Field(ge=0)] | None = None
    reconcile_every: Annotated[int, Field(ge=1)] = 60
    user_stream: bool = True
    rest_every_s: Annotated[float, Field(gt=0)] = 2.0


class LiveSpec(BaseModel):
    """A whole live spec (see the module docstring).

    Examples
    --------
    >>> spec = parse_live_spec({"data": {"symbol": "SOL/USDT", "timeframe": "1m"},
    ...                         "strategy": {"name": "sma_cross"},
    ...                         "params": {"fast": 10, "slow": 50},
    ...                         "live": {"credentials": {"api_key": "k-123456"}}})
    >>> spec.live.venue, spec.live.credentials.api_key
    ('paper', Secret('***'))
    """

    model_config = _STRICT
    data: DataTable
    strategy: StrategyTable
    params: dict[str, Any] = {}
    live: LiveTable = LiveTable()
    risk: RiskTable = RiskTable()
    ops: OpsTable = OpsTable()
    solana: SolanaTable | None = None
    ccxt: CcxtTable | None = None

    @property
    def strategy_spec(self) -> Strategy:
        """The strategy the spec names."""
        return REGISTRY[self.strategy.name]

    def strategy_params(self) -> dict[str, Any]:
        """The ``[params]`` that are the strategy's parameters."""
        names = set(self.strategy_spec.params)
        return {k: v for k, v in self.params.items() if k in names}

    def backtest_kwargs(self) -> dict[str, Any]:
        """The keywords of ``st.backtest`` (and of the live loop) the spec gives: ``[params]``,
        the account guards of ``[risk]``, and ``control`` switched on so that the runtime's kill
        switch and ``soltrader halt`` can act (with every limit off unless ``[risk]`` sets
        it, the guards change no fill)."""
        kw = dict(self.params)
        if self.solana is not None:
            kw.update(self.solana.costs())
        limits = self.risk.limits()
        if limits is not None:
            kw["risk"] = limits
        kw["control"] = "normal"
        return kw

    def backtest_spec(self) -> Spec:
        """The spec as the backtest CLI runs it."""
        return Spec(
            data=self.data.model_dump(exclude_none=True),
            strategy=self.strategy_spec,
            params=self.backtest_kwargs(),
        )


_LIVE_TABLES = ("live", "risk", "ops", "solana", "ccxt")
#: Keywords of the backtest a spec's [params] may set besides the strategy's parameters.
_BACKTEST_KEYWORDS = frozenset(inspect.signature(backtest_signals).parameters) - {
    "data", "entries", "exits", "short_entries", "short_exits",
}  # fmt: skip


def is_live_spec(raw: Mapping[str, Any]) -> bool:
    """Whether a parsed TOML spec has any live table."""
    return any(k in raw for k in _LIVE_TABLES)


def _location(error: Mapping[str, Any]) -> str:
    return ".".join(str(p) for p in error["loc"]) or "spec"


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The table model an annotation holds (``X``, ``X | None``, ``list[X]``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        model = _model_of(arg)
        if model is not None:
            return model
    return None


def _known_keys(table: Sequence[Any]) -> list[str]:
    """The keys the table at ``table`` (a pydantic location without its key) accepts."""
    model: type[BaseModel] | None = LiveSpec
    for part in table:
        if isinstance(part, int):  # an entry of an array of tables, [[solana.rpc]]
            continue
        field = None if model is None else model.model_fields.get(str(part))
        model = None if field is None else _model_of(field.annotation)
    return [] if model is None else list(model.model_fields)


def _unknown_key(error: Mapping[str, Any]) -> ParameterError:
    """``live.vneue: unknown key in [live]; did you mean 'venue'? (known: ...)``."""
    loc = tuple(error["loc"])
    table = ".".join(str(p) for p in loc[:-1] if not isinstance(p, int))
    return ParameterError(
        _location(error), unknown(f"unknown key in [{table}]", str(loc[-1]), _known_keys(loc[:-1]))
    )


def parse_live_spec(raw: Mapping[str, Any]) -> LiveSpec:
    """Validate a parsed TOML live spec.

    Raises
    ------
    ParameterError
        Naming the table and key that is unknown, missing or wrong (``live.vneue``), an unknown
        strategy, or ``fill = "close"``. An unknown table, key or strategy name also gets the
        closest known one (``difflib``) and the known ones, on one line; an unknown key is
        reported before a missing one (``nme = ...`` is named, not the missing ``name``).

    Examples
    --------
    >>> try:
    ...     parse_live_spec({"data": {"symbol": "SOL/USDT", "timeframe": "1m"},
    ...                      "strategy": {"name": "sma_cross"}, "live": {"vneue": "paper"}})
    ... except ParameterError as exc:
    ...     print(exc)  # one line, wrapped here  # doctest: +NORMALIZE_WHITESPACE
    live.vneue: unknown key in [live]; did you mean 'venue'? (known: confirm, credentials,
    feed, flatten_on_exit, state_dir, status_every, venue, window)
    """
    tables = {"data", "strategy", "params", *_LIVE_TABLES}
    extra = sorted(set(raw) - tables)
    if extra:
        raise ParameterError(
            f"[{extra[0]}]", unknown("unknown table in a live spec", extra[0], tables)
        )
    try:
        spec = LiveSpec.model_validate(dict(raw))
    except ValidationError as exc:
        errors = exc.errors()
        typos = [e for e in errors if e["type"] == "extra_forbidden"]
        if typos:
            raise _unknown_key(typos[0]) from None
        first = errors[0]
        raise ParameterError(_location(first), _message(first)) from None
    _check_semantics(spec)
    return spec


def _message(error: Mapping[str, Any]) -> str:
    """pydantic's message without the input value (which may be a credential)."""
    return str(error["msg"])


def _check_semantics(spec: LiveSpec) -> None:
    get_strategy(spec.strategy.name, field="strategy.name")
    given_fill, preset = spec.params.get("fill"), spec.params.get("conventions")
    if preset == "vectorbt" or resolve_conventions(preset, fill=given_fill).fill == "close":
        key, what = ("params.fill", '"close"')
        if given_fill != "close":  # the vectorbt preset fills at the signal's close, only
            key, what = ("params.conventions", f"{preset!r} reproduces vectorbt, which")
        raise ParameterError(
            key,
            f"{what} fills at the close of the bar whose close decided the order; a live loop "
            "sees that close only once the bar has ended, so the earliest it can trade is the "
            'next bar\'s open: remove it or use fill = "next_open"',
        )
    known = set(spec.strategy_spec.params) | _BACKTEST_KEYWORDS
    extra = sorted(set(spec.params) - known)
    if extra:
        raise ParameterError(
            f"params.{extra[0]}",
            f"unknown key in [params]: {not_a_keyword(spec.strategy_spec, extra[0])}",
        )
    for reserved in ("risk", "control"):
        if reserved in spec.params:
            raise ParameterError(
                f"params.{reserved}", "set by the [risk] table and the runtime, not [params]"
            )
    solana = spec.solana
    if solana is not None:
        for reserved in ("solana", "amm"):
            if reserved in spec.params:
                raise ParameterError(f"params.{reserved}", "set by the [solana] table")
        solana.fee_sol_price()  # the lamport fees can be priced in the quote currency
        if solana.slippage_bps > solana.max_slippage_bps:
            raise ParameterError(
                "solana.slippage_bps",
                f"{solana.slippage_bps} is above max_slippage_bps ({solana.max_slippage_bps})",
            )
        if solana.base_mint == solana.quote_mint:
            raise ParameterError("solana.quote_mint", "must differ from base_mint")
        if solana.wallet is not None and solana.wallet_env is not None:
            raise ParameterError("solana.wallet_env", "give wallet (a key file) or wallet_env")
    if spec.live.venue == "solana":
        _check_solana_venue(spec)
    if spec.live.venue == "ccxt":
        _check_ccxt_venue(spec)
    if spec.live.venue != "paper" and spec.live.confirm != CONFIRM_REAL_MONEY:
        raise ParameterError(
            "live.confirm",
            f"venue {spec.live.venue!r} trades real money: set confirm = "
            f'"{CONFIRM_REAL_MONEY}" once the limits in [risk] are right',
        )


def _check_solana_venue(spec: LiveSpec) -> None:
    """What the Solana venue needs: the [solana] table with a wallet and an RPC endpoint, a
    kill switch in [risk], and only what a swap can do (market orders without leverage; a
    short entry a strategy decides is refused by the venue at run time and journalled)."""
    solana = spec.solana
    if solana is None:
        raise ParameterError("solana", 'venue "solana" needs a [solana] table (mints, wallet, rpc)')
    if solana.wallet is None and solana.wallet_env is None:
        raise ParameterError("solana.wallet", "the venue signs swaps: give wallet or wallet_env")
    if not solana.rpc:
        raise ParameterError("solana.rpc", "the venue needs at least one [[solana.rpc]] endpoint")
    if solana.jito_tip_lamports:
        raise ParameterError(
            "solana.jito_tip_lamports",
            "Jito submission is not wired into the spec's venue yet: set 0 (the backtest would "
            "charge a tip the venue does not pay)",
        )
    _check_market_only(spec, "a swap venue executes market swaps only")


def _check_market_only(spec: LiveSpec, what: str) -> None:
    """A real venue that executes market orders only: a kill switch, and no resting order,
    protective level or leverage in [params]."""
    if spec.risk.kill_drawdown is None and spec.risk.kill_daily_loss is None:
        raise ParameterError(
            "risk.kill_drawdown",
            "a real venue needs a kill switch: set kill_drawdown or kill_daily_loss in [risk]",
        )
    name = resting_keyword(spec.params)
    if name is None and spec.params.get("leverage", 1.0) != 1.0:
        name = "leverage"
    if name is not None:
        raise ParameterError(
            f"params.{name}",
            f"{spec.params[name]!r}: {what} (no resting order, no protective level, no leverage)",
        )


def _check_ccxt_venue(spec: LiveSpec) -> None:
    """What the ccxt venue needs: a [ccxt] table, a kill switch, market orders only."""
    if spec.ccxt is None:
        raise ParameterError("ccxt", 'venue "ccxt" needs a [ccxt] table (exchange, symbol, keys)')
    if spec.ccxt.key_env == spec.ccxt.secret_env:
        raise ParameterError("ccxt.secret_env", "must differ from key_env")
    _check_market_only(spec, "the ccxt venue places market orders only for now")


def spec_mapping(
    strategy: Strategy,
    params: Mapping[str, Any],
    *,
    symbol: str,
    timeframe: str,
    exchange: str = "binance",
    live: Mapping[str, Any] | None = None,
    risk: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The TOML mapping of a live spec (what :func:`promote` writes), validated.

    Examples
    --------
    >>> import soltrader as st
    >>> raw = spec_mapping(st.strategies.sma_cross, {"fast": 10, "slow": 50, "fees": 0.001},
    ...                    symbol="SOL/USDT", timeframe="1m")
    >>> raw["strategy"], raw["live"]
    ({'name': 'sma_cross'}, {'venue': 'paper'})
    """
    if not isinstance(strategy, Strategy) or REGISTRY.get(strategy.name) is not strategy:
        raise ParameterError("strategy", "promote a built-in strategy (st.strategies.REGISTRY)")
    raw: dict[str, Any] = {
        "data": {"symbol": symbol, "timeframe": timeframe, "exchange": exchange},
        "strategy": {"name": strategy.name},
        "params": {k: _plain(k, v) for k, v in params.items()},
        "live": {"venue": "paper", **(live or {})},
    }
    if risk:
        raw["risk"] = dict(risk)
    parse_live_spec(raw)
    return raw


def _plain(name: str, value: Any) -> Any:
    """A parameter value TOML can hold (numpy scalars become Python numbers)."""
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, bool | int | float | str):
        return value
    raise ParameterError(
        f"params.{name}", f"{value!r}: a spec holds numbers, strings and booleans only"
    )


def best_params(
    table: Any, space: Mapping[str, Sequence[Any]], metric: str, fixed: Mapping[str, Any]
) -> dict[str, Any]:
    """The parameters of a sweep table's best row by ``metric`` (highest; NaN rows skipped),
    with the fixed ``[params]`` of its spec, each swept value of the type its space declares.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"fast": [10.0, 20.0], "slow": [50.0, 100.0], "sharpe": [0.5, 1.2]})
    >>> best_params(table, {"fast": [10, 20], "slow": [50, 100]}, "sharpe", {"fees": 0.001})
    {'fees': 0.001, 'fast': 20, 'slow': 100}
    """
    if metric not in table.columns:
        raise ParameterError("metric", f"{metric!r} is not a column of the sweep table")
    missing = [k for k in space if k not in table.columns]
    if missing:
        raise ParameterError("table", f"has no column for the swept {missing[0]!r}")
    scores = table[metric].astype(float)
    if scores.notna().sum() == 0:
        raise ParameterError("table", f"every {metric!r} is NaN: nothing to promote")
    row = table.loc[scores.idxmax()]
    out = dict(fixed)
    for name, values in space.items():
        kind = type(values[0])
        value = row[name]
        out[name] = kind(value.item() if hasattr(value, "item") else value)
    return out


def promote(
    strategy: Strategy,
    params: Mapping[str, Any],
    path: str | Path,
    *,
    symbol: str,
    timeframe: str,
    exchange: str = "binance",
    live: Mapping[str, Any] | None = None,
    risk: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    **backtest_kw: Any,
) -> Path:
    """Write the live spec of ``strategy`` with ``params`` (its parameters and backtest
    keywords) to ``path``: the file ``soltrader live`` runs and ``soltrader backtest`` checks.

    Parameters
    ----------
    strategy : Strategy
        A built-in strategy, e.g. ``st.strategies.sma_cross``.
    params : mapping
        Its parameters and the backtest keywords (fees, slippage, stops...), scalars only.
    path : str or Path
        Where to write, e.g. ``live/sma_cross_sol.toml`` (folders are created).
    symbol, timeframe, exchange : str
        The market, as ``st.data.load`` names it.
    live, risk : mapping, optional
        ``[live]`` and ``[risk]`` tables (default: paper venue, no limits).
    overwrite : bool
        Replace an existing file (default: refuse).
    **backtest_kw
        More backtest keywords, merged into ``params`` (e.g. ``fees=0.001``).

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import soltrader as st
    >>> st.promote(st.strategies.sma_cross, {"fast": 10, "slow": 50}, "live/sma.toml",
    ...            symbol="SOL/USDT", timeframe="1m", fees=0.001)          # doctest: +SKIP
    PosixPath('live/sma.toml')
    """
    import tomli_w

    raw = spec_mapping(
        strategy,
        {**params, **backtest_kw},
        symbol=symbol,
        timeframe=timeframe,
        exchange=exchange,
        live=live,
        risk=risk,
    )
    path = Path(path)
    if path.exists() and not overwrite:
        raise ParameterError("path", f"{path} exists: pass overwrite=True to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    header = f"# Promoted {strategy.name}: `soltrader live {path}` runs it (paper by default)\n"
    path.write_text(header + tomli_w.dumps(raw))
    return path


__all__ = [
    "CONFIRM_REAL_MONEY",
    "LiveSpec",
    "best_params",
    "is_live_spec",
    "parse_live_spec",
    "promote",
    "spec_mapping",
]
