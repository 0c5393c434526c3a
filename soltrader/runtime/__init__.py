"""soltrader.runtime (see ARCHITECTURE.md for this ring's role)."""
