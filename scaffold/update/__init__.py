"""`scaffold update`: bring a project up to a newer template with a 3-way merge, planned before any write.

Steps, each its own function: read the recorded answers and refuse a dirty tree (guard); find the template at
the recorded version and at the target (sources); render both with the same answers, files only (renders);
merge the template's change into the project's HEAD with git (gitmerge); then the plan, every file's new
bytes, is printed (`--dry-run`) or written all or nothing (`apply_update`).
"""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ScaffoldError
from .gitmerge import changes_between, merge, read_blobs, require_clean_repository, tree_of
from .renders import ANSWERS_FILE, Ask, answers_for, recorded_answers, render_files
from .sources import TemplateSource, clone_template, installed_template, parse_git_target, template_at_version


@dataclass(frozen=True)
class UpdatePlan:
    project: Path
    old_version: str
    new_version: str
    contents: dict[str, bytes | None] = field(
        default_factory=dict
    )  # relative path -> new bytes; None: delete
    executable: frozenset[str] = frozenset()
    conflicts: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def added(self) -> list[str]:
        return [path for path, data in self.contents.items() if data is not None and self._old(path) is None]

    def _old(self, relative: str) -> bytes | None:
        path = self.project / relative
        return path.read_bytes() if path.is_file() else None

    def diff(self) -> str:
        """The change as a unified diff, `git diff`'s file headers included."""
        chunks: list[str] = []
        for relative, new in self.contents.items():
            old = self._old(relative)
            before = f"a/{relative}" if old is not None else "/dev/null"
            after = f"b/{relative}" if new is not None else "/dev/null"
            old_text, new_text = as_text(old), as_text(new)
            if old_text is None or new_text is None:
                chunks.append(f"Binary files {before} and {after} differ\n")
                continue
            chunks += difflib.unified_diff(
                old_text.splitlines(keepends=True), new_text.splitlines(keepends=True), before, after
            )
        return "".join(chunks)


def as_text(data: bytes | None) -> str | None:
    if data is None:
        return ""
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_answers(project: Path) -> dict[str, Any]:
    """The `cookiecutter` mapping of `.scaffold-answers.json`, with its `_template_version`."""
    path = project / ANSWERS_FILE
    if not path.is_file():
        raise ScaffoldError(
            "missing: not a project made by scaffold, or made before answers were recorded",
            file=path,
            hint="`scaffold check` explains TV001",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ScaffoldError(f"not valid JSON: {error.msg}", file=path, line=error.lineno) from error
    answers = data.get("cookiecutter") if isinstance(data, dict) else None
    if not isinstance(answers, dict) or not isinstance(answers.get("_template_version"), str):
        raise ScaffoldError("records no `cookiecutter` answers with a `_template_version`", file=path)
    return answers


def plan_update(
    project: Path,
    *,
    to_version: str | None = None,
    to_git: str | None = None,
    extra: Mapping[str, str] | None = None,
    ask: Ask | None = None,
) -> UpdatePlan:
    """Everything the update would change, computed without writing to the project."""
    project = project.resolve()
    recorded = read_answers(project)
    require_clean_repository(project)
    if to_version and to_git:
        raise ScaffoldError("--to and --to-git name two targets: pass one")
    old_version, repo, extra = (
        recorded["_template_version"],
        recorded.get("_template_repo"),
        dict(extra or {}),
    )
    if not to_git and (to_version or installed_template().version) == old_version and not extra:
        return UpdatePlan(project, old_version, old_version)  # up to date: nothing to render
    with tempfile.TemporaryDirectory(prefix="scaffold-update-") as scratch:
        workdir = Path(scratch)
        new = target_template(to_version, to_git, repo, workdir)
        old = template_at_version(old_version, repo, workdir)
        replay = recorded_answers(recorded)
        old_render = render_files(old, answers_for(old, replay, {}, None), workdir)
        new_render = render_files(new, answers_for(new, replay, extra, ask), workdir)
        if not (new_render / ANSWERS_FILE).is_file():
            raise ScaffoldError(f"template {new.version} does not record its answers in {ANSWERS_FILE}")
        new_answers = (new_render / ANSWERS_FILE).read_bytes()
        for render in (old_render, new_render):
            (render / ANSWERS_FILE).unlink(missing_ok=True)
        return merge_into_project(
            project, old, new, tree_of(project, old_render), tree_of(project, new_render), new_answers
        )


def target_template(
    to_version: str | None, to_git: str | None, repo: str | None, workdir: Path
) -> TemplateSource:
    if to_git:
        return clone_template(*parse_git_target(to_git), workdir)
    return template_at_version(to_version, repo, workdir) if to_version else installed_template()


def merge_into_project(
    project: Path, old: TemplateSource, new: TemplateSource, base: str, theirs: str, new_answers: bytes
) -> UpdatePlan:
    """The merged files as a plan: contents from git's merged tree, conflict markers relabelled."""
    contents: dict[str, bytes | None] = {}
    executable: set[str] = set()
    conflicts: list[str] = []
    messages: list[str] = []
    if base != theirs:
        result = merge(project, base, theirs, f"template {old.version}", f"template {new.version}")
        conflicts, messages = result.conflicts, result.messages
        changes = changes_between(project, "HEAD", result.tree)
        if any(change.mode in ("120000", "160000") for change in changes):
            raise ScaffoldError("the template update changes a symlink or submodule: not supported")
        blobs = read_blobs(project, [change.blob for change in changes if change.blob])
        for change in changes:
            data = blobs[change.blob] if change.blob else None
            if data is not None and change.path in conflicts:
                data = relabel(data, result.labels)
            contents[change.path] = data
            if change.mode == "100755":
                executable.add(change.path)
    answers_path = project / ANSWERS_FILE
    if answers_path.read_bytes() != new_answers:
        contents[ANSWERS_FILE] = new_answers
    return UpdatePlan(
        project,
        old.version,
        new.version,
        dict(sorted(contents.items())),
        frozenset(executable),
        conflicts,
        messages,
    )


def relabel(data: bytes, labels: Mapping[str, str]) -> bytes:
    """Name conflict markers by side (`<<<<<<< your project`, `>>>>>>> template 2.0.0`), not by commit."""
    for commit, label in labels.items():
        data = re.sub(rb"(?m)^(<{7}|>{7}|\|{7}) " + commit.encode(), rb"\1 " + label.encode(), data)
    return data


def apply_update(plan: UpdatePlan) -> None:
    """Write the plan all or nothing; new files are added with --intent-to-add, so `git diff` shows them."""
    from ..atomic import replace_all

    added = plan.added
    replace_all(
        {plan.project / path: data for path, data in plan.contents.items()},
        executable={plan.project / path for path in plan.executable},
        root=plan.project,
    )
    if added:
        subprocess.run(
            ["git", "add", "--intent-to-add", "--", *added], cwd=plan.project, check=True, capture_output=True
        )
