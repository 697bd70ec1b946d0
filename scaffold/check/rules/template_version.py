"""TV: the template the project was made from: its recorded answers, its version, its files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..base import Problem, Rule
from ..fixtures import Parsed, files_ending, parse_json

ANSWERS = ".scaffold-answers.json"


class TemplateVersion(Rule):
    family = "TV"


@dataclass(frozen=True)
class Template:
    version: str
    files: list[str]  # relative to the project, with `{{cookiecutter.NAME}}` left in folder and file names
    config: dict[str, Any] = field(default_factory=dict)  # its cookiecutter.json (`_files_for`, the choices)


def answers(root: Path) -> Parsed:
    """`.scaffold-answers.json`: the template's answers in cookiecutter's replay format."""
    return parse_json(root, ANSWERS)


def template() -> Template | None:
    """The bundled template this scaffold installation renders: its version and its files."""
    from ...render import template_dir  # no cookiecutter import: render imports it inside render()

    try:
        directory = template_dir()
    except Exception:  # the template is missing from the installation
        return None
    config = json.loads((directory / "cookiecutter.json").read_text(encoding="utf-8"))
    project = next(directory.glob("{{*"), None)
    files = (
        sorted(
            path.relative_to(project).as_posix()
            for path in project.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        )
        if project is not None
        else []
    )
    return Template(str(config.get("_template_version", "")), files, config)


def git_text_files(root: Path, git_files: list[str]) -> dict[str, str]:
    """The text of each file git tracks (binary files and files over 2 MB left out)."""
    texts = {}
    for name in git_files:
        path = root / name
        if not path.is_file() or path.is_symlink() or path.stat().st_size > 2_000_000:
            continue
        data = path.read_bytes()
        if b"\0" not in data[:8192]:
            texts[name] = data.decode("utf-8", errors="replace")
    return texts


def reject_files(root: Path) -> list[str]:
    """`*.rej` files, tracked or not (hidden folders such as .git, .venv and .dvc left out)."""
    return files_ending(root, ".rej")


def recorded(answers: Parsed) -> dict[str, Any]:
    context = answers.data.get("cookiecutter") if isinstance(answers.data, dict) else None
    return context if isinstance(context, dict) else {}


def version_key(version: str) -> tuple[int, ...] | None:
    """(1, 2, 0) for "1.2.0" (a pre-release suffix is ignored); None when it is not a version."""
    found = re.match(r"^v?(\d+(?:\.\d+)*)", version.strip())
    return tuple(int(part) for part in found.group(1).split(".")) if found else None


class TV001(TemplateVersion):
    """The project records the template's answers in .scaffold-answers.json."""

    name = "answers-file-missing"
    severity = "warning"

    @staticmethod
    def check(answers: Parsed) -> Iterator[Problem]:
        """.scaffold-answers.json is missing.

        It records the answers the project was made with and the template version, in cookiecutter's replay
        format: without it `scaffold check` cannot tell which template files the project should have, nor
        whether it is behind the template. Projects made by scaffold 0.1 or earlier lack it; render the same
        answers again (`scaffold new`) and copy the file over.
        """
        if not answers.exists:
            yield Problem(f"{ANSWERS} is missing: the template answers are not recorded", ANSWERS)


class TV002(TemplateVersion):
    """.scaffold-answers.json parses and records the answers and `_template_version`."""

    name = "answers-file-invalid"

    @staticmethod
    def check(answers: Parsed) -> Iterator[Problem]:
        """.scaffold-answers.json is not valid JSON, or lacks `cookiecutter` answers with `_template_version`.

        The template-version rules read it, as does `cookiecutter --replay-file`. Fix the syntax error at the
        line given; the file is `{"cookiecutter": {"project_name": ..., "_template_version": "X.Y.Z"}}`.
        """
        if not answers.exists:
            return
        if answers.error:
            yield Problem(answers.error, ANSWERS, answers.error_line)
        elif not recorded(answers):
            yield Problem(f"{ANSWERS} has no `cookiecutter` mapping of answers", ANSWERS)
        elif not isinstance(recorded(answers).get("_template_version"), str):
            yield Problem(f"{ANSWERS} records no `_template_version`", ANSWERS, answers.line("cookiecutter"))


class TV101(TemplateVersion):
    """The project is not behind the installed template's version."""

    name = "template-version-behind"
    severity = "warning"
    requires = frozenset({"TV001", "TV002"})

    @staticmethod
    def check(answers: Parsed, template: Template | None) -> Iterator[Problem]:
        """The project was made from an older version of the template than the one installed.

        The template has changed since: fixes and conventions the checks expect may be missing. Run
        `scaffold update` (a 3-way merge: your edits stay, the template's are applied), resolve the conflicts
        it lists, if any, and commit.
        """
        version = str(recorded(answers).get("_template_version", ""))
        if template is None or version_key(template.version) is None:
            return
        if version_key(version) is None or version_key(version) < version_key(template.version):
            yield Problem(
                f"made from template {version or '(unknown)'}, the installed template is {template.version}",
                ANSWERS,
                answers.line("cookiecutter", "_template_version"),
            )


def expected_files(template: Template, context: dict[str, Any]) -> list[str]:
    """The template's files with the project's answers in their names, less those its answers rule out
    (the template's `_files_for`: a proprietary project has no LICENSE, a docker one no k8s/)."""
    from ...render import filled, unchosen_files

    unchosen = unchosen_files(template.config, context)
    names = (filled(name, context) for name in template.files)  # None: an answer not recorded
    return [
        name
        for name in names
        if name is not None and not any(name == path or name.startswith(f"{path}/") for path in unchosen)
    ]


class TV102(TemplateVersion):
    """Every file the template manages is present."""

    name = "template-file-deleted"
    requires = frozenset({"TV001", "TV002"})

    @staticmethod
    def check(answers: Parsed, template: Template | None, root: Path) -> Iterator[Problem]:
        """A file the template creates has been deleted.

        Each template file is there for the pipeline, the checks, CI, or the images; a deleted one usually
        breaks something that is not tested until it runs. Restore it from a fresh render with the recorded
        answers (`cookiecutter --replay-file .scaffold-answers.json ...`), or, if the project no longer
        needs it, ignore this rule for it in `[tool.scaffold.check]`.
        """
        if template is None:
            return
        for name in expected_files(template, recorded(answers)):
            if not (root / name).is_file():
                yield Problem(f"{name} is missing (the template creates it)", name)


CONFLICT_MARKER = re.compile(r"^(<{7}|>{7}) ", re.MULTILINE)


class TV103(TemplateVersion):
    """No file git tracks holds a conflict marker left by a merge or a template update."""

    name = "conflict-marker-left"

    @staticmethod
    def check(git_text_files: dict[str, str]) -> Iterator[Problem]:
        """A tracked file has a line starting with `<<<<<<< ` or `>>>>>>> `: an unresolved conflict.

        `scaffold update` (like `git merge`) leaves the lines that both you and the template changed between
        markers: your version above `=======`, the template's below. The file is broken until you resolve it
        (Python, YAML and Makefiles do not parse with markers in them). Keep the right lines, delete the three
        marker lines, and commit.
        """
        for path, text in git_text_files.items():
            if "<<<<<<< " not in text and ">>>>>>> " not in text:
                continue  # the common case, found at C speed (uv.lock alone is about 1 MB)
            for found in CONFLICT_MARKER.finditer(text):
                line = text.count("\n", 0, found.start()) + 1
                yield Problem(f"conflict marker `{found.group(1)}`: resolve the conflict", path, line)


class TV104(TemplateVersion):
    """No `*.rej` file is left in the project."""

    name = "reject-file-left"

    @staticmethod
    def check(reject_files: list[str]) -> Iterator[Problem]:
        """A `.rej` file is in the project: the rejected part of a patch that did not apply.

        `cruft update` and `patch` write the hunks they could not apply to FILE.rej and carry on: that part of
        the template's change is missing from FILE until someone applies it by hand. Apply the hunks in the
        .rej file to the file next to it (or decide they do not apply), then delete the .rej file.
        """
        for path in reject_files:
            yield Problem(f"{path} holds a rejected patch: apply it by hand, then delete it", path)


RULES = (TV001, TV002, TV101, TV102, TV103, TV104)
FIXTURES = (answers, template, git_text_files, reject_files)
