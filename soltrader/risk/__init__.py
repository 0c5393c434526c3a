"""soltrader.risk (see ARCHITECTURE.md for this ring's role)."""
