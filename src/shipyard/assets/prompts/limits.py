"""Size limits for prompt renders: the guards behind the sandbox's arithmetic and filters.

A template must not be able to stall the gateway or fill its memory with one
short line such as ``{{ 'x' * 10**9 }}``. Each operation that can grow a value
much faster than the template text (repetition, powers, ``+`` and ``~``,
padding and ``%`` widths, ``replace``, ``indent``) is estimated *before* it
runs and refused past ``MAX_OUTPUT_CHARS``; loops share one iteration budget
per render. These are best-effort guards, not a resource sandbox: values built
by nesting containers are not measured.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from jinja2.exceptions import SecurityError

MAX_OUTPUT_CHARS = 1_000_000
"""Most characters one render may produce, and the largest value it may build."""

MAX_LOOP_ITERATIONS = 100_000
"""Most ``{% for %}`` iterations one render may run, across all loops and messages."""

MAX_INT_BITS = 16_384
"""Largest integer arithmetic may build (about 4,900 digits)."""

_PRINTF_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class _Budget:
    """Loop iterations used so far by the render running in this context."""

    def __init__(self) -> None:
        self.iterations = 0


_BUDGET: ContextVar[_Budget | None] = ContextVar("shipyard_prompt_budget", default=None)


@contextmanager
def loop_budget() -> Iterator[None]:
    """Share one loop-iteration budget across everything rendered inside.

    Nested use joins the budget already open, so a whole prompt (every
    message) shares one budget while a single template rendered alone has its own.
    """
    if _BUDGET.get() is not None:
        yield
        return
    token = _BUDGET.set(_Budget())
    try:
        yield
    finally:
        _BUDGET.reset(token)


def check_size(size: int, what: str) -> None:
    """Refuse an operation before it builds a value larger than the output cap."""
    if size > MAX_OUTPUT_CHARS:
        raise SecurityError(
            f"{what} would build about {size:,} characters;"
            f" a prompt may produce at most {MAX_OUTPUT_CHARS:,}"
        )


def _size(value: object) -> int:
    """Rough size of a str, list or tuple (one level deep); 0 for anything else."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple):
        return len(value) + sum(len(v) for v in value if isinstance(v, str))
    return 0


def _int_bits(value: object) -> int:
    return abs(value).bit_length() if isinstance(value, int) else 0


def check_binop(operator: str, left: object, right: object) -> None:
    """Refuse ``left <operator> right`` when its result would be too large."""
    if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        if _int_bits(left) * right > MAX_INT_BITS:
            raise SecurityError(f"{operator} would build an integer over {MAX_INT_BITS:,} bits")
    elif operator == "*":
        if isinstance(left, int) and isinstance(right, int):
            if _int_bits(left) + _int_bits(right) > MAX_INT_BITS:
                raise SecurityError(f"* would build an integer over {MAX_INT_BITS:,} bits")
        elif isinstance(right, int):
            check_size(_size(left) * right, "repeating a value with *")
        elif isinstance(left, int):
            check_size(_size(right) * left, "repeating a value with *")
    elif operator == "+":
        check_size(_size(left) + _size(right), "joining values with +")
    elif operator == "%" and isinstance(left, str):
        _check_printf(left, right)


def _check_printf(fmt: str, args: object) -> None:
    """Estimate ``fmt % args`` from its widths and precisions before building it."""
    total = len(fmt)
    for field in _PRINTF_FIELD.finditer(fmt):
        for number in field.groups():
            if number == "*":
                raise SecurityError("'*' widths in % formatting are not allowed in prompts")
            if number:
                total += int(number) if len(number) <= 9 else MAX_OUTPUT_CHARS + 1
    values = args.values() if isinstance(args, Mapping) else args
    total += sum(_size(v) for v in (values if isinstance(values, Iterable) else [values]))
    check_size(total, "% formatting")


def _indent_size(s: object, width: object = 4, first: object = False, blank: object = False) -> int:
    text = str(s)
    pad = width if isinstance(width, int) else len(str(width))
    return len(text) + (text.count("\n") + 1) * pad


def _replace_size(s: object, old: object, new: object, count: object = None) -> int:
    text, old_text, new_text = str(s), str(old), str(new)
    hits = text.count(old_text) if old_text else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new_text) - len(old_text), 0)


def _width_size(value: object, *args: object, **kwargs: object) -> int:
    """For filters whose whole-number arguments are sizes (``center``, ``batch``, ``slice``)."""
    numbers = [n for n in (*args, *kwargs.values()) if isinstance(n, int)]
    return max([_size(value), *numbers])


def _format_size(value: object, *args: object, **kwargs: object) -> int:
    _check_printf(str(value), kwargs or args)
    return 0


_FILTER_SIZES: dict[str, Callable[..., int]] = {
    "center": _width_size,
    "batch": _width_size,
    "slice": _width_size,
    "indent": _indent_size,
    "replace": _replace_size,
    "format": _format_size,
}


def guarded_filters(filters: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """``filters`` with each one that can grow its input wrapped in a size check."""
    wrapped = dict(filters)
    for name, size in _FILTER_SIZES.items():
        wrapped[name] = _guarded(name, filters[name], size)
    return wrapped


def _guarded(name: str, filter_func: Callable[..., Any], size: Callable[..., int]) -> Any:
    """Wrap a growing filter so its result size is checked before it is built."""
    takes_context = getattr(filter_func, "jinja_pass_arg", None) is not None

    @wraps(filter_func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        check_size(size(*(args[1:] if takes_context else args), **kwargs), f"|{name}")
        return filter_func(*args, **kwargs)

    return guarded


def counted(iterable: Iterable[Any]) -> Iterator[Any]:
    """Yield the loop's items while charging them to the render's budget."""
    budget = _BUDGET.get() or _Budget()
    for item in iterable:
        budget.iterations += 1
        if budget.iterations > MAX_LOOP_ITERATIONS:
            raise SecurityError(
                f"loops ran more than {MAX_LOOP_ITERATIONS:,} iterations in one render"
            )
        yield item


def concat(parts: list[Any]) -> str:
    """``a ~ b`` with a size check before the strings are joined."""
    texts = [str(part) for part in parts]
    check_size(sum(map(len, texts)), "joining strings with ~")
    return "".join(texts)
