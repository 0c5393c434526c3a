"""Closed bars for a runner, from a frame of real bars: what the replay tests of every venue
share (the runner's ``bars(start_ms)`` with a hook before each bar)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from soltrader.domain.bar import Bar


def as_bars(frame: Any) -> list[Bar]:
    """The rows of a canonical OHLCV frame (UTC DatetimeIndex) as closed bars."""
    ms = frame.index.as_unit("ms").asi8
    cols = [frame[c].to_numpy() for c in ("open", "high", "low", "close", "volume")]
    return [Bar(int(ms[t]), *(float(c[t]) for c in cols)) for t in range(len(frame))]


def feed(
    rows: list[Bar], before_bar: Callable[[int], Awaitable[None]] | None = None
) -> Callable[[int], AsyncIterator[Bar]]:
    """A runner's ``bars(start_ms)``: the rows from ``start_ms`` on, ``before_bar(t)`` awaited
    before row ``t`` is yielded (a test moves its venue's prices there)."""

    def bars(start: int) -> AsyncIterator[Bar]:
        async def gen() -> AsyncIterator[Bar]:
            for t, bar in enumerate(rows):
                if bar.open_time_ms >= start:
                    if before_bar is not None:
                        await before_bar(t)
                    yield bar

        return gen()

    return bars
