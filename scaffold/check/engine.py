"""The rules engine: each rule is a small class whose code is its name, registered when it is defined.

Modelled on scientific-python/repo-review: a rule's class docstring is its one-line description, its
`check()` docstring is the explanation `scaffold rule CODE` prints (what is wrong, why it matters, how to fix
it), and `check()` receives the fixtures it names as parameters. A rule whose prerequisite failed (or was
skipped) is skipped with the reason. Selectors match codes by prefix, as ruff's do: `DV` is the family.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .fixtures import Fixtures

SEVERITIES = ("error", "warning")


@dataclass(frozen=True, order=True)
class Finding:
    """One problem, where it is: sorted by path, line, column and code for deterministic output."""

    path: str
    line: int
    column: int
    code: str
    message: str
    severity: str = "error"


@dataclass(frozen=True)
class Problem:
    """What a rule yields: the rule adds its code and severity."""

    message: str
    path: str
    line: int = 1
    column: int = 1


class Rule:
    family: ClassVar[str] = ""
    url: ClassVar[str] = ""
    name: ClassVar[str]
    requires: ClassVar[frozenset[str]] = frozenset()
    severity: ClassVar[str] = "error"
    check: ClassVar[Callable[..., Iterable[Problem]]]

    registry: ClassVar[dict[str, type[Rule]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "check" in cls.__dict__:  # a concrete rule; family bases only set `family`
            if cls.__name__ in Rule.registry:
                raise ValueError(f"rule code {cls.__name__} is defined twice")
            Rule.registry[cls.__name__] = cls

    @classmethod
    def code(cls) -> str:
        return cls.__name__

    @classmethod
    def description(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "").splitlines()[0]

    @classmethod
    def explanation(cls) -> str:
        return inspect.cleandoc(cls.check.__doc__ or "")


def all_rules() -> dict[str, type[Rule]]:
    from . import rules  # noqa: F401  (defining the rule classes registers them)

    return dict(sorted(Rule.registry.items()))


def matches(code: str, selectors: Iterable[str]) -> bool:
    return any(selector == "ALL" or code.startswith(selector) for selector in selectors)


def ignore_reason(code: str, ignore: dict[str, str]) -> str | None:
    """The reason of the most specific ignore selector matching `code` (`ALL` the least), None if none."""
    matching = [selector for selector in ignore if matches(code, (selector,))]
    if not matching:
        return None
    return ignore[max(matching, key=lambda selector: (selector != "ALL", len(selector)))]


@dataclass
class Report:
    root: Path
    findings: list[Finding] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # code -> reason
    passed: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity == "error"]


def run_checks(
    root: Path,
    *,
    select: Iterable[str] = ("ALL",),
    ignore: dict[str, str] | None = None,
    severities: dict[str, str] | None = None,
) -> Report:
    """Run every selected rule on the project at `root`, prerequisites first."""
    ignore, severities = ignore or {}, severities or {}
    fixtures = Fixtures(root)
    report = Report(root)
    failed: set[str] = set()
    for code, rule in _in_dependency_order(all_rules()):
        if not matches(code, select):
            continue
        reason = ignore_reason(code, ignore)
        if reason is not None:
            report.skipped[code] = f"ignored: {reason}"
            failed.add(code)
            continue
        missing = sorted(rule.requires & (failed | set(report.skipped)))
        if missing:
            report.skipped[code] = f"requires {', '.join(missing)}"
            failed.add(code)
            continue
        severity = severities.get(code, rule.severity)
        problems = list(_call(rule, fixtures))
        for problem in problems:
            finding = Finding(problem.path, problem.line, problem.column, code, problem.message, severity)
            report.findings.append(finding)
        if problems:
            failed.add(code)
        else:
            report.passed.append(code)
    report.findings.sort()
    return report


def _call(rule: type[Rule], fixtures: Fixtures) -> Iterator[Problem]:
    parameters = inspect.signature(rule.check).parameters
    yield from rule.check(**{name: getattr(fixtures, name) for name in parameters})


def _in_dependency_order(rules: dict[str, type[Rule]]) -> list[tuple[str, type[Rule]]]:
    ordered: list[tuple[str, type[Rule]]] = []
    seen: set[str] = set()

    def visit(code: str) -> None:
        if code in seen or code not in rules:
            return
        seen.add(code)
        for required in sorted(rules[code].requires):
            visit(required)
        ordered.append((code, rules[code]))

    for code in rules:
        visit(code)
    return ordered


def compute_check(code: str, **fixtures: Any) -> list[Problem]:
    """Run one rule on fixtures given by hand: most rule tests are one line with it."""
    return list(all_rules()[code].check(**fixtures))
