"""sy.prompts: versioned prompts rendered in a sandbox."""

from __future__ import annotations

import pytest

import shipyard as sy
from shipyard.core.errors import InvalidInput

pytestmark = pytest.mark.usefixtures("registry_backend")

MESSAGES = [
    {"role": "system", "content": "You answer questions about {{ product }}."},
    {"role": "user", "content": "{{ question }}"},
]


def test_create_render_and_version_prompts() -> None:
    v1 = sy.prompts.create(
        "support",
        MESSAGES,
        model={"provider": "local", "model": "gemma-3-270m", "temperature": 0.2},
    )
    assert v1.ref == "prompt:support@1"
    assert v1.metadata["variables"] == ["product", "question"]
    assert v1.metadata["model"] == "gemma-3-270m"
    assert (
        sy.prompts.create(
            "support",
            MESSAGES,
            model={"provider": "local", "model": "gemma-3-270m", "temperature": 0.2},
        ).version
        == 1
    )
    out = sy.prompts.render("prompt:support@1", product="shipyard", question="How do I log?")
    assert out == [
        {"role": "system", "content": "You answer questions about shipyard."},
        {"role": "user", "content": "How do I log?"},
    ]
    v2 = sy.prompts.create("support", "Q: {{ question }}\nA:")
    assert v2.version == 2 and v2.metadata["variables"] == ["question"]
    assert sy.prompts.render("support", question="hi") == [{"role": "user", "content": "Q: hi\nA:"}]
    diff = "\n".join(sy.prompts.diff("prompt:support@1", "prompt:support@2"))
    assert "-" in diff and "Q: {{ question }}" in diff


def test_missing_and_unexpected_variables_are_named() -> None:
    sy.prompts.create("p", MESSAGES)
    with pytest.raises(InvalidInput, match="'question'"):
        sy.prompts.render("prompt:p", product="x")
    with pytest.raises(InvalidInput, match="'colour'"):
        sy.prompts.render("prompt:p", product="x", question="y", colour="red")


def test_templates_cannot_run_code() -> None:
    sy.prompts.create("evil", "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(InvalidInput):
        sy.prompts.render("prompt:evil")
    sy.prompts.create("evil2", "{{ cycler.__init__.__globals__.os.system('id') }}")
    with pytest.raises(InvalidInput):
        sy.prompts.render("prompt:evil2")


def test_response_schema_is_kept() -> None:
    schema = {"type": "object", "properties": {"label": {"type": "string"}}, "required": ["label"]}
    v = sy.prompts.create("classify", "Label: {{ text }}", response_schema=schema)
    assert v.metadata["has_response_schema"] is True
    assert sy.prompts.get("prompt:classify@1").response_schema == schema
    with pytest.raises(InvalidInput):
        sy.prompts.create("bad", "x", response_schema={"properties": 3})


def test_rendering_inside_a_run_records_the_prompt_version() -> None:
    sy.prompts.create("p", "{{ a }}")
    with sy.start_run(name="eval") as run:
        sy.prompts.render("prompt:p@latest", a=1)
    from shipyard.workspace import current_workspace

    edges = current_workspace().store.lineage.edges(runs=[run.id])
    assert [(e.relation, e.version) for e in edges] == [("consumed", "prompt:p@1")]
