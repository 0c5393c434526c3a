"""The working tree against an earlier commit, measured back to back in one run.

A change to a kernel shows the benchmark of the commit before and after it, in the same run on
the same machine. This module extracts a base commit (``SOLTRADER_BENCH_BASE``, default the
commit before issue 9's simulator changes) with ``git archive`` and times, alternately in fresh
interpreters of each tree (each with its own warm numba cache):

* one backtest of sma_cross (fast 20, slow 100, 2 % stop, 10 bps fees, 5 bps slippage) on
  1,000,000 GBM one-minute bars, with the default conventions and with vectorbt's at the close;
* the canonical fused sweep (sma_cross, fast 10..100 x slow 50..500, the same costs, vectorbt
  conventions at the close, 2 threads);
* the vectorbt-conventions backtest and the sweep again on 1,000,000 real SOL/USDT 1m bars (the
  bundled bars repeated), where trades are about ten times as frequent.

Each figure is the best of ``REPEAT`` warm calls in each of ``ROUNDS`` alternating processes
(every case is first called twice, so that no case pays the page faults of the process's first
large allocations); the row gives both trees' best and the ratio new / base. Never asserts a
time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BASE = os.environ.get("SOLTRADER_BENCH_BASE", "ee399e4")
ROUNDS = int(os.environ.get("SOLTRADER_BENCH_ROUNDS", "3"))
REPEAT = 5
MARK = "@@compare@@"

CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import soltrader as st
from tests.benchmarks.bench_backtest import best_of, gbm_bars, real_bars
from tests.benchmarks.bench_sweep import FASTS, SLOWS, COSTS
bars = gbm_bars()
real = real_bars()
kw = dict(fast=20, slow=100, **COSTS)
out = {}
cases = {
    "backtest_default": lambda: st.backtest(bars, st.strategies.sma_cross, **kw),
    "backtest_vectorbt": lambda: st.backtest(
        bars, st.strategies.sma_cross, fill="close", conventions="vectorbt", **kw),
    "sweep_vectorbt": lambda: st.sweep(
        bars, st.strategies.sma_cross, fast=FASTS, slow=SLOWS, check_lookahead=False, n_jobs=2,
        fill="close", conventions="vectorbt", **COSTS),
    "backtest_vectorbt_real": lambda: st.backtest(
        real, st.strategies.sma_cross, fill="close", conventions="vectorbt", **kw),
    "sweep_vectorbt_real": lambda: st.sweep(
        real, st.strategies.sma_cross, fast=FASTS, slow=SLOWS, check_lookahead=False, n_jobs=2,
        fill="close", conventions="vectorbt", **COSTS),
}
for call in cases.values():  # compile, and let the allocator settle, before any timing
    call()
    call()
for name, call in cases.items():
    out[name] = best_of(call, int(sys.argv[2]))[0]
print(sys.argv[3] + json.dumps(out), flush=True)
"""


def _extract(ref: str, into: Path) -> str:
    """The tree of ``ref`` under ``into``; returns the full commit id."""
    commit = subprocess.run(
        ["git", "rev-parse", ref], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    archive = into / "base.tar"
    subprocess.run(
        ["git", "archive", "--format=tar", "-o", str(archive), commit], cwd=ROOT, check=True
    )
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return commit


def _measure(tree: Path, cache: Path) -> dict[str, float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), str(REPEAT), MARK],
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
        timeout=1800,
    )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    raise RuntimeError(f"benchmark child failed: {done.stderr.strip().splitlines()[-3:]}")


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        commit = _extract(BASE, tmp_path)
        trees = {"base": tmp_path / "tree", "new": ROOT}
        caches = {name: tmp_path / f"cache-{name}" for name in trees}
        best: dict[str, dict[str, float]] = {"base": {}, "new": {}}
        start = time.perf_counter()
        for _ in range(ROUNDS):
            for name, tree in trees.items():
                for case, seconds in _measure(tree, caches[name]).items():
                    best[name][case] = min(best[name].get(case, float("inf")), seconds)
        wall = time.perf_counter() - start
    return [
        {
            "case": case,
            "base_commit": commit[:12],
            "base_s": best["base"][case],
            "new_s": best["new"][case],
            "new_over_base": best["new"][case] / best["base"][case],
            "rounds": ROUNDS,
            "repeat": REPEAT,
            "run_wall_s": wall,
        }
        for case in best["new"]
    ]
