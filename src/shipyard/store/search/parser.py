"""Parse run filters such as ``metrics.auc > 0.9 and params.model = 'gbm'``.

Grammar (keywords are case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | comparison
    comparison := field OP value
                | field ["not"] "in" "(" value ("," value)* ")"
                | field "is" ["not"] "null"
    field      := SCOPE "." NAME | ATTRIBUTE
    OP         := = == != <> < <= > >= like ilike
    value      := NUMBER | 'string' | "string" | true | false

``SCOPE`` is ``metrics``, ``params``, ``tags`` or ``attributes`` (singular
forms too); a ``NAME`` with dots, dashes or spaces is written in backticks.
Every error names the character position where parsing stopped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from shipyard.core.errors import InvalidInput

Scope = Literal["metrics", "params", "tags", "attributes"]
ATTRIBUTES = (
    "id",
    "name",
    "status",
    "start_time",
    "end_time",
    "duration",
    "experiment_id",
    "experiment",
    "parent_id",
)
_SCOPES: dict[str, Scope] = {
    "metric": "metrics",
    "metrics": "metrics",
    "param": "params",
    "params": "params",
    "tag": "tags",
    "tags": "tags",
    "attribute": "attributes",
    "attributes": "attributes",
    "attr": "attributes",
    "run": "attributes",
}
_ALIASES = {"run_id": "id", "run_name": "name", "duration_ms": "duration"}
_OPS = ("==", "!=", "<>", "<=", ">=", "=", "<", ">")
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<quoted>`[^`]*`)
  | (?P<op>==|!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),.])
  | (?P<word>[^\W\d][\w\-:/]*)
    """,
    re.VERBOSE | re.UNICODE,
)

Value = float | str | bool


@dataclass(frozen=True)
class Field:
    scope: Scope
    name: str


@dataclass(frozen=True)
class Comparison:
    field: Field
    op: str  # = != < <= > >= like ilike in not_in is_null not_null
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Logical:
    op: Literal["and", "or", "not"]
    items: tuple[Node, ...]


Node = Comparison | Logical


@dataclass(frozen=True)
class OrderKey:
    field: Field
    descending: bool


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "word" else ""


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise InvalidInput(
                f"filter error at position {pos + 1}: unexpected character {text[pos]!r}"
            )
        kind = m.lastgroup or ""
        if kind != "ws":
            toks.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    toks.append(_Tok("end", "", len(text)))
    return toks


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, expected: str, tok: _Tok | None = None) -> InvalidInput:
        tok = tok or self.tok
        found = "the end of the filter" if tok.kind == "end" else repr(tok.text)
        return InvalidInput(
            f"filter error at position {tok.pos + 1}: expected {expected}, found {found}"
        )

    def expect_punct(self, char: str) -> None:
        if self.tok.kind != "punct" or self.tok.text != char:
            raise self.fail(f"'{char}'")
        self.take()

    # expr := and_expr ("or" and_expr)*
    def expr(self) -> Node:
        items = [self.and_expr()]
        while self.tok.word == "or":
            self.take()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Logical("or", tuple(items))

    def and_expr(self) -> Node:
        items = [self.unary()]
        while self.tok.word == "and":
            self.take()
            items.append(self.unary())
        return items[0] if len(items) == 1 else Logical("and", tuple(items))

    def unary(self) -> Node:
        if self.tok.word == "not":
            self.take()
            return Logical("not", (self.unary(),))
        if self.tok.kind == "punct" and self.tok.text == "(":
            self.take()
            node = self.expr()
            self.expect_punct(")")
            return node
        return self.comparison()

    def field(self) -> Field:
        tok = self.tok
        if tok.kind != "word":
            raise self.fail("a field such as metrics.auc, params.lr, tags.team or status")
        self.take()
        scope = _SCOPES.get(tok.text.lower())
        if scope is None or not (self.tok.kind == "punct" and self.tok.text == "."):
            name = _ALIASES.get(tok.text.lower(), tok.text.lower())
            if name not in ATTRIBUTES:
                raise InvalidInput(
                    f"filter error at position {tok.pos + 1}: unknown field {tok.text!r}; "
                    "use metrics.<name>, params.<name>, tags.<name> or one of "
                    + ", ".join(ATTRIBUTES)
                )
            return Field("attributes", name)
        self.take()  # the dot
        name_tok = self.tok
        if name_tok.kind == "word":
            name = name_tok.text
        elif name_tok.kind in ("quoted", "string"):
            name = name_tok.text[1:-1]
        else:
            raise self.fail(f"a name after '{tok.text}.'")
        self.take()
        if not name:
            raise self.fail("a non-empty name", name_tok)
        if scope == "attributes":
            name = _ALIASES.get(name.lower(), name.lower())
            if name not in ATTRIBUTES:
                raise InvalidInput(
                    f"filter error at position {name_tok.pos + 1}: unknown attribute "
                    f"{name!r}; known: {', '.join(ATTRIBUTES)}"
                )
        return Field(scope, name)

    def value(self) -> Value:
        tok = self.tok
        if tok.kind == "number":
            self.take()
            return float(tok.text)
        if tok.kind == "string":
            self.take()
            return re.sub(r"\\(.)", r"\1", tok.text[1:-1])
        if tok.word in ("true", "false"):
            self.take()
            return tok.word == "true"
        raise self.fail("a value (a number, a 'quoted string', true or false)")

    def comparison(self) -> Comparison:
        field = self.field()
        tok = self.tok
        if tok.kind == "op":
            self.take()
            op = {"==": "=", "<>": "!="}.get(tok.text, tok.text)
            return Comparison(field, op, (self.value(),))
        if tok.word in ("like", "ilike"):
            self.take()
            value = self.value()
            if not isinstance(value, str):
                raise InvalidInput(
                    f"filter error at position {tok.pos + 1}: {tok.word} needs a quoted pattern"
                )
            return Comparison(field, tok.word, (value,))
        negate = False
        if tok.word == "not":
            self.take()
            negate = True
            if self.tok.word != "in":
                raise self.fail("'in' after 'not'")
        if self.tok.word == "in":
            self.take()
            self.expect_punct("(")
            values = [self.value()]
            while self.tok.kind == "punct" and self.tok.text == ",":
                self.take()
                values.append(self.value())
            self.expect_punct(")")
            return Comparison(field, "not_in" if negate else "in", tuple(values))
        if tok.word == "is":
            self.take()
            op = "is_null"
            if self.tok.word == "not":
                self.take()
                op = "not_null"
            if self.tok.word != "null":
                raise self.fail("'null'")
            self.take()
            return Comparison(field, op, ())
        raise self.fail("a comparison (=, !=, <, <=, >, >=, like, ilike, in, is null)")


def parse_filter(text: str) -> Node | None:
    """Parse a filter expression; ``None`` for an empty one."""
    if not text or not text.strip():
        return None
    parser = _Parser(text)
    node = parser.expr()
    if parser.tok.kind != "end":
        raise parser.fail("'and', 'or' or the end of the filter")
    return node


def parse_order(text: str) -> OrderKey:
    """Parse one ``ORDER BY`` term such as ``metrics.auc desc``."""
    parser = _Parser(text)
    field = parser.field()
    descending = False
    if parser.tok.word in ("asc", "desc"):
        descending = parser.take().word == "desc"
    if parser.tok.kind != "end":
        raise InvalidInput(
            f"order error at position {parser.tok.pos + 1} of {text!r}: "
            "expected 'asc', 'desc' or the end"
        )
    return OrderKey(field, descending)
