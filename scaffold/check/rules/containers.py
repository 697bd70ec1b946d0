"""DK: the Dockerfiles that build the training and serving images."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..base import Problem, Rule

SERVE_DOCKERFILE = "Dockerfile.serve"
ROOT_USERS = frozenset({"root", "0"})
VARIABLE = re.compile(r"\$\{(\w+)(?::?[-+][^}]*)?\}|\$(\w+)")


class Containers(Rule):
    family = "DK"


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str  # upper-case: FROM, COPY, USER...
    arguments: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with the line they start on; continuation lines joined, comments dropped."""
    instructions: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if not pending:
            start = number
        pending += " " + stripped.removesuffix("\\") if pending else stripped.removesuffix("\\")
        if not stripped.endswith("\\"):
            keyword, _, arguments = pending.strip().partition(" ")
            instructions.append(Instruction(start, keyword.upper(), arguments.strip()))
            pending = ""
    return instructions


def dockerfiles(root: Path) -> dict[str, list[Instruction]]:
    return {
        path.name: parse_dockerfile(path.read_text(encoding="utf-8", errors="replace"))
        for path in sorted(root.glob("Dockerfile*"))
        if path.is_file()
    }


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    """The instructions from the last FROM on: the stage that becomes the image."""
    starts = [index for index, instruction in enumerate(instructions) if instruction.keyword == "FROM"]
    return instructions[starts[-1] :] if starts else instructions


class DK001(Containers):
    """Every image runs as a non-root user: the final stage's last USER is not root."""

    name = "container-runs-as-root"

    @staticmethod
    def check(dockerfiles: dict[str, list[Instruction]]) -> Iterator[Problem]:
        """An image runs as root: its final stage has no USER instruction, or the last one is root or 0.

        A process that breaks out of the application is root in the container, and root on the host when
        the container runtime has a flaw. Create a user with a fixed numeric UID and end with
        `USER 10001:10001` (Kubernetes' runAsNonRoot can only verify a numeric UID).
        """
        for name, instructions in dockerfiles.items():
            stage = final_stage(instructions)
            users = [instruction for instruction in stage if instruction.keyword == "USER"]
            if not users:
                line = stage[0].line if stage else 1
                yield Problem(f"{name}: the final stage has no USER, so the image runs as root", name, line)
                continue
            user = users[-1].arguments.split(":", 1)[0].strip()
            if user in ROOT_USERS:
                yield Problem(
                    f"{name}: the image runs as root (USER {users[-1].arguments})", name, users[-1].line
                )


def global_args(instructions: list[Instruction]) -> dict[str, str]:
    """The `ARG NAME=default` declared before the first FROM: the values FROM lines may use."""
    values = {}
    for instruction in instructions:
        if instruction.keyword == "FROM":
            break
        if instruction.keyword == "ARG":
            name, _, default = instruction.arguments.partition("=")
            if default:
                values[name.strip()] = default.strip().strip("\"'")
    return values


def substitute(image: str, values: dict[str, str]) -> str | None:
    """The image with ARG values substituted, None when one has no default."""
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1) or match.group(2)
        if name not in values:
            missing = True
            return ""
        return values[name]

    result = VARIABLE.sub(replace, image)
    return None if missing else result


def unpinned(image: str) -> str | None:
    """Why `image` is not pinned, or None when it has a digest or a tag other than latest."""
    if "@sha256:" in image or image == "scratch":
        return None
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    if not tag:
        return "has no tag"
    return "is tagged latest" if tag == "latest" else None


class DK002(Containers):
    """Every base image is pinned to a tag other than `latest`, or to a digest."""

    name = "base-image-unpinned"

    @staticmethod
    def check(dockerfiles: dict[str, list[Instruction]]) -> Iterator[Problem]:
        """A FROM (or `COPY --from=`) names an image with no tag, or tagged `latest`.

        The image changes under you: the same commit builds a different Python or Debian from one day to the
        next, and a build that worked stops working. Pin a tag (`python:3.11-slim-bookworm`), and for
        byte-for-byte rebuilds a digest (`@sha256:...`) that Dependabot or Renovate bumps. A stage named by
        an earlier `AS name`, and an `ARG` with a pinned default, are fine.
        """
        for name, instructions in dockerfiles.items():
            values = global_args(instructions)
            stages: set[str] = set()
            for instruction in instructions:
                image = None
                if instruction.keyword == "FROM":
                    words = [word for word in instruction.arguments.split() if not word.startswith("--")]
                    if not words:
                        continue
                    image = words[0]
                    if len(words) >= 3 and words[1].lower() == "as":
                        stages.add(words[2].lower())
                elif instruction.keyword == "COPY":
                    found = re.search(r"--from=(\S+)", instruction.arguments)
                    image = found.group(1) if found else None
                if image is None or image.lower() in stages or image.isdigit():
                    continue
                resolved = substitute(image, values)
                if resolved is None:
                    yield Problem(
                        f"{name}: image {image} uses an ARG with no default", name, instruction.line
                    )
                    continue
                reason = unpinned(resolved)
                if reason is not None:
                    yield Problem(f"{name}: image {image} {reason}: pin it", name, instruction.line)


class DK003(Containers):
    """The serving image has a HEALTHCHECK."""

    name = "serve-image-healthcheck-missing"

    @staticmethod
    def check(dockerfiles: dict[str, list[Instruction]]) -> Iterator[Problem]:
        """Dockerfile.serve's final stage has no HEALTHCHECK (or disables it with `HEALTHCHECK NONE`).

        Docker and Compose then report a hung or still-loading server as healthy, and keep sending it
        traffic. Add `HEALTHCHECK CMD` probing the service's /health endpoint.
        """
        instructions = dockerfiles.get(SERVE_DOCKERFILE)
        if instructions is None:
            return
        stage = final_stage(instructions)
        checks = [instruction for instruction in stage if instruction.keyword == "HEALTHCHECK"]
        if not checks or checks[-1].arguments.strip().upper() == "NONE":
            line = checks[-1].line if checks else stage[0].line if stage else 1
            yield Problem(f"{SERVE_DOCKERFILE}: the image has no HEALTHCHECK", SERVE_DOCKERFILE, line)


RULES = (DK001, DK002, DK003)
FIXTURES = (dockerfiles,)
