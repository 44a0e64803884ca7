"""The sandboxed Jinja environment every prompt template runs in.

Anyone who may register a prompt writes code that the gateway and the server
render, so a template must not be able to run anything. On top of Jinja's
``ImmutableSandboxedEnvironment`` (no ``_``-prefixed attributes, no mutation of
lists and dicts, ``range`` capped at 100,000 items) this environment:

- allows **only listed calls**: the template globals (``range``, ``dict``,
  ``namespace``, ``cycler``, ``joiner``), loop and cycler helpers, and
  read-only methods of ``str``, ``dict``, ``list`` and ``tuple``. Methods of
  the caller's own objects cannot be called, nor ``str.format`` (use the
  ``format`` filter): prompts take values, not objects;
- **refuses at parse time** what a prompt does not need and what reaches
  outside one template or recurses without bound: ``extends``, ``include``,
  ``import``, ``macro``, ``call``, ``block`` and ``recursive`` loops;
- routes arithmetic, growing filters, ``~`` and every loop through the size
  guards of ``limits`` (``'x' * 10**9``, nested loops of ``range(100000)``).
  The rendered output is capped separately (``template.render_template``).

The size guards are best effort, not a resource sandbox; a server rendering
templates from untrusted authors should still put a time limit on the work.
"""

from __future__ import annotations

import json
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateAssertionError
from jinja2.runtime import Context, LoopContext, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Joiner
from jinja2.visitor import NodeTransformer

from shipyard.assets.prompts.limits import check_binop, concat, counted, guarded_filters

_LOOP_FILTER = "_shipyard_counted"
_CONCAT_FILTER = "_shipyard_concat"

_REFUSED: dict[type[nodes.Node], str] = {
    nodes.Extends: "{% extends %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from ... import %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.Block: "{% block %}",
}

_SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        {
            "capitalize",
            "casefold",
            "count",
            "endswith",
            "find",
            "index",
            "isalnum",
            "isalpha",
            "isdecimal",
            "isdigit",
            "islower",
            "isnumeric",
            "isspace",
            "istitle",
            "isupper",
            "lower",
            "lstrip",
            "partition",
            "removeprefix",
            "removesuffix",
            "rfind",
            "rindex",
            "rpartition",
            "rsplit",
            "rstrip",
            "split",
            "splitlines",
            "startswith",
            "strip",
            "swapcase",
            "title",
            "upper",
        }
    ),
    dict: frozenset({"get", "items", "keys", "values"}),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    LoopContext: frozenset({"cycle", "changed"}),
    Cycler: frozenset({"next", "reset"}),
}


def _describe(obj: object) -> str:
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    owner = getattr(obj, "__self__", None)
    if owner is not None and name and "." not in name:
        return f"{type(owner).__name__}.{name}"
    return str(name or type(obj).__name__)


def _tojson(value: Any, indent: int | None = None) -> str:
    """Plain JSON: Jinja's own ``tojson`` escapes ``<``, ``>`` and ``&`` for HTML."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=indent)


class PromptEnvironment(ImmutableSandboxedEnvironment):
    """Jinja for prompts: strict variables, no escaping, listed calls, size guards.

    What the author writes is what the model sees: no HTML escaping, the final
    newline kept, and a line holding only a block tag (``{% for %}``) leaves
    no blank line or indentation behind (``trim_blocks``, ``lstrip_blocks``).
    """

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        del self.globals["lipsum"]  # n paragraphs of filler on demand: a blow-up, no use
        del self.filters["random"]  # the same prompt and variables must render the same text
        self.filters = guarded_filters(self.filters)
        self.filters["tojson"] = _tojson
        self.filters[_LOOP_FILTER] = counted
        self.filters[_CONCAT_FILTER] = concat
        self._allowed_calls = tuple(self.globals.values())

    def is_safe_callable(self, obj: Any) -> bool:
        """Only the listed calls; calling an undefined value raises its own error."""
        if isinstance(obj, Undefined | Joiner) or any(obj is g for g in self._allowed_calls):
            return True
        allowed = _SAFE_METHODS.get(type(getattr(obj, "__self__", None)), frozenset())
        return getattr(obj, "__name__", None) in allowed

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call from a template, refusing with a message that says what to do instead."""
        if not self.is_safe_callable(obj):
            raise SecurityError(
                f"calling {_describe(obj)}() is not allowed; prompt templates"
                " may call only read-only str, list and dict methods and the loop helpers"
                " (use filters such as |join, |replace and |format, or pass the value in)"
            )
        return context.call(obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Arithmetic and repetition, checked for size first."""
        check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)


class _Hardener(NodeTransformer):
    """Route loop iterables and ``~`` through the budget and size checks."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, _LOOP_FILTER, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        parts = nodes.List(node.nodes, lineno=node.lineno)
        return nodes.Filter(parts, _CONCAT_FILTER, [], [], None, None, lineno=node.lineno)


ENVIRONMENT = PromptEnvironment()
"""One shared environment: Jinja environments are safe to render from many threads."""


def parse(source: str) -> nodes.Template:
    """Parse a template and refuse the features prompts do not allow.

    Raises:
        TemplateSyntaxError: bad syntax; ``TemplateAssertionError`` (a subclass) for a
            refused feature. Both carry the line.
    """
    tree = ENVIRONMENT.parse(source)
    for node in tree.find_all(tuple(_REFUSED)):
        raise TemplateAssertionError(
            f"{_REFUSED[type(node)]} is not supported in prompt templates;"
            " a prompt is one self-contained template",
            node.lineno,
        )
    for loop in tree.find_all(nodes.For):
        if loop.recursive:
            raise TemplateAssertionError(
                "recursive loops are not supported in prompt templates", loop.lineno
            )
    return tree


def harden(tree: nodes.Template) -> nodes.Template:
    """Rewrite a parsed template in place so loops and ``~`` are guarded."""
    hardened: nodes.Template = _Hardener().visit(tree)
    return hardened
