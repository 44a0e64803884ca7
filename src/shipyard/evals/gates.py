"""Gate policies: YAML files of conditions an evaluation must meet before an alias moves.

```yaml
name: sentiment-release
data: dataset:sentiment-eval@latest
scorers: [accuracy, f1]
baseline: production          # the alias whose evaluation `verdict` compares with
conditions:
  - f1 >= production.f1 - 0.01
  - p95_latency_ms < 200
  - verdict != significantly_worse
```

A policy is checked in full when it is loaded (``load_policy``) and against the
scorers (``Policy.validate``), so a typo fails before anything runs. ``check``
then evaluates it and returns a ``GateResult``, whose ``passed`` and
``evidence`` are what a protected alias move needs (``assets.aliases.Check``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.refs import parse_ref
from shipyard.evals.comparison_metrics import base_name
from shipyard.evals.gate_conditions import Condition, parse_condition
from shipyard.evals.gate_result import ConditionResult, GateResult, check_condition
from shipyard.evals.results import EvaluationResult

__all__ = ["ALWAYS_COMPUTED", "GateResult", "Policy", "check", "load_policy"]

# metrics every evaluation has, whatever its scorers (see results.py)
ALWAYS_COMPUTED = frozenset(
    {
        "cases",
        "errors",
        "error_rate",
        "p50_latency_ms",
        "p95_latency_ms",
        "cost_usd",
        "cost_per_1k_usd",
        "prompt_tokens",
        "completion_tokens",
    }
)
_KEYS = (
    "name",
    "description",
    "data",
    "scorers",
    "model",
    "baseline",
    "level",
    "on_missing_baseline",
    "conditions",
)


@dataclass(frozen=True)
class Policy:
    """A loaded, well-formed gate policy."""

    data: str
    scorers: tuple[str, ...]
    conditions: tuple[Condition, ...]
    name: str | None = None
    description: str | None = None
    model: str | None = None
    baseline: str | None = None
    level: float = 0.05
    on_missing_baseline: str = "pass"
    source: str = "policy"

    def aliases(self) -> tuple[str, ...]:
        """The aliases whose evaluations a check needs: ``baseline`` first, then those referenced."""
        names = [self.baseline] if self.baseline else []
        names += [ref.alias for c in self.conditions for ref in c.references() if ref.alias]
        return tuple(dict.fromkeys(names))

    def metrics(self) -> tuple[str, ...]:
        """Every metric name the conditions read (``f1``, ``f1[positive]``...)."""
        names = [ref.metric for c in self.conditions for ref in c.references()]
        return tuple(dict.fromkeys(names))

    def validate(self, is_known: Callable[[str], bool]) -> None:
        """Refuse a condition on a metric no scorer produces, before anything runs.

        ``is_known`` gets the metric name as written (``f1[positive]`` too, which
        a registry matches against its ``f1[*]`` pattern); the metrics every
        evaluation has (latency, cost...) are always known.
        """
        for condition in self.conditions:
            for ref in condition.references():
                if base_name(ref.metric) in ALWAYS_COMPUTED or is_known(ref.metric):
                    continue
                raise InvalidInput(
                    f"{self.source}: condition {condition.text!r}: unknown metric "
                    f"{ref.metric!r}; check its spelling or add the scorer that computes it "
                    f"to `scorers:` ({', '.join(self.scorers)})"
                )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "data": self.data,
            "scorers": list(self.scorers),
            "model": self.model,
            "baseline": self.baseline,
            "level": self.level,
            "on_missing_baseline": self.on_missing_baseline,
            "conditions": [c.text for c in self.conditions],
        }


def load_policy(source: str | Path | Mapping[str, Any]) -> Policy:
    """Read a policy from a YAML file (a path) or an already-parsed mapping."""
    import yaml

    if isinstance(source, Mapping):
        return _policy(source, "policy")
    path = Path(source)
    if not path.is_file():
        raise NotFound(f"policy file {str(path)!r} not found; pass the path of a YAML gate policy")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None) or "malformed"
        raise InvalidInput(f"{path.name}: not valid YAML{line}: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path.name}: cannot read the policy file: {exc}") from None
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            f"{path.name}: a policy is a mapping with `data`, `scorers`, `conditions`"
        )
    return _policy(raw, path.name)


def check(
    policy: Policy,
    candidate: EvaluationResult,
    baselines: Mapping[str, EvaluationResult | None],
    *,
    verdict: str | None = None,
) -> GateResult:
    """Evaluate every condition of ``policy`` on ``candidate``.

    ``baselines`` maps each alias of ``policy.aliases()`` to its version's
    evaluation, or ``None`` when the alias points at no version yet (a first
    release: those conditions are skipped and pass, unless the policy says
    ``on_missing_baseline: fail``). ``verdict`` is the comparison verdict when
    the caller has it; otherwise it is computed from the ``baseline`` alias's
    evaluation at the policy's level.
    """
    from shipyard.evals.compare import VERDICTS, compare

    _check_data(policy, candidate)
    missing = [alias for alias in policy.aliases() if alias not in baselines]
    if missing:
        raise InvalidInput(
            f"{policy.source}: no evaluation given for alias {', '.join(missing)}; "
            "pass None for an alias that has no version yet"
        )
    if verdict is not None and verdict not in VERDICTS:
        raise InvalidInput(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}")
    comparison: dict[str, Any] | None = None
    reference = baselines.get(policy.baseline) if policy.baseline else None
    needs_verdict = any(c.verdict is not None for c in policy.conditions)
    if verdict is None and needs_verdict and reference is not None:
        result = compare(reference, candidate, level=policy.level)
        verdict = result.verdict
        comparison = {k: v for k, v in result.to_dict().items() if k != "outcomes"}
    results: list[ConditionResult] = [
        check_condition(
            condition,
            candidate,
            baselines,
            verdict=verdict,
            verdict_alias=policy.baseline,
            on_missing_baseline=policy.on_missing_baseline,
        )
        for condition in policy.conditions
    ]
    return GateResult(
        policy=policy.to_dict(),
        passed=all(r.passed for r in results),
        conditions=tuple(results),
        candidate={
            "run_id": candidate.run_id,
            "target": candidate.target,
            "data": candidate.data,
            "model": candidate.model,
        },
        baselines={alias: (r.run_id if r else None) for alias, r in baselines.items()},
        verdict=verdict,
        comparison=comparison,
    )


def _check_data(policy: Policy, candidate: EvaluationResult) -> None:
    wanted = parse_ref(policy.data, kind="dataset")
    try:
        got = parse_ref(candidate.data, kind="dataset")
    except InvalidInput:
        return  # data given some other way (a file, a list): nothing to match against
    if got.base != wanted.base or (wanted.version is not None and got.version != wanted.version):
        raise InvalidInput(
            f"{policy.source}: the policy is for {policy.data} but the candidate "
            f"({candidate.run_id}) was evaluated on {candidate.data}; evaluate it on {policy.data}"
        )


def _policy(raw: Mapping[str, Any], source: str) -> Policy:
    unknown = [str(key) for key in raw if key not in _KEYS]
    if unknown:
        raise InvalidInput(
            f"{source}: unknown key {', '.join(repr(k) for k in unknown)}; "
            f"a policy has {', '.join(_KEYS)}"
        )
    data = _text(raw, "data", source, required=True)
    assert data is not None
    try:
        data = str(parse_ref(data, kind="dataset"))
    except InvalidInput as exc:
        raise InvalidInput(f"{source}: data: {exc.message}") from None
    scorers = raw.get("scorers")
    if isinstance(scorers, str):
        scorers = [scorers]
    if not isinstance(scorers, list) or not scorers:
        raise InvalidInput(f"{source}: `scorers` is a list of scorer names, e.g. [accuracy, f1]")
    if not all(isinstance(s, str) and s.strip() for s in scorers):
        raise InvalidInput(f"{source}: every scorer in `scorers` is a name, e.g. [accuracy, f1]")
    level = raw.get("level", 0.05)
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise InvalidInput(
            f"{source}: level must be a number between 0 and 1 (e.g. 0.05), got {level!r}"
        )
    on_missing = raw.get("on_missing_baseline", "pass")
    if on_missing not in ("pass", "fail"):
        raise InvalidInput(f"{source}: on_missing_baseline is `pass` or `fail`, got {on_missing!r}")
    baseline = _text(raw, "baseline", source)
    if baseline is not None:
        _alias_name(baseline, source)
    conditions = _conditions(raw.get("conditions"), source)
    if baseline is None and any(c.verdict is not None for c in conditions):
        raise InvalidInput(
            f"{source}: a `verdict` condition needs `baseline:`, the alias to compare with "
            "(e.g. baseline: production)"
        )
    return Policy(
        data=data,
        scorers=tuple(s.strip() for s in scorers),
        conditions=conditions,
        name=_text(raw, "name", source),
        description=_text(raw, "description", source),
        model=_text(raw, "model", source),
        baseline=baseline,
        level=float(level),
        on_missing_baseline=on_missing,
        source=source,
    )


def _conditions(raw: object, source: str) -> tuple[Condition, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(
            f"{source}: `conditions` is a list of conditions, e.g. - f1 >= production.f1 - 0.01"
        )
    parsed = []
    for number, text in enumerate(raw, start=1):
        try:
            parsed.append(parse_condition(text))
        except InvalidInput as exc:
            raise InvalidInput(f"{source}: condition {number} {text!r}: {exc.message}") from None
    for condition in parsed:
        for ref in condition.references():
            if ref.alias is not None:
                _alias_name(ref.alias, f"{source}: condition {condition.text!r}")
    return tuple(parsed)


def _alias_name(alias: str, where: str) -> None:
    from shipyard.core.refs import check_alias

    try:
        check_alias(alias)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.message}") from None


def _text(raw: Mapping[str, Any], key: str, source: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, str | int | float)
        or not str(value).strip()
    ):
        raise InvalidInput(f"{source}: `{key}` must be a non-empty string")
    return str(value).strip()
