"""Memos for pure functions of card text that bound what they hold: answers and the size of each key.

`functools.lru_cache` bounds how many answers it keeps, not how long their keys are. A worker lives
for a whole crawl, and a card may hold a link of 50,000 characters: 4,096 such keys would keep
hundreds of megabytes alive. `text_memo` remembers only calls whose key is short (a URL, a link
text, a table cell as cards really repeat them) and answers the others by calling the function, so
every answer is the function's own either way, and a memo holds at most `maxsize` keys of at most
`max_key` characters (or items, with a `size` of the caller's choosing).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

MAX_KEY_CHARS = 2_000  # real URLs, link texts and table cells are far shorter; a longer one hardly repeats


def _chars(args: tuple[Any, ...]) -> int:
    return sum(len(a) for a in args if isinstance(a, (str, bytes)))


def _positional_count(fn: Callable[..., Any]) -> int | None:
    """How many positional parameters `fn` takes, or None when it does not say (compiled code may
    not carry `__code__`; the general wrapper measures its keys the same way)."""
    code = getattr(fn, "__code__", None)
    return code.co_argcount if code is not None else None


def text_memo(maxsize: int, *, max_key: int = MAX_KEY_CHARS, size: Callable[..., int] | None = None) -> Callable[[F], F]:
    """`functools.lru_cache(maxsize)` for calls whose key is at most `max_key` long.

    The key's length is `size(*args)` when given, else the characters of its str and bytes
    arguments. The result keeps lru_cache's `cache_info`, `cache_clear` and `cache_parameters`, and
    `__wrapped__` is the plain function.
    """

    def wrap(fn: F) -> F:
        cached = functools.lru_cache(maxsize=maxsize)(fn)

        def call_one(arg: Any) -> Any:  # one argument: the common case, kept to one test (a non-text key is measured as 0)
            if isinstance(arg, (str, bytes)) and len(arg) > max_key:
                return fn(arg)
            return cached(arg)

        measure = size if size is not None else (lambda *args: _chars(args))

        def call_many(*args: Any) -> Any:
            return cached(*args) if measure(*args) <= max_key else fn(*args)

        call: Any = call_one if size is None and _positional_count(fn) == 1 else call_many
        functools.update_wrapper(call, fn)
        call.cache_info = cached.cache_info
        call.cache_clear = cached.cache_clear
        call.cache_parameters = cached.cache_parameters
        return call  # type: ignore[no-any-return]

    return wrap
