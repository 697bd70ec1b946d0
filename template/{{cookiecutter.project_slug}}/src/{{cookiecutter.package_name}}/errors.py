"""The project's one error tree: problems a user can fix, each reported as one line, never a traceback.

Every command-line entry point
(`python -m {{ cookiecutter.package_name }}.<module>`)
wraps its `main` in `reports_errors`: a `ProjectError` is printed as `error: <message>` and the exit status
is 2; anything else is a bug and keeps its traceback. Messages name the file (and line) or the service,
and what to do.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence

USAGE_ERROR = 2  # bad input: a file, a parameter, a service that cannot be reached

Main = Callable[[Sequence[str] | None], int]


class ProjectError(Exception):
    """A problem the user can fix; the message says where and what to do."""


def reports_errors(main: Main) -> Main:
    """`main`, with a ProjectError printed as one line and turned into exit status 2."""

    @functools.wraps(main)
    def wrapped(argv: Sequence[str] | None = None) -> int:
        try:
            return main(argv)
        except ProjectError as error:
            print(f"error: {error}", file=sys.stderr)
            return USAGE_ERROR

    return wrapped
