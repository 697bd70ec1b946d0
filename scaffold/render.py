"""Render the bundled template with cookiecutter, all or nothing.

The project is rendered into a staging directory next to its destination and moved into place only when
cookiecutter and both hooks succeeded, so a rejected answer or a failing hook leaves nothing behind, not even
the parent directories cookiecutter creates for a slug with a path separator in it.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import AnswersRejected, ProjectExists, ScaffoldError

PACKAGE_DIR = Path(__file__).resolve().parent
PLACEHOLDER = re.compile(r"\{\{\s*cookiecutter\.(\w+)\s*\}\}")


def template_dir() -> Path:
    """The template shipped in the wheel, or `template/` of a source checkout (editable installs)."""
    for candidate in (PACKAGE_DIR / "_template", PACKAGE_DIR.parent / "template"):
        if (candidate / "cookiecutter.json").is_file():
            return candidate
    raise ScaffoldError("the bundled template is missing", hint="reinstall scaffold")


def filled(name: str, answers: Mapping[str, Any]) -> str | None:
    """`name` with its `{{cookiecutter.NAME}}` placeholders answered; None when one has no answer."""
    if any(not isinstance(answers.get(key), str) for key in PLACEHOLDER.findall(name)):
        return None
    return PLACEHOLDER.sub(lambda found: str(answers[found.group(1)]), name)


def unchosen_files(config: Mapping[str, Any], answers: Mapping[str, Any]) -> list[str]:
    """The paths that `answers` rule out, by the template's `_files_for` (its cookiecutter.json, `config`).

    A path listed under a variable is kept only when the variable's answer is one of the values that list
    it; an answer not recorded (the option is newer than the project) is the variable's default, its first
    choice. The post-generation hook reads the same declaration (it cannot import this module). A path whose
    placeholder has no answer is left out: its name is unknown.
    """
    files_for = config.get("_files_for")
    unchosen: list[str] = []
    for variable, lists in (files_for if isinstance(files_for, dict) else {}).items():
        default = config.get(variable)
        answer = answers.get(variable, default[0] if isinstance(default, list) and default else default)
        keeping: dict[str, set[str]] = {}
        for value, paths in lists.items():
            for path in paths:
                keeping.setdefault(path, set()).add(value)
        for path, values in keeping.items():
            name = filled(path, answers)
            if answer not in values and name is not None:
                unchosen.append(name)
    return unchosen


def parse_extra_context(pairs: tuple[str, ...]) -> dict[str, str]:
    """Turn `KEY=VALUE` arguments into cookiecutter's extra context, as cookiecutter's own CLI does."""
    context = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise ScaffoldError(f"expected KEY=VALUE, got {pair!r}")
        context[key] = value
    return context


def refuse_unknown_choices(extra_context: Mapping[str, str]) -> None:
    """Refuse a value outside a choice variable's list (cookiecutter raises a bare ValueError for it)."""
    import json

    variables = json.loads((template_dir() / "cookiecutter.json").read_text(encoding="utf-8"))
    for key, value in extra_context.items():
        choices = variables.get(key)
        if isinstance(choices, list) and value not in choices:
            listed = ", ".join(map(str, choices))
            raise AnswersRejected(f"{key} {value!r} is not one of the choices: {listed}; nothing was written")


def render(
    output_dir: Path,
    extra_context: Mapping[str, str] | None = None,
    *,
    no_input: bool = True,
    template: Path | None = None,
) -> Path:
    """Render a project into `output_dir` (the bundled template unless `template`); return its path."""
    from cookiecutter.exceptions import (
        CookiecutterException,
        FailedHookException,
        OutputDirExistsException,
    )
    from cookiecutter.main import cookiecutter

    refuse_unknown_choices(extra_context or {})
    logging.getLogger("cookiecutter").setLevel(logging.CRITICAL)  # it logs tracebacks for hook failures
    output_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".scaffold-", dir=output_dir))
    try:
        try:
            rendered = Path(
                cookiecutter(
                    str(template or template_dir()),
                    no_input=no_input,
                    extra_context=dict(extra_context or {}),
                    output_dir=str(staging),
                )
            )
        except FailedHookException as error:
            raise AnswersRejected(
                "a template hook stopped the render (its message is above); nothing was written"
            ) from error
        except OutputDirExistsException as error:  # the staging directory is new and empty
            raise AnswersRejected(
                "project_slug must name a new directory ('', '.' and '..' do not); nothing was written"
            ) from error
        except CookiecutterException as error:
            raise ScaffoldError(f"could not render the template: {error}") from error
        destination = output_dir / rendered.name
        if destination.exists():
            raise ProjectExists(f"{destination} already exists", hint="choose another name or -o directory")
        rendered.rename(destination)
        return destination.resolve()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
