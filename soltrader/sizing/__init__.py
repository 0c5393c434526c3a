"""soltrader.sizing (see ARCHITECTURE.md for this ring's role)."""
