"""Reports: matplotlib figures and self-contained HTML reports. Imports the centre only; backtest
results arrive as objects, the engine is never imported."""

from soltrader.report.backtest import html_report, plot_result
from soltrader.report.charts import bands_and_rsi
from soltrader.report.sweep import sweep_report, write_table

__all__ = ["bands_and_rsi", "html_report", "plot_result", "sweep_report", "write_table"]
