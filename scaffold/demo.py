"""The main job end to end: render a project, set it up, run its pipeline and its tests, show the metrics.

It drives the generated project only through the commands its README gives a user (uv, dvc, pytest), so a
green demo means a newcomer's first hour works.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from .errors import StepFailed
from .render import render

STEPS = (
    ("set up the environment", ("uv", "sync", "--quiet")),
    ("run the pipeline", ("uv", "run", "dvc", "repro")),
    ("run the project's tests", ("uv", "run", "pytest", "-q")),
)


def project_environment() -> dict[str, str]:
    """The caller's environment minus its virtualenv: the project gets its own .venv."""
    return {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"}
    }


def run_demo(output_dir: Path, say: Callable[[str], None]) -> dict[str, float]:
    """Render into `output_dir`, run every step, and return the evaluation metrics."""
    project = render(output_dir)
    say(f"Rendered {project}")
    environment = project_environment()
    for title, command in STEPS:
        say(f"==> {title}: {' '.join(command)}")
        if subprocess.run(command, cwd=project, env=environment, check=False).returncode != 0:
            raise StepFailed(f"could not {title}: `{' '.join(command)}` failed", file=project)
    metrics: dict[str, float] = json.loads((project / "reports/metrics.json").read_text(encoding="utf-8"))
    say(f"\nThe demo project is at {project}")
    say("Metrics (reports/metrics.json): " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()))
    return metrics
