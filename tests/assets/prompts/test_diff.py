"""diff: what changed between two prompt versions, as unified-diff lines."""

from __future__ import annotations

from shipyard.assets.prompts import Message, ModelSettings, PromptSpec, diff


def v1() -> PromptSpec:
    return PromptSpec(
        [
            Message("system", "You are a support agent.\nBe brief.\nCite sources."),
            Message("user", "{{ question }}"),
        ],
        model=ModelSettings(provider="openai", model="gpt-4o-mini", temperature=0.2),
        description="support",
    )


def test_identical_specs_have_no_diff() -> None:
    assert diff(v1(), v1()) == []


def test_changed_message_line_and_setting_show_as_single_lines() -> None:
    v2 = PromptSpec(
        [
            Message("system", "You are a support agent.\nBe very brief.\nCite sources."),
            Message("user", "{{ question }}"),
        ],
        model=ModelSettings(provider="openai", model="gpt-4o-mini", temperature=0.5),
        description="support",
    )
    lines = diff(v1(), v2, a_name="prompt:support@1", b_name="prompt:support@2")
    assert lines[:2] == ["--- prompt:support@1", "+++ prompt:support@2"]
    changed = [line for line in lines[2:] if line[:1] in "+-"]
    assert changed == [
        "-temperature: 0.2",
        "+temperature: 0.5",
        "-Be brief.",
        "+Be very brief.",
    ]
    assert " # messages[0] system" in lines


def test_added_message_schema_and_trailing_newline_show() -> None:
    v2 = PromptSpec(
        [*v1().messages[:1], Message("user", "{{ question }}\n"), Message("assistant", "OK")],
        model=v1().model,
        response_schema={"type": "object", "properties": {"a": {"type": "string"}}},
        description="support",
    )
    text = "\n".join(diff(v1(), v2))
    # the empty last line is messages[1]'s new trailing newline
    assert " {{ question }}\n-# response_schema (none)\n+\n+# messages[2] assistant\n+OK\n" in text
    assert '\n+# response_schema\n+{\n+  "properties": {' in text
    assert text.endswith('+  "type": "object"\n+}')


def test_model_removed_and_description_added() -> None:
    before = PromptSpec([Message("user", "x")], model=ModelSettings(model="m"))
    after = PromptSpec([Message("user", "x")], description="now documented")
    assert diff(before, after) == [
        "--- a",
        "+++ b",
        "@@ -1,10 +1,6 @@",
        "-# description (none)",
        "-# model",
        "-provider: null",
        '-model: "m"',
        "-temperature: null",
        "-max_tokens: null",
        "-extra: {}",
        "+# description",
        "+now documented",
        "+# model (none)",
        " # messages[0] user",
        " x",
        " # response_schema (none)",
    ]
