"""The `scaffold` command line: each command turns options into one call and errors into exit codes.

Kept light on purpose: importing this module loads click only; cookiecutter, DVC and MLflow are imported by
the commands that need them, so `scaffold --help` answers at once.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from . import __version__
from .errors import ScaffoldError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scaffold")
def cli() -> None:
    """Start ML projects that run end to end, and keep them to the standard."""


@cli.command()
@click.argument("extra_context", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--no-input", is_flag=True, help="Use defaults and KEY=VALUE answers; ask nothing.")
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to create the project directory.",
)
def new(extra_context: tuple[str, ...], no_input: bool, output_dir: Path) -> None:
    """Render a new project from the bundled template (no network needed).

    KEY=VALUE pairs answer template questions, e.g. `project_name="Fraud Detection" dvc_remote=s3`.
    """
    from .render import parse_extra_context, render

    project = render(output_dir, parse_extra_context(extra_context), no_input=no_input)
    click.echo(f"Project ready at {project}")


@cli.command()
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to render the demo project [default: a new temporary directory].",
)
def demo(output_dir: Path | None) -> None:
    """Render a demo project, set it up, run its pipeline and tests, and print its metrics."""
    from .demo import run_demo

    run_demo(output_dir or Path(tempfile.mkdtemp(prefix="scaffold-demo-")), click.echo)


def main() -> None:
    """Entry point: run the CLI; a user's mistake is one line on stderr and its exit code, not a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except ScaffoldError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main()
