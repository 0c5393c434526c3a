"""Keep API keys and tokens out of logs, error messages, tracebacks and files.

A secret leaks through the text around it far more often than on purpose: an HTTP client's error
names the URL that held the token (``/bot<TOKEN>/sendMessage``, ``?api-key=...``), a traceback
prints that error, a log line formats it. This module gives the live runtime four defences:

* :class:`Secret` wraps a value so that ``repr``, ``str``, f-strings and ``pickle`` never show
  it; :meth:`Secret.reveal` is the one explicit way to read it.
* :class:`Redactor` replaces registered secret values, and always the values of URL query
  parameters named like keys, tokens, secrets, signatures and passwords, Telegram
  ``/bot<TOKEN>`` path parts and ``Bearer`` credentials, with ``***``.
* :class:`RedactingFilter` scrubs log records (message, arguments, exception, stack) before any
  handler formats them.
* :func:`sanitized` and :func:`format_exception` turn an exception that may carry a secret into
  scrubbed text, or into a :class:`SanitizedError` to raise ``from None``.

Scrubbing is a safety net, not a licence: code should still avoid putting secrets in messages.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from soltrader.domain.errors import Error, ParameterError
from soltrader.domain.secret import MASK, Secret

#: Registered values shorter than this are ignored: scrubbing "ab" would garble every message.
MIN_SECRET_CHARS = 4

_VALUE = r"[^&#\s'\"<>]+"
#: ``name=value`` where the name ends like a credential (api-key, access_token, client_secret,
#: X-MBX-APIKEY, signature, passphrase, ...), in a query string or a form body.
_PARAM = re.compile(
    r"(?i)(?<![\w.-])([\w.-]*(?:api[-_]?key|key|token|secret|signature|password|passwd|passphrase)"
    r"=)" + _VALUE
)
#: A Telegram bot token in a path: ``/bot<digits>:<secret>`` (the colon possibly encoded).
_TELEGRAM = re.compile(r"(?i)(/bot)[^/\s?#'\"<>]*(?::|%3A)[^/\s?#'\"<>]*")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[\w.~+/=-]+")
#: LogRecord attributes that are not user extras (extras given as strings are scrubbed too).
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
}


# --------------------------------------------------------------------------- Secret


# --------------------------------------------------------------------------- Redactor


class Redactor:
    """Replaces secrets in text with ``***``.

    Registered values are replaced wherever they occur, as sent and percent-encoded. Whether
    registered or not, these are always masked: the value of a ``name=value`` pair whose name
    ends like a credential (``api-key``, ``api_key``, ``apikey``, ``key``, ``token``, ``secret``,
    ``signature``, ``password``, any case, e.g. ``access_token``), a Telegram ``/bot<id>:<token>``
    path part, and a ``Bearer`` credential.

    Parameters
    ----------
    secrets : iterable of Secret or str, optional
        Values to register at once (see :meth:`add`).

    Examples
    --------
    >>> r = Redactor([Secret("s3cr3t-value")])
    >>> r.scrub("auth failed for s3cr3t-value")
    'auth failed for ***'
    >>> r.scrub("GET https://api.example.com/v1/t?symbol=SOL&API_KEY=abcd1234&limit=5")
    'GET https://api.example.com/v1/t?symbol=SOL&API_KEY=***&limit=5'
    >>> r.scrub("POST https://api.telegram.org/bot123456:AAH-xyz/sendMessage")
    'POST https://api.telegram.org/bot***/sendMessage'
    """

    def __init__(self, secrets: Iterable[Secret | str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def __repr__(self) -> str:
        return f"Redactor({len(self._values)} values)"

    def add(self, secret: Secret | str) -> None:
        """Register a value to mask (its percent-encoded forms too).

        Values shorter than :data:`MIN_SECRET_CHARS` (4) characters are ignored: masking them
        would garble every message while protecting nothing.

        Raises
        ------
        ParameterError
            ``secret`` is neither a :class:`Secret` nor a str.
        """
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if not isinstance(value, str):
            raise ParameterError("secret", f"must be a Secret or a str, got {type(value).__name__}")
        if len(value) < MIN_SECRET_CHARS:
            return
        self._values |= {value, quote(value, safe=""), quote_plus(value)}
        self._pattern = None

    def scrub(self, text: str) -> str:
        """``text`` with every secret it holds replaced by ``***``."""
        pattern = self._compiled()
        if pattern is not None:
            text = pattern.sub(MASK, text)
        text = _PARAM.sub(rf"\g<1>{MASK}", text)
        text = _TELEGRAM.sub(rf"\g<1>{MASK}", text)
        return _BEARER.sub(rf"\g<1>{MASK}", text)

    def _compiled(self) -> re.Pattern[str] | None:
        """One alternation of the registered values, longest first (so that a value holding
        another is masked whole); None when nothing is registered."""
        if self._pattern is None and self._values:
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, ordered)))
        return self._pattern


# --------------------------------------------------------------------------- logging


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs each record in place; it never drops one.

    The message is formatted with its arguments and scrubbed (``record.args`` becomes None), the
    exception is formatted, scrubbed and kept as ``record.exc_text`` (``record.exc_info``
    becomes None, so no handler formats the raw one), and the stack and string extras are
    scrubbed. Attach it to every **handler** (a logger's own filters do not see records that
    propagate from child loggers); the first handler's filter scrubs the shared record for all.

    Parameters
    ----------
    redactor : Redactor
        What to mask.
    name : str, optional
        As :class:`logging.Filter`'s ``name``.

    Examples
    --------
    >>> import io, logging
    >>> out = io.StringIO()
    >>> handler = logging.StreamHandler(out)
    >>> handler.addFilter(RedactingFilter(Redactor(["tok-12345"])))
    >>> log = logging.getLogger("soltrader.doctest.redacting")
    >>> log.addHandler(handler); log.propagate = False
    >>> log.warning("retrying with %s", "tok-12345")
    >>> out.getvalue()
    'retrying with ***\\n'
    """

    def __init__(self, redactor: Redactor, name: str = "") -> None:
        super().__init__(name)
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub ``record`` in place; always returns True."""
        record.msg = self.redactor.scrub(_message(record))
        record.args = None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.redactor.scrub(text)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redactor.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.scrub(record.stack_info)
        self._scrub_extras(record)
        return True

    def _scrub_extras(self, record: logging.LogRecord) -> None:
        """Scrub the string values given with ``extra=``."""
        for key, value in list(vars(record).items()):
            if key not in _RECORD_FIELDS and isinstance(value, str):
                setattr(record, key, self.redactor.scrub(value))


def _message(record: logging.LogRecord) -> str:
    """The record's message with its arguments, or, when they do not format, both as text
    (logging would report the mismatch later; a filter must not raise)."""
    try:
        return record.getMessage()
    except Exception:
        return f"{record.msg!s} (arguments that did not format: {record.args!r})"


# --------------------------------------------------------------------------- exceptions


class SanitizedError(Error):
    """Stands in for an exception whose text may hold a secret; its message is scrubbed.

    Attributes
    ----------
    kind : str
        The original exception's type name (e.g. ``"ClientResponseError"``).
    """

    def __init__(self, message: str, *, kind: str) -> None:
        self.kind = kind
        super().__init__(message)


def sanitized(exc: BaseException, redactor: Redactor) -> SanitizedError:
    """A :class:`SanitizedError` with ``exc``'s type name and scrubbed message.

    Raise it ``from None``, inside the ``except`` block, so that tracebacks do not show the
    original (Python still keeps it as ``__context__``: never hand that to a reporter).

    Parameters
    ----------
    exc : BaseException
        The exception caught.
    redactor : Redactor
        What to mask.

    Returns
    -------
    SanitizedError
        Message ``"<type name>: <message>"``, scrubbed.

    Examples
    --------
    >>> r = Redactor()
    >>> err = sanitized(ValueError("bad reply from /bot42:AAH-secret/getMe"), r)
    >>> str(err), err.kind
    ('ValueError: bad reply from /bot***/getMe', 'ValueError')
    """
    return SanitizedError(redactor.scrub(f"{type(exc).__name__}: {exc}"), kind=type(exc).__name__)


def format_exception(exc: BaseException, redactor: Redactor) -> str:
    """``exc``'s full traceback, chained causes and contexts included, scrubbed.

    Parameters
    ----------
    exc : BaseException
        The exception.
    redactor : Redactor
        What to mask.

    Returns
    -------
    str
        The text :func:`traceback.format_exception` gives, with secrets masked.

    Examples
    --------
    >>> try:
    ...     raise RuntimeError("GET /v1/account?signature=9f86d081884c")
    ... except RuntimeError as exc:
    ...     text = format_exception(exc, Redactor())
    >>> text.splitlines()[-1]
    'RuntimeError: GET /v1/account?signature=***'
    """
    return redactor.scrub("".join(traceback.format_exception(exc)))


__all__ = [
    "MASK",
    "MIN_SECRET_CHARS",
    "RedactingFilter",
    "Redactor",
    "SanitizedError",
    "Secret",
    "format_exception",
    "sanitized",
]
