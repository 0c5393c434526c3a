"""The live commands' edges: ``soltrader promote`` (from parameters or a sweep's best row) and
the one-line errors of ``soltrader live`` / ``status`` for a missing spec, an unknown strategy or
a spec without a journal."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from soltrader.cli import main


def test_promote_from_a_strategy_and_parameters(tmp_path: Path, capsys) -> None:
    out = tmp_path / "live" / "sma.toml"
    code = main(
        [
            "promote", "--strategy", "sma_cross", "--symbol", "SOL/USDT", "--timeframe", "1m",
            "--param", "fast=12", "--param", "slow=48", "--param", "fees=0.001",
            "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    raw = tomllib.loads(out.read_text())
    assert raw["params"] == {"fast": 12, "slow": 48, "fees": 0.001}
    assert raw["live"]["venue"] == "paper"
    assert main(["promote", "--strategy", "sma_cross", "--symbol", "S", "--timeframe", "1m",
                 "--out", str(out)]) == 1  # fmt: skip
    assert "exists" in capsys.readouterr().err


def test_promote_the_best_row_of_a_sweep(tmp_path: Path) -> None:
    spec = tmp_path / "sweep.toml"
    spec.write_text(
        '[data]\nsymbol = "SOL/USDT"\ntimeframe = "1h"\n[strategy]\nname = "sma_cross"\n'
        "[params]\nfees = 0.001\n[space]\nfast = [10, 20]\nslow = [50, 100]\n"
        '[sweep]\nmetric = "sharpe"\n'
    )
    table = pd.DataFrame(
        {"fast": [10.0, 20.0, 10.0], "slow": [50.0, 50.0, 100.0], "sharpe": [0.1, 1.5, 0.7]}
    )
    (tmp_path / "sweep").mkdir()
    table.to_parquet(tmp_path / "sweep" / "table.parquet")
    out = tmp_path / "best.toml"
    assert main(["promote", str(spec), "--out", str(out)]) == 0
    raw = tomllib.loads(out.read_text())
    assert raw["params"] == {"fees": 0.001, "fast": 20, "slow": 50}
    assert raw["data"]["timeframe"] == "1h"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["live", "nowhere.toml", "--replay", "x.csv"], "nowhere.toml does not exist"),
        (["status", "nowhere.toml"], "nowhere.toml does not exist"),
    ],
)
def test_clear_one_line_errors(args: list[str], message: str, capsys) -> None:
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_an_unknown_strategy_and_a_missing_journal(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "x.toml"
    spec.write_text(
        '[data]\nsymbol = "SOL/USDT"\ntimeframe = "1m"\n[strategy]\nname = "sma_crosss"\n'
        '[live]\nvenue = "paper"\n'
    )
    assert main(["status", str(spec)]) == 1
    assert "strategy.name: 'sma_crosss'" in capsys.readouterr().err
    spec.write_text(spec.read_text().replace("sma_crosss", "sma_cross"))
    assert main(["status", str(spec)]) == 1
    assert "has no journal yet" in capsys.readouterr().err


_SOLANA_SPEC = """[data]
symbol = "SOL/USDC"
timeframe = "1m"
[strategy]
name = "sma_cross"
[live]
venue = "{venue}"
confirm = "I understand this trades real money"
[risk]
kill_drawdown = 0.2
[solana]
base_mint = "So11111111111111111111111111111111111111112"
quote_mint = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
base_decimals = 9
quote_decimals = 6
wallet_env = "NO_SUCH_WALLET_VARIABLE"
rpc = [{{ label = "main", url_env = "NO_SUCH_RPC_VARIABLE" }}]
"""


@pytest.mark.parametrize(
    ("venue", "flag", "message"),
    [
        ("solana", "--paper", "trades on 'solana': run it with --live"),
        ("paper", "--live", 'venue is "paper"'),
        ("ccxt", "--live", 'venue "ccxt" needs a [ccxt] table'),
        ("solana", "--live", "NO_SUCH_WALLET_VARIABLE"),  # the venue is built: its wallet first
    ],
)
def test_one_spec_one_venue_and_a_real_one_only_with_live(
    tmp_path: Path, venue: str, flag: str, message: str, capsys, monkeypatch
) -> None:
    monkeypatch.delenv("NO_SUCH_WALLET_VARIABLE", raising=False)
    spec = tmp_path / "s.toml"
    spec.write_text(_SOLANA_SPEC.format(venue=venue))
    bars = tmp_path / "bars.csv"
    bars.write_text("timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,1,1,1,1\n")
    assert main(["live", str(spec), flag, "--replay", str(bars)]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
