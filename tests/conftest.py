"""Fixtures shared by the tests: an isolated home for git and DVC, and projects rendered once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from scaffold import atomic
from scaffold.render import render

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, deal the slow tests (minutes each: a rendered project's whole run) to the start of
    each worker's first batch, so they share out evenly and the short tests fill in at the end.

    xdist's `load` scheduler gives each of its N workers a batch of consecutive tests first, len // N // 4 of
    them, then the rest to whichever worker is free. In file order, the slow tests of the last files would
    start last and keep one worker busy for minutes while the other idles.
    """
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    if workers < 2:
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    fast = iter([item for item in items if not item.get_closest_marker("slow")])
    batch = max(2, len(items) // workers // 4)  # as xdist's LoadScheduling sizes the first batches
    ordered: list[pytest.Item] = []
    for worker in range(workers):
        dealt = slow[worker::workers]
        ordered += dealt + [item for _, item in zip(range(batch - len(dealt)), fast, strict=False)]
    items[:] = ordered + list(fast)


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep git identity and DVC storage out of the user's home; keep uv's cache (it makes setup fast)."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Scaffold Tests\n\temail = tests@example.com\n[init]\n\tdefaultBranch = main\n"
    )
    overrides = {
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
        "XDG_DATA_HOME": str(home / "share"),
        "DVC_NO_ANALYTICS": "1",
        "UV_PYTHON_DOWNLOADS": "never",  # no interpreter downloads: fail fast instead
    }
    saved = {key: os.environ.get(key) for key in [*overrides, "VIRTUAL_ENV"]}
    os.environ.update(overrides)
    os.environ.pop("VIRTUAL_ENV", None)  # rendered projects get their own .venv
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def render_into(directory: Path, context: Mapping[str, str] | None = None) -> Path:
    """Render with the hooks, as `scaffold new --no-input` does."""
    return render(directory, context)


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default render (a binary task), shared: tests that change files copy it first."""
    return render_into(tmp_path_factory.mktemp("default"))


TASKS = ("binary", "multiclass", "regression")


@pytest.fixture(scope="session")
def task_projects(tmp_path_factory: pytest.TempPathFactory, default_project: Path) -> dict[str, Path]:
    """A render of each task (binary is the default render), shared like it."""
    renders = {"binary": default_project}
    for task in TASKS[1:]:
        renders[task] = render_into(tmp_path_factory.mktemp(task), {"task": task})
    return renders


def feature_spec(project: Path) -> dict[str, Any]:
    """The names a render's features.py defines (it is standard library only)."""
    [features] = project.glob("src/*/features.py")
    spec: dict[str, Any] = {}
    exec(compile(features.read_text(), str(features), "exec"), spec)
    return spec


def git(project: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=project, check=True, capture_output=True, text=True).stdout


def without_latency_limit(project: Path) -> None:
    """Lift the contract's latency SLA in a rendered project whose gate a test runs, then `make rules`: the
    gate times predictions, and a shared, loaded machine's speed is not what those tests are about."""
    contract = project / "model_contract.yaml"
    sla = "inference_latency_p99_ms: 100 "
    assert sla in contract.read_text()
    contract.write_text(contract.read_text().replace(sla, "inference_latency_p99_ms: 60000 "))
    # As a user does after editing the contract: the alerts follow it (the project's tests and MC201 check it)
    subprocess.run(["make", "rules"], cwd=project, check=True, capture_output=True)


def dev_tool(name: str) -> Path:
    """A linter next to the running interpreter; missing means the dev group is not installed."""
    path = Path(sys.executable).parent / name
    assert path.exists(), f"{name} not found at {path}: install the dev dependency group (uv sync)"
    return path


def fail_replace_on(monkeypatch: pytest.MonkeyPatch, nth: int) -> None:
    """Make the `nth` file move of an all-or-nothing write raise, as a full disk would."""
    calls: list[Path] = []

    def replace(source: Path, target: Path) -> None:
        calls.append(target)
        if len(calls) == nth:
            raise OSError("disk full (injected)")
        shutil.move(source, target)

    monkeypatch.setattr(atomic, "_replace", replace)
