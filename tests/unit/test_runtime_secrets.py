"""Secrets stay out of reprs, pickles, logs and tracebacks, including a real HTTP error's text."""

from __future__ import annotations

import asyncio
import copy
import io
import logging
import operator
import pickle
import traceback

import aiohttp
import pytest
from aiohttp import web

from soltrader.domain.errors import Error, ParameterError
from soltrader.runtime.secrets import (
    RedactingFilter,
    Redactor,
    SanitizedError,
    Secret,
    format_exception,
    sanitized,
)
from tests.local_http import serving

SENTINEL = "SENTINEL-7f3a9c"
TOKEN = f"8123456789:{SENTINEL}"  # shaped like a Telegram bot token
HTTP_TIMEOUT_S = 5.0


# --------------------------------------------------------------------------- Secret


def test_secret_never_shows_its_value() -> None:
    s = Secret(SENTINEL)
    shown = [
        repr(s),
        str(s),
        f"{s}",
        f"{s!r}",
        f"{s:>20}",
        format(s),
        operator.mod("%s %r", (s, s)),
        repr([s, {"k": s}]),
    ]
    assert all(SENTINEL not in text for text in shown)
    assert repr(s) == "Secret('***')" and str(s) == "***"
    assert s.reveal() == SENTINEL


def test_secret_refuses_pickling_and_mutation() -> None:
    s = Secret(SENTINEL)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="pickled"):
            pickle.dumps(s, protocol=protocol)
    with pytest.raises(TypeError, match="pickled"):
        pickle.dumps({"cfg": [s]})
    with pytest.raises(AttributeError):
        s._value = "other"  # type: ignore[misc]
    assert copy.deepcopy(s) is s


def test_secret_equality_and_no_hash() -> None:
    s = Secret(SENTINEL)
    assert s == Secret(SENTINEL) and s != Secret("other-value")
    assert s != SENTINEL  # never equal to the bare string
    with pytest.raises(TypeError):
        hash(s)
    with pytest.raises(TypeError):
        type("Sub", (Secret,), {})
    with pytest.raises(ParameterError, match="bytes"):
        Secret(b"raw")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- Redactor


def test_redactor_scrubs_registered_values_and_their_encodings() -> None:
    r = Redactor([Secret(SENTINEL)])
    r.add("pass word/+=")
    text = r.scrub(f"a {SENTINEL} b pass%20word%2F%2B%3D c pass+word%2F%2B%3D d pass word/+=")
    assert text == "a *** b *** c *** d ***"


def test_redactor_ignores_very_short_values() -> None:
    r = Redactor(["abc", "", Secret("xy")])
    assert r.scrub("abc xy") == "abc xy"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://x.io/v1?api-key=abc123&q=1", "https://x.io/v1?api-key=***&q=1"),
        ("https://x.io/v1?q=1&API_KEY=abc123", "https://x.io/v1?q=1&API_KEY=***"),
        ("GET /v1?apikey=abc#frag", "GET /v1?apikey=***#frag"),
        ("/v3/order?symbol=SOL&signature=9f8e7d", "/v3/order?symbol=SOL&signature=***"),
        ("url='https://x.io/?token=zz9&secret=qq8'", "url='https://x.io/?token=***&secret=***'"),
        ("?password=hunter2 next", "?password=*** next"),
        ("?key=K1&access_token=A2", "?key=***&access_token=***"),
        ("https://api.telegram.org/bot123:ABC/getMe", "https://api.telegram.org/bot***/getMe"),
        ("/bot123%3AABC-def/sendMessage", "/bot***/sendMessage"),
        ("Authorization: Bearer eyJhbGciOi.x-y", "Authorization: Bearer ***"),
        ("/bots/list?symbol=SOL&limit=5", "/bots/list?symbol=SOL&limit=5"),
    ],
)
def test_redactor_always_scrubs_credential_shaped_url_parts(text: str, expected: str) -> None:
    assert Redactor().scrub(text) == expected


# --------------------------------------------------------------------------- a real HTTP error


async def _http_error() -> tuple[aiohttp.ClientResponseError, str]:
    """Call a loopback server that answers 500 for a URL holding the token; return the
    ClientResponseError that ``raise_for_status`` raised and the URL."""

    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    app = web.Application()
    app.router.add_get("/bot{token}/sendMessage", handler)
    async with serving(app) as base:
        url = f"{base}/bot{TOKEN}/sendMessage?api-key={TOKEN}"
        timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(url) as resp:
                try:
                    resp.raise_for_status()
                except aiohttp.ClientResponseError as exc:
                    return exc, url
    raise AssertionError("the server did not fail")


def _raise_sanitized(exc: BaseException, r: Redactor) -> SanitizedError:
    """What the runtime does: raise the sanitized error from None inside the except block."""
    try:
        try:
            raise exc
        except aiohttp.ClientResponseError as caught:
            raise sanitized(caught, r) from None
    except SanitizedError as clean:
        return clean


@pytest.fixture(scope="module")
def http_error() -> tuple[aiohttp.ClientResponseError, str]:
    return asyncio.run(asyncio.wait_for(_http_error(), timeout=10 * HTTP_TIMEOUT_S))


@pytest.mark.parametrize("registered", [True, False], ids=["registered", "unregistered"])
def test_sanitized_http_error_holds_no_secret(
    http_error: tuple[aiohttp.ClientResponseError, str], registered: bool
) -> None:
    exc, _ = http_error
    assert exc.status == 500
    raw = "".join(traceback.format_exception(exc))
    assert SENTINEL in str(exc) and SENTINEL in raw  # the leak is real
    r = Redactor([Secret(TOKEN)] if registered else [])
    clean = _raise_sanitized(exc, r)
    assert isinstance(clean, Error) and clean.kind == "ClientResponseError"
    assert clean.__cause__ is None and clean.__suppress_context__
    assert str(clean).startswith("ClientResponseError: 500")
    assert SENTINEL not in str(clean)
    assert SENTINEL not in "".join(traceback.format_exception(clean))
    assert SENTINEL not in format_exception(exc, r)


@pytest.mark.parametrize("registered", [True, False], ids=["registered", "unregistered"])
def test_redacting_filter_keeps_secrets_out_of_logs(
    http_error: tuple[aiohttp.ClientResponseError, str], registered: bool
) -> None:
    exc, url = http_error
    assert SENTINEL in url and SENTINEL in str(exc)  # what reaches the logger holds the secret
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    fmt = "%(levelname)s %(message)s target=%(target)s"
    handler.setFormatter(logging.Formatter(fmt, defaults={"target": "-"}))
    handler.addFilter(RedactingFilter(Redactor([Secret(TOKEN)] if registered else [])))
    log = logging.getLogger(f"soltrader.test.secrets.{registered}")
    log.setLevel(logging.INFO)
    log.propagate = False
    log.addHandler(handler)
    try:
        try:
            raise RuntimeError("wrapped") from exc
        except RuntimeError:
            log.exception("call failed", extra={"target": url})
        log.error("url %s", url)
        log.info("message %s", exc, stack_info=True)
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    assert "call failed" in text and "Traceback" in text and "ClientResponseError" in text
    assert "url http://127.0.0.1:" in text and "api-key=***" in text
    assert text.count(SENTINEL) == 0


def test_redacting_filter_survives_arguments_that_do_not_format() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d items %s", (SENTINEL,), None)
    assert RedactingFilter(Redactor([SENTINEL])).filter(record)
    assert record.args is None and SENTINEL not in record.msg and "%d items" in record.msg


def test_a_live_specs_credentials_never_reach_the_log(tmp_path) -> None:
    """The runtime's log handlers scrub the spec's credentials, in messages and tracebacks."""
    import io

    from soltrader.engine.live_spec import parse_live_spec
    from soltrader.runtime.app import install_redaction

    sentinel = "SENTINEL-spec-4e1d77"
    spec = parse_live_spec(
        {
            "data": {"symbol": "SOL/USDT", "timeframe": "1m"},
            "strategy": {"name": "sma_cross"},
            "live": {"credentials": {"api_key": sentinel}},
        }
    )
    stream = io.StringIO()
    logger = logging.getLogger("soltrader.test.spec-redaction")
    logger.propagate = False
    logger.addHandler(logging.StreamHandler(stream))
    install_redaction(spec, logger)
    try:
        raise RuntimeError(f"GET http://127.0.0.1:1/api/v3/account?key={sentinel} failed")
    except RuntimeError:
        logger.exception("venue call failed with %s", sentinel)
    logger.error("spec %r", spec)
    text = stream.getvalue()
    assert "venue call failed" in text and "RuntimeError" in text
    assert sentinel not in text
