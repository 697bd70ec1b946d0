"""The `scaffold` command line: each command turns options into one call and errors into exit codes.

Kept light on purpose: importing this module loads click only; cookiecutter, DVC and MLflow are imported by
the commands that need them, so `scaffold --help` answers at once.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from . import __version__
from .errors import EXIT_FAILURE, ScaffoldError


class ScaffoldGroup(click.Group):
    """A user's mistake is one line on stderr and its exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ScaffoldError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(error.exit_code)


@click.group(cls=ScaffoldGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scaffold")
def cli() -> None:
    """Start ML projects that run end to end, and keep them to the standard."""


project_option = click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The project directory.",
)


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
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    help="Your table (CSV or Parquet): the project is rendered around it instead of the example's data.",
)
@click.option("--target", metavar="COLUMN", help="With --data: the column to predict.")
@click.option(
    "--task",
    type=click.Choice(("binary", "multiclass", "regression")),
    help="With --data: the task (default: inferred from the target, and said).",
)
@click.option("--id-column", metavar="COLUMN", help="With --data: a column identifying rows (not a feature).")
@click.option(
    "--protected-attribute", metavar="COLUMN", help="With --data: the column whose groups fairness compares."
)
@click.option(
    "--personal",
    metavar="COLUMN",
    multiple=True,
    help="With --data, repeatable: a feature about a person, never written raw to the inference log "
    "[default: the protected attribute].",
)
def new(
    extra_context: tuple[str, ...],
    no_input: bool,
    output_dir: Path,
    data: Path | None,
    target: str | None,
    task: str | None,
    id_column: str | None,
    protected_attribute: str | None,
    personal: tuple[str, ...],
) -> None:
    """Render a new project from the bundled template (no network needed).

    KEY=VALUE pairs answer template questions, e.g. `project_name="Fraud Detection" dvc_remote=s3`. With
    `--data FILE --target COLUMN`, the project is built around your table: the task, the feature spec and the
    schema are inferred from it (and printed), and the file is tracked by DVC, not committed.
    """
    from .render import parse_extra_context, render

    extra: dict[str, object] = dict(parse_extra_context(extra_context))
    data_options = {"--target": target, "--task": task, "--id-column": id_column}
    data_options["--protected-attribute"] = protected_attribute
    data_options["--personal"] = personal[0] if personal else None
    if data is None:
        given = [option for option, value in data_options.items() if value is not None]
        if given:
            raise ScaffoldError(f"{given[0]} needs --data FILE")
    else:
        if target is None:
            raise ScaffoldError("--data needs --target COLUMN: the column to predict")
        from .tables.project import data_answers

        extra = data_answers(
            data,
            target=target,
            task=task,
            id_column=id_column,
            protected_attribute=protected_attribute,
            personal=personal,
            extra=parse_extra_context(extra_context),
            say=lambda line: click.echo(line, err=True),
        )
    project = render(output_dir, extra, no_input=no_input)
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


@cli.command("add-stage")
@click.argument("name")
@click.option(
    "--after", metavar="STAGE", help="Insert after this stage and rewire the stages that read its outs."
)
@click.option(
    "--deps", multiple=True, metavar="PATH", help="Input frames (default: the previous stage's outs)."
)
@click.option(
    "--outs", multiple=True, metavar="PATH", help="Output frames, one per input (default: data/NAME/)."
)
@click.option(
    "--params", multiple=True, metavar="KEY=VALUE", help="Parameters for the stage's params.yaml section."
)
@click.option("--metrics", metavar="PATH", help="A JSON metrics file the stage writes.")
@click.option("--plots", metavar="PATH", help="A CSV of plot data the stage writes.")
@click.option("--dry-run", is_flag=True, help="Print the diff of every file it would touch; change nothing.")
@project_option
def add_stage(
    name: str,
    after: str | None,
    deps: tuple[str, ...],
    outs: tuple[str, ...],
    params: tuple[str, ...],
    metrics: str | None,
    plots: str | None,
    dry_run: bool,
    project: Path,
) -> None:
    """Add pipeline stage NAME: its module, its test, its dvc.yaml stage and its params.yaml section."""
    from .atomic import write_all
    from .stages import Project, StageRequest, parse_params, plan_stage

    request = StageRequest(name, after, deps, outs, parse_params(params), metrics, plots)
    plan = plan_stage(Project.find(project), request)
    if dry_run:
        click.echo(plan.diff(), nl=False)
        return
    write_all(plan.contents, root=plan.root)
    for note in plan.notes:
        click.echo(f"note: {note}", err=True)
    for path in plan.contents:
        click.echo(f"wrote {path.relative_to(project)}")


@cli.command()
@click.option(
    "--to", "to_version", metavar="VERSION", help="Template version (tag vVERSION of its repository)."
)
@click.option(
    "--to-git",
    metavar="URL@REF",
    help="A template repository and a ref in it: a branch, a tag, HEAD or a commit id (full or short).",
)
@click.option("--dry-run", is_flag=True, help="Print the patch; change nothing.")
@project_option
@click.option(
    "--extra-context", multiple=True, metavar="KEY=VALUE", help="Answer or change a template variable."
)
@click.option("--no-input", is_flag=True, help="Take defaults for variables the new template added.")
@click.pass_context
def update(
    ctx: click.Context,
    to_version: str | None,
    to_git: str | None,
    dry_run: bool,
    project: Path,
    extra_context: tuple[str, ...],
    no_input: bool,
) -> None:
    """Bring the project up to the installed template (or --to, --to-git) with a 3-way merge.

    Your edits are kept, the template's are applied; lines both changed are left with conflict markers and
    listed, and the exit code is then 1. Refuses (exit 2, nothing changed) on uncommitted changes.
    """
    from .render import parse_extra_context
    from .update import apply_update, plan_update
    from .update.renders import prompt_new_variable

    plan = plan_update(
        project,
        to_version=to_version,
        to_git=to_git,
        extra=parse_extra_context(extra_context),
        ask=None if no_input else prompt_new_variable,
    )
    if not plan.contents:
        click.echo(f"Up to date with template {plan.new_version}: nothing to change.")
        return
    if dry_run:
        click.echo(plan.diff(), nl=False)
    else:
        added = set(plan.added)
        apply_update(plan)
        click.echo(f"Updated from template {plan.old_version} to {plan.new_version}:")
        for path, data in plan.contents.items():
            click.echo(f"  {'D' if data is None else 'A' if path in added else 'M'} {path}")
    if plan.conflicts:
        would = "would be left" if dry_run else "left"
        click.echo(
            f"{len(plan.conflicts)} conflict(s) {would}: resolve the <<<<<<< markers, then commit", err=True
        )
        for path in plan.conflicts:
            click.echo(f"  conflict: {path}", err=True)
        for message in plan.messages:  # git's account: which side's file was kept, and why
            click.echo(f"  git: {message}", err=True)
        ctx.exit(EXIT_FAILURE)


CHECK_FORMATS = ("text", "concise", "json", "github", "gitlab", "sarif", "markdown")


@cli.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path("."), required=False)
@click.option("--select", metavar="CODES", help="Run only these rules: codes or prefixes, comma-separated.")
@click.option("--ignore", metavar="CODES", help="Skip these rules too: codes or prefixes, comma-separated.")
@click.option(
    "--format",
    "--output-format",
    "output_format",
    type=click.Choice(CHECK_FORMATS),
    default="text",
    show_default=True,
    help="How to report the findings.",
)
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of the standard output.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings at error level.")
@click.pass_context
def check(
    ctx: click.Context,
    path: Path,
    select: str | None,
    ignore: str | None,
    output_format: str,
    output_file: Path | None,
    exit_zero: bool,
) -> None:
    """Check the project at PATH against the template's rules (configured in [tool.scaffold.check]).

    Exits 1 when a rule at error level finds something, 2 on a usage or configuration error.
    """
    from .check.config import load_config, project_root
    from .check.engine import all_rules, run_checks
    from .check.formats import FORMATS

    root = project_root(path)
    rules = all_rules()
    config = load_config(root, rules, select=select, ignore=ignore)
    report = run_checks(root, select=config.select, ignore=config.ignore, severities=config.severity)
    output = FORMATS[output_format](report, rules)
    if output_file is None:
        click.echo(output, nl=False)
    else:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        output_file.write_text(output, encoding="utf-8")
    if report.errors and not exit_zero:
        ctx.exit(EXIT_FAILURE)


@cli.command()
@click.argument("code")
def rule(code: str) -> None:
    """Explain rule CODE: what it finds, why it matters, how to fix it."""
    from .check.engine import all_rules
    from .check.formats.ruledoc import explain

    rules = all_rules()
    if code.upper() not in rules:
        raise ScaffoldError(f"unknown rule code {code!r}", hint="`scaffold rules` lists them")
    click.echo(explain(rules[code.upper()]), nl=False)


@cli.command("rules")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("text", "json", "markdown")),
    default="text",
    show_default=True,
)
def list_rules(output_format: str) -> None:
    """List every rule: code, name and description."""
    from .check.engine import all_rules
    from .check.formats.ruledoc import as_json, as_markdown, table

    rules = all_rules()
    render = {"json": as_json, "markdown": as_markdown}.get(output_format, table)
    click.echo(render(rules), nl=False)


def main() -> None:
    """The console script."""
    cli()


if __name__ == "__main__":
    main()
