"""Turn the rendered files into a working project: git, the data tracked by DVC, a lock file.

Runs under plain `cookiecutter` as well as `scaffold new`, from the new project's directory, so it uses the
standard library only and treats git, DVC and uv as optional: a missing tool is skipped with a note saying
what to run instead. DVC is used through its Python API when the interpreter running cookiecutter has it (one
import instead of three `dvc` processes); `scaffold` depends on DVC, so `scaffold new` always has it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = {{ cookiecutter.package_name | tojson }}
SLUG = {{ cookiecutter.project_slug | tojson }}
DVC_REMOTE = {{ cookiecutter.dvc_remote | tojson }}
DVC_REMOTE_URL = {{ cookiecutter.dvc_remote_url | tojson }}
ANSWERS_FILE = Path(".scaffold-answers.json")
CONTEXT = json.loads({{ cookiecutter | jsonify | tojson }})
# Cookiecutter does not render private (`_`) variables: their cookiecutter.NAME placeholders are filled here.
PLACEHOLDER = re.compile(r"\{\{\s*cookiecutter\.(\w+)\s*\}\}")
# Files rendered for every answer but kept only for some, declared once in cookiecutter.json: a path listed
# under a variable stays only when its answer is one of the values that list it (no LICENSE when Proprietary).
# `scaffold check` (TV102) and `scaffold update` read the same declaration.
FILES_FOR = {{ cookiecutter._files_for | tojson }}


def filled(path: str) -> Path:
    return Path(PLACEHOLDER.sub(lambda found: str(CONTEXT[found.group(1)]), path))


def unchosen_files() -> list[Path]:
    unchosen = []
    for variable, lists in FILES_FOR.items():
        keeping: dict[str, set[str]] = {}
        for value, paths in lists.items():
            for path in paths:
                keeping.setdefault(path, set()).add(value)
        unchosen += [filled(path) for path, values in keeping.items() if CONTEXT[variable] not in values]
    return unchosen


SAMPLE_DATA = filled({{ cookiecutter._sample_data | tojson }})  # `scaffold update` reads its name there too
OWN_DATA = CONTEXT["_data_source"] == "own"  # `scaffold new --data FILE`: the user's table, not the example


def record_answers() -> None:
    """The answers and the template version, in cookiecutter's replay format: `scaffold update` and
    `scaffold check` read them; `cookiecutter --replay-file .scaffold-answers.json` renders the same project."""
    answers = {key: value for key, value in CONTEXT.items() if not key.startswith("_")}
    for key in ("_template_version", "_template_repo", "_data_source"):
        answers[key] = CONTEXT[key]
    if OWN_DATA:  # the spec inferred from the user's table (never the data): an update renders the same files
        answers["_data_spec"] = CONTEXT["_data_spec"]
    ANSWERS_FILE.write_text(json.dumps({"cookiecutter": answers}, indent=2, sort_keys=True) + "\n")


def remove_unchosen_files() -> None:
    for path in unchosen_files():
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def run(*command: str) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def init_git(notes: list[str]) -> bool:
    if shutil.which("git") is None:
        notes.append("git is not installed: run `git init` once it is.")
        return False
    run("git", "init", "--quiet", "--initial-branch=main")
    return True


def write_raw_data() -> None:
    """The user's table, copied as it is; or the example's data."""
    if OWN_DATA:
        SAMPLE_DATA.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CONTEXT["_data_file"], SAMPLE_DATA)
    else:
        write_sample_data()


def write_sample_data() -> None:
    """Generate the example's data with the project's own generator (it is standard library only).

    Importing it must not compile the project's modules into `src/<package>/__pycache__/`: a new project
    holds only what the template and the hook write.
    """
    sys.path.insert(0, str(Path("src").resolve()))
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        from importlib import import_module

        import_module(f"{PACKAGE}.example_data").write_csv(SAMPLE_DATA)
    finally:
        sys.dont_write_bytecode = writes_bytecode
        sys.path.pop(0)


def write_prometheus_rules(notes: list[str]) -> None:
    """monitoring/prometheus/ from the contract, by the project's own generator (`make rules` runs it too),
    and on Kubernetes the same rules and the scrape as k8s/base/prometheusrule.yaml and servicemonitor.yaml.

    It needs PyYAML, which cookiecutter itself depends on; the import leaves no bytecode behind either.
    """
    sys.path.insert(0, str(Path("src").resolve()))
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        from importlib import import_module

        rules = import_module(f"{PACKAGE}.monitor.rules")
        rules.write(k8s_base=rules.kubernetes_base())
    except ImportError as error:
        notes.append(f"monitoring/prometheus/ not written ({error}): run `make rules` after `make setup`.")
    finally:
        sys.dont_write_bytecode = writes_bytecode
        sys.path.pop(0)


def remote_url() -> str:
    if DVC_REMOTE_URL:
        return DVC_REMOTE_URL
    if DVC_REMOTE == "local":
        data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return str(Path(data_home) / "dvc-storage" / SLUG)
    scheme = {"s3": "s3", "gcs": "gs", "azure": "azure"}[DVC_REMOTE]
    return f"{scheme}://{SLUG}-dvc-storage"


def track_data_with_dvc(notes: list[str], has_git: bool) -> None:
    """`dvc init`, the default remote and `dvc add` of the sample, through DVC's Python API."""
    try:
        from dvc.repo import Repo
    except ImportError:
        notes.append(
            "DVC is not installed here: after `make setup`, run `uv run dvc init`, "
            f"`uv run dvc remote add --default {DVC_REMOTE} {remote_url()}` "
            f"and `uv run dvc add {SAMPLE_DATA}`."
        )
        return
    import logging

    logging.getLogger("dvc").setLevel(logging.WARNING)  # its "now run git add" advice is the hook's job
    repo = Repo.init(".", no_scm=not has_git)
    with repo.config.edit() as config:
        config["remote"][DVC_REMOTE] = {"url": remote_url()}
        config["core"]["remote"] = DVC_REMOTE
    repo.add(str(SAMPLE_DATA))
    if OWN_DATA and DVC_REMOTE == "local":  # versioned where `dvc pull` finds it, from the start
        repo.push()
    elif OWN_DATA:
        notes.append(f"your data is tracked by DVC but not uploaded: `uv run dvc push` sends it to {remote_url()}")
    repo.close()


def lock_dependencies(notes: list[str]) -> None:
    uv = shutil.which("uv")
    if uv is None:
        notes.append("uv is not installed: `python3 -m pip install uv`, then `make setup` writes uv.lock.")
        return
    try:  # the cache usually has everything; only go to the index when it does not
        run(uv, "lock", "--quiet", "--offline")
    except subprocess.CalledProcessError:
        try:
            run(uv, "lock", "--quiet")
        except subprocess.CalledProcessError as error:
            notes.append(f"`uv lock` failed ({error.stderr.strip()}): run `make setup` when online.")


def stage_everything(has_git: bool) -> None:
    if has_git:
        run("git", "add", "--all")


def print_next_steps(notes: list[str]) -> None:
    lines = [*(f"note: {note}" for note in notes), "Next steps:", f"  cd {SLUG}"]
    lines += ["  make setup    # uv sync", "  make repro    # dvc repro", "  make test     # pytest"]
    if has_git_identity():
        lines.append('  git commit -m "Start from the scaffold template"')
    print("\n".join(lines))


def has_git_identity() -> bool:
    return shutil.which("git") is not None and subprocess.run(
        ["git", "config", "user.email"], capture_output=True, check=False
    ).returncode == 0


def main() -> None:
    notes: list[str] = []
    record_answers()
    remove_unchosen_files()
    write_prometheus_rules(notes)
    if CONTEXT.get("_files_only"):  # `scaffold update` renders the files to diff: no git, DVC, data or lock
        return
    has_git = init_git(notes)
    write_raw_data()
    track_data_with_dvc(notes, has_git)
    lock_dependencies(notes)
    stage_everything(has_git)
    print_next_steps(notes)


if __name__ == "__main__":
    main()
