"""The generated Dockerfiles lint clean, copy only what a render or `dvc repro` makes, and run as non-root."""

from __future__ import annotations

import json
import re
import subprocess
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

import pytest
import yaml

from conftest import dev_tool

DOCKERFILES = ["Dockerfile.serve", "Dockerfile.train"]
BIND_SOURCE = re.compile(r"--mount=type=bind,(?:\S*,)?source=([^,\s]+)")

Instruction = tuple[str, str]  # ("COPY", "--from=build /app/.venv /app/.venv")


def instructions(dockerfile: Path) -> list[Instruction]:
    """Each instruction as (KEYWORD, arguments), with `\\` continuations joined and comments dropped."""
    result: list[Instruction] = []
    pending = ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pending += stripped.removesuffix("\\")
        if stripped.endswith("\\"):
            pending += " "
            continue
        keyword, _, arguments = pending.partition(" ")
        result.append((keyword.upper(), arguments.strip()))
        pending = ""
    return result


def arguments_of(dockerfile: Path, keyword: str) -> list[str]:
    return [arguments for name, arguments in instructions(dockerfile) if name == keyword]


def context_sources(dockerfile: Path) -> list[str]:
    """Paths taken from the build context: COPY/ADD sources (not --from= stages) and bind-mount sources."""
    sources: list[str] = []
    for keyword, arguments in instructions(dockerfile):
        words = arguments.split()
        if keyword in {"COPY", "ADD"} and not any(word.startswith("--from=") for word in words):
            sources += [word for word in words if not word.startswith("--")][:-1]
        if keyword == "RUN":
            sources += BIND_SOURCE.findall(arguments)
    return [str(PurePosixPath(source)) for source in sources]


def dvc_outputs(project: Path) -> set[str]:
    """Paths `dvc repro` writes: every stage's outs, as plain strings or `{path: options}`."""
    stages = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    outs = [out for stage in stages.values() for out in stage.get("outs", [])]
    return {str(PurePosixPath(next(iter(out)) if isinstance(out, dict) else out)) for out in outs}


def is_pinned(image: str) -> bool:
    tag = image.rpartition("/")[2].partition(":")[2]
    return "@sha256:" in image or tag not in {"", "latest"}


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, simplified: the last pattern matching the path or a parent decides; `!` re-includes."""
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[: end + 1]) for end in range(len(parts))]
    verdict = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if any(fnmatchcase(candidate, pattern.removeprefix("!")) for candidate in candidates):
            verdict = not negated
    return verdict


@pytest.mark.parametrize("name", DOCKERFILES)
def test_hadolint_reports_nothing(default_project: Path, name: str) -> None:
    hadolint = dev_tool("hadolint")  # it asserts the linter is installed
    result = subprocess.run(
        [hadolint, "--no-color", name], cwd=default_project, capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("name", DOCKERFILES)
def test_every_copied_path_is_rendered_or_made_by_dvc_repro(default_project: Path, name: str) -> None:
    outputs = dvc_outputs(default_project)
    sources = context_sources(default_project / name)
    assert sources
    missing = [path for path in sources if not (default_project / path).exists() and path not in outputs]
    assert missing == []


@pytest.mark.parametrize("name", DOCKERFILES)
def test_runs_as_a_non_root_user(default_project: Path, name: str) -> None:
    users = arguments_of(default_project / name, "USER")
    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}


@pytest.mark.parametrize("name", DOCKERFILES)
def test_every_base_image_is_pinned(default_project: Path, name: str) -> None:
    dockerfile = default_project / name
    images = [arguments.split()[0] for arguments in arguments_of(dockerfile, "FROM")]
    images += re.findall(r"--from=(\S+)", " ".join(arguments_of(dockerfile, "COPY")))
    stages = set(re.findall(r"\bAS\s+(\S+)", " ".join(arguments_of(dockerfile, "FROM")), re.IGNORECASE))
    unpinned = [image for image in images if image not in stages and not is_pinned(image)]
    assert images
    assert unpinned == []


def test_serve_image_runs_gunicorn_with_uvicorn_workers_and_checks_health(default_project: Path) -> None:
    dockerfile = default_project / "Dockerfile.serve"
    command = json.loads(arguments_of(dockerfile, "CMD")[-1])
    module, _, attribute = command[-1].partition(":")
    module_file = default_project / "src" / Path(*module.split(".")).with_suffix(".py")

    config = command[command.index("--config") + 1].removeprefix("python:")
    config_file = default_project / "src" / Path(*config.split(".")).with_suffix(".py")
    settings = config_file.read_text(encoding="utf-8")
    worker = re.search(r'^worker_class = "(.+)\.(\w+)"$', settings, re.MULTILINE)

    assert command[0] == "gunicorn"
    # --worker-class would override the settings' worker, which goes with their sockets
    assert "--worker-class" not in command
    assert worker, f"{config_file.name} names no worker class"
    worker_file = default_project / "src" / Path(*worker.group(1).split(".")).with_suffix(".py")
    worker_code = worker_file.read_text(encoding="utf-8")
    assert re.search(rf"^class {worker.group(2)}\(UvicornWorker\):", worker_code, re.MULTILINE)
    assert module_file.exists(), f"{command[-1]} names no module of the project"
    assert re.search(rf"^{attribute} = ", module_file.read_text(encoding="utf-8"), re.MULTILINE)
    assert "8000" in arguments_of(dockerfile, "EXPOSE")[-1].split()
    assert "/health" in arguments_of(dockerfile, "HEALTHCHECK")[-1]


def test_dockerignore_keeps_out_git_and_venv_but_nothing_a_dockerfile_copies(default_project: Path) -> None:
    lines = (default_project / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    copied = {source for name in DOCKERFILES for source in context_sources(default_project / name)}

    assert ignored(".git", patterns)
    assert ignored(".venv", patterns)
    assert [source for source in sorted(copied) if ignored(source, patterns)] == []
