"""The canonical sweep (sma_cross, fast 10..100 x slow 50..500 = 100 combinations, 2 % stop,
10 bps fees, 5 bps slippage) on 1,000,000 one-minute bars: soltrader ``st.sweep`` against
vectorbt (``MA.run`` + ``crossed_above`` / ``crossed_below`` + ``Portfolio.from_signals``) and a
hand-fused numba kernel (:mod:`tests.benchmarks.hand_fused`, the speed ceiling); the agreement of
their statistics; and a 10,000-combination sweep with its memory profile.

Two data sets (a child case names its data after ``@``, e.g. ``soltrader-vectorbt@real``; GBM
without it): seeded GBM bars (:func:`~tests.benchmarks.bench_backtest.gbm_bars`: cold, warm, the
10,000-combination run) and the bundled SOL/USDT 1m bars repeated to 1,000,000
(:func:`~tests.benchmarks.bench_backtest.real_bars`: warm only), which trade more.

Every case runs in its own subprocess (``sys.executable``, ``PYTHONPATH`` = the repository root,
bounded by a timeout), so timings and memory never mix:

* **cold**: a fresh process with an empty ``NUMBA_CACHE_DIR``, as a new user: ``setup_s`` is
  import + data, ``first_backtest_s`` a first ``st.backtest`` of the strategy (same costs and
  conventions), ``seconds`` the first sweep after it (compilation included in both).
* **warm**: a fresh process using the cache the cold run just filled; soltrader and the hand-fused
  kernel: best of 3 after one untimed call; vectorbt: the second of two runs, ``gc.collect()``
  between (its users' way; one run takes tens of seconds).
* **peak RSS**: ``VmHWM`` of the subprocess (``/proc/self/status``, peak resident set since its
  ``exec``) read at its end. ``getrusage(RUSAGE_SELF).ru_maxrss`` is not used where ``VmHWM``
  exists: on Linux a child's ``ru_maxrss`` starts from its parent's peak at fork, so it would
  report the runner's memory (gigabytes after other benchmarks) instead of the case's.
* **10,000 combinations**: the parent samples the child's RSS every 0.5 s (psutil) and reports
  the RSS at 25/50/75/100 % of the sweep's run time and the least-squares slope over 10-90 % of
  it in MiB per 1000 combinations (combinations assumed done at a constant rate), next to the
  size of what the sweep keeps per 1000 combinations (statistics + period returns).

Environment: ``SOLTRADER_BENCH_BARS`` (default 1,000,000) shrinks the bar count for quick runs;
``SOLTRADER_BENCH_SKIP_VECTORBT=1`` skips vectorbt (~11 GiB, ~1-2 min per run). Never asserts a
time; targets are reported as ``meets_target``.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from tests.benchmarks.bench_backtest import best_of, gbm_bars, real_bars

ROOT = Path(__file__).resolve().parents[2]
FASTS, SLOWS = range(10, 101, 10), range(50, 501, 50)
PAIRS = list(itertools.product(FASTS, SLOWS))  # the sweep's grid order: slow varies fastest
BIG_FASTS, BIG_SLOWS = range(2, 202, 2), range(210, 1210, 10)
SL, FEES, SLIPPAGE, INIT_CASH, MIN_SIZE = 0.02, 0.001, 0.0005, 10_000.0, 1e-8
THREADS = 2
PPY = 365 * 24 * 60.0  # one-minute bars per 365-day year (vectorbt's freq="1min" factor)
COSTS = dict(sl_stop=SL, fees=FEES, slippage=SLIPPAGE)
CONVENTIONS = {"default": {}, "vectorbt": {"conventions": "vectorbt", "fill": "close"}}
SKIP_VECTORBT = "SOLTRADER_BENCH_SKIP_VECTORBT"
RSS_METHOD = "VmHWM"
MARK = "@@bench_sweep@@ "
TIMEOUT = {"soltrader": 900, "hand_fused": 600, "vectorbt": 1500, "big": 3600}
SAMPLE_S = 0.5
AGREE_TOL = 1e-8
STAT_KEYS = ("total_return", "sharpe", "max_drawdown")

CHILD = """
import time
t0 = time.perf_counter()
import sys
from tests.benchmarks.bench_sweep import child
child(sys.argv[1], sys.argv[2], t0)
"""


def n_bars() -> int:
    """Bars of the benchmark (``SOLTRADER_BENCH_BARS``, default 1,000,000)."""
    return int(os.environ.get("SOLTRADER_BENCH_BARS", "1000000"))


def bars_for(kind: str) -> Any:
    """The benchmark's bars: ``"gbm"`` (seeded GBM) or ``"real"`` (SOL 1m bars repeated)."""
    return real_bars(n_bars()) if kind == "real" else gbm_bars(n_bars())


# ---------------------------------------------------------------- inside the subprocesses


def peak_rss_mib() -> tuple[float, str]:
    """Peak resident set of this process since its exec (MiB) and how it was read."""
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0, RSS_METHOD
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (2.0**20 if sys.platform == "darwin" else 1024.0), "ru_maxrss"


def _stats_columns(fast, slow, *columns) -> dict[str, list]:
    out = {"fast": [int(v) for v in fast], "slow": [int(v) for v in slow]}
    for key, col in zip(STAT_KEYS, columns, strict=True):
        out[key] = [float(v) for v in col]
    return out


def _soltrader(mode: str, t0: float, kind: str, conventions: str) -> dict[str, Any]:
    import soltrader as st
    from soltrader.engine.fused import sweep_kernel

    bars = bars_for(kind)
    setup = time.perf_counter() - t0

    def call() -> Any:
        return st.sweep(
            bars,
            st.strategies.sma_cross,
            fast=FASTS,
            slow=SLOWS,
            check_lookahead=False,
            n_jobs=THREADS,
            **COSTS,
            **CONVENTIONS[conventions],
        )

    first_backtest = None
    if mode == "cold":  # as a new user: one backtest of the strategy, then the sweep
        t1 = time.perf_counter()
        st.backtest(bars, st.strategies.sma_cross, **COSTS, **CONVENTIONS[conventions])
        first_backtest = time.perf_counter() - t1
        seconds, res = best_of(call, 1)
    else:
        call()
        seconds, res = best_of(call, 3)
    t = res.table
    out = {
        "setup_s": setup,
        "first_backtest_s": first_backtest,
        "seconds": seconds,
        "fused": bool(res.fused),
        "kernel_compiled": sum(sweep_kernel().stats.cache_misses.values()) > 0,
        "n_trades_total": int(t["n_trades"].sum()),
    }
    if mode == "warm":
        out["stats"] = _stats_columns(t["fast"], t["slow"], *(t[k] for k in STAT_KEYS))
        out["stats"]["n_trades"] = [int(v) for v in t["n_trades"]]
    return out


def _hand_fused(mode: str, t0: float, kind: str) -> dict[str, Any]:
    import numba

    from tests.benchmarks.hand_fused import hand_fused_nb

    bars = bars_for(kind)
    open_, high, low, close = (
        np.ascontiguousarray(bars[c].to_numpy()) for c in ("open", "high", "low", "close")
    )
    fasts = np.array([f for f, _ in PAIRS], dtype=np.int64)
    slows = np.array([s for _, s in PAIRS], dtype=np.int64)
    out = np.empty((len(PAIRS), 3))
    numba.set_num_threads(min(THREADS, numba.config.NUMBA_NUM_THREADS))
    setup = time.perf_counter() - t0

    def call() -> None:
        hand_fused_nb(
            open_, high, low, close, fasts, slows, SL, FEES, SLIPPAGE, INIT_CASH, MIN_SIZE, PPY, out
        )

    if mode == "cold":
        seconds, _ = best_of(call, 1)
    else:
        call()
        seconds, _ = best_of(call, 3)
    return {
        "setup_s": setup,
        "seconds": seconds,
        "threads": numba.get_num_threads(),
        "kernel_compiled": sum(hand_fused_nb.stats.cache_misses.values()) > 0,
        "stats": _stats_columns(fasts, slows, out[:, 0], out[:, 1], out[:, 2]),
    }


def _vectorbt(mode: str, t0: float, kind: str) -> dict[str, Any]:
    import warnings

    warnings.simplefilter("ignore")
    import vectorbt as vbt

    bars = bars_for(kind)
    setup = time.perf_counter() - t0
    close = bars["close"]

    def once() -> tuple[tuple[Any, Any, Any], Any]:
        fast_ma = vbt.MA.run(close, window=[f for f, _ in PAIRS], short_name="fast")
        slow_ma = vbt.MA.run(close, window=[s for _, s in PAIRS], short_name="slow")
        entries = fast_ma.ma_crossed_above(slow_ma)
        exits = fast_ma.ma_crossed_below(slow_ma)
        pf = vbt.Portfolio.from_signals(
            close,
            entries,
            exits,
            open=bars["open"],
            high=bars["high"],
            low=bars["low"],
            init_cash=INIT_CASH,
            freq="1min",
            **COSTS,
        )
        return (pf.total_return(), pf.sharpe_ratio(), pf.max_drawdown()), pf

    if mode == "warm":
        once()
        gc.collect()
    seconds, (stats, pf) = best_of(once, 1)
    total_return, sharpe, max_dd = stats
    fast = total_return.index.get_level_values("fast_window")
    slow = total_return.index.get_level_values("slow_window")
    out = {
        "setup_s": setup,
        "seconds": seconds,
        "version": vbt.__version__,
        "stats": _stats_columns(fast, slow, total_return, sharpe, max_dd),
    }
    # closed trades, as soltrader's n_trades (vectorbt's trades.count() includes the open one)
    out["stats"]["n_trades"] = [int(v) for v in pf.trades.closed.count()]
    return out


def _big(mode: str, t0: float, kind: str) -> dict[str, Any]:
    import soltrader as st

    bars = bars_for(kind)
    setup = time.perf_counter() - t0
    wall_start, start = time.time(), time.perf_counter()
    res = st.sweep(
        bars,
        st.strategies.sma_cross,
        fast=BIG_FASTS,
        slow=BIG_SLOWS,
        check_lookahead=False,
        n_jobs=THREADS,
        progress=False,
        **COSTS,
    )
    seconds, wall_end = time.perf_counter() - start, time.time()
    k = len(res.table)
    kept = res.table.memory_usage(deep=True).sum() + res.returns.memory_usage(deep=True).sum()
    return {
        "setup_s": setup,
        "seconds": seconds,
        "wall_start": wall_start,
        "wall_end": wall_end,
        "combinations": k,
        "fused": bool(res.fused),
        "complete": bool(res.complete),
        "n_periods": int(res.returns.shape[0]),
        "result_mib_per_1000": kept / k * 1000 / 2**20,
    }


def child(case: str, mode: str, t0: float) -> None:
    """Entry point of a subprocess: run one case (``name@data``, GBM data without ``@``), print
    its figures as one JSON line."""
    name, _, kind = case.partition("@")
    if name.startswith("soltrader-"):
        out = _soltrader(mode, t0, kind or "gbm", name.removeprefix("soltrader-"))
    else:
        cases = {"hand_fused": _hand_fused, "vectorbt": _vectorbt, "big": _big}
        out = cases[name](mode, t0, kind or "gbm")
    out["peak_rss_mib"], out["rss_method"] = peak_rss_mib()
    print(MARK + json.dumps(out), flush=True)


# ---------------------------------------------------------------- in the parent


def _env(cache: Path) -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else ""),
        "NUMBA_CACHE_DIR": str(cache),
        "SOLTRADER_BENCH_BARS": str(n_bars()),
    }


def _parse(stdout: str, stderr: str, returncode: int) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    tail = " | ".join(stderr.strip().splitlines()[-3:])
    return {"error": f"exit code {returncode}: {tail}"}


def run_child(case: str, mode: str, cache: Path, timeout: float) -> dict[str, Any]:
    """Run one case in a fresh interpreter; its figures, or ``{"error": ...}``."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, case, mode],
            capture_output=True,
            text=True,
            env=_env(cache),
            cwd=ROOT,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    return _parse(done.stdout, done.stderr, done.returncode)


def run_child_sampled(
    case: str, cache: Path, timeout: float
) -> tuple[dict[str, Any], list[tuple[float, float]]]:
    """:func:`run_child` while sampling the child's RSS every ``SAMPLE_S`` (wall time, MiB)."""
    import psutil

    samples: list[tuple[float, float]] = []
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, case, "warm"],
            stdout=out,
            stderr=err,
            text=True,
            env=_env(cache),
            cwd=ROOT,
        )
        deadline = time.monotonic() + timeout
        watched = psutil.Process(proc.pid)
        while proc.poll() is None:
            with contextlib.suppress(psutil.Error):
                samples.append((time.time(), watched.memory_info().rss / 2**20))
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                return {"error": f"timed out after {timeout:.0f} s"}, samples
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(SAMPLE_S)
        out.seek(0)
        err.seek(0)
        return _parse(out.read(), err.read(), proc.returncode), samples


def memory_profile(samples: list[tuple[float, float]], start: float, end: float, k: int) -> dict:
    """RSS at 0/25/50/75/100 % of the run [start, end] (the last sample at or before each
    point) and the slope over 10-90 % of it, MiB per 1000 combinations."""
    t = np.array([s[0] for s in samples])
    rss = np.array([s[1] for s in samples])
    out: dict[str, Any] = {"rss_samples": int(((t >= start) & (t <= end)).sum())}
    for q in (0, 25, 50, 75, 100):
        before = np.flatnonzero(t <= start + q / 100 * (end - start))
        out[f"rss_{q}pct_mib"] = float(rss[before[-1]]) if before.size else None
    inside = (t >= start + 0.1 * (end - start)) & (t <= start + 0.9 * (end - start))
    if inside.sum() < 3:
        inside = (t >= start) & (t <= end)
    if inside.sum() >= 2 and end > start:
        combos = k * (t[inside] - start) / (end - start)
        out["slope_mib_per_1000"] = float(np.polyfit(combos / 1000, rss[inside], 1)[0])
    else:
        out["slope_mib_per_1000"] = None
    out["sampled_peak_rss_mib"] = float(rss.max()) if rss.size else None
    return out


def _agreement(case: str, ours: dict, theirs: dict, n_bars_: int) -> dict[str, Any]:
    """Max |difference| of the statistics over the combinations, matched by (fast, slow);
    vectorbt's drawdowns are negative, so their magnitudes are compared. Combinations where a
    statistic is not finite on one side only are counted and explained, not differenced."""
    row: dict[str, Any] = {"case": case, "n_bars": n_bars_}
    a = {(f, s): i for i, (f, s) in enumerate(zip(ours["fast"], ours["slow"], strict=True))}
    b = {(f, s): i for i, (f, s) in enumerate(zip(theirs["fast"], theirs["slow"], strict=True))}
    keys = sorted(set(a) & set(b))
    notes = []
    if len(keys) != len(PAIRS):
        notes.append(f"only {len(keys)} of {len(PAIRS)} combinations matched")
    worst = ("", 0.0)
    for key in STAT_KEYS:
        x = np.array([ours[key][a[p]] for p in keys])
        y = np.array([theirs[key][b[p]] for p in keys])
        if key == "max_drawdown":
            x, y = np.abs(x), np.abs(y)
        same = (x == y) | (np.isnan(x) & np.isnan(y))
        finite = np.isfinite(x) & np.isfinite(y)
        odd = ~same & ~finite
        diff = np.abs(x - y)[finite]
        row[f"max_abs_{key}"] = float(diff.max()) if diff.size else 0.0
        if diff.size and diff.max() > worst[1]:
            i = int(np.flatnonzero(finite)[np.argmax(diff)])
            worst = (
                f"{key} at fast={keys[i][0]} slow={keys[i][1]}: {float(x[i])!r} vs {float(y[i])!r}",
                float(diff.max()),
            )
        if odd.any():
            pairs = [keys[i] for i in np.flatnonzero(odd)]
            pairs_txt = ", ".join(f"{f}/{s}" for f, s in pairs)
            trades = [ours["n_trades"][a[p]] for p in pairs] if "n_trades" in ours else []
            why = " (no trade: zero-std returns)" if trades and not any(trades) else ""
            notes.append(
                f"{key}: {len(pairs)} not finite on one side at fast/slow {pairs_txt}{why}: "
                f"{float(x[odd][0])!r} vs {float(y[odd][0])!r}, excluded"
            )
    row["n_compared"] = len(keys)
    if "n_trades" in ours and "n_trades" in theirs:
        differ = [p for p in keys if ours["n_trades"][a[p]] != theirs["n_trades"][b[p]]]
        row["n_trade_count_mismatches"] = len(differ)
        if differ:
            notes.append(f"trade counts differ at fast/slow {differ[:5]}")
    row["meets_target"] = bool(worst[1] <= AGREE_TOL)
    if worst[1] > AGREE_TOL:
        notes.append(f"worst {worst[0]}")
    row["note"] = "; ".join(notes)
    return row


def _timing_row(case: str, res: dict[str, Any], combos: int, bars: int) -> dict[str, Any]:
    row: dict[str, Any] = {"case": case, "n_bars": bars, "combinations": combos}
    if "error" in res:
        row["note"] = res["error"]
        return row
    row["seconds"] = res["seconds"]
    row["bar_combos_per_s"] = bars * combos / res["seconds"]
    row["setup_s"] = res["setup_s"]
    row["peak_rss_mib"] = res["peak_rss_mib"]
    row["rss_method"] = res["rss_method"]
    for key in ("fused", "kernel_compiled", "threads", "n_trades_total", "version"):
        if key in res:
            row[key] = res[key]
    return row


def _ratio(case: str, value: float | None, target: str, missing: str = "") -> dict[str, Any]:
    row: dict[str, Any] = {"case": case, "value": value, "target": target}
    if value is None or not math.isfinite(value):
        row["note"] = missing or "not measured"
        return row
    bound = float(target.split()[1])
    row["meets_target"] = bool(value <= bound if target.startswith("<=") else value >= bound)
    return row


def _get(res: dict[str, Any] | None, key: str) -> float | None:
    return None if res is None or "error" in res else res.get(key)


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _key(who: str, mode: str, kind: str) -> str:
    return f"{who}-{mode}" + ("" if kind == "gbm" else f"@{kind}")


def _comparisons(res: dict[str, Any], kind: str, bars: int, skip_vbt: bool) -> list[dict]:
    """The agreement and ratio rows of one data set (warm runs)."""
    at = "" if kind == "gbm" else ", real data"
    rows: list[dict] = []
    ours = _get(res[_key("vectorbt", "warm", kind)], "stats")
    hand = _get(res[_key("hand", "warm", kind)], "stats")
    vbt = _get(res[_key("vbt", "warm", kind)], "stats")
    why = f"skipped: {SKIP_VECTORBT}=1" if skip_vbt else "not measured (see errors above)"
    vs_vbt = f"agreement: soltrader (vectorbt conv.) vs vectorbt{at}"
    rows.append(
        _agreement(vs_vbt, ours, vbt, bars) if ours and vbt else {"case": vs_vbt, "note": why}
    )
    if ours and hand:
        rows.append(
            _agreement(f"agreement: soltrader (vectorbt conv.) vs hand-fused{at}", ours, hand, bars)
        )
    if hand and vbt:
        rows.append(_agreement(f"agreement: hand-fused vs vectorbt{at}", hand, vbt, bars))

    sol_vc = _get(res[_key("vectorbt", "warm", kind)], "seconds")
    sol_def = _get(res[_key("default", "warm", kind)], "seconds")
    hand_s = _get(res[_key("hand", "warm", kind)], "seconds")
    vbt_s = _get(res[_key("vbt", "warm", kind)], "seconds")
    rss = (_get(res[_key(w, "warm", kind)], "peak_rss_mib") for w in ("vectorbt", "vbt"))
    vbt_note = f"skipped: {SKIP_VECTORBT}=1" if skip_vbt else "vectorbt not measured"
    rows += [
        _ratio(
            f"ratio: soltrader warm (vectorbt conv.) / hand-fused warm{at}",
            _div(sol_vc, hand_s),
            "<= 1.5",
        ),
        _ratio(
            f"ratio: soltrader warm (default) / hand-fused warm{at}",
            _div(sol_def, hand_s),
            "<= 1.5",
        ),
        _ratio(
            f"ratio: vectorbt warm / soltrader warm (vectorbt conv.){at}",
            _div(vbt_s, sol_vc),
            ">= 100",
            vbt_note,
        ),
        _ratio(
            "ratio: soltrader peak RSS (vectorbt conv., warm) / vectorbt peak RSS (warm)" + at,
            _div(*rss),
            "<= 0.05",
            vbt_note,
        ),
    ]
    return rows


def run() -> list[dict]:
    bars = n_bars()
    k = len(PAIRS)
    skip_vbt = os.environ.get(SKIP_VECTORBT, "") not in ("", "0")
    rows: list[dict] = []
    res: dict[str, dict[str, Any] | None] = {}
    cases = {
        "default": ("soltrader-default", TIMEOUT["soltrader"]),
        "vectorbt": ("soltrader-vectorbt", TIMEOUT["soltrader"]),
        "hand": ("hand_fused", TIMEOUT["hand_fused"]),
        "vbt": ("vectorbt", TIMEOUT["vectorbt"]),
    }
    runs = (("cold", "gbm"), ("warm", "gbm"), ("warm", "real"))  # warm runs reuse the cold cache
    with tempfile.TemporaryDirectory(prefix="bench_sweep_numba_") as tmp:
        caches = {name: Path(tmp, name) for name in cases}
        for path in caches.values():
            path.mkdir()
        for who, (case, timeout) in cases.items():
            for mode, kind in runs:
                name = case if kind == "gbm" else f"{case}@{kind}"
                res[_key(who, mode, kind)] = (
                    None
                    if who == "vbt" and skip_vbt
                    else run_child(name, mode, caches[who], timeout)
                )
        big, samples = run_child_sampled("big", caches["default"], TIMEOUT["big"])

    labels = {
        "default": "soltrader st.sweep, default conventions",
        "vectorbt": 'soltrader st.sweep, conventions="vectorbt", fill="close"',
        "hand": "hand-fused numba kernel (ceiling, vectorbt rules)",
        "vbt": "vectorbt MA.run + crossed_above/below + from_signals + 3 stats",
    }
    data = {"gbm": "", "real": ", real SOL/USDT 1m bars repeated to n_bars"}
    for kind in ("gbm", "real"):
        for key, label in labels.items():
            for mode in ("warm", "cold") if kind == "gbm" else ("warm",):
                r = res[_key(key, mode, kind)]
                what = "warm" if mode == "warm" else "cold: first sweep, after a first backtest"
                if key == "vbt" and mode == "warm":
                    what = "warm: 2nd of 2 runs"
                case = f"{label}{data[kind]} ({what})"
                if r is None:
                    rows.append({"case": case, "note": f"skipped: {SKIP_VECTORBT}=1"})
                else:
                    rows.append(_timing_row(case, r, k, bars))

    rows += _comparisons(res, "gbm", bars, skip_vbt)
    rows += [
        _ratio(
            f"soltrader cold seconds (first st.{call} in a fresh process with an empty cache"
            f"{after}, {conv} conventions)",
            _get(res[f"{conv}-cold"], key),
            "<= 10",
        )
        for conv in ("default", "vectorbt")
        for call, after, key in (
            ("backtest", "", "first_backtest_s"),
            ("sweep", ", after that backtest", "seconds"),
        )
    ]
    rows += _comparisons(res, "real", bars, skip_vbt)

    big_k = len(BIG_FASTS) * len(BIG_SLOWS)
    row: dict[str, Any] = {
        "case": f"soltrader st.sweep {len(BIG_FASTS)}x{len(BIG_SLOWS)} combinations, default "
        "conventions, progress off (one run, numba cache warm)",
        "n_bars": bars,
        "combinations": big_k,
    }
    if "error" in big:
        row["note"] = big["error"]
    else:
        row |= {
            "seconds": big["seconds"],
            "combos_per_s": big["combinations"] / big["seconds"],
            "bar_combos_per_s": bars * big["combinations"] / big["seconds"],
            "setup_s": big["setup_s"],
            "peak_rss_mib": big["peak_rss_mib"],
            "rss_method": big["rss_method"],
            "fused": big["fused"],
            "complete": big["complete"],
            **memory_profile(samples, big["wall_start"], big["wall_end"], big["combinations"]),
            "result_mib_per_1000": big["result_mib_per_1000"],
            "value": big["seconds"],
            "target": "<= 300",
            "meets_target": bool(big["seconds"] <= 300),
        }
    rows.append(row)
    return rows
