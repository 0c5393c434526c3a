"""soltrader.strategies (see ARCHITECTURE.md for this ring's role)."""
