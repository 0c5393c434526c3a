"""What a first common-case backtest and sweep compile, in a fresh process with an empty cache:
the common case's bar loop once for both, and never the general kernel's busy bar (most of a
first run's compile time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from numba.core import event
compiled = []
class Names(event.Listener):
    def on_start(self, ev):
        disp = (ev.data or {}).get("dispatcher")
        compiled.append(getattr(getattr(disp, "py_func", None), "__qualname__", "?"))
    def on_end(self, ev):
        pass
event.register("numba:compile", Names())
import soltrader as st
from soltrader.engine.warmup import _market
bars = _market()
costs = dict(fees=0.001, slippage=0.0005, sl_stop=0.02)
st.backtest(bars, st.strategies.sma_cross, **costs)
res = st.sweep(bars, st.strategies.sma_cross, fast=[10, 20], slow=[50], progress=False,
               check_lookahead=False, conventions="vectorbt", **costs)
print(json.dumps({"compiled": compiled, "fused": bool(res.fused)}))
"""


def test_common_case_compiles_its_loop_once_and_never_the_general_busy_bar(tmp_path: Path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    names = seen["compiled"]
    assert seen["fused"]
    assert names.count("simple_loop_nb") == 1  # shared by the backtest and the sweep
    assert "simulate_one_simple_nb" in names
    assert names.count("_param") == 1  # not once per parameter position
    assert "_busy_bar" not in names and "simulate_nb" not in names
