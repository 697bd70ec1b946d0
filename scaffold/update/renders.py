"""Render a template version with a project's answers: the files only, for the 3-way merge.

The post-generation hook honours `_files_only`: it records the answers and removes the files the answers
rule out (LICENSE of a proprietary project), then stops: no `git init`, no DVC, no sample data, no `uv lock`.
Both facts are read from the rendered version's own cookiecutter.json, so each version answers for itself:
its `_files_for` says which files the answers rule out (removed here too, whatever its hook does), and its
`_sample_data` names the data file a full hook makes. A template older than the flag runs its whole hook; the
files that hook makes (`hook_made`) are removed from the render, so the merge never touches the project's own
copies of them.
"""

from __future__ import annotations

import logging
import posixpath
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ScaffoldError
from ..render import filled, unchosen_files
from .sources import TemplateSource

ANSWERS_FILE = ".scaffold-answers.json"
# Made by the full post-generation hook whatever the answers: git's and DVC's repositories, the lock file.
HOOK_TOOLS = (".git", ".dvc", ".dvcignore", "uv.lock")
SAMPLE_DATA = "data/raw/churn.csv"  # for template versions that do not declare `_sample_data`

Ask = Callable[[str, Any, Mapping[str, Any]], Any]  # (name, raw default, answers so far) -> answer


def hook_made(config: Mapping[str, Any], answers: Mapping[str, Any]) -> list[str]:
    """What the full post-generation hook makes, not the template: git's and DVC's repositories, the lock
    file, and the sample data (`_sample_data`) with its `.dvc` file and the .gitignore `dvc add` writes."""
    sample = filled(str(config.get("_sample_data", SAMPLE_DATA)), answers) or SAMPLE_DATA
    folder = posixpath.dirname(sample)
    return [*HOOK_TOOLS, posixpath.join(folder, ".gitignore"), sample, f"{sample}.dvc"]


# Private variables a project's answers set (`scaffold new --data`): replayed, though never asked for.
REPLAYED_PRIVATE = ("_data_source", "_data_spec")


def recorded_answers(data: Mapping[str, Any]) -> dict[str, Any]:
    """The answers a render is replayed with: every recorded one but the template's private keys (the data's
    source and spec excepted: they are the project's, not the template's)."""
    return {key: value for key, value in data.items() if not key.startswith("_") or key in REPLAYED_PRIVATE}


def answers_for(
    template: TemplateSource, recorded: Mapping[str, Any], extra: Mapping[str, str], ask: Ask | None
) -> dict[str, Any]:
    """The recorded answers, overridden by `extra`; a variable the template added is asked for with `ask`
    (None: cookiecutter's default, as with --no-input)."""
    config = template.config
    unknown = sorted(set(extra) - set(config))
    if unknown:
        raise ScaffoldError(
            f"template {template.version} has no variable {unknown[0]!r}",
            hint="--extra-context sets the template's variables",
        )
    answers = {key: value for key, value in recorded.items() if key in config}
    answers.update(extra)
    if ask is not None:
        for name, raw in config.items():
            if not name.startswith("_") and name not in answers:
                answers[name] = ask(name, raw, answers)
    return answers


def render_files(template: TemplateSource, answers: Mapping[str, Any], workdir: Path) -> Path:
    """Render `template` with `answers` into a new folder of `workdir`, without the hook-made files.

    The steps of `cookiecutter.main.cookiecutter` for a local template with no input, through cookiecutter's
    generate and prompt functions: that skips importing its repository code (requests; about 0.1 s), reading
    ~/.cookiecutterrc, and writing a replay file to the user's home on every update.
    """
    from cookiecutter.exceptions import CookiecutterException, FailedHookException
    from cookiecutter.generate import generate_context, generate_files
    from cookiecutter.prompt import prompt_for_config

    logging.getLogger("cookiecutter").setLevel(logging.CRITICAL)
    output = Path(tempfile.mkdtemp(prefix="render-", dir=workdir))
    directory = str(template.directory)
    try:
        context = generate_context(
            context_file=str(template.directory / "cookiecutter.json"),
            default_context={},
            extra_context={**answers, "_files_only": True},
        )
        context["_cookiecutter"] = {k: v for k, v in context["cookiecutter"].items() if not k.startswith("_")}
        context["cookiecutter"].update(prompt_for_config(context, no_input=True))
        context["cookiecutter"].update(
            _template=directory, _output_dir=str(output), _repo_dir=directory, _checkout=None
        )
        rendered = Path(generate_files(repo_dir=directory, context=context, output_dir=str(output)))
    except FailedHookException as error:
        raise ScaffoldError(
            f"template {template.version} refused the project's answers (its message is above)"
        ) from error
    except (CookiecutterException, ValueError) as error:
        raise ScaffoldError(f"could not render template {template.version}: {error}") from error
    answered = context["cookiecutter"]
    for relative in [*hook_made(template.config, answered), *unchosen_files(template.config, answered)]:
        path = rendered / relative
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    return rendered


def prompt_new_variable(name: str, raw: Any, answers: Mapping[str, Any]) -> Any:
    """Ask for a variable the new template version added, as `cookiecutter` would."""
    from cookiecutter.environment import StrictEnvironment
    from cookiecutter.prompt import read_user_choice, read_user_variable, render_variable

    environment = StrictEnvironment(context={"cookiecutter": dict(answers)})
    if isinstance(raw, list):
        options = [render_variable(environment, option, dict(answers)) for option in raw]
        return read_user_choice(name, options)
    return read_user_variable(name, render_variable(environment, raw, dict(answers)))
