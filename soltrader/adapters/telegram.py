"""Telegram's Bot API, outbound only: ``sendMessage`` to one chat over HTTPS.

The token is part of the request URL (``{base}/bot{token}/sendMessage``), and aiohttp puts the
URL in the text of its errors: every failure here is re-raised as a :class:`TelegramError` built
from the status code and Telegram's ``description`` alone, ``from None``, with the token scrubbed
from that description too, so no traceback, log line or message ever shows it. The base URL is
configurable (a local server in tests, a self-hosted Bot API server in production) and treated as
a secret as well, since it precedes the token.
"""

from __future__ import annotations

import aiohttp

from soltrader.adapters.http import SessionOwner
from soltrader.domain.errors import Error
from soltrader.domain.secret import MASK, Secret

DEFAULT_BASE_URL = "https://api.telegram.org"
#: Telegram's longest message (characters); longer texts are cut, marked with an ellipsis.
MAX_TEXT = 4096


class TelegramError(Error):
    """A message was not sent. ``retry_after_s`` is Telegram's wait for a 429 (None: none
    given), ``status`` the HTTP status (None: no answer); ``retryable`` says whether sending the
    same message later may work (429, 5xx, no answer)."""

    def __init__(
        self, message: str, *, status: int | None, retry_after_s: float | None = None
    ) -> None:
        self.status = status
        self.retry_after_s = retry_after_s
        self.retryable = status is None or status == 429 or status >= 500
        super().__init__(message)


class TelegramBot(SessionOwner):
    """Send messages to one chat through the Bot API.

    Parameters
    ----------
    token : Secret
        The bot's token (``123456:ABC...``).
    chat_id : str
        The chat to write to (a user, group or channel id, or ``@channelname``).
    base_url : Secret or str
        The API's address (default Telegram's).
    timeout_s : float
        Seconds one request may take.

    Examples
    --------
    >>> bot = TelegramBot(Secret("123:abc"), "42")
    >>> bot
    TelegramBot(chat='42')
    >>> await bot.send("halted: kill switch")    # doctest: +SKIP
    """

    def __init__(
        self,
        token: Secret,
        chat_id: str,
        *,
        base_url: Secret | str = DEFAULT_BASE_URL,
        timeout_s: float = 10.0,
    ) -> None:
        super().__init__(aiohttp.ClientTimeout(total=timeout_s))
        self._token = token
        self._base = base_url if isinstance(base_url, Secret) else Secret(base_url)
        self.chat_id = str(chat_id)

    def __repr__(self) -> str:
        return f"TelegramBot(chat={self.chat_id!r})"

    def _scrub(self, text: str) -> str:
        for secret in (self._token.reveal(), self._base.reveal()):
            if secret:
                text = text.replace(secret, MASK)
        return text

    async def send(self, text: str) -> int:
        """Send ``text`` (cut to :data:`MAX_TEXT` characters); returns Telegram's message id.

        Raises
        ------
        TelegramError
            Telegram refused it (the status and Telegram's description), asked to wait (429,
            with ``retry_after_s``), or did not answer; never with the token in its text.
        """
        if len(text) > MAX_TEXT:
            text = text[: MAX_TEXT - 1] + "…"
        url = f"{self._base.reveal().rstrip('/')}/bot{self._token.reveal()}/sendMessage"
        body = {"chat_id": self.chat_id, "text": text, "disable_web_page_preview": True}
        try:
            async with self._http().post(url, json=body) as reply:
                status = reply.status
                answer = await reply.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise TelegramError(
                f"sendMessage got no usable answer ({type(exc).__name__})", status=None
            ) from None
        if status == 200 and isinstance(answer, dict) and answer.get("ok"):
            return int(answer["result"]["message_id"])
        raise self._refusal(status, answer) from None

    def _refusal(self, status: int, answer: object) -> TelegramError:
        description, retry_after = "", None
        if isinstance(answer, dict):
            description = self._scrub(str(answer.get("description", "")))[:300]
            params = answer.get("parameters")
            if isinstance(params, dict) and isinstance(params.get("retry_after"), int | float):
                retry_after = float(params["retry_after"])
        return TelegramError(
            f"sendMessage answered HTTP {status}: {description or 'no description'}",
            status=status,
            retry_after_s=retry_after,
        )


__all__ = ["DEFAULT_BASE_URL", "MAX_TEXT", "TelegramBot", "TelegramError"]
