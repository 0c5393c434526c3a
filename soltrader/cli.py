"""The ``soltrader`` command: data housekeeping today, backtests and live runs as they land.

Exit status: 0 success, 1 a soltrader error or a failed validation, 2 a usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

import soltrader as st

Handler = Callable[[argparse.Namespace], int]


def _load_args(parser: argparse.ArgumentParser, *, optional_series: bool = False) -> None:
    nargs = "?" if optional_series else None
    parser.add_argument("symbol", nargs=nargs, help="pair, e.g. SOL/USDT")
    parser.add_argument("timeframe", nargs=nargs, help="bar length, e.g. 1m, 1h, 4h")
    parser.add_argument("--exchange", default="binance", help="exchange id (default: binance)")
    parser.add_argument("--data-dir", type=Path, default=None, help="the data/ folder to use")


def _bars(args: argparse.Namespace, *, validate: bool) -> pd.DataFrame:
    """The series the arguments name: a file given with --file, else a stored series."""
    if getattr(args, "file", None) is not None:
        return st.data.read_ohlcv(args.file, timeframe=args.timeframe, validate=validate)
    if args.symbol is None or args.timeframe is None:
        raise st.ParameterError("symbol", "give SYMBOL and TIMEFRAME, or --file PATH")
    return st.data.load(
        args.symbol,
        args.timeframe,
        exchange=args.exchange,
        data_dir=args.data_dir,
        validate=validate,
    )


def cmd_info(args: argparse.Namespace) -> int:
    """List stored series, or describe one."""
    if args.symbol is None:
        table = st.data.available(data_dir=args.data_dir)
        print(table.to_string(index=False) if len(table) else "no stored series")
        return 0
    bars = _bars(args, validate=False)
    report = st.data.validate(bars, args.timeframe)
    print(f"{args.exchange} {args.symbol} {args.timeframe}: {len(bars):,} bars")
    if len(bars):
        print(f"first bar  {bars.index[0]}\nlast bar   {bars.index[-1]}")
        print(f"last close {bars['close'].iloc[-1]:.6g}")
    print(report)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate a stored series or a file; exit 1 on errors (with --strict, on any finding)."""
    bars = _bars(args, validate=False)
    report = st.data.validate(bars, args.timeframe)
    print(report)
    if args.strict:
        st.data.validate(bars, args.timeframe, strict=True)
    return 0 if report.ok else 1


def cmd_resample(args: argparse.Namespace) -> int:
    """Resample to a higher timeframe and write parquet or CSV (by the output's extension)."""
    bars = _bars(args, validate=True)
    out = st.data.resample(bars, args.to, drop_partial=args.drop_partial)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.suffix == ".parquet":
        out.to_parquet(args.out, compression="zstd")
    elif args.out.suffix in (".csv", ".gz"):
        out.to_csv(args.out)
    else:
        raise st.ParameterError("--out", f"{args.out} must end in .parquet, .csv or .csv.gz")
    print(f"{len(bars):,} bars {args.timeframe} -> {len(out):,} bars {args.to}: {args.out}")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    """Download bars through ccxt into the parquet cache (resumes where the cache ends)."""
    bars = st.data.download(
        args.exchange_id,
        args.symbol,
        args.timeframe,
        args.since,
        args.until,
        data_dir=args.data_dir,
        progress=not args.no_progress,
    )
    first = bars.index[0] if len(bars) else "-"
    last = bars.index[-1] if len(bars) else "-"
    print(
        f"{args.exchange_id} {args.symbol} {args.timeframe}: {len(bars):,} bars "
        f"cached ({first} .. {last})"
    )
    return 0


def cmd_dex_ohlcv(args: argparse.Namespace) -> int:
    """Fetch a DEX pool's candles into data/cache/dex (providers in failover order; intervals
    already fetched are served from the cache without a request)."""
    import asyncio

    from soltrader.adapters.dex_data import (
        describe_fetch,
        download_pool_ohlcv,
        parse_provider_urls,
    )
    from soltrader.adapters.store import to_epoch_ms

    until = args.until if args.until is not None else pd.Timestamp.now(tz="UTC")
    fetched = asyncio.run(
        download_pool_ohlcv(
            args.pool,
            args.timeframe,
            to_epoch_ms(args.since, "--since"),
            to_epoch_ms(until, "--until"),
            urls=parse_provider_urls(args.provider_url) or None,
            data_dir=args.data_dir,
        )
    )
    print(describe_fetch(fetched))
    return 0


def cmd_dex_universe(args: argparse.Namespace) -> int:
    """Snapshot the DEX universe (cached for a few minutes) and screen it."""
    import asyncio

    from soltrader.adapters.dex_data import parse_provider_urls, universe_snapshot
    from soltrader.strategies.universe import screen_snapshots, universe_frame

    snap = asyncio.run(
        universe_snapshot(
            urls=parse_provider_urls(args.provider_url) or None,
            data_dir=args.data_dir,
            refresh=args.refresh,
        )
    )
    tokens = snap.tokens[: args.limit] if args.limit else snap.tokens
    now_ms = int(pd.Timestamp.now(tz="UTC").value // 1_000_000)
    result = screen_snapshots(tokens, now_ms)
    table = universe_frame(tokens, now_ms).assign(approved=result.approved)
    shown = ["symbol", "token", "pool", "dex", "age_days", "liquidity_usd", "volume_24h_usd"]
    shown += ["price_change_24h", "holders", "approved"]
    print(table[shown].to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    origin = "cache" if snap.from_cache else f"{snap.requests} HTTP requests"
    fetched = pd.Timestamp(snap.fetched_ms, unit="ms", tz="UTC")
    when = f"{fetched:%Y-%m-%d %H:%M:%S} UTC"
    print(f"{len(tokens)} tokens from {snap.source} ({origin}), snapshot of {when}")
    print(
        f"approval rate {result.approval_rate:.1%} ({int(result.approved.sum())} of "
        f"{result.n_universe}); rules {dict(result.thresholds)}; rejected {result.rejections}"
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The main job on the bundled SOL data: validation summary, an indicator chart, and two
    strategies backtested into one HTML report."""
    import matplotlib

    matplotlib.use("Agg")
    from soltrader.report import bands_and_rsi, html_report

    bars = st.data.load("SOL/USDT", "1h", data_dir=args.data_dir, validate=False)
    report = st.data.validate(bars, "1h")
    print(
        f"SOL/USDT 1h (binance spot): {len(bars):,} bars, "
        f"{bars.index[0]:%Y-%m-%d %H:%M} .. {bars.index[-1]:%Y-%m-%d %H:%M} UTC"
    )
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    recent = int((bars.index > bars.index[-1] - pd.Timedelta(days=args.days)).sum())
    fig = bands_and_rsi(
        bars, last=recent, title=f"SOL/USDT 1h, last {args.days} days: Bollinger 20/2 sd, RSI 14"
    )
    chart = args.out / "sol_usdt_1h_bbands_rsi.png"
    fig.savefig(chart, dpi=110)
    print(f"chart written: {chart}")
    costs = {"fees": 0.001, "slippage": 0.0005}
    results = {
        "sma_cross": st.backtest(
            bars, st.strategies.sma_cross, fast=20, slow=100, sl_stop=0.02, **costs
        ),
        "mean_reversion": st.backtest(bars, st.strategies.mean_reversion, **costs),
    }
    table = pd.DataFrame({name: r.stats() for name, r in results.items()})
    print("\nBacktests (fill at the next open, 10 bps fees, 5 bps slippage):")
    print(table.to_string(float_format=lambda v: f"{v:,.4f}"))
    path = html_report(results, args.out / "report.html", title="soltrader demo: SOL/USDT 1h")
    print(f"report written: {path}")
    return 0


def cmd_warmup(args: argparse.Namespace) -> int:
    """Compile the kernels of a first backtest, sweep and live loop into the shared cache (or
    print where it is, or clear it first)."""
    import shutil

    from soltrader._cache import cache_dir
    from soltrader.engine.warmup import warmup

    where = cache_dir()
    if args.path:
        print(where)
        return 0
    if args.clear and where.exists():
        shutil.rmtree(where)
        print(f"cleared {where}")
    if args.clear_only:
        return 0
    print(f"numba cache: {where}")
    started = time.perf_counter()

    def show(step: Any) -> None:
        state = f"compiled {step.compiled} functions" if step.compiled else "cached"
        if step.skipped:
            state = f"skipped ({step.skipped})"
        print(f"  {step.name:<48} {step.seconds:7.2f} s  {state}", flush=True)

    warmup(args.strategy or None, sweep=not args.no_sweep, live=not args.no_live, report=show)
    print(f"warm in {time.perf_counter() - started:.1f} s")
    return 0


def _spec(path: Path) -> Any:
    """A backtest or sweep spec; a live spec (``[live]``, ``[risk]`` or ``[ops]`` tables) is
    validated as such and run as the backtest it contains."""
    import tomllib

    from soltrader.engine.spec import parse_spec

    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise st.ParameterError("spec", f"{path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise st.ParameterError("spec", f"{path} is not valid TOML: {exc}") from None
    if any(k in raw for k in ("live", "risk", "ops")):
        from soltrader.engine.live_spec import parse_live_spec

        return parse_live_spec(raw).backtest_spec()
    return parse_spec(raw)


def _spec_bars(spec: Any, data_dir: Path | None, file: Path | None = None) -> pd.DataFrame:
    if file is not None:
        return st.data.read_ohlcv(file)
    data = spec.data
    return st.data.load(
        data["symbol"],
        data["timeframe"],
        exchange=data.get("exchange", "binance"),
        start=data.get("start"),
        end=data.get("end"),
        data_dir=data_dir,
    )


def _out_dir(args: argparse.Namespace) -> Path:
    return args.out if args.out is not None else args.spec.with_suffix("")


def cmd_backtest(args: argparse.Namespace) -> int:
    """Run the single backtest a spec describes; write its HTML report beside the spec."""
    import matplotlib

    matplotlib.use("Agg")
    spec = _spec(args.spec)
    if spec.space:
        raise st.ParameterError("space", "this spec sweeps values: run it with soltrader sweep")
    bars = _spec_bars(spec, args.data_dir, args.data)
    result = st.backtest(bars, spec.strategy, **spec.params)
    print(result.stats().to_string(float_format=lambda v: f"{v:,.4f}"))
    if args.intents is not None:
        from soltrader.engine.intents import backtest_intents, intents_csv

        table = backtest_intents(bars, spec.strategy, symbols=[spec.data["symbol"]], **spec.params)
        _write(args.intents, intents_csv(table))
        print(f"intents written: {args.intents} ({len(table)} rows)")
    path = result.report(_out_dir(args) / "report.html", title=f"{args.spec.stem}")
    print(f"report written: {path}")
    return 0


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _speed(text: str) -> float | None:
    if text == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use max or a number > 0") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: use max or a number > 0")
    return value


def _param(text: str) -> tuple[str, Any]:
    """``k=v`` with v read as TOML (``fast=10``, ``fees=0.001``, ``mode="B"``)."""
    import tomllib

    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: use NAME=VALUE")
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value  # a bare word is a string
    return key.strip(), parsed


def cmd_promote(args: argparse.Namespace) -> int:
    """Write a live spec into live/: from a sweep spec's best row, or a strategy and params."""
    from soltrader.engine.live_spec import best_params, promote

    given = dict(args.param or [])
    if args.sweep is not None:
        spec = _spec(args.sweep)
        if not spec.space:
            raise st.ParameterError("sweep", f"{args.sweep} has no [space]: not a sweep spec")
        table_path = args.table or _out_dir(argparse.Namespace(out=None, spec=args.sweep)) / (
            "table.parquet"
        )
        if not table_path.exists():
            raise st.ParameterError(
                "table", f"{table_path} does not exist: run soltrader sweep {args.sweep} first"
            )
        table = (
            pd.read_parquet(table_path)
            if table_path.suffix == ".parquet"
            else pd.read_csv(table_path)
        )
        metric = args.metric or spec.sweep.get("metric", "sharpe")
        params = {**best_params(table, spec.space, metric, spec.params), **given}
        strategy, data = spec.strategy, spec.data
    else:
        if args.strategy is None or args.symbol is None or args.timeframe is None:
            raise st.ParameterError(
                "promote", "give a sweep spec, or --strategy, --symbol and --timeframe"
            )
        strategy = st.strategies.get(args.strategy, field="--strategy")
        data = {"symbol": args.symbol, "timeframe": args.timeframe}
        params = given
    out = args.out or Path("live") / (
        f"{strategy.name}_{data['symbol'].replace('/', '').lower()}_{data['timeframe']}.toml"
    )
    path = promote(
        strategy, params, out, symbol=data["symbol"], timeframe=data["timeframe"],
        exchange=data.get("exchange", "binance"), overwrite=args.overwrite,
    )  # fmt: skip
    print(f"live spec written: {path}")
    print(path.read_text())
    return 0


def cmd_live(args: argparse.Namespace) -> int:
    """Run a spec live (paper venue) on a replay of a bar file through the real live path."""
    import asyncio
    import logging

    from soltrader.runtime.app import (
        LiveOptions,
        journal_intents_csv,
        load_spec,
        open_journal,
        run_live,
    )

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    opts = LiveOptions(args.spec, args.replay, args.speed, args.state, args.live, args.intents)
    summary = asyncio.run(run_live(opts, lambda line: print(line, flush=True)))
    print(
        f"stopped ({summary.stopped}): {summary.decided} bars decided, {summary.restored} "
        f"restored from the journal, {summary.quarantined} quarantined, {summary.intents} "
        f"intents{', HALTED' if summary.halted else ''}",
        flush=True,
    )
    if args.intents is not None:
        with open_journal(args.spec, args.state, read_only=True) as journal:
            _write(args.intents, journal_intents_csv(load_spec(args.spec), journal))
        print(f"intents written: {args.intents}")
    return 0


#: ``soltrader status --check`` exit codes by health.
HEALTH_EXIT = {"healthy": 0, "degraded": 3, "unhealthy": 4}


def cmd_status(args: argparse.Namespace) -> int:
    """Health, positions, equity, guard state and the last bar of a spec's journal; with
    ``--check`` the exit status says the health (0 healthy, 3 degraded, 4 unhealthy or not
    running)."""
    import time

    from soltrader.runtime.app import (
        health_text,
        live_health,
        load_spec,
        open_journal,
        status_text,
    )

    with open_journal(args.spec, args.state, read_only=True) as journal:
        status = journal.status()
    health = live_health(args.spec, args.state)
    print(status_text(status, load_spec(args.spec), int(time.time() * 1000), health))
    print(health_text(health))
    return HEALTH_EXIT[health["status"]] if args.check else 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Serve the read-only dashboard of the specs until Ctrl-C."""
    import asyncio

    from soltrader.runtime.dashboard import serve_dashboard, watched_specs

    if not 0 <= args.port <= 65535:
        raise st.ParameterError("--port", f"must be 0..65535, got {args.port}")
    if not args.refresh > 0:
        raise st.ParameterError("--refresh", f"must be > 0 seconds, got {args.refresh}")
    watched = watched_specs(args.spec, args.state)
    ready = lambda url: print(f"dashboard: {url} (Ctrl-C stops it)", flush=True)  # noqa: E731
    asyncio.run(serve_dashboard(watched, port=args.port, refresh_s=args.refresh, on_ready=ready))
    return 0


def _operator(args: argparse.Namespace, action: str, value: str) -> int:
    import time

    from soltrader.runtime.app import operator_request
    from soltrader.runtime.control import OperatorRequest

    request = OperatorRequest(action, value, int(time.time() * 1000))
    done = operator_request(args.spec, args.state, request)
    print(f"{action} {value}: {done}" if value else f"{action}: {done}")
    return 0


def cmd_halt(args: argparse.Namespace) -> int:
    """Halt a spec: its runner flattens and takes no entry until ``soltrader resume``."""
    return _operator(args, "halt", args.reason)


def cmd_resume(args: argparse.Namespace) -> int:
    """Clear a halt (by the operator or the kill switch)."""
    return _operator(args, "resume", "")


def cmd_control(args: argparse.Namespace) -> int:
    """Set the control mode: normal, pause (no new entries) or reduce (entries scaled down)."""
    return _operator(args, "mode", args.mode)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run the sweep a spec describes; write its table, heatmap and HTML summary beside it."""
    import matplotlib

    matplotlib.use("Agg")
    from soltrader.report import sweep_report, write_table

    spec = _spec(args.spec)
    if not spec.space:
        raise st.ParameterError("space", "a sweep spec needs a [space] table of swept values")
    bars = _spec_bars(spec, args.data_dir)
    result = st.sweep(
        bars,
        spec.strategy,
        **spec.params,
        **spec.space,
        **spec.sweep,
        progress=False if args.no_progress else None,  # None: a bar on a terminal only
    )
    out = _out_dir(args)
    for path in write_table(result.table, out):
        print(f"table written: {path}")
    print(result.summary().to_string())
    print(
        result.top(10)[
            [*result.params, result.metric, "total_return", "max_drawdown", "n_trades"]
        ].to_string()
    )
    path = sweep_report(result, out / "summary.html", title=f"{args.spec.stem}")
    if len(result.params) >= 2:
        heat = out / f"heatmap_{result.params[0]}_{result.params[1]}.png"
        result.heatmap(result.params[0], result.params[1]).savefig(heat, dpi=110)
        print(f"heatmap written: {heat}")
    print(f"summary written: {path}")
    return 0


#: The environment variable ``soltrader wallet show`` reads the RPC URL from (URLs carry keys:
#: never on a command line).
RPC_ENV = "SOLTRADER_SOLANA_RPC"


def cmd_wallet_new(args: argparse.Namespace) -> int:
    """Write a new Solana key file (mode 0600); print its public key only."""
    from soltrader.adapters.wallet import new_wallet

    wallet = new_wallet(args.path)
    print(f"wallet {wallet.pubkey} written to {args.path} (mode 0600)")
    return 0


def cmd_wallet_show(args: argparse.Namespace) -> int:
    """A key file's public key and, with an RPC URL in the environment, its balances."""
    import asyncio
    import os

    from soltrader.adapters.solana_rpc import Endpoint, RpcPool
    from soltrader.adapters.wallet import load_wallet
    from soltrader.domain.secret import Secret

    wallet = load_wallet(args.path)
    print(f"public key {wallet.pubkey}")
    url = os.environ.get(args.rpc_env, "")
    if not url:
        print(f"balances: set {args.rpc_env} to an RPC URL to see them")
        return 0

    async def balances() -> tuple[int, list]:
        async with RpcPool([Endpoint("rpc", Secret(url))], max_wait_s=0.0) as pool:
            return await pool.balance(wallet.pubkey), await pool.token_accounts(wallet.pubkey)

    lamports, tokens = asyncio.run(balances())
    print(f"SOL {lamports / 1e9:.9f} ({lamports} lamports)")
    for account in tokens:
        print(f"token {account.mint}: {account.amount} atomic units (account {account.address})")
    return 0


def cmd_data_pools(args: argparse.Namespace) -> int:
    """The Orca, Raydium CLMM and Meteora DLMM pools of a mint, from chain state."""
    import asyncio
    import os

    from soltrader.adapters.solana_pools import pools_of
    from soltrader.adapters.solana_rpc import Endpoint, RpcPool
    from soltrader.domain.secret import Secret

    url = os.environ.get(args.rpc_env, "")
    if not url:
        raise st.ParameterError("--rpc-env", f"set {args.rpc_env} to an RPC URL")

    async def read() -> list:  # 7 calls: paced by the endpoint's quota (10 per second)
        async with RpcPool([Endpoint("rpc", Secret(url))], max_wait_s=30.0) as pool:
            return await pools_of(pool, args.mint)

    views = asyncio.run(read())
    if not views:
        print(f"no Orca Whirlpool, Raydium CLMM or Meteora DLMM pool holds {args.mint}")
        return 0
    rows = [
        {
            "dex": v.dex,
            "pool": v.address,
            "other mint": v.mint_b if v.mint_a == args.mint else v.mint_a,
            "price (other per token)": float(v.price_of(args.mint)),
            "fee %": 100 * v.fee_rate,
            "tick / bin": v.position,
            "reserve of token": v.reserves[0] if v.mint_a == args.mint else v.reserves[1],
            "reserve of other": v.reserves[1] if v.mint_a == args.mint else v.reserves[0],
        }
        for v in views
    ]
    print(f"{len(views)} pools of {args.mint} (reserves in atomic units):")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:.10g}"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``soltrader`` command."""
    parser = argparse.ArgumentParser(
        prog="soltrader",
        description="Research crypto trading strategies and trade the winner with the same code.",
    )
    parser.add_argument("--version", action="version", version=f"soltrader {st.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the main job on the bundled SOL data")
    demo.add_argument("--out", type=Path, default=Path("backtests/demo"), help="output folder")
    demo.add_argument("--days", type=int, default=90, help="days shown in the chart")
    demo.add_argument("--data-dir", type=Path, default=None, help="the data/ folder to use")
    demo.set_defaults(handler=cmd_demo)

    warm = sub.add_parser(
        "warmup",
        help="compile the kernels of a first backtest, sweep and live loop into the shared cache",
    )
    warm.add_argument(
        "--strategy", action="append", help="a registered strategy (repeat; default: all)"
    )
    warm.add_argument("--no-sweep", action="store_true", help="no sweep")
    warm.add_argument("--no-live", action="store_true", help="no live loop (paper replay)")
    warm.add_argument("--clear", action="store_true", help="empty the cache first")
    warm.add_argument("--clear-only", action="store_true", help="with --clear: do not compile")
    warm.add_argument("--path", action="store_true", help="print the cache folder and exit")
    warm.set_defaults(handler=cmd_warmup)

    for name, handler, text in (
        ("backtest", cmd_backtest, "run the backtest a TOML spec describes"),
        ("sweep", cmd_sweep, "run the parameter sweep a TOML spec describes"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("spec", type=Path, help="the spec, e.g. backtests/sma_cross_sweep.toml")
        cmd.add_argument(
            "--out",
            type=Path,
            default=None,
            help="output folder (default: beside the spec, named after it)",
        )
        cmd.add_argument("--data-dir", type=Path, default=None, help="the data/ folder to use")
        cmd.add_argument("--no-progress", action="store_true", help="no progress bar")
        cmd.set_defaults(handler=handler)
        if name == "backtest":
            cmd.add_argument("--data", type=Path, default=None, help="bars from a CSV/parquet file")
            cmd.add_argument(
                "--intents", type=Path, default=None, help="write the backtest's intents (CSV)"
            )

    pro = sub.add_parser("promote", help="write a live spec from a sweep's best row or params")
    pro.add_argument("sweep", type=Path, nargs="?", help="a sweep spec whose table exists")
    pro.add_argument("--table", type=Path, default=None, help="the sweep table (parquet/CSV)")
    pro.add_argument("--metric", default=None, help="rank by this column (default: the spec's)")
    pro.add_argument("--strategy", default=None, help="a strategy name (without a sweep)")
    pro.add_argument("--symbol", default=None, help="market, e.g. SOL/USDT (without a sweep)")
    pro.add_argument("--timeframe", default=None, help="bar length, e.g. 1m (without a sweep)")
    pro.add_argument("--param", type=_param, action="append", help="NAME=VALUE (repeatable)")
    pro.add_argument("--out", type=Path, default=None, help="the spec to write (default live/)")
    pro.add_argument("--overwrite", action="store_true", help="replace an existing spec")
    pro.set_defaults(handler=cmd_promote)

    live = sub.add_parser("live", help="run a live spec (paper venue) on a feed or a replay")
    live.add_argument("spec", type=Path, help="the live spec, e.g. live/sma_cross.toml")
    mode = live.add_mutually_exclusive_group()
    mode.add_argument("--paper", action="store_true", help="paper venue (the default)")
    mode.add_argument("--live", action="store_true", help="a real venue (needs [live] confirm)")
    live.add_argument("--replay", type=Path, default=None, help="replay a CSV/parquet bar file")
    live.add_argument("--speed", type=_speed, default=None, help="max (default) or a multiple")
    live.add_argument("--intents", type=Path, default=None, help="write the journal's intents")
    live.add_argument("--state", type=Path, default=None, help="state folder (the journal)")
    live.set_defaults(handler=cmd_live)

    dash = sub.add_parser("dashboard", help="serve a read-only page of live specs on 127.0.0.1")
    dash.add_argument("spec", type=Path, nargs="+", help="one or more live specs")
    dash.add_argument("--state", type=Path, default=None, help="state folder (one spec only)")
    dash.add_argument("--port", type=int, default=8050, help="port (0: a free one; default 8050)")
    dash.add_argument("--refresh", type=float, default=2.0, help="seconds between refreshes")
    dash.set_defaults(handler=cmd_dashboard)
    for name, handler, text in (
        ("status", cmd_status, "show a live spec's positions, equity and guard state"),
        ("halt", cmd_halt, "halt a live spec (flatten, no entries) until resume"),
        ("resume", cmd_resume, "clear a live spec's halt"),
        ("control", cmd_control, "set a live spec's control mode (normal, pause, reduce)"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("spec", type=Path, help="the live spec")
        cmd.add_argument("--state", type=Path, default=None, help="state folder (the journal)")
        if name == "status":
            cmd.add_argument(
                "--check",
                action="store_true",
                help="exit 0 healthy, 3 degraded, 4 unhealthy or not running",
            )
        if name == "halt":
            cmd.add_argument("--reason", required=True, help="why (kept in the journal)")
        if name == "control":
            cmd.add_argument("--mode", required=True, choices=("normal", "pause", "reduce"))
        cmd.set_defaults(handler=handler)

    wallet = sub.add_parser("wallet", help="create or show a Solana wallet (key file)")
    wsub = wallet.add_subparsers(dest="wallet_command", required=True)
    wnew = wsub.add_parser("new", help="write a new key file (mode 0600)")
    wnew.add_argument("path", type=Path, help="the key file to create, e.g. ~/.keys/bot.json")
    wnew.set_defaults(handler=cmd_wallet_new)
    wshow = wsub.add_parser("show", help="public key and balances (never the secret)")
    wshow.add_argument("path", type=Path, help="the key file")
    wshow.add_argument(
        "--rpc-env", default=RPC_ENV, help=f"variable holding the RPC URL (default {RPC_ENV})"
    )
    wshow.set_defaults(handler=cmd_wallet_show)

    data = sub.add_parser("data", help="inspect, validate, resample and download market data")
    dsub = data.add_subparsers(dest="data_command", required=True)

    info = dsub.add_parser("info", help="list stored series, or describe one")
    _load_args(info, optional_series=True)
    info.set_defaults(handler=cmd_info)

    val = dsub.add_parser("validate", help="check a series against the OHLCV rules")
    _load_args(val, optional_series=True)
    val.add_argument("--file", type=Path, help="validate a CSV/parquet file instead")
    val.add_argument("--strict", action="store_true", help="fail on the first finding, gaps too")
    val.set_defaults(handler=cmd_validate)

    res = dsub.add_parser("resample", help="resample to a higher timeframe")
    _load_args(res, optional_series=True)
    res.add_argument("--file", type=Path, help="resample a CSV/parquet file instead")
    res.add_argument("--to", required=True, help="target timeframe, e.g. 4h")
    res.add_argument("--out", type=Path, required=True, help="output .parquet or .csv")
    res.add_argument("--drop-partial", action="store_true", help="drop incomplete buckets")
    res.set_defaults(handler=cmd_resample)

    dl = dsub.add_parser("download", help="download bars through ccxt into data/cache")
    dl.add_argument("exchange_id", help="ccxt exchange id, e.g. binance")
    dl.add_argument("symbol", help="pair, e.g. SOL/USDT")
    dl.add_argument("timeframe", help="bar length, e.g. 1h")
    dl.add_argument("--since", required=True, help="first bar, e.g. 2024-01-01")
    dl.add_argument("--until", default=None, help="end (exclusive), default now")
    dl.add_argument("--data-dir", type=Path, default=None, help="the data/ folder to use")
    dl.add_argument("--no-progress", action="store_true", help="no progress bar")
    dl.set_defaults(handler=cmd_download)

    provider_help = "NAME=URL of a provider (geckoterminal, birdeye), repeat in failover order"
    dex = dsub.add_parser("dex-ohlcv", help="download a DEX pool's candles into data/cache/dex")
    dex.add_argument("pool", help="pool address (base58)")
    dex.add_argument("timeframe", help="candle length, e.g. 1h")
    dex.add_argument("--since", required=True, help="first candle, e.g. 2024-01-01")
    dex.add_argument("--until", default=None, help="end (exclusive), default now")
    dex.add_argument("--provider-url", action="append", default=[], help=provider_help)
    dex.add_argument("--data-dir", type=Path, default=None, help="the data/ folder to use")
    dex.set_defaults(handler=cmd_dex_ohlcv)

    uni = dsub.add_parser("universe", help="snapshot the DEX token universe and screen it")
    uni.add_argument("--limit", type=int, default=None, help="keep the N most liquid tokens")
    uni.add_argument("--provider-url", action="append", default=[], help=provider_help)
    uni.add_argument("--refresh", action="store_true", help="ignore a cached snapshot")
    uni.add_argument("--data-dir", type=Path, default=None, help="the data/ folder to use")
    uni.set_defaults(handler=cmd_dex_universe)

    pools = dsub.add_parser("pools", help="a Solana token's DEX pools and prices, from chain state")
    pools.add_argument("mint", help="the token's mint address (base58)")
    pools.add_argument(
        "--rpc-env", default="SOLTRADER_SOLANA_RPC", help="the variable holding the RPC URL"
    )
    pools.set_defaults(handler=cmd_data_pools)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``soltrader`` console script."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", st.SoltraderWarning)
        try:
            status = handler(args)
        except st.Error as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
