"""soltrader.sim (see ARCHITECTURE.md for this ring's role)."""
