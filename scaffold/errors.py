"""One tree of errors a user can cause, and the exit codes the CLI maps them to.

Each error builds its own message from keyword fields, so every command reports problems the same way:
`file:line: what is wrong (hint)`. Only cli.py prints them.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_FAILURE = 1  # the work ran and failed: findings, a failing pipeline or test
EXIT_USAGE = 2  # bad input: options, answers, files; nothing was changed


class ScaffoldError(Exception):
    """A problem the user can fix; printed as one line, never as a traceback."""

    exit_code = EXIT_USAGE

    def __init__(
        self, message: str, *, file: Path | str | None = None, line: int | None = None, hint: str = ""
    ) -> None:
        self.message, self.file, self.line, self.hint = message, file, line, hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{hint}"


class AnswersRejected(ScaffoldError):
    """A template hook stopped the render: usually pre_gen_project refusing an answer (it says which)."""


class ProjectExists(ScaffoldError):
    """The directory a project would be written to already exists."""


class StepFailed(ScaffoldError):
    """A command run on the user's behalf (uv, dvc, pytest) exited non-zero."""

    exit_code = EXIT_FAILURE
