"""The generated CI workflow is valid, passes zizmor, pins every action and runs the pipeline."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from conftest import dev_tool

TEMPLATE = Path(__file__).resolve().parents[1] / "template"
SHA_PIN = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
VERSION_COMMENT = re.compile(r"^\s+#\s*v\d+(?:\.\d+){0,2}\s*$")


def _workflow_files(project: Path) -> list[Path]:
    files = sorted((project / ".github" / "workflows").glob("*.y*ml"))
    assert files, f"no workflow in {project / '.github' / 'workflows'}"
    return files


def _load(path: Path) -> dict[Any, Any]:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(workflow, dict), f"{path.name} is not a YAML mapping"
    return workflow


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _run_scripts(workflow: dict[Any, Any]) -> list[str]:
    return [step["run"] for step in _steps(workflow) if "run" in step]


def _ci(project: Path) -> dict[Any, Any]:
    return _load(project / ".github" / "workflows" / "ci.yml")


def test_zizmor_reports_nothing(default_project: Path) -> None:
    files = _workflow_files(default_project)
    result = subprocess.run(
        [
            dev_tool("zizmor"),
            "--offline",
            "--no-config",
            "--no-ignores",
            "--persona=auditor",
            "--min-severity=informational",
            "--min-confidence=low",
            "--format=json",
            *files,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")
    summary = [f"{f['ident']}: {f['desc']}" for f in findings]
    assert (result.returncode, summary) == (0, []), result.stderr


def test_workflows_match_the_github_schema(default_project: Path) -> None:
    result = subprocess.run(
        [
            dev_tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *_workflow_files(default_project),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_is_pinned_to_a_commit_with_its_release_named(default_project: Path) -> None:
    for path in _workflow_files(default_project):
        workflow = _load(path)
        refs = [step["uses"] for step in _steps(workflow) if "uses" in step]
        refs += [job["uses"] for job in workflow["jobs"].values() if "uses" in job]
        unpinned = [ref for ref in refs if not ref.startswith("./") and not SHA_PIN.match(ref)]
        assert not unpinned, f"{path.name}: not pinned to a 40-hex commit SHA: {unpinned}"

        lines = [USES_LINE.match(line) for line in path.read_text(encoding="utf-8").splitlines()]
        uncommented = [m["ref"] for m in lines if m and not VERSION_COMMENT.match(m["rest"])]
        assert not uncommented, f"{path.name}: pin without a trailing '# vX.Y.Z': {uncommented}"


def test_no_expression_is_interpolated_into_a_shell_script(default_project: Path) -> None:
    for path in _workflow_files(default_project):
        injected = [script for script in _run_scripts(_load(path)) if "${{" in script]
        assert not injected, f"{path.name}: pass values through `env:` instead: {injected}"


def test_ci_runs_on_pull_requests_and_main_with_a_read_only_token(default_project: Path) -> None:
    workflow = _ci(default_project)
    triggers = workflow.get("on", workflow.get(True))  # PyYAML reads a bare `on` key as True

    assert set(triggers) == {"pull_request", "push"}
    assert triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read"}
    assert "github.ref" in workflow["concurrency"]["group"]
    assert "pull_request" in str(workflow["concurrency"]["cancel-in-progress"])
    for name, job in workflow["jobs"].items():
        assert job["runs-on"] == "ubuntu-latest", name
        assert job["timeout-minutes"] > 0, name
    assert "permissions" not in workflow["jobs"]["check"]
    # Only the job that uploads SARIF may write, and only code-scanning alerts.
    assert workflow["jobs"]["conformance"]["permissions"] == {"contents": "read", "security-events": "write"}


def test_ci_checks_out_without_credentials_and_sets_up_uv_with_the_project_python(
    default_project: Path,
) -> None:
    steps = _steps(_ci(default_project))
    python_version = json.loads((TEMPLATE / "cookiecutter.json").read_text())["python_version"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    setup_uv = next(s for s in steps if s.get("uses", "").startswith("astral-sh/setup-uv@"))

    assert checkout["with"]["persist-credentials"] is False
    assert setup_uv["with"]["enable-cache"] is True
    assert str(setup_uv["with"]["python-version"]) == python_version


def test_ci_lints_reproduces_the_pipeline_and_tests_in_that_order(default_project: Path) -> None:
    (package,) = (p.parent.name for p in (default_project / "src").glob("*/__init__.py"))
    script = "\n".join(_run_scripts(_ci(default_project)))
    expected = [
        "uv sync --locked",
        "uv run ruff check .",
        "uv run ruff format --check .",
        f"uv run python -m {package}.example_data",
        "uv run dvc repro",
        "uv run dvc status --quiet",  # plain `dvc status` exits 0 even when stages are stale
        "uv run pytest",
    ]

    positions = [script.find(command) for command in expected]
    assert -1 not in positions, dict(zip(expected, positions, strict=True))
    assert positions == sorted(positions), dict(zip(expected, positions, strict=True))
    # `dvc repro` silently re-tracks regenerated data that differs: only its .dvc file shows it.
    assert "git diff --exit-code -- '*.dvc'" in script


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    return workflow.get("on", workflow.get(True))  # PyYAML reads a bare `on` key as True


def test_every_workflow_starts_with_no_permissions_or_read_only_and_never_overlaps(
    default_project: Path,
) -> None:
    for path in _workflow_files(default_project):
        workflow = _load(path)
        assert workflow["permissions"] in ({}, {"contents": "read"}), path.name
        assert "github.workflow" in workflow["concurrency"]["group"], path.name
        for name, job in workflow["jobs"].items():
            assert job["timeout-minutes"] > 0, f"{path.name}: {name}"
            assert "write-all" not in str(job.get("permissions", "")), f"{path.name}: {name}"


def test_train_runs_weekly_and_on_demand_and_proposes_its_result(default_project: Path) -> None:
    (package,) = (p.parent.name for p in (default_project / "src").glob("*/__init__.py"))
    workflow = _load(default_project / ".github/workflows/train.yml")
    triggers = _triggers(workflow)
    job = workflow["jobs"]["train"]
    script = "\n".join(_run_scripts(workflow))

    assert set(triggers) == {"workflow_dispatch", "schedule"}
    assert [entry["cron"] for entry in triggers["schedule"]] == ["0 3 * * 1"]
    assert workflow["concurrency"]["cancel-in-progress"] is False  # two trainings would race for @champion
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert job["environment"] == "training"
    expected = ["uv run dvc repro", f"uv run python -m {package}.registry promote", "gh pr create"]
    positions = [script.find(command) for command in expected]
    assert -1 not in positions and positions == sorted(positions), dict(zip(expected, positions, strict=True))
    proposal = next(step for step in job["steps"] if "gh pr create" in step.get("run", ""))
    assert proposal["if"] == "steps.gate.outputs.promoted == 'true'"
    assert "git add -- dvc.lock reports/metrics.json data/" in proposal["run"]


def test_deploy_builds_the_champion_then_staging_then_approved_production(default_project: Path) -> None:
    (package,) = (p.parent.name for p in (default_project / "src").glob("*/__init__.py"))
    workflow = _load(default_project / ".github/workflows/deploy.yml")
    jobs = workflow["jobs"]

    assert set(_triggers(workflow)) == {"push", "workflow_dispatch"}
    assert _triggers(workflow)["push"] == {"tags": ["v*"]}
    assert jobs["build"]["permissions"] == {
        "contents": "read",
        "packages": "write",
        "id-token": "write",  # the SBOM attestation's signature, and nothing else
        "attestations": "write",
    }
    build_script = "\n".join(step.get("run", "") for step in jobs["build"]["steps"])
    assert f"uv run python -m {package}.registry export --to models/model" in build_script
    build = next(
        step for step in jobs["build"]["steps"] if step.get("uses", "").startswith("docker/build-push")
    )
    assert build["with"]["file"] == "Dockerfile.serve"
    assert build["with"]["push"] is True
    assert "make sbom" in build_script
    attest = next(
        step for step in jobs["build"]["steps"] if step.get("uses", "").startswith("actions/attest-sbom@")
    )
    assert attest["with"]["subject-digest"] == "${{ steps.build.outputs.digest }}"
    assert (
        attest["with"]["sbom-path"] == "reports/sbom.cdx.json" and attest["with"]["push-to-registry"] is True
    )
    setup_uv = next(step for step in jobs["build"]["steps"] if step.get("uses", "").startswith("astral-sh/"))
    assert setup_uv["with"]["enable-cache"] is False  # no cache that could poison a published image

    assert (jobs["staging"]["needs"], jobs["staging"]["environment"]) == ("build", "staging")
    assert (jobs["production"]["needs"], jobs["production"]["environment"]) == (
        ["build", "staging"],
        "production",
    )
    assert jobs["staging"]["permissions"] == {"packages": "write"}
    # Production reads who approved the run (actions: read) and the contract that says who may.
    assert jobs["production"]["permissions"] == {"actions": "read", "contents": "read", "packages": "write"}
    steps = [step.get("run", "") for step in jobs["production"]["steps"]]
    [approval] = [index for index, run in enumerate(steps) if f"python -m {package}.approvals" in run]
    assert 'gh api "repos/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID/approvals"' in steps[approval]
    assert jobs["production"]["steps"][approval]["env"] == {"GH_TOKEN": "${{ github.token }}"}
    [tag] = [index for index, run in enumerate(steps) if "imagetools create" in run]
    assert approval < tag  # nothing is deployed before the check passed
    for name in ("staging", "production"):
        assert jobs[name]["env"]["TARGET"] == name
        smoke = "\n".join(step.get("run", "") for step in jobs[name]["steps"])
        assert 'imagetools create --tag "$IMAGE:$TARGET" "$IMAGE@$DIGEST"' in smoke
        assert "curl --silent --fail http://127.0.0.1:8000/ready" in smoke


def _monitor(project: Path) -> dict[Any, Any]:
    return _load(project / ".github" / "workflows" / "monitor.yml")


def test_monitor_runs_on_the_contracts_schedule_with_least_privilege(default_project: Path) -> None:
    workflow = _monitor(default_project)
    triggers = _triggers(workflow)
    contract = yaml.safe_load((default_project / "model_contract.yaml").read_text(encoding="utf-8"))

    assert triggers["schedule"] == [{"cron": contract["monitoring"]["schedule"]}]
    assert set(triggers["workflow_dispatch"]["inputs"]) == {"current-data", "simulate-drift", "retrain"}
    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    permissions = {name: job["permissions"] for name, job in workflow["jobs"].items()}
    assert permissions == {
        "drift": {"contents": "read"},
        "alert": {"issues": "write"},
        "retrain": {"actions": "write"},
    }


def test_monitor_alerts_and_retrains_only_on_drift(default_project: Path) -> None:
    jobs = _monitor(default_project)["jobs"]
    (package,) = (p.parent.name for p in (default_project / "src").glob("*/__init__.py"))
    drift_script = "\n".join(step.get("run", "") for step in jobs["drift"]["steps"])

    assert f"uv run python -m {package}.monitor.drift --current" in drift_script
    assert "needs.drift.outputs.drift == 'true'" in jobs["alert"]["if"]
    assert (
        "needs.drift.outputs.drift == 'true'" in jobs["retrain"]["if"]
        and "inputs.retrain" in jobs["retrain"]["if"]
    )
    assert jobs["retrain"]["steps"][0]["run"].startswith("gh workflow run train.yml")
    upload = next(
        s for s in jobs["drift"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")
    )
    assert upload["with"]["path"] == "reports/monitoring/"


def test_the_workflow_monitor_dispatches_accepts_dispatch(default_project: Path) -> None:
    workflow = _load(default_project / ".github" / "workflows" / "train.yml")
    assert "workflow_dispatch" in _triggers(workflow)
