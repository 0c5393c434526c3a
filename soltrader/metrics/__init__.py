"""soltrader.metrics (see ARCHITECTURE.md for this ring's role)."""
