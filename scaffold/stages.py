"""`scaffold add-stage`: plan a new pipeline stage as data, validate the plan, then write it all or nothing.

The plan is the new text of every file touched: dvc.yaml and params.yaml (edited round-trip, so everything
else stays byte for byte), the stage module and its test. `--dry-run` prints it as a diff; otherwise
`atomic.write_all` applies it. Validation runs on the planned pipeline, before any write: a name that is
taken, an output another stage owns, a dependency nothing provides, a cycle.
"""

from __future__ import annotations

import difflib
import keyword
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import stage_code, yamlio
from .errors import ScaffoldError
from .imports import ImportGraph

STAGE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class StageRequest:
    name: str
    after: str | None = None
    deps: tuple[str, ...] = ()
    outs: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    metrics: str | None = None
    plots: str | None = None


@dataclass(frozen=True)
class Plan:
    root: Path
    contents: dict[Path, str]  # path -> new text
    notes: list[str]

    def diff(self) -> str:
        chunks = []
        for path, new in self.contents.items():
            old = path.read_text(encoding="utf-8") if path.exists() else ""
            relative = path.relative_to(self.root).as_posix()
            before = f"a/{relative}" if path.exists() else "/dev/null"
            chunks += difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True), before, f"b/{relative}"
            )
        return "".join(chunks)


@dataclass(frozen=True)
class Project:
    root: Path
    package: str

    @property
    def dvc_yaml(self) -> Path:
        return self.root / "dvc.yaml"

    @property
    def params_yaml(self) -> Path:
        return self.root / "params.yaml"

    @classmethod
    def find(cls, root: Path) -> Project:
        """The project at `root`: a dvc.yaml and exactly one `src/<package>/stages/` package."""
        packages = sorted(path.parent.parent.name for path in root.glob("src/*/stages/__init__.py"))
        if not (root / "dvc.yaml").is_file() or len(packages) != 1:
            raise ScaffoldError(
                "not a scaffold project (expected dvc.yaml and one src/<package>/stages/)",
                file=root.resolve(),
                hint="run it in a project made by `scaffold new`, or pass --project",
            )
        return cls(root, packages[0])


def parse_params(pairs: tuple[str, ...]) -> dict[str, Any]:
    """`KEY=VALUE` pairs, each value typed as YAML would type it (int, float, bool or string)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, separator, raw = pair.partition("=")
        if not separator or not key.isidentifier() or keyword.iskeyword(key):
            raise ScaffoldError(f"--params expects KEY=VALUE with KEY a Python identifier, got {pair!r}")
        params[key] = _typed(raw)
    return params


def _typed(raw: str) -> Any:
    lowered = raw.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def _paths(entries: Any) -> list[str]:
    """Paths of a stage's deps/outs/metrics/plots list, whose items are strings or one-key mappings."""
    return [str(next(iter(entry))) if isinstance(entry, dict) else str(entry) for entry in entries or []]


def _outputs(stage: Any) -> list[str]:
    return [path for key in ("outs", "metrics", "plots") for path in _paths(stage.get(key))]


def plan_stage(project: Project, request: StageRequest) -> Plan:
    """Compute every file's new text for `request`, or raise a ScaffoldError before anything is written."""
    name, root = request.name, project.root
    _check_name(name)
    dvc = yamlio.load(project.dvc_yaml)
    stages = dvc.get("stages") if isinstance(dvc, dict) else None
    if not isinstance(stages, dict):
        raise ScaffoldError("has no `stages:` mapping", file=project.dvc_yaml, line=1)
    if name in stages:
        line = stages.lc.key(name)[0] + 1
        raise ScaffoldError(f"stage {name!r} already exists", file=project.dvc_yaml, line=line)
    module = root / "src" / project.package / "stages" / f"{name}.py"
    if module.exists():
        raise ScaffoldError(f"stage module {name!r} already exists", file=module)
    order = list(stages)
    after = request.after or (order[-1] if order else None)
    if request.after is not None and request.after not in stages:
        raise ScaffoldError(f"--after {request.after!r}: no such stage (stages: {', '.join(order)})")

    inputs = list(request.deps)
    if not inputs and after is not None:
        inputs = _paths(stages[after].get("outs"))
    if not inputs:
        raise ScaffoldError(f"stage {after!r} has no outs to read: give --deps", file=project.dvc_yaml)
    not_frames = [path for path in inputs if not path.endswith(".csv")]
    if not_frames:
        raise ScaffoldError(
            f"{not_frames[0]}: a stage made by add-stage reads CSV frames", hint="give --deps"
        )
    outputs = list(request.outs) or [f"data/{name}/{Path(path).name}" for path in inputs]
    if len(outputs) != len(inputs):
        raise ScaffoldError(f"give one --outs per input: {len(inputs)} inputs, {len(outputs)} outs")

    code = stage_code.StageCode(
        name, project.package, request.params, request.metrics is not None, request.plots is not None
    )
    source = stage_code.module_source(root, code)
    code_deps = _code_deps(project, module, source)
    at_end = after is None or after == order[-1]
    stage = _stage_entry(project, name, (inputs, code_deps, outputs), request, blank_line_after=not at_end)
    notes = _rewire(stages, after, dict(zip(inputs, outputs, strict=True))) if request.after else []
    stages.insert(order.index(after) + 1 if after else 0, name, stage)
    if at_end and order:
        stages.yaml_set_comment_before_after_key(name, before="\n", indent=2)
    _check_pipeline(project, stages, name, [*inputs, *request.deps])

    contents = {project.dvc_yaml: yamlio.dump(dvc)}
    if request.params:
        contents[project.params_yaml] = _params_text(project, name, request.params)
    contents[module] = source
    contents[root / "tests" / "stages" / f"test_{name}.py"] = stage_code.test_source(root, code)
    return Plan(root, contents, notes)


def _check_name(name: str) -> None:
    if not STAGE_NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ScaffoldError(
            f"stage name {name!r} must be a lower-case Python identifier of at most 40 characters"
        )


def _code_deps(project: Project, module: Path, code: str) -> list[str]:
    """The new module and every module of the package it imports, directly or not: its deps besides the
    frames it reads, in the template's order (its own module, then the others by path)."""
    own = module.relative_to(project.root).as_posix()

    def read(relative: str) -> str | None:
        if relative == own:
            return code
        path = project.root / relative
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None

    imported = ImportGraph(project.package, read).closure(own)
    return [own, *(path for path in imported if path != own)]


def _stage_entry(
    project: Project,
    name: str,
    files: tuple[list[str], list[str], list[str]],
    request: StageRequest,
    *,
    blank_line_after: bool,
) -> Any:
    """The dvc.yaml mapping of the new stage, built from YAML text so it takes the file's style. `files`:
    the frames it reads, the modules it runs, the frames it writes (one per frame read)."""
    inputs, code_deps, outputs = files
    pairs = " ".join(
        f"--input {shlex.quote(i)} --output {shlex.quote(o)}" for i, o in zip(inputs, outputs, strict=True)
    )
    command = f"python -m {project.package}.stages.{name} {pairs}"
    lines = [f"{name}:", f"  cmd: {command}", "  deps:"]
    lines += [f"    - {path}" for path in [*inputs, *code_deps]]
    if request.params:
        lines += ["  params:", f"    - {name}"]
    lines += ["  outs:", *(f"    - {path}" for path in outputs)]
    for key, path in (("metrics", request.metrics), ("plots", request.plots)):
        if path is not None:
            lines += [f"  {key}:", f"    - {path}:", "        cache: false"]
    if request.metrics is not None:
        lines[1] += f" --metrics {shlex.quote(request.metrics)}"
    if request.plots is not None:
        lines[1] += f" --plots {shlex.quote(request.plots)}"
    ending = "\n\n" if blank_line_after else "\n"  # the blank line that separates stages in the template
    block = yamlio.load_text("\n".join(lines) + ending, Path("<new stage>"))
    return block[name]


def _rewire(stages: Any, after: str, replacements: dict[str, str]) -> list[str]:
    """Point the stages that read `after`'s outputs at the new stage's outputs instead."""
    notes = []
    for other, stage in stages.items():
        if other == after:
            continue
        deps = stage.get("deps") or []
        for index, dep in enumerate(deps):
            if isinstance(dep, str) and dep in replacements:
                deps[index] = replacements[dep]
                tokens = shlex.split(str(stage.get("cmd", "")))
                if dep in tokens:
                    stage["cmd"] = " ".join(replacements[dep] if t == dep else shlex.quote(t) for t in tokens)
                else:
                    new = replacements[dep]
                    notes.append(f"stage {other!r} now depends on {new}, but its cmd does not name {dep}")
    return notes


def _check_pipeline(project: Project, stages: Any, name: str, deps: list[str]) -> None:
    """Outputs owned once, deps provided, no cycle: the checks `dvc repro` would fail on later."""
    owners = {path: other for other, stage in stages.items() if other != name for path in _outputs(stage)}
    for path in _outputs(stages[name]):
        clash = next((owned for owned in owners if _overlap(owned, path)), None)
        if clash is not None:
            raise ScaffoldError(f"output {path} overlaps {clash}, owned by stage {owners[clash]!r}")
    owners.update(dict.fromkeys(_outputs(stages[name]), name))
    for dep in deps:
        if dep not in owners and not (project.root / dep).exists():
            raise ScaffoldError(f"dependency {dep} does not exist and no stage produces it")
    graph = {
        stage_name: {owners[dep] for dep in _paths(stage.get("deps")) if dep in owners}
        for stage_name, stage in stages.items()
    }
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> None:
        if node in done:
            return
        if node in visiting:
            cycle = " -> ".join([*visiting[visiting.index(node) :], node])
            raise ScaffoldError(f"adding stage {name!r} would make a cycle: {cycle}")
        visiting.append(node)
        for upstream in sorted(graph[node]):
            visit(upstream)
        visiting.pop()
        done.add(node)

    for node in graph:
        visit(node)


def _overlap(first: str, second: str) -> bool:
    """The same path, or one inside the other: DVC lets only one stage own it."""
    return first == second or second.startswith(first + "/") or first.startswith(second + "/")


def _params_text(project: Project, name: str, params: dict[str, Any]) -> str:
    path = project.params_yaml
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    document = yamlio.load_text(text, path) if text.strip() else None
    if document is not None and not isinstance(document, dict):
        raise ScaffoldError("expected a mapping of stage sections", file=path, line=1)
    if document is not None and name in document:
        line = document.lc.key(name)[0] + 1
        raise ScaffoldError(f"section {name!r} already exists", file=path, line=line)
    section = yamlio.dump({name: params})
    separator = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    return text + separator + section
