"""CI: the GitHub Actions workflows that lint, test and check every change."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..base import Problem, Rule
from ..fixtures import Parsed, parse_yaml

WORKFLOWS = ".github/workflows"
RUNS_TESTS = re.compile(r"\bpytest\b|\bmake\b[^\n;&|]*\btest\b")
RUNS_SCAFFOLD_CHECK = re.compile(r"\bscaffold\s+check\b")


class Workflows(Rule):
    family = "CI"


def workflows(root: Path) -> dict[str, Parsed]:
    folder = root / WORKFLOWS
    names = sorted(path.name for path in folder.glob("*.y*ml")) if folder.is_dir() else []
    return {f"{WORKFLOWS}/{name}": parse_yaml(root, f"{WORKFLOWS}/{name}") for name in names}


def precommit(root: Path) -> Parsed:
    return parse_yaml(root, ".pre-commit-config.yaml")


def run_steps(workflow: Parsed) -> Iterator[tuple[str, int, str]]:
    """(job, step index, command) of each `run:` step of a workflow."""
    jobs = workflow.data.get("jobs") if isinstance(workflow.data, dict) else None
    for job, body in (jobs if isinstance(jobs, dict) else {}).items():
        steps = body.get("steps") if isinstance(body, dict) else None
        for index, step in enumerate(steps if isinstance(steps, list) else []):
            if isinstance(step, dict) and isinstance(step.get("run"), str):
                yield str(job), index, step["run"]


def first_run(workflows: dict[str, Parsed], pattern: re.Pattern[str]) -> bool:
    return any(
        pattern.search(command) for workflow in workflows.values() for _, _, command in run_steps(workflow)
    )


def missing_in_ci(workflows: dict[str, Parsed], what: str) -> Problem:
    path = next(iter(workflows), WORKFLOWS)
    line = workflows[path].line("jobs") if path in workflows else 1
    return Problem(f"no workflow under {WORKFLOWS}/ {what}", path, line)


class CI001(Workflows):
    """A workflow exists under .github/workflows/, and every workflow parses."""

    name = "workflow-invalid"

    @staticmethod
    def check(workflows: dict[str, Parsed]) -> Iterator[Problem]:
        """There is no workflow, or one is not valid YAML or has no `jobs:` mapping.

        Without CI nothing checks a change before it is merged; a workflow that does not parse does not run
        at all, and GitHub says so only on its Actions page. Fix the syntax error at the line given, or
        restore `.github/workflows/ci.yml` from the template.
        """
        if not workflows:
            yield Problem(f"no workflow under {WORKFLOWS}/", WORKFLOWS)
        for path, workflow in workflows.items():
            if workflow.error:
                yield Problem(workflow.error, path, workflow.error_line)
            elif not isinstance(workflow.data, dict) or not isinstance(workflow.data.get("jobs"), dict):
                yield Problem(f"{path} has no `jobs:` mapping", path, workflow.line("jobs"))


class CI101(Workflows):
    """A workflow runs the tests."""

    name = "tests-not-in-ci"
    requires = frozenset({"CI001"})

    @staticmethod
    def check(workflows: dict[str, Parsed]) -> Iterator[Problem]:
        """No workflow step runs `pytest` (directly, through `uv run`, or as `make test`).

        Tests that CI does not run stop being run. Add a step `run: uv run pytest` to the workflow.
        """
        if not first_run(workflows, RUNS_TESTS):
            yield missing_in_ci(workflows, "runs the tests (pytest)")


class CI102(Workflows):
    """A workflow runs `scaffold check`."""

    name = "scaffold-check-not-in-ci"
    requires = frozenset({"CI001"})

    @staticmethod
    def check(workflows: dict[str, Parsed]) -> Iterator[Problem]:
        """No workflow step runs `scaffold check`.

        Conformance that is not checked on every change drifts: a deleted contract, data committed to git
        or an unpinned base image goes unnoticed until it breaks. Add a step, e.g.
        `run: uvx --from git+https://github.com/scaffold-mlops/scaffold@vX.Y.Z scaffold check --format github`
        (the template's `ci.yml` has a `conformance` job doing this), or use this repository's `action.yml`.
        """
        if not first_run(workflows, RUNS_SCAFFOLD_CHECK):
            yield missing_in_ci(workflows, "runs `scaffold check`")


class CI103(Workflows):
    """Every workflow declares top-level `permissions`, and not `write-all`."""

    name = "workflow-permissions-default"
    requires = frozenset({"CI001"})

    @staticmethod
    def check(workflows: dict[str, Parsed]) -> Iterator[Problem]:
        """A workflow has no top-level `permissions:`, or grants `write-all`.

        Without it the job's GITHUB_TOKEN gets the repository's default permissions, which may include
        writing code, releases and packages: one compromised action or dependency can push to the repository.
        Declare the least the jobs need, `permissions: {contents: read}`, and grant more to the one job that
        needs it.
        """
        for path, workflow in workflows.items():
            data = workflow.data if isinstance(workflow.data, dict) else {}
            if "permissions" not in data:
                # PyYAML reads the key `on` as True; its line is recorded under the text "on"
                line = workflow.line("on") if ("on",) in workflow.lines else workflow.line("jobs")
                yield Problem(f"{path} has no top-level `permissions:`", path, line)
            elif data["permissions"] == "write-all":
                yield Problem(f"{path} grants `permissions: write-all`", path, workflow.line("permissions"))


RULES = (CI001, CI101, CI102, CI103)
FIXTURES = (workflows, precommit)
