"""soltrader.costs (see ARCHITECTURE.md for this ring's role)."""
