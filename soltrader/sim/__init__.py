"""The numba simulation kernel and the statement of its fill rules (:mod:`soltrader.sim.rules`)."""

from soltrader.sim.rules import PRESETS, Conventions, resolve_conventions

__all__ = ["PRESETS", "Conventions", "resolve_conventions"]
