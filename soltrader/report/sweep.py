"""The HTML summary of a parameter sweep. Takes a sweep result object; never imports the engine."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from soltrader.report.backtest import _png, _table, plot_result


def sweep_report(result: Any, path: str | Path, *, title: str = "Sweep", top: int = 20) -> str:
    """Write one self-contained HTML file for a sweep: the summary (size, best combination, PBO,
    deflated Sharpe, look-ahead verdict), the ``top`` rows, a heatmap of the first two swept
    parameters and the best combination's backtest figure. Returns the path written.

    Examples
    --------
    >>> res = st.sweep(bars, st.strategies.sma_cross, fast=[10, 20])  # doctest: +SKIP
    >>> sweep_report(res, "sweep.html")                                 # doctest: +SKIP
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = result.summary().to_frame("value")
    summary["value"] = summary["value"].map(str)
    heat = ""
    if len(result.params) >= 2:
        fig = result.heatmap(result.params[0], result.params[1])
        heat = f'<h2>Heatmap</h2><img alt="heatmap" src="data:image/png;base64,{_png(fig)}">'
    best = result.backtest(result.best())
    notes = _verdicts(result)
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table.t {{ border-collapse: collapse; font-size: 13px; }}
table.t td, table.t th {{ padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: right; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<h2>Summary</h2>{_table(summary)}
<ul>{notes}</ul>
<h2>Top {top} by {html.escape(result.metric)}</h2>{_table(result.top(top))}
{heat}
<h2>Best combination</h2>
<img alt="best combination" src="data:image/png;base64,{_png(plot_result(best))}">
</body></html>
"""
    path.write_text(body, encoding="utf-8")
    return str(path)


def _verdicts(result: Any) -> str:
    lines = []
    flat = len(getattr(result, "flat", []))
    if flat:
        lines.append(
            f"{flat} of {len(result.table)} combinations never traded: their Sharpe ratio is "
            "undefined (nan) in the table and counts as 0 in the overfitting diagnostics."
        )
    pbo = result.pbo
    if pbo is not None:
        lines.append(
            f"Probability of backtest overfitting {pbo.pbo:.0%}: how often the in-sample "
            "winner ranks at or below the median out of sample (CSCV)."
        )
    dsr = result.deflated_sharpe
    if dsr is not None:
        lines.append(
            f"Deflated Sharpe ratio {dsr.dsr:.2f}: the probability that the best Sharpe "
            f"ratio is real after {dsr.n_trials} trials."
        )
    if result.lookahead is not None:
        verdict = (
            "no decision changed"
            if result.lookahead.ok
            else (f"{len(result.lookahead.findings)} decisions changed")
        )
        lines.append(f"Look-ahead check on truncated data: {verdict}.")
    if not result.complete:
        lines.append("The sweep was interrupted: the table is partial.")
    return "".join(f"<li>{html.escape(line)}</li>" for line in lines)


def write_table(table: pd.DataFrame, folder: str | Path) -> list[str]:
    """Write a sweep table as parquet and CSV into ``folder``; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    parquet, csv = folder / "table.parquet", folder / "table.csv"
    table.to_parquet(parquet)
    table.to_csv(csv)
    return [str(parquet), str(csv)]
