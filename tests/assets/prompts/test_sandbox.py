"""Templates cannot run code or blow up the process that renders them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from shipyard.assets.prompts import MAX_LOOP_ITERATIONS, Message, PromptSpec, render
from shipyard.core.errors import InvalidInput


def render_one(template: str, **variables: object) -> str:
    spec = PromptSpec([Message("user", template)])
    return render(spec, variables)[0]["content"]


@dataclass
class Account:
    name: str = "ann"
    deleted: list[str] = field(default_factory=list)
    _secret: str = "hunter2"

    def delete(self) -> str:
        self.deleted.append(self.name)
        return "deleted"


ESCAPES = [
    # the classic walks from a literal to every class in the process
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ [].__class__.__base__.__subclasses__()[0] }}",
    "{{ (1).__class__ }}",
    "{{ dict.__base__.__subclasses__() }}",
    # reaching module globals (os, builtins) through the template globals
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__['__builtins__'] }}",
    "{{ range.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    # the same through subscripts, the attr filter and attribute filters
    "{{ ''['__class__'] }}",
    "{{ ''|attr('__class__') }}",
    "{{ ['a']|map(attribute='__class__')|first }}",
    "{{ ['a']|map(attribute='__class__.__mro__')|list }}",
    "{{ ['b', 'a']|sort(attribute='__class__') }}",
    # str.format reads attributes inside its own mini-language
    "{{ '{0.__class__.__mro__}'.format('') }}",
    "{{ '{x.__class__}'.format_map({'x': 1}) }}",
    # mutating the caller's values
    "{{ items.append(4) }}",
    "{{ mapping.update({'a': 1}) }}",
    "{{ mapping.pop('k') }}",
    # the caller's objects: private fields and methods
    "{{ account._secret }}",
    "{{ account.__dict__ }}",
    "{{ account.delete() }}",
    "{{ account.delete.__func__.__globals__ }}",
    # loaders and recursion
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}",
    "{% from 'x' import y %}",
    "{% extends 'base.txt' %}",
    "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "{% for x in [[1]] recursive %}{{ loop(x) }}{% endfor %}",
]


@pytest.mark.parametrize("payload", ESCAPES)
def test_sandbox_escapes_fail_with_invalid_input(payload: str) -> None:
    account = Account()
    variables = {"account": account, "items": [1, 2, 3], "mapping": {"k": "v"}}
    with pytest.raises(InvalidInput) as info:
        spec = PromptSpec([Message("user", payload)])
        render(spec, {k: v for k, v in variables.items() if k in spec.variables})
    assert info.value.message.startswith("prompt messages[0] (user), line 1: ")
    assert account.deleted == []
    assert variables["items"] == [1, 2, 3] and variables["mapping"] == {"k": "v"}


def test_security_errors_say_the_sandbox_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        render_one("{{ x.__class__ }}", x=1)
    assert info.value.message == (
        "prompt messages[0] (user), line 1: refused by the prompt sandbox:"
        " access to attribute '__class__' of 'int' object is unsafe."
    )


def test_calling_an_object_method_is_refused_and_says_what_to_do() -> None:
    account = Account()
    with pytest.raises(
        InvalidInput, match=r"calling Account\.delete\(\) is not allowed.*pass the value"
    ):
        render_one("{{ account.delete() }}", account=account)
    assert account.deleted == []


def test_public_fields_of_objects_can_be_read() -> None:
    assert render_one("{{ account.name }}", account=Account()) == "ann"


def test_refused_features_name_the_tag() -> None:
    with pytest.raises(InvalidInput) as info:
        PromptSpec([Message("user", "ok\n{% include 'x' %}")])
    assert info.value.message == (
        "prompt messages[0] (user), line 2: {% include %} is not supported in prompt"
        " templates; a prompt is one self-contained template"
    )


BLOW_UPS = [
    ("{% for x in range(10**9) %}{% endfor %}", "Range too big"),
    ("{{ range(10**9)|list }}", "Range too big"),
    ("{{ 'x' * 10**9 }}", "repeating a value with \\* would build about 1,000,000,000"),
    ("{{ 10**9 * 'x' }}", "repeating a value with \\*"),
    ("{{ ['x' * 1000] * 10**6 }}", "repeating a value with \\*"),
    ("{{ 10**(10**10) }}", "integer over 16,384 bits"),
    ("{{ 9**99999 }}", "integer over 16,384 bits"),
    ("{{ (10**4000) * (10**4000) }}", "integer over 16,384 bits"),
    ("{% set s = 'x' * 600000 %}{{ s + s }}", "joining values with \\+"),
    ("{% set s = 'x' * 600000 %}{% set s = s ~ s %}", "joining strings with ~"),
    ("{{ '%999999999s' % 'x' }}", "% formatting would build"),
    ("{{ '%.999999999f' % 1.0 }}", "% formatting would build"),
    ("{{ '%*s' % (10**9, 'x') }}", "'\\*' widths"),
    ("{{ '%999999999d'|format(1) }}", "% formatting would build"),
    ("{{ 'x'|center(10**9) }}", "\\|center would build"),
    ("{{ ('\\n' * 1000)|indent(10**6) }}", "\\|indent would build"),
    ("{{ ''|indent(width=10**9) }}", "\\|indent would build"),
    ("{{ ('x' * 10000)|replace('x', 'y' * 1000) }}", "\\|replace would build"),
    ("{{ [1]|batch(10**9, 0)|list }}", "\\|batch would build"),
    ("{{ [1]|slice(slices=10**9)|list }}", "\\|slice would build"),
    ("{{ 'x'.center(10**9) }}", "calling str.center\\(\\) is not allowed"),
    ("{{ 'x'.zfill(10**9) }}", "calling str.zfill\\(\\) is not allowed"),
    ("{{ ('\\t' * 100).expandtabs(10**7) }}", "calling str.expandtabs\\(\\) is not allowed"),
    ("{{ lipsum(10**6) }}", "needs variable"),
    (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        f"loops ran more than {MAX_LOOP_ITERATIONS:,} iterations",
    ),
]


@pytest.mark.parametrize(("template", "message"), BLOW_UPS)
def test_blow_ups_are_refused_quickly(template: str, message: str) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidInput, match=message):
        render_one(template)
    assert time.perf_counter() - started < 2


def test_loop_budget_is_shared_by_all_messages_of_one_render() -> None:
    loop = "{% for i in range(60000) %}{% endfor %}"
    spec = PromptSpec([Message("system", loop), Message("user", loop)])
    with pytest.raises(InvalidInput, match=r"messages\[1\] \(user\), line 1: .*loops ran more"):
        render(spec)
    one = PromptSpec([Message("user", loop)])
    assert render(one) == render(one)  # a fresh budget for every render


def test_ordinary_arithmetic_and_repetition_still_work() -> None:
    out = render_one("{{ 2**10 }} {{ '-' * 3 }} {{ [0] * 2 }} {{ 'a' + 'b' }} {{ '%5s|' % 'x' }}")
    assert out == "1024 --- [0, 0] ab     x|"


def test_random_and_lipsum_are_not_available() -> None:
    with pytest.raises(InvalidInput, match="No filter named 'random'"):
        PromptSpec([Message("user", "{{ [1, 2]|random }}")])
    assert PromptSpec([Message("user", "{{ lipsum() }}")]).variables == ["lipsum"]
