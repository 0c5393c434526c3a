"""soltrader.adapters (see ARCHITECTURE.md for this ring's role)."""
