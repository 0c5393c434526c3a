"""soltrader.engine (see ARCHITECTURE.md for this ring's role)."""
