"""Variables, rendering and the errors a caller sees."""

from __future__ import annotations

import pytest

from shipyard.assets.prompts import MAX_OUTPUT_CHARS, Message, PromptSpec, render, render_text
from shipyard.core.errors import InvalidInput


def chat() -> PromptSpec:
    return PromptSpec(
        [
            Message("system", "You are {{ persona }}. Today is {{ today }}."),
            Message("user", "{{ question }}"),
        ]
    )


def test_variables_are_found_across_messages_and_sorted() -> None:
    assert chat().variables == ["persona", "question", "today"]


def test_variables_skip_names_the_template_sets_loops_over_or_gets_from_globals() -> None:
    spec = PromptSpec(
        [
            Message(
                "user",
                "{% set greeting = 'Hi' %}{{ greeting }} {{ user.name }}\n"
                "{% for doc in docs %}{{ loop.index }}. {{ doc['title'] }} {{ c.next() }}{% endfor %}"
                "{% for i in range(2) %}{{ i }}{% endfor %}{{ ns }}",
            ),
            Message("assistant", "{{ user.name }} again, {{ cycler }}"),
        ]
    )
    assert spec.variables == ["c", "docs", "ns", "user"]


def test_a_template_without_variables_has_none() -> None:
    assert PromptSpec([Message("user", "Just text {# and a comment #}")]).variables == []


def test_render_gives_openai_style_messages() -> None:
    assert render(chat(), {"persona": "helpful", "today": "Monday", "question": "Why?"}) == [
        {"role": "system", "content": "You are helpful. Today is Monday."},
        {"role": "user", "content": "Why?"},
    ]


def test_render_keeps_text_exact_and_trims_block_lines() -> None:
    spec = PromptSpec(
        [
            Message(
                "user",
                "Context:\n{% for d in docs %}\n- {{ d }}\n{% endfor %}\nQuestion: {{ q }}\n",
            )
        ]
    )
    text = render(spec, {"docs": ["a", "b"], "q": "x?"})[0]["content"]
    assert text == "Context:\n- a\n- b\nQuestion: x?\n"


def test_render_does_not_escape_html() -> None:
    spec = PromptSpec([Message("user", "{{ code }}")])
    assert render(spec, {"code": "<b>&</b>"})[0]["content"] == "<b>&</b>"


def test_render_allows_filters_loops_and_read_only_methods() -> None:
    spec = PromptSpec(
        [
            Message(
                "user",
                "{{ tags|join(', ') }}|{{ name.upper() }}|{{ name|title }}|{{ d.get('k') }}"
                "|{% for k, v in d.items() %}{{ k }}={{ v }}{% endfor %}"
                "|{% for x in tags %}{{ loop.cycle('a', 'b') }}{% endfor %}"
                "|{% set ns = namespace(n=0) %}{% for x in tags %}{% set ns.n = ns.n + 1 %}"
                "{% endfor %}{{ ns.n }}|{{ '%05.1f'|format(price) }}|{{ 'a' ~ 'b' }}"
                "|{{ data|tojson }}|{{ tags|length * 2 }}",
            )
        ]
    )
    out = render(
        spec,
        {
            "tags": ["x", "y"],
            "name": "ann lee",
            "d": {"k": 1},
            "price": 3.14159,
            "data": {"a": [1]},
        },
    )
    assert out[0]["content"] == 'x, y|ANN LEE|Ann Lee|1|k=1|ab|2|003.1|ab|{"a": [1]}|4'


def test_render_with_no_variables_needs_none() -> None:
    spec = PromptSpec([Message("user", "Hello")])
    assert render(spec) == render(spec, {}) == [{"role": "user", "content": "Hello"}]


def test_missing_variables_are_named_with_what_was_given() -> None:
    with pytest.raises(InvalidInput) as info:
        render(chat(), {"question": "Why?"})
    assert info.value.message == "prompt needs variable(s) 'persona', 'today'; got 'question'"


def test_missing_variables_when_none_given() -> None:
    with pytest.raises(InvalidInput) as info:
        render(chat())
    assert info.value.message == (
        "prompt needs variable(s) 'persona', 'question', 'today'; got none"
    )


def test_unexpected_variables_are_named_with_the_expected_ones() -> None:
    with pytest.raises(InvalidInput) as info:
        render(chat(), {"persona": "p", "today": "t", "question": "q", "tone": "dry"})
    assert info.value.message == (
        "prompt does not use variable(s) 'tone'; it expects 'persona', 'question', 'today'"
    )


def test_a_typo_reports_both_the_missing_and_the_unused_name() -> None:
    with pytest.raises(InvalidInput) as info:
        render(chat(), {"persona": "p", "today": "t", "qestion": "q"})
    assert info.value.message == (
        "prompt needs variable(s) 'question'; got 'persona', 'qestion', 'today'"
        " ('qestion' not used by this prompt)"
    )


def test_variable_names_must_be_strings() -> None:
    spec = PromptSpec([Message("user", "hi")])
    with pytest.raises(InvalidInput, match="variable names must be strings; got 1"):
        render(spec, {1: "x"})  # type: ignore[dict-item]


def test_syntax_error_names_message_index_and_line() -> None:
    with pytest.raises(InvalidInput) as info:
        PromptSpec([Message("system", "ok"), Message("user", "a\nb\n{% if x %}never closed")])
    message = info.value.message
    assert message.startswith("prompt messages[1] (user), line 3: ")
    assert "endif" in message
    assert "write variables as {{ name }}" in message


def test_unknown_filter_fails_when_built() -> None:
    with pytest.raises(
        InvalidInput, match=r"messages\[0\] \(user\), line 1: No filter named 'shout'"
    ):
        PromptSpec([Message("user", "{{ x|shout }}")])


def test_runtime_errors_name_message_and_line() -> None:
    spec = PromptSpec([Message("system", "fine"), Message("user", "one\ntwo {{ user.email }}")])
    with pytest.raises(InvalidInput) as info:
        render(spec, {"user": {"name": "Ann"}})
    assert info.value.message == (
        "prompt messages[1] (user), line 2: 'dict object' has no attribute 'email';"
        " check the variable's keys and attributes"
    )
    with pytest.raises(InvalidInput, match=r"messages\[0\] \(user\), line 1: ZeroDivisionError"):
        render(PromptSpec([Message("user", "{{ 1 // n }}")]), {"n": 0})


def test_output_is_capped_across_all_messages() -> None:
    spec = PromptSpec([Message("system", "{{ a }}"), Message("user", "{{ b }}")])
    half = "x" * (MAX_OUTPUT_CHARS // 2)
    out = render(spec, {"a": half, "b": half})
    assert sum(len(m["content"]) for m in out) == MAX_OUTPUT_CHARS
    with pytest.raises(InvalidInput) as info:
        render(spec, {"a": half, "b": half + "x"})
    assert info.value.message.startswith(
        f"prompt messages[1] (user) renders to more than {MAX_OUTPUT_CHARS // 2:,} characters"
    )


def test_output_cap_stops_a_long_loop_early() -> None:
    spec = PromptSpec([Message("user", "{% for i in range(99999) %}{{ s }}{% endfor %}")])
    with pytest.raises(InvalidInput, match="renders to more than 1,000,000 characters"):
        render(spec, {"s": "y" * 1000})


def test_render_text_of_one_user_message_is_its_content() -> None:
    spec = PromptSpec.from_text("Translate: {{ text }}")
    assert render_text(spec, {"text": "hola"}) == "Translate: hola"


def test_render_text_of_a_conversation_is_role_prefixed_blocks() -> None:
    spec = PromptSpec(
        [
            Message("system", "Be brief."),
            Message("user", "{{ q }}"),
            Message("assistant", "Sure."),
            Message("tool", "{}"),
        ]
    )
    assert render_text(spec, {"q": "Hi"}) == (
        "System: Be brief.\n\nUser: Hi\n\nAssistant: Sure.\n\nTool: {}"
    )


def test_render_text_of_a_single_system_message_keeps_its_role() -> None:
    assert render_text(PromptSpec([Message("system", "Rules")])) == "System: Rules"


def test_tojson_is_plain_json_not_html_escaped() -> None:
    spec = PromptSpec([Message("user", "{{ data|tojson }}\n{{ data|tojson(indent=1) }}")])
    out = render(spec, {"data": {"b": "<i>é & ü</i>", "a": 1}})[0]["content"]
    assert out == '{"a": 1, "b": "<i>é & ü</i>"}\n{\n "a": 1,\n "b": "<i>é & ü</i>"\n}'
