"""Turn a prompt spec and its variables into the messages sent to a model.

Variables must match the templates exactly: a missing one would render as a
hole in the prompt and an unexpected one is usually a typo, so both fail
before anything renders, naming what was expected and what was given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from shipyard.assets.prompts.limits import MAX_OUTPUT_CHARS, loop_budget
from shipyard.assets.prompts.spec import PromptSpec
from shipyard.assets.prompts.template import compile_template, render_template
from shipyard.core.errors import InvalidInput


def render(spec: PromptSpec, variables: Mapping[str, object] | None = None) -> list[dict[str, str]]:
    """Render every message, giving OpenAI-style ``[{"role", "content"}]`` chat messages.

    All messages together may produce at most ``MAX_OUTPUT_CHARS`` characters.

    Raises:
        InvalidInput: a variable is missing or unexpected, or a template failed
            or tried something the sandbox refuses (the message names which).
    """
    given: dict[str, object] = dict(variables or {})
    check_variables(spec.variables, given)
    remaining = MAX_OUTPUT_CHARS
    rendered = []
    with loop_budget():
        for i, message in enumerate(spec.messages):
            where = f"prompt messages[{i}] ({message.role})"
            text = render_template(
                compile_template(message.content, where), given, where, remaining
            )
            remaining -= len(text)
            rendered.append({"role": message.role, "content": text})
    return rendered


def render_text(spec: PromptSpec, variables: Mapping[str, object] | None = None) -> str:
    """Render for a completion-style model that takes one string.

    A prompt that is one user message renders to just its text, so a plain
    template gives back exactly what it says. Anything else becomes
    ``Role: text`` blocks (``System:``, ``User:``, ``Assistant:``, ``Tool:``)
    separated by a blank line; no trailing ``Assistant:`` cue is added, since
    that convention differs between models.
    """
    messages = render(spec, variables)
    if len(messages) == 1 and messages[0]["role"] == "user":
        return messages[0]["content"]
    return "\n\n".join(f"{m['role'].capitalize()}: {m['content']}" for m in messages)


def check_variables(expected: Iterable[str], given: Mapping[str, object]) -> None:
    """Raise ``InvalidInput`` unless ``given`` names exactly the ``expected`` variables."""
    bad = [name for name in given if not isinstance(name, str)]  # Mapping[str, ...] is not enforced
    if bad:
        raise InvalidInput(f"variable names must be strings; got {', '.join(map(repr, bad))}")
    wanted = set(expected)
    names = {str(name) for name in given}
    missing, unexpected = wanted - names, names - wanted
    if missing:
        message = f"prompt needs variable(s) {_names(missing)}; got {_names(names) or 'none'}"
        if unexpected:
            message += f" ({_names(unexpected)} not used by this prompt)"
        raise InvalidInput(message)
    if unexpected:
        raise InvalidInput(
            f"prompt does not use variable(s) {_names(unexpected)};"
            f" it expects {_names(wanted) or 'none'}"
        )


def _names(names: Iterable[str]) -> str:
    return ", ".join(repr(name) for name in sorted(names))
