"""The pre-commit hooks run clean on the project as rendered.

Only the `local` hooks run here: the scaffold hook lives in the template's repository, which a test cannot
clone offline (scaffold's own tests run that one against its checkout).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

{% if cookiecutter.ci_provider == "gitlab" -%}
LOCAL_HOOKS = {"ruff-check", "ruff-format", "check-gitlab-ci", "hadolint", "model-contract"}
{%- else -%}
LOCAL_HOOKS = {"ruff-check", "ruff-format", "check-github-workflows", "zizmor", "hadolint", "model-contract"}
{%- endif %}


def test_the_local_hooks_pass_on_every_file(project_root: Path, tmp_path: Path) -> None:
    config = yaml.safe_load((project_root / ".pre-commit-config.yaml").read_text())
    local = {**config, "repos": [repo for repo in config["repos"] if repo["repo"] == "local"]}
    assert {hook["id"] for repo in local["repos"] for hook in repo["hooks"]} == LOCAL_HOOKS
    local_config = tmp_path / "local-hooks.yaml"
    local_config.write_text(yaml.safe_dump(local))

    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--config", str(local_config)],
        cwd=project_root,
        env={**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    passed = {line.split("...")[0].strip() for line in result.stdout.splitlines() if line.endswith("Passed")}
    names = {hook["name"] for repo in local["repos"] for hook in repo["hooks"]}
    assert passed == names, result.stdout  # every hook found files to check
