"""soltrader.structure (see ARCHITECTURE.md for this ring's role)."""
