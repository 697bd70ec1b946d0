"""The GitLab pipeline is valid, keeps secrets away from merge requests, and runs what this project ships."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

# Top-level keys of .gitlab-ci.yml that are not jobs (GitLab's global keywords).
GLOBAL_KEYWORDS = {"default", "include", "stages", "variables", "workflow", "image", "services", "cache"}


@pytest.fixture(scope="module")
def pipeline(project_root: Path) -> dict[str, Any]:
    loaded = yaml.safe_load((project_root / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def resolved(pipeline: dict[str, Any], name: str) -> dict[str, Any]:
    """A job with its `extends:` merged in, as GitLab does (deep merge of mappings, later wins)."""
    job = pipeline[name]
    parents = job.get("extends", [])
    merged: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        merged = deep_merge(merged, resolved(pipeline, parent))
    return deep_merge(merged, {key: value for key, value in job.items() if key != "extends"})


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        both_mappings = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = deep_merge(base[key], value) if both_mappings else value
    return merged


def jobs(pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    names = [name for name in pipeline if name not in GLOBAL_KEYWORDS and not name.startswith(".")]
    return {name: resolved(pipeline, name) for name in names}


def script(job: dict[str, Any]) -> str:
    return "\n".join(
        line
        for key in ("before_script", "script")
        for line in ([job[key]] if isinstance(job.get(key), str) else job.get(key, []))
    )


def test_the_pipeline_matches_gitlabs_schema(project_root: Path) -> None:
    tool = Path(sys.executable).parent / "check-jsonschema"
    command = str(tool) if tool.exists() else shutil.which("check-jsonschema")
    assert command, "check-jsonschema is a dev dependency: uv sync"
    result = subprocess.run(
        [command, "--builtin-schema", "vendor.gitlab-ci", str(project_root / ".gitlab-ci.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_job_holding_secrets_runs_for_a_merge_request(pipeline: dict[str, Any]) -> None:
    """Protected variables are scoped to environments; a job with one must never run in an MR pipeline."""
    with_environment = {name: job for name, job in jobs(pipeline).items() if "environment" in job}
    assert set(with_environment) >= {"train", "export-model", "deploy-staging", "deploy-production"}
    for name, job in with_environment.items():
        conditions = [rule.get("if", "") for rule in job["rules"]]
        assert conditions and all("merge_request_event" not in text for text in conditions), name


def test_lint_reproduce_gate_and_test_run_in_that_order_on_merge_requests(pipeline: dict[str, Any]) -> None:
    check = jobs(pipeline)["check"]
    text = script(check)
    expected = [
        "uv sync --locked",
        "uv run ruff check .",
        "uv run dvc repro",
        "uv run dvc status --quiet",
        "-m {{ cookiecutter.package_name }}.registry promote",
        "uv run pytest",
        "-m {{ cookiecutter.package_name }}.serve.latency",
    ]
    positions = [text.find(command) for command in expected]
    assert -1 not in positions and positions == sorted(positions), dict(zip(expected, positions, strict=True))
    assert any("merge_request_event" in rule.get("if", "") for rule in check["rules"])


def test_conformance_is_a_code_quality_report(pipeline: dict[str, Any]) -> None:
    conformance = jobs(pipeline)["conformance"]
    report = conformance["artifacts"]["reports"]["codequality"]
    assert f"scaffold check --format gitlab --output-file {report}" in script(conformance)


def test_schedules_retrain_and_monitor_and_production_waits_for_a_person(pipeline: dict[str, Any]) -> None:
    every = jobs(pipeline)
    assert 'SCHEDULE_TASK == "train"' in every["train"]["rules"][0]["if"]
    assert "resource_group" in every["train"]  # never two trainings racing for @champion
    assert "merge_request.create" in script(every["train"])
    assert 'SCHEDULE_TASK == "monitor"' in every["monitor"]["rules"][0]["if"]
    assert "-m {{ cookiecutter.package_name }}.monitor.drift --current" in script(every["monitor"])
    assert every["retrain-on-drift"]["rules"][0]["when"] == "on_failure"
    production = every["deploy-production"]
    assert production["environment"]["name"] == "production"
    assert [rule.get("when") for rule in production["rules"]] == ["manual"]
    assert "deploy-staging" in production["needs"]
