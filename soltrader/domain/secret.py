"""A secret string that does not show itself (API keys, tokens, RPC URLs with keys).

It lives in the domain so that every ring can hold one: a spec's credentials are wrapped when the
spec is read, and only the adapter that sends a key calls :meth:`Secret.reveal`.
:mod:`soltrader.runtime.secrets` scrubs the text around secrets (logs, tracebacks).
"""

from __future__ import annotations

import hmac
from typing import Any, NoReturn, final

from soltrader.domain.errors import ParameterError

#: What a secret shows instead of its value.
MASK = "***"


@final
class Secret:
    """A secret string that does not show itself.

    ``repr``, ``str`` and ``format`` give masks; :meth:`reveal` returns the value. Two secrets
    compare equal when their values do (in constant time); a secret never equals a plain string,
    is not hashable (a hash is a function of the value) and refuses to be pickled, so it cannot
    reach a file or a cache key by accident.

    Parameters
    ----------
    value : str
        The secret (an API key, a token, a password).

    Raises
    ------
    ParameterError
        ``value`` is not a str.

    Examples
    --------
    >>> key = Secret("hunter2-abcdef")
    >>> key
    Secret('***')
    >>> f"key={key}"
    'key=***'
    >>> key.reveal()
    'hunter2-abcdef'
    >>> key == Secret("hunter2-abcdef"), key == "hunter2-abcdef"
    (True, False)
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise ParameterError("value", f"a Secret wraps a str, got {type(value).__name__}")
        object.__setattr__(self, "_value", value)

    def __init_subclass__(cls, **kwargs: Any) -> NoReturn:
        raise TypeError("Secret is final: wrap the value instead of subclassing")

    def reveal(self) -> str:
        """The secret value; call it only where the value is sent (a header, a signature)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a Secret cannot be pickled: store a reference to it, not the value")

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled: store a reference to it, not the value")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self


__all__ = ["MASK", "Secret"]
