"""The source of a stage module and its test, as `scaffold add-stage` writes them into a project.

Plain string formatting on purpose: importing jinja2 would cost add-stage a third of its time budget.
"""

from __future__ import annotations

from typing import Any

MODULE = '''"""Stage `{name}`: transform each input frame into its output, as dvc.yaml wires them.

Added by `scaffold add-stage`. dvc.yaml passes the files in pairs (`--input A --output B`); `run()` does the
work on one validated frame. The generated `run()` returns the frame unchanged: put the stage's work there.
"""

from __future__ import annotations

import argparse
{json_import}import sys
from collections.abc import Sequence
{dataclass_import}from pathlib import Path

import pandas as pd

{config_import}from ..schemas import ProcessedCustomers

{params_block}
def run(frame: pd.DataFrame{run_parameter}) -> pd.DataFrame:
    """Transform one frame; the frames read and written follow the processed-data schema."""
    return ProcessedCustomers.validate(frame)


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(description="Stage {name}: transform each --input into its --output.")
    parser.add_argument("--input", type=Path, action="append", required=True, help="a frame to read (CSV)")
    parser.add_argument("--output", type=Path, action="append", required=True, help="where to write it")
{extra_arguments}    args = parser.parse_args(argv)
    if len(args.input) != len(args.output):
        parser.error("give as many --output as --input")
{load_params}    rows = {{}}
    for source, target in zip(args.input, args.output, strict=True):
        result = run(pd.read_csv(source){run_argument})
        target.parent.mkdir(parents=True, exist_ok=True)
        result.to_csv(target, index=False)
        rows[str(target)] = len(result)
{reports}    summary = ", ".join(f"{{path}} ({{count}} rows)" for path, count in rows.items())
    print(f"{name}: wrote {{summary}}")


if __name__ == "__main__":
    main(sys.argv[1:])
'''

METRICS = """    if args.metrics:
        args.metrics.parent.mkdir(parents=True, exist_ok=True)
        args.metrics.write_text(json.dumps({"rows": sum(rows.values())}, indent=2) + "\\n", encoding="utf-8")
"""

PLOTS = """    if args.plots:
        args.plots.parent.mkdir(parents=True, exist_ok=True)
        frame = pd.DataFrame({"output": list(rows), "rows": list(rows.values())})
        frame.to_csv(args.plots, index=False)
"""

TEST = '''"""Stage {name}: each input frame becomes one output frame, every row kept."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

{config_import}from {package}.stages import {stage_imports}
{params_helper}

def test_run_keeps_every_row_and_column(workdir: Path, split: prepare.Split) -> None:
    result = {name}.run(split.train{params_argument})
    assert len(result) == len(split.train)
    assert list(result.columns) == list(split.train.columns)


def test_main_writes_each_output(workdir: Path, split: prepare.Split) -> None:
    split.train.to_csv("train.csv", index=False)
    split.test.to_csv("test.csv", index=False)
    arguments = ["--input", "train.csv", "--output", "out/train.csv"]
    arguments += ["--input", "test.csv", "--output", "out/test.csv"]
{report_arguments}
    {name}.main(arguments)

    assert len(pd.read_csv("out/train.csv")) == len(split.train)
    assert len(pd.read_csv("out/test.csv")) == len(split.test)
{report_checks}'''


def module_source(name: str, params: dict[str, Any], *, metrics: bool, plots: bool) -> str:
    """The stage module; with params it reads its params.yaml section into a frozen dataclass."""
    fields = "".join(f"    {key}: {type(value).__name__}\n" for key, value in params.items())
    cls = params_class(name)
    extra = ""
    if metrics:
        extra += '    parser.add_argument("--metrics", type=Path, help="JSON metrics to write")\n'
    if plots:
        extra += '    parser.add_argument("--plots", type=Path, help="CSV plot data to write")\n'
    return MODULE.format(
        name=name,
        config_import="from ..config import load_section\n" if params else "",
        dataclass_import="from dataclasses import dataclass\n" if params else "",
        params_block=f"\n@dataclass(frozen=True)\nclass {cls}:\n{fields}\n" if params else "",
        run_parameter=f", params: {cls}" if params else "",
        load_params=f'    params = load_section("{name}", {cls})\n' if params else "",
        run_argument=", params" if params else "",
        json_import="import json\n" if metrics else "",
        extra_arguments=extra,
        reports=(METRICS if metrics else "") + (PLOTS if plots else ""),
    )


def test_source(name: str, package: str, *, has_params: bool, metrics: bool, plots: bool) -> str:
    arguments, checks = "", ""
    if metrics:
        arguments += '    arguments += ["--metrics", "out/metrics.json"]\n'
        checks += '    assert Path("out/metrics.json").read_text().strip().startswith("{")\n'
    if plots:
        arguments += '    arguments += ["--plots", "out/plots.csv"]\n'
        checks += '    assert list(pd.read_csv("out/plots.csv").columns) == ["output", "rows"]\n'
    cls = params_class(name)
    helper = f'\n\ndef params() -> {name}.{cls}:\n    return load_section("{name}", {name}.{cls})\n'
    return TEST.format(
        name=name,
        package=package,
        config_import=f"from {package}.config import load_section\n" if has_params else "",
        params_helper=helper if has_params else "",
        params_argument=", params()" if has_params else "",
        stage_imports=", ".join(sorted({"prepare", name})),
        report_arguments=arguments,
        report_checks=checks,
    )


def params_class(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Params"
