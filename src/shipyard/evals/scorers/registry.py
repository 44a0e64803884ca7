"""The scorer registry: decorators that register scorers, and specs that pick one with options.

Three kinds of scorer share one registry:

* **per case** (``@scorer("name")``): ``fn(case, **options) -> float | bool | None``
  scores one case; ``None`` means the case cannot be scored (no expected
  value). Its metric, named like the scorer, is the mean over the cases that
  have a score.
* **batched per case** (``@scorer("name", batch=True)``):
  ``fn(cases, **options) -> Sequence[score] | BatchScores``, for scorers that
  must see every case at once (one embedding call for all texts, a judge
  model's bill). Same metric as above.
* **aggregate** (``@aggregate_scorer("name")``): ``fn(cases, **options) ->
  Mapping[str, float] | Aggregate``, for metrics that are not a mean of
  per-case scores (F1, ROC AUC, R²). ``metrics=`` declares the names it
  produces (``{name}`` is the scorer's metric name, ``{name}[*]`` any
  per-class name) so that a gate can refuse an unknown metric before
  anything runs.

Failed cases (``error`` set) never reach a per-case function: they score 0,
since an answer that never came is not a right one. Aggregate functions see
every case and decide for themselves (classification counts a failed case as
a wrong prediction).

Built-in scorers live in sibling modules and are imported on first use;
third parties register theirs from a module named by a ``shipyard.scorers``
entry point, which is imported the same way.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import entry_points
from threading import RLock
from typing import Any, Literal, TypeVar

from shipyard.core.errors import InvalidInput
from shipyard.evals.scorers.spec import json_or_text, parse_spec

Kind = Literal["case", "batch", "aggregate"]
Score = float | bool | None
F = TypeVar("F", bound=Callable[..., Any])

ENTRY_POINT_GROUP = "shipyard.scorers"
BUILTIN_MODULES = (
    "shipyard.evals.scorers.matching",
    "shipyard.evals.scorers.structured",
    "shipyard.evals.scorers.classification",
    "shipyard.evals.scorers.roc",
    "shipyard.evals.scorers.regression",
    "shipyard.evals.scorers.similarity",
    "shipyard.evals.scorers.judge",
)
_METRIC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")


@dataclass(frozen=True)
class Aggregate:
    """What an aggregate scorer may return: flat metrics plus what is not one number."""

    metrics: Mapping[str, float]
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchScores:
    """What a batched scorer may return: one score per case given, plus notes.

    ``notes`` maps a position in the cases given to what is worth keeping with
    that case (the judge's raw answer, why it could not be parsed); it lands
    in ``case.metadata["scoring"][NAME]``. ``details`` lands in
    ``details[NAME]`` of the evaluation.
    """

    scores: Sequence[Score]
    notes: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScorerDef:
    """A registered scorer: its function, kind, options and declared metric names."""

    name: str
    kind: Kind
    function: Callable[..., Any]
    metrics: tuple[str, ...]
    options: Mapping[str, inspect.Parameter]
    any_options: bool
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None
    classification: bool
    description: str


_pass: ContextVar[dict[object, Any] | None] = ContextVar("scoring_pass", default=None)


@contextmanager
def scoring_pass() -> Iterator[None]:
    """One pass of scorers over one list of cases: they may share work through ``pass_cache``."""
    token = _pass.set({})
    try:
        yield
    finally:
        _pass.reset(token)


def pass_cache() -> dict[object, Any] | None:
    """A dict that lives for the current scoring pass (None outside one).

    Key entries by ``id(cases)``: several classification scorers count the
    same label pairs once this way.
    """
    return _pass.get()


_lock = RLock()
_registry: dict[str, ScorerDef] = {}
_builtin_names: set[str] = set()
_loaded = False


def scorer(
    name: str,
    *,
    batch: bool = False,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Callable[[F], F]:
    """Register a per-case scorer (``batch=True``: one that scores all cases in one call).

    ``prepare`` turns the options once, before any case, into the keyword
    arguments the function gets (compile a pattern, read a schema file) and
    raises ``InvalidInput`` for a bad one.
    """
    return _register(name, "batch" if batch else "case", ("{name}",), prepare, False)


def aggregate_scorer(
    name: str,
    *,
    metrics: Sequence[str] = ("{name}",),
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    classification: bool = False,
) -> Callable[[F], F]:
    """Register an aggregate scorer producing the ``metrics`` it declares.

    ``classification=True`` marks a scorer over labels: evaluations that use
    one also get a per-case ``correct`` score (for paired tests) and the
    confusion matrix in their details.
    """
    return _register(name, "aggregate", tuple(metrics), prepare, classification)


def _register(
    name: str,
    kind: Kind,
    metrics: tuple[str, ...],
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None,
    classification: bool,
) -> Callable[[F], F]:
    if not isinstance(name, str) or not _METRIC_NAME.match(name):
        raise InvalidInput(
            f"scorer name {name!r} must start with a letter and hold only letters, digits, _ . -"
        )

    def decorate(function: F) -> F:
        params = list(inspect.signature(function).parameters.values())
        if not params or params[0].kind not in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            raise InvalidInput(
                f"scorer {name!r}: the function takes the case (or cases) as its first argument"
            )
        options = {
            p.name: p
            for p in params[1:]
            if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        }
        if "name" in options:
            raise InvalidInput(f"scorer {name!r}: option 'name' is reserved for renaming a metric")
        doc = (inspect.getdoc(function) or "").strip().splitlines()
        definition = ScorerDef(
            name=name,
            kind=kind,
            function=function,
            metrics=metrics,
            options=options,
            any_options=any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params),
            prepare=prepare,
            classification=classification,
            description=doc[0] if doc else "",
        )
        builtin = function.__module__ in BUILTIN_MODULES
        if not builtin:
            _load()
        with _lock:
            if not builtin and name in _builtin_names:
                raise InvalidInput(
                    f"scorer {name!r} is built in; register yours under another name"
                )
            if builtin:
                _builtin_names.add(name)
            _registry[name] = definition
            bind.cache_clear()
        return function

    return decorate


def scorer_names() -> list[str]:
    """Every registered scorer name, sorted."""
    _load()
    with _lock:
        return sorted(_registry)


def definition(name: str) -> ScorerDef:
    """The registered scorer ``name``; ``InvalidInput`` listing the known ones otherwise."""
    _load()
    with _lock:
        found = _registry.get(name)
    if found is None:
        raise InvalidInput(
            f"unknown scorer {name!r}; known: {', '.join(scorer_names())}. Register your own"
            " with @scorer or @aggregate_scorer from shipyard.evals.scorers"
        )
    return found


@dataclass(frozen=True)
class Scorer:
    """A scorer picked by a spec, with its options checked and prepared."""

    spec: str
    definition: ScorerDef
    name: str
    """The metric name: the scorer's own, or the spec's ``name=`` option."""
    options: Mapping[str, Any]

    @property
    def kind(self) -> Kind:
        return self.definition.kind

    def metric_patterns(self) -> set[str]:
        """The metric names this scorer produces; ``X[*]`` stands for every ``X[label]``."""
        return {m.format(name=self.name) for m in self.definition.metrics}

    def score_case(self, case: Any) -> float | None:
        """The score of one successful case (per-case scorers)."""
        return as_score(self.definition.function(case, **self.options), self.name)

    def score_batch(self, cases: Sequence[Any]) -> BatchScores:
        """Scores of successful cases, all at once (batched scorers)."""
        out = self.definition.function(cases, **self.options)
        result = out if isinstance(out, BatchScores) else BatchScores(list(out))
        if len(result.scores) != len(cases):
            raise InvalidInput(
                f"scorer {self.name!r} returned {len(result.scores)} scores for {len(cases)} cases"
            )
        return result

    def aggregate(self, cases: Sequence[Any]) -> Aggregate:
        """Metrics over all cases (aggregate scorers), renamed to this scorer's metric name."""
        out = self.definition.function(cases, **self.options)
        result = out if isinstance(out, Aggregate) else Aggregate(dict(out))
        own = self.definition.name
        metrics: dict[str, float] = {}
        for key, value in result.metrics.items():
            renamed = (
                self.name + key[len(own) :] if key == own or key.startswith(own + "[") else key
            )
            if not matches_pattern(renamed, self.metric_patterns()):
                raise InvalidInput(
                    f"scorer {own!r} produced metric {key!r} that it did not declare;"
                    " list it in metrics= of @aggregate_scorer"
                )
            metrics[renamed] = float(value)
        return Aggregate(metrics, result.details)


def get_scorer(spec: str) -> Scorer:
    """The scorer a spec names (``name`` or ``name:key=value,...``), options checked.

    Every scorer also takes ``name=`` to rename its metric, so one scorer can
    run twice with different options (``regex:pattern=^yes,name=says_yes``).

    Raises:
        InvalidInput: an unknown scorer (the message lists the known ones), an
            unknown or badly typed option, or a missing required one.
    """
    if not isinstance(spec, str):
        raise InvalidInput(f"a scorer spec is a string such as 'f1'; got {type(spec).__name__}")
    return bind(spec.strip())


@lru_cache(maxsize=256)
def bind(spec: str) -> Scorer:
    """``get_scorer`` without the type check, cached: a bootstrap asks thousands of times."""
    name, raw = parse_spec(spec)
    found = definition(name)
    metric_name = raw.pop("name", name)
    if not _METRIC_NAME.match(metric_name):
        raise InvalidInput(
            f"scorer spec {spec!r}: name={metric_name!r} must start with a letter and hold only"
            " letters, digits, _ . -"
        )
    options: dict[str, Any] = {}
    for key, text in raw.items():
        param = found.options.get(key)
        if param is None and not found.any_options:
            known = ", ".join(sorted(found.options)) or "none"
            raise InvalidInput(
                f"scorer {name!r} has no option {key!r}; its options: {known} (and name=)"
            )
        options[key] = _convert(name, key, text, param)
    missing = [
        p.name
        for p in found.options.values()
        if p.default is inspect.Parameter.empty and p.name not in options
    ]
    if missing:
        example = ",".join(f"{m}=..." for m in missing)
        raise InvalidInput(
            f"scorer {name!r} needs option(s) {', '.join(missing)}: {name}:{example}"
        )
    if found.prepare is not None:
        options = found.prepare(dict(options))
    return Scorer(spec=spec, definition=found, name=metric_name, options=options)


def as_score(value: object, name: str) -> float | None:
    """A score as a float (True → 1.0); None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    raise InvalidInput(
        f"scorer {name!r} returned {type(value).__name__}; a score is a number, a bool or None"
    )


def matches_pattern(metric: str, patterns: set[str]) -> bool:
    """Whether ``metric`` is one of ``patterns``, where ``f1[*]`` matches ``f1[positive]``."""
    if metric in patterns:
        return True
    head, bracket, _ = metric.partition("[")
    return bool(bracket) and metric.endswith("]") and f"{head}[*]" in patterns


def _convert(scorer_name: str, key: str, text: str, param: inspect.Parameter | None) -> Any:
    """An option's value by the type its parameter declares (annotations are strings here)."""
    annotation = param.annotation if param is not None else inspect.Parameter.empty
    kind = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    base = kind.replace(" ", "").removesuffix("|None")
    if base == "str":
        value = json_or_text(text) if text.startswith('"') else text
        return value if isinstance(value, str) else text
    value = json_or_text(text)
    wanted = {"bool": "true or false", "int": "a whole number", "float": "a number"}.get(base)
    if wanted is None:
        return value
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    ok = {"bool": isinstance(value, bool), "int": is_number and isinstance(value, int)}
    if not ok.get(base, is_number):
        raise InvalidInput(f"scorer {scorer_name!r}: option {key} must be {wanted}; got {text!r}")
    return float(value) if base == "float" else value


def _load() -> None:
    """Import the built-in scorer modules and entry-point modules once."""
    global _loaded
    with _lock:
        if _loaded:
            return
        _loaded = True  # first: the modules imported below register through this module
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            importlib.import_module(ep.value.partition(":")[0])
