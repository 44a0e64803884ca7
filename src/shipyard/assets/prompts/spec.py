"""What one prompt version holds: chat messages, model settings, a response schema.

A ``PromptSpec`` is checked completely when it is built (roles, template
syntax, settings, schema), so a broken prompt fails when it is registered and
not on the first request. ``to_dict`` is the JSON form the registry stores;
``from_dict(spec.to_dict()) == spec`` always holds.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from shipyard.assets.prompts.response_schema import check_response_schema
from shipyard.assets.prompts.template import compile_template
from shipyard.core.errors import InvalidInput

Role = Literal["system", "user", "assistant", "tool"]
ROLES: tuple[Role, ...] = get_args(Role)

_JINJA_OPENERS = ("{{", "{%", "{#")


@dataclass(frozen=True)
class Message:
    """One chat message; ``content`` is a Jinja template such as ``"Hi {{ name }}"``."""

    role: Role
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidInput(f"message role {self.role!r} is not one of {', '.join(ROLES)}")
        if not isinstance(self.content, str):
            raise InvalidInput(
                f"message content must be a template string; got {type(self.content).__name__}"
            )

    def to_dict(self) -> dict[str, str]:
        """The JSON form, which is also the OpenAI chat message shape."""
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class ModelSettings:
    """Which model a prompt was written for and how to sample it; every field optional."""

    provider: str | None = None
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Other provider parameters (``top_p``, ``stop``...), passed through as JSON."""

    def __post_init__(self) -> None:
        for name in ("provider", "model"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise InvalidInput(f"model settings: {name} must be a non-empty string or null")
        t = self.temperature
        if t is not None:
            if isinstance(t, bool) or not isinstance(t, int | float) or not 0 <= t <= 2:
                raise InvalidInput(f"model settings: temperature must be from 0 to 2; got {t!r}")
            object.__setattr__(self, "temperature", float(t))
        n = self.max_tokens
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise InvalidInput(f"model settings: max_tokens must be a whole number >= 1; got {n!r}")
        if not isinstance(self.extra, Mapping):
            raise InvalidInput("model settings: extra must be an object of provider parameters")
        clash = sorted(set(self.extra) & {"provider", "model", "temperature", "max_tokens"})
        if clash:
            raise InvalidInput(
                f"model settings: set {', '.join(clash)} as field(s) of their own, not in extra"
            )
        object.__setattr__(self, "extra", _json_copy(self.extra, "model settings extra"))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; every key present so stored specs have one shape."""
        return {
            "provider": self.provider,
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "extra": copy.deepcopy(self.extra),
        }

    @classmethod
    def from_dict(cls, data: object) -> ModelSettings:
        """Build from the JSON form; missing keys take their defaults."""
        return cls(
            **_object(data, {"provider", "model", "temperature", "max_tokens", "extra"}, "model")
        )


@dataclass(frozen=True)
class PromptSpec:
    """A prompt version: messages (templates), model settings, response schema."""

    messages: Sequence[Message]
    """Stored as a tuple, so a spec cannot change after it was checked."""
    model: ModelSettings | None = None
    response_schema: dict[str, Any] | None = None
    """A JSON Schema the model's answer must follow, or None for free text."""
    description: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.messages, str) or not isinstance(self.messages, Sequence):
            raise InvalidInput("prompt messages must be a list of Message")
        messages = tuple(self.messages)
        if not messages:
            raise InvalidInput("a prompt needs at least one message, such as a user message")
        for i, message in enumerate(messages):
            if not isinstance(message, Message):
                raise InvalidInput(f"prompt messages[{i}] must be a Message")
            compile_template(message.content, _where(i, message))
        object.__setattr__(self, "messages", messages)
        if self.model is not None and not isinstance(self.model, ModelSettings):
            raise InvalidInput("prompt model must be ModelSettings or None")
        if self.response_schema is not None:
            schema = _json_copy(self.response_schema, "response_schema")
            check_response_schema(schema)
            object.__setattr__(self, "response_schema", schema)
        if not isinstance(self.description, str):
            raise InvalidInput("prompt description must be a string")

    @property
    def variables(self) -> list[str]:
        """Names every message's template reads, sorted; ``render`` needs exactly these."""
        names: set[str] = set()
        for i, message in enumerate(self.messages):
            names |= compile_template(message.content, _where(i, message)).variables
        return sorted(names)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form the registry stores."""
        return {
            "description": self.description,
            "messages": [m.to_dict() for m in self.messages],
            "model": None if self.model is None else self.model.to_dict(),
            "response_schema": copy.deepcopy(self.response_schema),
        }

    @classmethod
    def from_dict(cls, data: object) -> PromptSpec:
        """Build from the JSON form; unknown keys are refused, so typos do not pass."""
        data = _object(data, {"description", "messages", "model", "response_schema"}, "prompt spec")
        raw = data.get("messages")
        if not isinstance(raw, list):
            raise InvalidInput(
                'prompt spec needs "messages": a list of {"role": ..., "content": ...} objects'
            )
        messages = []
        for i, raw_message in enumerate(raw):
            item = _object(raw_message, {"role", "content"}, f"prompt messages[{i}]")
            if "role" not in item or "content" not in item:
                raise InvalidInput(f'prompt messages[{i}] needs both "role" and "content"')
            messages.append(Message(item["role"], item["content"]))
        model = data.get("model")
        return cls(
            messages=messages,
            model=None if model is None else ModelSettings.from_dict(model),
            response_schema=data.get("response_schema"),
            description=data.get("description", ""),
        )

    @classmethod
    def from_text(cls, text: str) -> PromptSpec:
        """Read a JSON spec, or take a plain template as one user message.

        Text whose first non-blank character is ``{`` (and not a Jinja opener
        such as ``{{``) is read as JSON, so a malformed spec fails loudly instead
        of silently becoming a prompt that shows the JSON to the model.
        """
        stripped = text.lstrip()
        if not stripped:
            raise InvalidInput("prompt text is empty; write a template or a JSON spec")
        if not stripped.startswith("{") or stripped.startswith(_JINJA_OPENERS):
            return cls(messages=[Message("user", text)])
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"prompt text starts with {{ so it is read as a JSON spec, but it is not valid"
                f" JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            ) from None
        return cls.from_dict(data)


def _where(index: int, message: Message) -> str:
    return f"prompt messages[{index}] ({message.role})"


def _object(data: object, allowed: set[str], what: str) -> Mapping[str, Any]:
    """``data`` as a JSON object with no keys outside ``allowed``."""
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{what} must be a JSON object; got {type(data).__name__}")
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise InvalidInput(
            f"{what} has unknown key(s) {', '.join(map(repr, unknown))};"
            f" allowed: {', '.join(sorted(allowed))}"
        )
    return data


def _json_copy(value: object, what: str) -> Any:
    """A deep copy through JSON: what is stored is exactly what is kept and compared."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidInput(f"{what} must be plain JSON (no NaN, no cycles): {exc}") from None
