"""The operations surface of a running runner, over real HTTP on 127.0.0.1: ``/health``,
``/metrics`` (Prometheus text, parsed by prometheus_client's own parser) and ``soltrader status``,
while ``soltrader live --replay`` decides bars in another process; the metrics' numbers equal the
journal's."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

import soltrader as st
from soltrader.runtime.journal import Journal
from soltrader.runtime.ops_server import OPS_FILE, running_endpoints
from tests.conftest import read_sample_bars
from tests.live_process import cli, state_dir, wait_for_runner

pytestmark = pytest.mark.slow

SMA = {"fast": 5, "slow": 20, "sl_stop": 0.01, "fees": 0.001}


def _setup(tmp: Path, n: int, ops: str = "") -> tuple[Path, Path]:
    data = tmp / "bars.csv"
    read_sample_bars("binance", "SOL-USDT", "1m").iloc[:n].reset_index().to_csv(data, index=False)
    spec = st.promote(
        st.strategies.sma_cross, SMA, tmp / "live" / "sma.toml", symbol="SOL/USDT", timeframe="1m"
    )
    if ops:
        spec.write_text(spec.read_text() + f"\n[ops]\n{ops}\n")
    return spec, data


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as answer:
        with answer:
            return answer.code, answer.read().decode()


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a Prometheus page: (name, sorted labels) -> value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_health_metrics_and_status_of_a_running_replay(tmp_path: Path) -> None:
    spec, data = _setup(tmp_path, 180, ops="metrics_port = 0")  # 18 s at 10 bars a second
    proc = subprocess.Popen(
        cli("live", str(spec), "--replay", str(data), "--speed", "600"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        ends = wait_for_runner(spec, proc)
        assert ends.pid == proc.pid and ends.health_url != ends.metrics_url  # two ports
        assert ends.health_url.startswith("http://127.0.0.1:")
        seen: list[float] = []
        for _ in range(4):
            time.sleep(1.0)
            code, body = _get(ends.metrics_url)
            assert code == 200
            samples = _samples(body)
            bars = samples[("soltrader_bars_total", ())]
            seen.append(bars)
            # the journal at the same bar: one writer, the metrics count bars after the commit
            with Journal(state_dir(spec) / "journal.sqlite", read_only=True) as journal:
                equity = journal.equity()
            assert len(equity) >= bars
            assert samples[("soltrader_equity", ())] == pytest.approx(
                float(equity["equity"][int(bars) - 1]), rel=1e-12
            )
            assert samples[("soltrader_decision_latency_seconds_count", ())] == bars
            assert ("soltrader_requests_total", (("provider", "binance klines"),)) in samples
            assert samples[("soltrader_breaker_state", (("breaker", "binance klines"),))] == 0
            code, body = _get(ends.health_url)
            health = json.loads(body)
            assert code == 200 and health["status"] in ("healthy", "degraded"), health
            assert health["runner"]["halted"] is None
            assert health["system"]["disk_free_bytes"] > 0
        assert seen == sorted(seen) and seen[-1] > seen[0]  # the numbers move while it runs
        status = subprocess.run(
            cli("status", str(spec), "--check"), capture_output=True, text=True, timeout=60
        )
        assert "health      " in status.stdout and "binance klines (feed)" in status.stdout
        assert "s since a bar was decided" in status.stdout  # the runner's lag, not the wall
        assert status.returncode in (0, 3), status.stdout + status.stderr
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr[-2000:]
    finally:
        proc.kill()
    assert not (state_dir(spec) / OPS_FILE).exists()  # removed at the stop
    after = subprocess.run(
        cli("status", str(spec), "--check"), capture_output=True, text=True, timeout=60
    )
    assert after.returncode == 4 and "health      unhealthy: not running" in after.stdout


def test_a_halted_runner_is_unhealthy_with_http_503(tmp_path: Path) -> None:
    spec, data = _setup(tmp_path, 400)
    proc = subprocess.Popen(
        cli("live", str(spec), "--replay", str(data), "--speed", "300"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        ends = wait_for_runner(spec, proc)
        halt = subprocess.run(
            cli("halt", str(spec), "--reason", "maintenance"), capture_output=True, text=True
        )
        assert halt.returncode == 0, halt.stderr
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            code, body = _get(ends.health_url)
            if code == 503:
                break
            time.sleep(0.2)
        health = json.loads(body)
        assert code == 503 and health["status"] == "unhealthy"
        assert "halted: operator: maintenance" in health["reasons"]
        samples = _samples(_get(ends.metrics_url)[1])
        assert samples[("soltrader_halted", ())] == 1.0
    finally:
        proc.kill()
        proc.communicate(timeout=60)


def test_a_file_left_by_a_killed_runner_is_not_mistaken_for_a_running_one(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    (tmp_path / OPS_FILE).write_text(
        json.dumps({"pid": int(dead.stdout), "health_url": "x", "metrics_url": "y"})
    )
    assert running_endpoints(tmp_path) is None
