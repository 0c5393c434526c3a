"""Write ``metrics_reference.json``: metric values from independent reference libraries.

Run once from the project root (the reference libraries are dev-only; soltrader does not depend on
them)::

    pip install --no-deps empyrical-reloaded==0.7.1   # its other deps (scipy, pandas) are present
    python tests/golden/make_metrics_reference.py

Three cases, all with a 365-day year:

``hand``
    Ten daily returns small enough to check by hand (``periods_per_year = 365``). The hand
    computation is written into the JSON next to the library values.
``sol_1h_buy_and_hold``
    The bundled Binance SOL/USDT 1h closes (fixture ``sol_1h``): equity = close, returns =
    ``close.pct_change()`` without the first bar (47,358 returns, ``periods_per_year = 8760``).
    The bars' 10 data gaps are not bridged: every bar is one period, for every library.
``sol_1h_sma_portfolio``
    vectorbt 1.2.0 ``Portfolio.from_signals`` on the last 2,000 closes of the same sample: SMA(10)
    crossing above / below SMA(50), all cash, fees 0.1 %, ``init_cash = 10_000``, fills at the
    close. Its per-bar value, asset holdings and trade records are stored as inputs, with
    vectorbt's and empyrical's metrics.

Definitional differences and the stated adjustments (no other adjustment is made):

* max drawdown: soltrader reports ``+x``, vectorbt and empyrical ``-x``; stored ``-reference``.
* vectorbt's *returns accessor* ``max_drawdown`` does not count the start value 1.0 as a peak
  (empyrical and soltrader do); the value-based ``Drawdowns`` of the equity curve is used instead.
* drawdown duration: soltrader's span is ``end_idx - peak_idx`` of vectorbt's drawdown records
  (recovery bar, or last bar for an active drawdown); vectorbt's own ``duration`` is
  ``end_idx - peak_idx - 1`` for recovered drawdowns. Both are stored.
* Calmar with no drawdown: empyrical gives nan, soltrader ``+inf`` (not exercised here).
* ``win_loss_ratio`` is not a vectorbt metric: ``winning.pnl.mean() / |losing.pnl.mean()|``.
* turnover is not a vectorbt metric: ``sum(order size * order price) / mean(value)`` from
  vectorbt's order records, and ``* 8760 / len(value)`` for the annualised form.
"""

from __future__ import annotations

import json
import math
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "metrics_reference.json"
HAND_RETURNS = [0.10, -0.10, 0.10, -0.10, 0.20, 0.0, -0.05, 0.05, 0.10, -0.20]
RISK_FREE_PER_YEAR = 0.04
SMA_BARS = 2000


def _rf_bar(ppy: float) -> float:
    return (1.0 + RISK_FREE_PER_YEAR) ** (1.0 / ppy) - 1.0


def _returns_refs(r: pd.Series, ppy: float) -> dict[str, dict[str, Any]]:
    """Returns-based metrics from empyrical and vectorbt (value + the exact call)."""
    import empyrical as ep

    freq = pd.Timedelta(days=365) / ppy
    acc = r.vbt.returns(freq=freq, year_freq="365 days")
    rf = _rf_bar(ppy)
    a = int(ppy) if float(ppy).is_integer() else ppy
    equity = (1.0 + r).cumprod()
    rows = {
        "total_return": [
            ("empyrical", "cum_returns_final(r)", ep.cum_returns_final(r)),
            ("vectorbt", "r.vbt.returns.total()", acc.total()),
        ],
        "annualized_return": [
            (
                "empyrical",
                f"annual_return(r, annualization={a})",
                ep.annual_return(r, annualization=a),
            ),
            ("vectorbt", "r.vbt.returns.annualized()", acc.annualized()),
        ],
        "annualized_volatility": [
            (
                "empyrical",
                f"annual_volatility(r, annualization={a})",
                ep.annual_volatility(r, annualization=a),
            ),
            ("vectorbt", "r.vbt.returns.annualized_volatility()", acc.annualized_volatility()),
        ],
        "sharpe": [
            (
                "empyrical",
                f"sharpe_ratio(r, annualization={a})",
                ep.sharpe_ratio(r, annualization=a),
            ),
            ("vectorbt", "r.vbt.returns.sharpe_ratio()", acc.sharpe_ratio()),
        ],
        "sharpe_rf": [
            (
                "empyrical",
                f"sharpe_ratio(r, risk_free=rf_bar, annualization={a})",
                ep.sharpe_ratio(r, risk_free=rf, annualization=a),
            ),
            (
                "vectorbt",
                "r.vbt.returns.sharpe_ratio(risk_free=rf_bar)",
                acc.sharpe_ratio(risk_free=rf),
            ),
        ],
        "sortino": [
            (
                "empyrical",
                f"sortino_ratio(r, annualization={a})",
                ep.sortino_ratio(r, annualization=a),
            ),
            ("vectorbt", "r.vbt.returns.sortino_ratio()", acc.sortino_ratio()),
        ],
        "sortino_rf": [
            (
                "empyrical",
                f"sortino_ratio(r, required_return=rf_bar, annualization={a})",
                ep.sortino_ratio(r, required_return=rf, annualization=a),
            ),
        ],
        "downside_deviation": [
            (
                "empyrical",
                f"downside_risk(r, annualization={a})",
                ep.downside_risk(r, annualization=a),
            ),
            ("vectorbt", "r.vbt.returns.downside_risk()", acc.downside_risk()),
        ],
        "calmar": [
            (
                "empyrical",
                f"calmar_ratio(r, annualization={a})",
                ep.calmar_ratio(r, annualization=a),
            ),
        ],
        "max_drawdown": [
            ("empyrical", "-max_drawdown(r)", -ep.max_drawdown(r)),
        ],
    }
    out = {name: _sources(entries) for name, entries in rows.items()}
    out.update(_drawdown_refs(pd.concat([pd.Series([1.0]), equity], ignore_index=True)))
    return out


def _sources(entries: list[tuple[str, str, Any]]) -> dict[str, Any]:
    return {lib: {"call": call, "value": float(value)} for lib, call, value in entries}


def _drawdown_refs(equity: pd.Series) -> dict[str, dict[str, Any]]:
    """Drawdown depth and spans from vectorbt's value-based drawdown records of ``equity``."""
    dd = equity.vbt.drawdowns
    rec = dd.records
    depth = (rec["valley_val"] - rec["peak_val"]) / rec["peak_val"]
    span = rec["end_idx"] - rec["peak_idx"]
    deepest = int(np.argmin(depth.to_numpy())) if len(rec) else -1
    return {
        "max_drawdown_value_based": _sources(
            [("vectorbt", "-equity.vbt.drawdowns.max_drawdown()", -dd.max_drawdown())]
        ),
        "max_drawdown_duration_bars": _sources(
            [("vectorbt", "max(records.end_idx - records.peak_idx)", span.max() if len(rec) else 0)]
        ),
        "deepest_drawdown_duration_bars": _sources(
            [
                (
                    "vectorbt",
                    "(end_idx - peak_idx) of the record with the lowest drawdown",
                    span.iloc[deepest] if len(rec) else 0,
                )
            ]
        ),
        "vectorbt_max_duration_raw": _sources(
            [
                (
                    "vectorbt",
                    "equity.vbt.drawdowns.duration.max() (recovered: end - peak - 1)",
                    dd.duration.max(),
                )
            ]
        ),
    }


def _hand() -> dict[str, Any]:
    r = np.array(HAND_RETURNS)
    wealth = np.cumprod(1.0 + r)
    mean = 0.1 / 10
    ss = 0.134  # sum of squared deviations from the mean, see "steps"
    std = math.sqrt(ss / 9)
    dd2 = 0.0625  # 0.1^2 + 0.1^2 + 0.05^2 + 0.2^2
    growth = 1.1 * 0.9 * 1.1 * 0.9 * 1.2 * 1.0 * 0.95 * 1.05 * 1.1 * 0.8
    cagr = growth ** (365 / 10) - 1
    hand = {
        "total_return": growth - 1,
        "annualized_return": cagr,
        "annualized_volatility": std * math.sqrt(365),
        "sharpe": mean / std * math.sqrt(365),
        "sortino": mean * 365 / (math.sqrt(dd2 / 10) * math.sqrt(365)),
        "downside_deviation": math.sqrt(dd2 / 10) * math.sqrt(365),
        "max_drawdown": 0.2,
        "calmar": cagr / 0.2,
        "max_drawdown_duration_bars": 4,
        "deepest_drawdown_duration_bars": 1,
    }
    steps = [
        "returns r (daily, periods_per_year P = 365), wealth W starts at 1.0 at position -1",
        "sum(r) = 0.10; mean = 0.01",
        "deviations r - mean = .09 -.11 .09 -.11 .19 -.01 -.06 .04 .09 -.21",
        "squares = .0081 .0121 .0081 .0121 .0361 .0001 .0036 .0016 .0081 .0441, sum = 0.134",
        "std (ddof=1) = sqrt(0.134 / 9) = 0.1220200...; volatility = std * sqrt(365)",
        "sharpe = 0.01 / 0.1220200 * sqrt(365) = 0.0819538 * 19.1049732 = 1.5657",
        "downside: min(r, 0)^2 = .01 .01 .0025 .04 (bars 1, 3, 6, 9), sum 0.0625, mean over all "
        "10 bars = 0.00625, sqrt = 0.0790569; annualised x sqrt(365)",
        "sortino = 0.01 * 365 / (0.0790569 * sqrt(365)) = 2.4166",
        "W = 1.1, .99, 1.089, .9801, 1.17612, 1.17612, 1.117314, 1.1731797, 1.29049767, "
        "1.032398136; total return = 0.032398136",
        "peaks: bar 0 (1.1) -> under water bars 1-3 (low .9801, dd 0.109) -> recovered at bar 4: "
        "span 4 - 0 = 4",
        "bar 5 equals the peak (zero return): the peak moves to bar 5; bars 6-7 under water "
        "(low 1.117314, dd 0.05) -> recovered at bar 8: span 8 - 5 = 3",
        "bar 9: 1.29049767 * 0.8, dd exactly 0.2 = max drawdown, never recovered: span 9 - 8 = 1",
        "longest span 4; the deepest drawdown's span 1",
        "CAGR = 1.032398136 ** (365 / 10) - 1; calmar = CAGR / 0.2",
    ]
    series = pd.Series(r, index=pd.date_range("2024-01-01", periods=10, freq="D"))
    return {
        "returns": HAND_RETURNS,
        "periods_per_year": 365,
        "risk_free_per_year": RISK_FREE_PER_YEAR,
        "wealth": wealth.tolist(),
        "steps": steps,
        "by_hand": hand,
        "references": _returns_refs(series, 365.0),
    }


def _buy_and_hold(close: pd.Series) -> dict[str, Any]:
    r = close.pct_change().iloc[1:]
    refs = _returns_refs(r, 8760.0)
    refs.update(_drawdown_refs(close))  # value-based on the closes themselves
    return {
        "input": "fixture sol_1h: equity = close; returns = close.pct_change().iloc[1:]",
        "n_bars": len(close),
        "first_close": float(close.iloc[0]),
        "last_close": float(close.iloc[-1]),
        "periods_per_year": 8760,
        "risk_free_per_year": RISK_FREE_PER_YEAR,
        "references": refs,
    }


def _sma_portfolio(close: pd.Series) -> dict[str, Any]:
    import empyrical as ep
    import vectorbt as vbt

    close = close.iloc[-SMA_BARS:]
    fast = vbt.MA.run(close, 10).ma
    slow = vbt.MA.run(close, 50).ma
    pf = vbt.Portfolio.from_signals(
        close,
        fast.vbt.crossed_above(slow),
        fast.vbt.crossed_below(slow),
        init_cash=10_000.0,
        fees=0.001,
        freq="1h",
    )
    value = pf.value()
    rets = pf.returns()
    acc = pf.get_returns_acc(year_freq="365 days")
    tr = pf.trades.records
    closed = pf.trades.closed
    orders = pf.orders.records
    turnover = float((orders["size"] * orders["price"]).sum() / value.mean())
    win, loss = closed.winning.pnl.mean(), closed.losing.pnl.mean()
    refs = {
        "total_return": [("vectorbt", "pf.total_return()", pf.total_return())],
        "annualized_return": [("vectorbt", "pf.returns_acc.annualized()", acc.annualized())],
        "annualized_volatility": [
            ("vectorbt", "pf.returns_acc.annualized_volatility()", acc.annualized_volatility())
        ],
        "sharpe": [
            ("vectorbt", "pf.returns_acc.sharpe_ratio()", acc.sharpe_ratio()),
            (
                "empyrical",
                "sharpe_ratio(pf.returns(), annualization=8760)",
                ep.sharpe_ratio(rets, annualization=8760),
            ),
        ],
        "sortino": [
            ("vectorbt", "pf.returns_acc.sortino_ratio()", acc.sortino_ratio()),
            (
                "empyrical",
                "sortino_ratio(pf.returns(), annualization=8760)",
                ep.sortino_ratio(rets, annualization=8760),
            ),
        ],
        "calmar": [
            (
                "empyrical",
                "calmar_ratio(pf.returns(), annualization=8760)",
                ep.calmar_ratio(rets, annualization=8760),
            )
        ],
        "max_drawdown": [
            ("empyrical", "-max_drawdown(pf.returns())", -ep.max_drawdown(rets)),
            ("vectorbt", "-pf.max_drawdown()", -pf.max_drawdown()),
        ],
        "exposure": [("vectorbt", "pf.position_mask().mean()", pf.position_mask().mean())],
        "n_trades": [("vectorbt", "pf.trades.closed.count()", closed.count())],
        "win_rate": [("vectorbt", "pf.trades.closed.win_rate()", closed.win_rate())],
        "profit_factor": [("vectorbt", "pf.trades.closed.profit_factor()", closed.profit_factor())],
        "expectancy": [("vectorbt", "pf.trades.closed.expectancy()", closed.expectancy())],
        "avg_win": [("vectorbt", "pf.trades.closed.winning.pnl.mean()", win)],
        "avg_loss": [("vectorbt", "pf.trades.closed.losing.pnl.mean()", loss)],
        "win_loss_ratio": [
            ("vectorbt", "winning.pnl.mean() / |losing.pnl.mean()|", win / abs(loss))
        ],
        "best_trade": [("vectorbt", "pf.trades.closed.returns.max()", closed.returns.max())],
        "worst_trade": [("vectorbt", "pf.trades.closed.returns.min()", closed.returns.min())],
        "fees_paid": [("vectorbt", "pf.orders.fees.sum()", pf.orders.fees.sum())],
        "turnover": [("vectorbt", "sum(orders.size * orders.price) / pf.value().mean()", turnover)],
        "annualized_turnover": [
            ("vectorbt", "turnover * 8760 / len(pf.value())", turnover * 8760 / len(value))
        ],
    }
    out = {name: _sources(entries) for name, entries in refs.items()}
    out.update(_drawdown_refs(value))
    fields = ["size", "entry_price", "entry_fees", "exit_price", "exit_fees", "pnl", "return"]
    trades = {f: tr[f].astype(float).tolist() for f in fields}
    trades["is_open"] = (tr["status"] == 0).tolist()
    return {
        "input": f"last {SMA_BARS} closes of fixture sol_1h; vectorbt Portfolio.from_signals, "
        "SMA(10) x SMA(50), init_cash 10000, fees 0.001, fills at close",
        "init_cash": 10_000.0,
        "periods_per_year": 8760,
        "value": value.tolist(),
        "assets": pf.assets().tolist(),
        "trades": trades,
        "references": out,
    }


def main() -> None:
    """Compute every reference value and write the JSON beside this script."""
    sys.path.insert(0, str(ROOT))
    import vectorbt  # noqa: F401  (registers the .vbt accessors)

    from tests.conftest import read_sample_bars

    close = read_sample_bars("binance", "SOL-USDT", "1h")["close"]
    doc = {
        "_comment": __doc__.strip().splitlines(),
        "generator": "tests/golden/make_metrics_reference.py",
        "libraries": {p: version(p) for p in ("empyrical-reloaded", "vectorbt", "numpy", "pandas")},
        "rel_tol": 1e-10,
        "hand": _hand(),
        "sol_1h_buy_and_hold": _buy_and_hold(close),
        "sol_1h_sma_portfolio": _sma_portfolio(close),
    }
    OUT.write_text(json.dumps(doc, indent=1, allow_nan=True) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
