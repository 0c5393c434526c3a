"""soltrader.report (see ARCHITECTURE.md for this ring's role)."""
