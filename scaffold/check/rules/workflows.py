"""CI: the GitHub Actions workflows, or the GitLab pipeline, that lint, test and check every change."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..base import Problem, Rule
from ..fixtures import Parsed, parse_yaml

WORKFLOWS = ".github/workflows"
GITLAB_CI = ".gitlab-ci.yml"
# Top-level keys of .gitlab-ci.yml that are GitLab's global keywords, not jobs.
GITLAB_KEYWORDS = frozenset(
    [
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
        "spec",
    ]
)
RUNS_TESTS = re.compile(r"\bpytest\b|\bmake\b[^\n;&|]*\btest\b")
RUNS_SCAFFOLD_CHECK = re.compile(r"\bscaffold\s+check\b")


class Workflows(Rule):
    family = "CI"


def workflows(root: Path) -> dict[str, Parsed]:
    """The GitHub workflows and the GitLab pipeline (`.gitlab-ci.yml`), whichever the project has."""
    folder = root / WORKFLOWS
    names = sorted(path.name for path in folder.glob("*.y*ml")) if folder.is_dir() else []
    found = {f"{WORKFLOWS}/{name}": parse_yaml(root, f"{WORKFLOWS}/{name}") for name in names}
    if (root / GITLAB_CI).is_file():
        found[GITLAB_CI] = parse_yaml(root, GITLAB_CI)
    return found


def is_gitlab(path: str) -> bool:
    return path.rsplit("/", 1)[-1] == GITLAB_CI


def gitlab_jobs(pipeline: Parsed) -> dict[str, dict[str, Any]]:
    """The jobs of a GitLab pipeline (not its keywords or hidden `.templates`), `extends:` merged in."""
    data = pipeline.data if isinstance(pipeline.data, dict) else {}
    return {
        str(name): _extended(data, str(name), depth=0)
        for name, body in data.items()
        if isinstance(body, dict) and str(name) not in GITLAB_KEYWORDS and not str(name).startswith(".")
    }


def _extended(data: dict[Any, Any], name: str, depth: int) -> dict[str, Any]:
    """GitLab's `extends:`: a deep merge of the parents' mappings, own keys last (11 levels deep)."""
    job = data.get(name)
    if not isinstance(job, dict) or depth > 11:
        return {}
    parents = job.get("extends", [])
    merged: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else parents if isinstance(parents, list) else []:
        merged = _deep_merge(merged, _extended(data, str(parent), depth + 1))
    return _deep_merge(merged, {key: value for key, value in job.items() if key != "extends"})


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        both = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = _deep_merge(base[key], value) if both else value
    return merged


def _script_lines(job: dict[str, Any]) -> Iterator[str]:
    for key in ("before_script", "script", "after_script"):
        lines = job.get(key)
        for line in [lines] if isinstance(lines, str) else lines if isinstance(lines, list) else []:
            if isinstance(line, str):
                yield line


def precommit(root: Path) -> Parsed:
    return parse_yaml(root, ".pre-commit-config.yaml")


def run_steps(workflow: Parsed) -> Iterator[tuple[str, int, str]]:
    """(job, step index, command) of each `run:` step of a workflow, or each script line of a GitLab job."""
    if is_gitlab(workflow.path):
        for job, body in gitlab_jobs(workflow).items():
            for index, line in enumerate(_script_lines(body)):
                yield job, index, line
        return
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
    if is_gitlab(path):
        return Problem(f"no job of {GITLAB_CI} {what}", path, 1)
    line = workflows[path].line("jobs") if path in workflows else 1
    return Problem(f"no workflow under {WORKFLOWS}/ {what}", path, line)


def runs_for_merge_requests(job: dict[str, Any]) -> bool:
    """Whether a GitLab job can run in a merge request's pipeline, fork's included: no `rules:` (or `only:`)
    keeps it out, or a rule that names merge requests without `when: never` lets it in."""
    rules = job.get("rules")
    if isinstance(rules, list):
        return any(
            isinstance(rule, dict)
            and ("if" not in rule or "merge_request" in str(rule["if"]))
            and rule.get("when") != "never"
            for rule in rules
        )
    only = job.get("only")
    if only is not None:
        refs = only.get("refs", []) if isinstance(only, dict) else only
        return "merge_requests" in (refs if isinstance(refs, list) else [refs])
    return True


class CI001(Workflows):
    """A workflow exists under .github/workflows/ (or a `.gitlab-ci.yml`), and every one parses."""

    name = "workflow-invalid"

    @staticmethod
    def check(workflows: dict[str, Parsed]) -> Iterator[Problem]:
        """There is no workflow, or one is not valid YAML or has no `jobs:` mapping (GitLab: no job).

        Without CI nothing checks a change before it is merged; a workflow that does not parse does not run
        at all, and GitHub (or GitLab) says so only on its pipelines page. Fix the syntax error at the line
        given, or restore `.github/workflows/ci.yml` (`.gitlab-ci.yml`) from the template.
        """
        if not workflows:
            yield Problem(f"no workflow under {WORKFLOWS}/ and no {GITLAB_CI}", WORKFLOWS)
        for path, workflow in workflows.items():
            if workflow.error:
                yield Problem(workflow.error, path, workflow.error_line)
            elif is_gitlab(path):
                if not gitlab_jobs(workflow):
                    yield Problem(f"{path} defines no job", path, 1)
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
    """Workflows declare top-level `permissions` (not `write-all`); GitLab deploy jobs skip merge requests."""

    name = "workflow-permissions-default"
    requires = frozenset({"CI001"})

    @staticmethod
    def check(workflows: dict[str, Parsed]) -> Iterator[Problem]:
        """A workflow has no top-level `permissions:`, or grants `write-all`; or a GitLab job that deploys to
        an environment can run in a merge request's pipeline.

        Without it the job's GITHUB_TOKEN gets the repository's default permissions, which may include
        writing code, releases and packages: one compromised action or dependency can push to the repository.
        Declare the least the jobs need, `permissions: {contents: read}`, and grant more to the one job that
        needs it. On GitLab, an environment is where protected, environment-scoped variables (registry and
        cloud credentials) are given: a job with one must have `rules:` that never match
        `$CI_PIPELINE_SOURCE == "merge_request_event"`, so code proposed in a merge request (a fork's too)
        never runs with them.
        """
        for path, workflow in workflows.items():
            if is_gitlab(path):
                for job, body in gitlab_jobs(workflow).items():
                    if "environment" in body and runs_for_merge_requests(body):
                        problem = f"{path}: job `{job}` has an environment and can run for merge requests"
                        yield Problem(problem, path, workflow.line(job))
                continue
            data = workflow.data if isinstance(workflow.data, dict) else {}
            if "permissions" not in data:
                # PyYAML reads the key `on` as True; its line is recorded under the text "on"
                line = workflow.line("on") if ("on",) in workflow.lines else workflow.line("jobs")
                yield Problem(f"{path} has no top-level `permissions:`", path, line)
            elif data["permissions"] == "write-all":
                yield Problem(f"{path} grants `permissions: write-all`", path, workflow.line("permissions"))


RULES = (CI001, CI101, CI102, CI103)
FIXTURES = (workflows, precommit)
