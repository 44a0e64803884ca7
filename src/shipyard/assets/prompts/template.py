"""One prompt template: compile it once, list its variables, render it safely.

Every Jinja failure becomes ``InvalidInput`` naming where it happened
(``prompt messages[1] (user), line 3``), because a broken template or a bad
value is the prompt author's or the caller's to fix, never a shipyard failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import TracebackType

from jinja2 import Template, meta
from jinja2.exceptions import (
    SecurityError,
    TemplateAssertionError,
    TemplateError,
    TemplateSyntaxError,
    UndefinedError,
)

from shipyard.assets.prompts.limits import MAX_OUTPUT_CHARS, loop_budget
from shipyard.assets.prompts.sandbox import ENVIRONMENT, harden, parse
from shipyard.core.errors import InvalidInput

_SYNTAX_HINT = (
    "write variables as {{ name }} and blocks as {% if x %}...{% endif %}"
    " or {% for x in xs %}...{% endfor %}"
)

# Errors a template or its values can cause while rendering; anything else is a bug.
_RENDER_ERRORS = (
    TemplateError,
    ArithmeticError,
    LookupError,
    TypeError,
    ValueError,
    RecursionError,
)


@dataclass(frozen=True)
class CompiledTemplate:
    """A parsed, hardened template and the variables it reads."""

    template: Template
    variables: frozenset[str]


@lru_cache(maxsize=1024)
def _compile(source: str) -> CompiledTemplate:
    # Prompts are rendered far more often than written; compile each text once.
    tree = parse(source)
    variables = frozenset(meta.find_undeclared_variables(tree))
    return CompiledTemplate(ENVIRONMENT.from_string(harden(tree)), variables)


def compile_template(source: str, where: str) -> CompiledTemplate:
    """Compile ``source``, the template found at ``where`` (used in error messages).

    Raises:
        InvalidInput: the template does not parse or uses a refused feature.
    """
    try:
        return _compile(source)
    except TemplateSyntaxError as exc:
        # an assertion (unknown filter, refused feature) is not about syntax: no hint
        hint = "" if isinstance(exc, TemplateAssertionError) else f"; {_SYNTAX_HINT}"
        problem = str(exc.message).rstrip(".")
        raise InvalidInput(f"{where}, line {exc.lineno}: {problem}{hint}") from exc


def render_template(
    compiled: CompiledTemplate, variables: Mapping[str, object], where: str, limit: int
) -> str:
    """Render with ``variables``, stopping as soon as the text passes ``limit`` characters.

    The caller checks first that ``variables`` are exactly the ones the template
    reads; a missing attribute or key of a value still fails here.

    Raises:
        InvalidInput: the render failed, tried something the sandbox refuses, or
            grew past ``limit``.
    """
    parts: list[str] = []
    size = 0
    try:
        with loop_budget():
            for chunk in compiled.template.generate(variables):
                size += len(chunk)
                if size > limit:
                    raise InvalidInput(
                        f"{where} renders to more than {limit:,} characters (a prompt may"
                        f" produce at most {MAX_OUTPUT_CHARS:,} in all); shorten the template"
                        " or the values"
                    )
                parts.append(chunk)
    except _RENDER_ERRORS as exc:
        raise InvalidInput(f"{_located(where, exc.__traceback__)}: {_explain(exc)}") from exc
    return "".join(parts)


def _explain(exc: BaseException) -> str:
    if isinstance(exc, SecurityError):
        return f"refused by the prompt sandbox: {exc}"
    if isinstance(exc, UndefinedError):
        return f"{exc.message}; check the variable's keys and attributes"
    if isinstance(exc, TemplateError):
        return str(exc.message)
    if isinstance(exc, RecursionError):
        return "the value is nested too deeply to render"
    return f"{type(exc).__name__}: {exc}"


def _located(where: str, tb: TracebackType | None) -> str:
    """``where`` plus the template line that failed, when Jinja's traceback has one."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return where if line is None else f"{where}, line {line}"
