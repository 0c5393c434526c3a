"""The HTTP session an adapter opens on first use and closes with ``async with``."""

from __future__ import annotations

from typing import Self

import aiohttp


class SessionOwner:
    """Holds one :class:`aiohttp.ClientSession`, opened lazily with ``timeout`` (so building an
    adapter does no I/O), closed by :meth:`close` or on leaving ``async with``.

    Examples
    --------
    >>> import asyncio
    >>> async def main() -> bool:
    ...     async with SessionOwner(aiohttp.ClientTimeout(total=1.0)) as owner:
    ...         opened = owner._http()
    ...     return opened.closed
    >>> asyncio.run(main())
    True
    """

    def __init__(self, timeout: aiohttp.ClientTimeout) -> None:
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        """The session, opened on first use."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session (a later call opens a new one)."""
        if self._session is not None:
            await self._session.close()
            self._session = None


__all__ = ["SessionOwner"]
