"""`scaffold new --data FILE --target COLUMN`: render the project around the user's table.

The table is profiled and its data spec inferred before anything is written; the spec goes to the template
(`_data_spec`, which renders features.py and schemas.py, the contract's fairness section and the size-bound
parameters), and the post-generation hook copies the file into data/raw/, tracks it with DVC and pushes it
to the default remote. Any problem with the file or the options is one line and exit 2, and leaves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from ..errors import ScaffoldError
from .inference import TASKS, infer
from .profile import profile

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
UNQUOTABLE = re.compile(r'["\\]')  # the template refuses them in a description


def data_answers(
    data: Path,
    *,
    target: str,
    task: str | None,
    id_column: str | None,
    protected_attribute: str | None,
    personal: tuple[str, ...] = (),
    extra: Mapping[str, str],
    say: Callable[[str], None],
) -> dict[str, object]:
    """The template's answers for a project around `data`: the inferred spec, and the defaults it implies."""
    if task is not None and task not in TASKS:
        raise ScaffoldError(f"--task {task!r} is not one of {', '.join(TASKS)}")
    if "task" in extra and task is not None and extra["task"] != task:
        raise ScaffoldError(f"--task {task} and task={extra['task']} disagree: give one")
    table = profile(data, unique=id_column)
    spec = infer(
        table,
        target=target,
        task=task or extra.get("task"),
        id_column=id_column,
        protected_attribute=protected_attribute,
        personal=personal,
        say=say,
    )
    name = stored_name(data, say)
    stem = Path(name).stem.replace("_", " ").replace("-", " ").strip()
    answers: dict[str, object] = {
        "task": spec.task,
        "project_name": stem.title() if stem else "My Model",
        "description": f"Predict {UNQUOTABLE.sub('', spec.target)} from {name}",
        "_data_source": "own",
        "_data_file": str(data.resolve()),
        "_data_spec": {**spec.to_context(), "source": name},
    }
    answers.update(extra)
    return answers


def stored_name(data: Path, say: Callable[[str], None]) -> str:
    """The name the table gets under data/raw/: its own, unless the shell or make would trip on it."""
    if SAFE_NAME.fullmatch(data.name):
        return data.name
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", data.name).strip("._-") or "data"
    safe = safe if SAFE_NAME.fullmatch(safe) else f"data_{safe}"
    say(f"note: {data.name!r} is stored as data/raw/{safe} (commands and Makefiles quote no file names)")
    return safe
