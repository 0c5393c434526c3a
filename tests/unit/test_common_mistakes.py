"""The mistakes users make most, each answered by one line that names what was given and says
what would work: an unknown strategy name, a misspelt spec key, data that is not stored, and
asking for the status of a live spec that never ran."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest

import soltrader as st
from soltrader.cli import build_parser, cmd_download, main
from soltrader.engine.live_spec import parse_live_spec
from soltrader.engine.spec import parse_spec

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_1H = ROOT / "data" / "sample" / "binance" / "SOL-USDT" / "1h" / "2024.parquet"
KNOWN = "grid, mean_reversion, momentum, sma_cross, smc_order_block"
DATA = {"symbol": "SOL/USDT", "timeframe": "1h"}
BASE = {"data": DATA, "strategy": {"name": "sma_cross"}}
LIVE = {
    "data": {"symbol": "SOL/USDT", "timeframe": "1m"},
    "strategy": {"name": "sma_cross"},
    "params": {"fast": 10, "slow": 50, "fees": 0.001},
    "live": {"venue": "paper"},
}


def _one_line(error: BaseException) -> str:
    assert isinstance(error, st.Error)
    text = str(error)
    assert "\n" not in text and "\r" not in text
    return text


def _toml(path: Path, tables: dict) -> Path:
    lines = []
    for table, values in tables.items():
        lines.append(f"[{table}]")
        for key, value in values.items():
            lines.append(f"{key} = {value!r}".replace("'", '"'))
    path.write_text("\n".join(lines) + "\n")
    return path


def _cli_error(capsys, *argv: str) -> str:
    """Run the CLI, expect exit status 1 and return its one line on stderr."""
    assert main(list(argv)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: ")
    return err[0]


@pytest.fixture(scope="module")
def bars(sol_1h: pd.DataFrame) -> pd.DataFrame:
    return sol_1h.loc["2024-01-01":"2024-02-29"]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data folder holding binance SOL/USDT 1h of 2024 only."""
    folder = tmp_path / "data" / "sample" / "binance" / "SOL-USDT" / "1h"
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE_1H, folder)
    return tmp_path / "data"


# ------------------------------------------------------------------ 1. unknown strategy name


def test_an_unknown_strategy_name_in_a_spec(tmp_path, capsys) -> None:
    with pytest.raises(st.ParameterError) as err:
        parse_spec({**BASE, "strategy": {"name": "sma_cros"}})
    text = _one_line(err.value)
    assert err.value.name == "strategy.name"
    assert "'sma_cros' is not a known strategy; did you mean 'sma_cross'?" in text
    assert KNOWN in text
    with pytest.raises(st.ParameterError) as err:
        parse_live_spec({**LIVE, "strategy": {"name": "momentun"}})
    assert err.value.name == "strategy.name"
    assert "did you mean 'momentum'?" in _one_line(err.value) and KNOWN in str(err.value)
    # no close match: the known names only
    with pytest.raises(st.ParameterError) as err:
        parse_spec({**BASE, "strategy": {"name": "martingale"}})
    assert "did you mean" not in _one_line(err.value) and KNOWN in str(err.value)
    # the CLI prints it as one line
    spec = _toml(tmp_path / "typo.toml", {**BASE, "strategy": {"name": "sma_cros"}})
    line = _cli_error(capsys, "backtest", str(spec))
    assert line.startswith("error: strategy.name: 'sma_cros' is not a known strategy")


def test_an_unknown_strategy_name_in_python(bars) -> None:
    assert st.strategies.get("mean_reversion") is st.strategies.mean_reversion
    with pytest.raises(st.ParameterError) as err:
        st.strategies.get("mean_revers")
    assert "'mean_revers'" in _one_line(err.value)
    assert "did you mean 'mean_reversion'?" in str(err.value) and KNOWN in str(err.value)
    # a name where a spec is expected: a misspelt one gets the suggestion ...
    for call in (
        lambda: st.backtest(bars, "sma_cros"),
        lambda: st.sweep(bars, "sma_cros", fast=[10, 20]),
    ):
        with pytest.raises(st.ParameterError) as err:
            call()
        assert "did you mean 'sma_cross'?" in _one_line(err.value)
    # ... and a known one the way to the spec
    with pytest.raises(st.ParameterError) as err:
        st.backtest(bars, "sma_cross")
    assert "st.strategies.sma_cross" in _one_line(err.value)


def test_a_misspelt_keyword_in_python_gets_the_closest(bars) -> None:
    with pytest.raises(st.ParameterError) as err:
        st.backtest(bars, st.strategies.sma_cross, fess=0.001)
    assert err.value.name == "fess" and "did you mean 'fees'?" in _one_line(err.value)
    with pytest.raises(st.ParameterError) as err:
        st.sweep(bars, st.strategies.sma_cross, fats=[10, 20])
    assert err.value.name == "fats" and "did you mean 'fast'?" in _one_line(err.value)


# ------------------------------------------------------------------ 2. a misspelt spec key


@pytest.mark.parametrize(
    ("raw", "where", "hint"),
    [
        ({**BASE, "data": {**DATA, "symbl": "SOL/USDT"}}, "data.symbl", "'symbol'"),
        ({**BASE, "strategy": {"nme": "sma_cross"}}, "strategy.nme", "'name'"),
        ({**BASE, "params": {"fess": 0.001}}, "params.fess", "'fees'"),
        ({**BASE, "space": {"fsat": [10, 20]}}, "space.fsat", "'fast'"),
        ({**BASE, "sweep": {"metirc": "sortino"}}, "sweep.metirc", "'metric'"),
        ({**BASE, "sweeep": {}}, "[sweeep]", "'sweep'"),
    ],
)
def test_a_misspelt_key_in_a_backtest_spec(raw, where, hint) -> None:
    with pytest.raises(st.ParameterError) as err:
        parse_spec(raw)
    text = _one_line(err.value)
    assert err.value.name == where
    assert text.startswith(f"{where}: unknown")
    assert f"did you mean {hint}?" in text
    if not where.startswith("["):
        assert f"[{where.split('.')[0]}]" in text  # the table is named


@pytest.mark.parametrize(
    ("tables", "where", "table", "hint"),
    [
        ({"live": {"vneue": "paper"}}, "live.vneue", "[live]", "'venue'"),
        ({"live": {"feed": {"ws_ulr": "ws://127.0.0.1:1"}}}, "live.feed.ws_ulr", "[live.feed]",
         "'ws_url'"),
        ({"risk": {"kill_drawdwn": 0.1}}, "risk.kill_drawdwn", "[risk]", "'kill_drawdown'"),
        ({"strategy": {"nme": "sma_cross"}}, "strategy.nme", "[strategy]", "'name'"),
        ({"params": {"fast": 10, "sloow": 50}}, "params.sloow", "[params]", "'slow'"),
        ({"lvie": {}}, "[lvie]", "live spec", "'live'"),
    ],
)  # fmt: skip
def test_a_misspelt_key_in_a_live_spec(tables, where, table, hint) -> None:
    with pytest.raises(st.ParameterError) as err:
        parse_live_spec({**LIVE, **tables})
    text = _one_line(err.value)
    assert err.value.name == where
    assert text.startswith(f"{where}: unknown")
    assert table in text and f"did you mean {hint}?" in text


def test_a_misspelt_live_spec_key_through_the_cli(tmp_path, capsys) -> None:
    spec = _toml(tmp_path / "live.toml", {**LIVE, "live": {"vneue": "paper"}})
    line = _cli_error(capsys, "backtest", str(spec))
    assert line.startswith("error: live.vneue: unknown key in [live]; did you mean 'venue'?")


# ------------------------------------------------------------------ 3. data that is not stored


def test_a_range_outside_the_stored_bars(data_dir) -> None:
    with pytest.raises(st.DataNotFoundError) as err:
        st.data.load("SOL/USDT", "1h", start="2030-01-01", end="2030-02-01", data_dir=data_dir)
    text = _one_line(err.value)
    assert "no bars with open time in [2030-01-01, 2030-02-01)" in text
    assert "stored bars span 2024-01-01T00:00:00+00:00 .. 2024-12-31T23:00:00+00:00" in text
    assert text.endswith(
        "download it with: soltrader data download binance SOL/USDT 1h --since 2030-01-01 "
        f"--until 2030-02-01 --data-dir {data_dir}"
    )


@pytest.mark.parametrize(
    ("symbol", "timeframe", "command"),
    [
        ("BTC/USDT", "1h", "soltrader data download binance BTC/USDT 1h --since YYYY-MM-DD"),
        ("SOL-USDT", "15m", "soltrader data download binance SOL/USDT 15m --since YYYY-MM-DD"),
    ],
)
def test_a_series_that_is_not_stored(data_dir, symbol, timeframe, command) -> None:
    with pytest.raises(st.DataNotFoundError) as err:
        st.data.load(symbol, timeframe, data_dir=data_dir)
    text = _one_line(err.value)
    assert "available: binance SOL/USDT 1h (sample)" in text  # what is stored
    assert f"download it with: {command} --data-dir {data_dir}" in text
    hint = text.split("download it with: ")[1]
    args = build_parser().parse_args(shlex.split(hint)[1:])  # the hint is a real command
    assert args.handler is cmd_download and args.data_dir == data_dir


def test_missing_data_through_the_cli(tmp_path, data_dir, capsys) -> None:
    spec = _toml(tmp_path / "late.toml", {**BASE, "data": {**DATA, "start": "2030-01-01"}})
    line = _cli_error(capsys, "backtest", str(spec), "--data-dir", str(data_dir))
    assert line.startswith("error: binance SOL/USDT 1h")
    assert "stored bars span 2024-01-01" in line
    assert "soltrader data download binance SOL/USDT 1h --since 2030-01-01" in line


# ------------------------------------------------------------------ 4. status before any run


def test_status_before_the_first_run(tmp_path, capsys) -> None:
    spec = tmp_path / "sma_cross_sol.toml"
    shutil.copy(ROOT / "live" / "sma_cross_sol.toml", spec)
    line = _cli_error(capsys, "status", str(spec))
    assert line.startswith(f"error: spec: {spec} has no journal yet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sma_cross_sol.toml"]  # nothing made
