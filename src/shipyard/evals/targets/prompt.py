"""``prompt:NAME@VERSION`` on a model: each case rendered and sent through the LLM request path.

Every case is one call to ``sy.llm.complete`` (a prompt that is a single user
message: a template such as a few-shot completion, the form a base model
understands) or ``sy.llm.chat`` (a prompt with several messages or a system
message), so it passes the same keys, limits, routing and tracing as
production traffic; the option ``mode`` (``chat`` or ``completion``) overrides
that choice. The response cache is bypassed: an evaluation measures the
model, and a cached answer would report no latency and no cost.

When the evaluation has class labels, the answer is normalised to the label
it starts with (case-insensitive; the longest such label), and the raw text
is kept in the case's metadata (``raw_output``) with the trace id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from shipyard.assets.prompts.spec import PromptSpec
from shipyard.core.errors import InvalidInput
from shipyard.evals.results import CaseResult
from shipyard.evals.targets.base import Target, checked_options
from shipyard.store.asset_records import AssetVersion
from shipyard.workspace import Workspace

MODES = ("auto", "chat", "completion")


class PromptTarget(Target):
    """A prompt version run on one model (``local/gemma-3-270m``, an alias, ``openai/…``)."""

    kind = "prompt"
    options = frozenset({"mode", "params"})

    def __init__(
        self,
        spec: str,
        version: AssetVersion,
        prompt: PromptSpec,
        model: str,
        ws: Workspace,
        *,
        mode: str = "auto",
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(spec, version.ref, (version.ref,), 1)
        self.prompt = prompt
        self.model = model
        self.ws = ws
        self.mode = _mode(prompt) if mode == "auto" else mode
        self.params = dict(params or {})
        self.variables = prompt.variables
        self.labels: list[str] = []

    @classmethod
    def from_spec(
        cls,
        spec: str,
        *,
        model: str | None,
        options: Mapping[str, Any] | None,
        workspace: Workspace,
    ) -> PromptTarget:
        opts = checked_options(spec, options, cls.options)
        mode = opts.get("mode", "auto")
        if mode not in MODES:
            raise InvalidInput(
                f"prompt target mode must be one of {', '.join(MODES)}; got {mode!r}"
            )
        params = opts.get("params") or {}
        if not isinstance(params, Mapping):
            raise InvalidInput("prompt target params must be an object such as {'max_tokens': 8}")
        version = resolve_prompt(spec, workspace)
        prompt = _read_spec(version, workspace)
        if model is None or not str(model).strip():
            model = pinned_model(prompt)
        if model is None:
            raise InvalidInput(
                f"{spec} names no model in its settings, so it needs one to run on: pass "
                "model='local/gemma-3-270m' (or any provider/model or gateway alias; --model "
                "on the command line)"
            )
        return cls(spec, version, prompt, str(model), workspace, mode=mode, params=params)

    def prepare(self, cases: Sequence[CaseResult], labels: Sequence[str]) -> None:
        given = set(cases[0].inputs) if cases else set()
        missing = [v for v in self.variables if v not in given]
        if missing:
            raise InvalidInput(
                f"{self.ref} uses variable(s) {', '.join(map(repr, missing))} that the dataset "
                f"has no input column for (its inputs: {', '.join(sorted(given)) or 'none'})"
            )
        self.labels = sorted({str(label) for label in labels}, key=len, reverse=True)

    def run(self, cases: Sequence[CaseResult]) -> list[CaseResult]:
        from shipyard.llm.api import chat, complete

        (case,) = cases
        variables = {name: case.inputs[name] for name in self.variables}
        started = time.perf_counter()
        if self.mode == "completion":
            response = complete(
                template=self.ref,
                model=self.model,
                variables=variables,
                cache=False,
                workspace=self.ws,
                **self.params,
            )
        else:
            response = chat(
                prompt=self.ref,
                model=self.model,
                variables=variables,
                cache=False,
                workspace=self.ws,
                **self.params,
            )
        latency_ms = (time.perf_counter() - started) * 1000
        text = response.text.strip()
        metadata = {
            **case.metadata,
            "trace_id": response.trace_id,
            "llm_model": response.model,
            "finish_reason": response.finish_reason,
        }
        output: Any = text
        if self.labels:
            metadata["raw_output"] = response.text
            output = normalise_label(text, self.labels)
        return [
            replace(
                case,
                output=output,
                latency_ms=latency_ms,
                cost_usd=float(response.cost_usd),
                prompt_tokens=response.usage.prompt_tokens,
                completion_tokens=response.usage.completion_tokens,
                metadata=metadata,
            )
        ]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "model": self.model, "mode": self.mode, "labels": self.labels}


def pinned_model(prompt: PromptSpec) -> str | None:
    """The model a prompt version's settings name (``local/gemma-3-270m``), if any."""
    settings = prompt.model
    if settings is None or settings.model is None:
        return None
    return f"{settings.provider}/{settings.model}" if settings.provider else settings.model


def default_model(ref: str, workspace: Workspace) -> str | None:
    """The model an evaluation of prompt ``ref`` runs on when none is given."""
    return pinned_model(_read_spec(resolve_prompt(ref, workspace), workspace))


def resolve_prompt(ref: str, workspace: Workspace) -> AssetVersion:
    from shipyard.assets.registry import resolve

    return resolve(ref, "prompt", workspace=workspace)


def _read_spec(version: AssetVersion, workspace: Workspace) -> PromptSpec:
    """The spec of a version, read without recording it as used (the caller records it)."""
    from shipyard.assets.prompts.api import SPEC_FILE
    from shipyard.assets.registry import read_file

    with read_file(version, SPEC_FILE, workspace=workspace) as fh:
        return PromptSpec.from_dict(json.loads(fh.read().decode("utf-8")))


def normalise_label(text: str, labels: Sequence[str]) -> str:
    """The first of ``labels`` (longest first) that ``text`` starts with, ignoring case; else ``text``."""
    folded = text.strip().casefold()
    for label in labels:
        if folded.startswith(label.casefold()):
            return label
    return text


def _mode(prompt: PromptSpec) -> str:
    messages = prompt.messages
    if len(messages) == 1 and messages[0].role == "user":
        return "completion"
    return "chat"
