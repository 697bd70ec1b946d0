"""The dvc.yaml pipeline as a Kubeflow Pipelines v2 pipeline: one task per stage, in the training image.

`make kubeflow` compiles it to pipelines/pipeline.yaml; upload that file in the Kubeflow Pipelines UI or with
`kfp.Client(host=...).create_run_from_pipeline_package("pipelines/pipeline.yaml")`. It is built from dvc.yaml
each time, so a stage added with `scaffold add-stage` is in the next compile:

- each task runs its stage's `cmd` in the image Dockerfile.train builds (push it where the cluster pulls from
  and pass `--image`);
- what a stage writes (outs, metrics, plots) and a later stage reads (deps) travels as a KFP artifact, so the
  tasks' order is the one `dvc repro` derives from the same deps and outs;
- data DVC tracks outside the pipeline (the raw data's .dvc file) is fetched with `dvc pull` from the DVC
  remote in .dvc/config: give the pods that remote's credentials (a Kubernetes Secret, as environment
  variables);
- MLflow runs go to `--tracking-uri`, a tracking server: each task is its own pod, so a local sqlite store
  would not be shared between training and evaluation.
"""

# No `from __future__ import annotations`: kfp reads the pipeline's and components' annotations as objects.
import argparse
import inspect
import re
import shlex
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml
from kfp import compiler, dsl

PROJECT = "{{ cookiecutter.project_slug }}"
DEFAULT_IMAGE = f"{PROJECT}-train:{version(PROJECT)}"
# The in-cluster address the k8s/ manifests and docker-compose.yml's `mlflow` service use.
DEFAULT_TRACKING_URI = "http://mlflow.mlflow.svc.cluster.local:5000"
OUTPUT = Path("pipelines/pipeline.yaml")


@dataclass(frozen=True)
class Stage:
    name: str
    cmd: str
    deps: list[str]
    outs: list[str]  # outs, metrics and plots: every file the stage writes


def entry_paths(entries: Iterable[Any]) -> list[str]:
    """`- path` or `- path: {options}` entries of dvc.yaml, as paths."""
    return [entry if isinstance(entry, str) else next(iter(entry)) for entry in entries]


def load_stages(dvc_yaml: Path) -> list[Stage]:
    stages = yaml.safe_load(dvc_yaml.read_text(encoding="utf-8"))["stages"]
    return [
        Stage(
            name=name,
            cmd=" && ".join(stage["cmd"]) if isinstance(stage["cmd"], list) else stage["cmd"],
            deps=entry_paths(stage.get("deps", [])),
            outs=[path for key in ("outs", "metrics", "plots") for path in entry_paths(stage.get(key, []))],
        )
        for name, stage in stages.items()
    ]


def producer_of(path: str, stages: Sequence[Stage]) -> tuple[Stage, str] | None:
    """The stage that writes `path` (or the folder it is in), with that out."""
    for stage in stages:
        for out in stage.outs:
            if path == out or path.startswith(out.rstrip("/") + "/"):
                return stage, out
    return None


def in_run_order(stages: Sequence[Stage]) -> list[Stage]:
    """Producers before consumers, otherwise in dvc.yaml's order."""
    ordered: list[Stage] = []
    remaining = list(stages)
    while remaining:
        ready = next(
            stage
            for stage in remaining
            if all((found := producer_of(dep, stages)) is None or found[0] in ordered for dep in stage.deps)
        )
        ordered.append(ready)
        remaining.remove(ready)
    return ordered


def artifact_name(path: str) -> str:
    name = re.sub(r"\W+", "_", path).strip("_")
    return name if name.isidentifier() else f"path_{name}"


def stage_script(stage: Stage, inputs: Sequence[str], pulls: Sequence[str]) -> str:
    """Shell for one task: inputs into place ($1...), `dvc pull`, the stage's cmd, outs to the artifacts."""
    lines = ["set -eu"]
    for number, path in enumerate(inputs, start=1):
        quoted = shlex.quote(path)
        lines.append(f'mkdir -p "$(dirname {quoted})" && rm -rf {quoted} && cp -R "${number}" {quoted}')
    if pulls:
        lines.append("dvc pull " + " ".join(shlex.quote(path) for path in pulls))
    lines.append(stage.cmd)
    for number, path in enumerate(stage.outs, start=len(inputs) + 1):
        lines.append(f'mkdir -p "$(dirname "${number}")" && cp -R {shlex.quote(path)} "${number}"')
    return "\n".join(lines)


def stage_component(
    stage: Stage, inputs: Sequence[str], pulls: Sequence[str], image: str
) -> Callable[..., Any]:
    """A container component with an input artifact per consumed out and an output artifact per out."""

    def container(*artifacts: Any) -> dsl.ContainerSpec:
        return dsl.ContainerSpec(
            image=image,
            command=["sh", "-c", stage_script(stage, inputs, pulls), stage.name],
            args=[artifact.path for artifact in artifacts],
        )

    parameters = [
        inspect.Parameter(artifact_name(path), inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation)
        for paths, annotation in ((inputs, dsl.Input[dsl.Artifact]), (stage.outs, dsl.Output[dsl.Artifact]))
        for path in paths
    ]
    container.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    container.__name__ = stage.name.replace("-", "_")
    container.__doc__ = f"dvc.yaml stage {stage.name}: {stage.cmd}"
    return dsl.container_component(container)


def build_pipeline(stages: Sequence[Stage], root: Path, image: str, tracking_uri: str) -> Callable[..., Any]:
    @dsl.pipeline(name=PROJECT, description=f"The dvc.yaml stages of {PROJECT}, one task each")
    def pipeline() -> None:
        produced: dict[str, Any] = {}
        for stage in in_run_order(stages):
            inputs: list[str] = []  # outs of earlier stages this one reads
            pulls: list[str] = []  # data DVC tracks outside the pipeline
            for dep in stage.deps:
                found = producer_of(dep, stages)
                if found is not None and found[1] not in inputs:
                    inputs.append(found[1])
                elif found is None and (root / f"{dep}.dvc").is_file():
                    pulls.append(dep)
            component = stage_component(stage, inputs, pulls, image)
            task = component(**{artifact_name(path): produced[path] for path in inputs})
            task.set_display_name(stage.name)
            task.set_env_variable("MLFLOW_TRACKING_URI", tracking_uri)
            for out in stage.outs:
                produced[out] = task.outputs[artifact_name(out)]

    return pipeline


def compile_pipeline(
    stages: Sequence[Stage], root: Path, output: Path, image: str, tracking_uri: str
) -> None:
    pipeline = build_pipeline(stages, root, image, tracking_uri)
    output.parent.mkdir(parents=True, exist_ok=True)
    compiler.Compiler().compile(pipeline, str(output))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"where to write it (default {OUTPUT})")
    parser.add_argument("--image", default=DEFAULT_IMAGE, help="the training image (default %(default)s)")
    parser.add_argument(
        "--tracking-uri", default=DEFAULT_TRACKING_URI, help="MLflow tracking server (default %(default)s)"
    )
    arguments = parser.parse_args(argv)
    if not re.match(r"https?://", arguments.tracking_uri):
        print(
            f"error: --tracking-uri {arguments.tracking_uri!r} is not a tracking server's http(s) URL: "
            "each task runs in its own pod, which would keep its runs to itself",
            file=sys.stderr,
        )
        return 2
    root = Path.cwd()
    try:
        stages = load_stages(root / "dvc.yaml")
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError, StopIteration) as error:
        print(
            f"error: dvc.yaml: cannot read its stages and their cmd, deps and outs ({error!r})",
            file=sys.stderr,
        )
        return 2
    compile_pipeline(stages, root, arguments.output, arguments.image, arguments.tracking_uri)
    print(f"kubeflow: compiled {arguments.output} (image {arguments.image})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
