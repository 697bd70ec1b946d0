"""Where a template version comes from: the installed package when it is that version, else a git clone.

The installed scaffold carries one template, whose `_template_version` is the package's version; any other
version is the tag `vVERSION` of the template's repository (recorded in the answers file), cloned shallowly.
`--to-git URL@REF` names a repository and any ref directly: a branch, a tag, HEAD or a commit id. Local paths
and file:// URLs work offline.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import ScaffoldError


@dataclass(frozen=True)
class TemplateSource:
    """A template directory on disk (it holds cookiecutter.json) and the version it declares."""

    directory: Path
    version: str
    origin: str  # "the installed scaffold", or "URL@REF": for messages

    @property
    def config(self) -> dict[str, object]:
        return read_config(self.directory)


def read_config(directory: Path) -> dict[str, object]:
    path = directory / "cookiecutter.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ScaffoldError(f"not a readable template configuration: {error}", file=path) from error
    if not isinstance(config, dict):
        raise ScaffoldError("a template configuration must be a JSON object", file=path)
    return config


def installed_template() -> TemplateSource:
    from ..render import template_dir

    directory = template_dir()
    return TemplateSource(directory, str(read_config(directory).get("_template_version", "")), "installed")


def parse_git_target(target: str) -> tuple[str, str]:
    """`URL@REF` -> (URL, REF); the REF is after the last `@` (so `git@host:org/repo@v2` works)."""
    url, separator, ref = target.rpartition("@")
    if not separator or not url or not ref or ":" in ref:
        raise ScaffoldError(f"--to-git expects URL@REF (a branch, tag, HEAD or commit), got {target!r}")
    return url, ref


FULL_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256


def clone_template(url: str, ref: str, workdir: Path) -> TemplateSource:
    """A checkout of `url` at `ref` (branch, tag, HEAD or commit id), and the template directory inside it."""
    destination = workdir / f"clone-{len(list(workdir.iterdir()))}"
    reason = check_out(url, ref, destination)
    if reason is not None:
        raise ScaffoldError(f"cannot fetch the template at {url}@{ref}: {reason}")
    directory = template_in(destination)
    return TemplateSource(directory, str(read_config(directory).get("_template_version", "")), f"{url}@{ref}")


def check_out(url: str, ref: str, destination: Path) -> str | None:
    """Check out `url` at `ref` into `destination`; None when done, else why not (git's last word).

    The common case, a branch or tag (or HEAD), is one shallow clone. A full commit id is one shallow fetch
    (servers answer it: protocol v2, GitHub, a local repository). Anything else, a short commit id or a ref
    the server refuses to fetch by id, takes a clone without file contents, then a checkout of the commit.
    """
    if "://" not in url and Path(url).exists():
        url = str(Path(url).absolute())  # a relative path must not change meaning in the fetch's directory
    if FULL_COMMIT_ID.fullmatch(ref.lower()):
        destination.mkdir(parents=True)
        fetched = _git(destination, "init", "--quiet") or _git(
            destination, "fetch", "--quiet", "--depth", "1", "--", url, ref
        )
        if fetched is None and _git(destination, "checkout", "--quiet", "--detach", "FETCH_HEAD") is None:
            return None
    else:
        branch = [] if ref == "HEAD" else ["--branch", ref]
        if _git(None, "clone", "--quiet", "--depth", "1", *branch, "--", url, str(destination)) is None:
            return None
    shutil.rmtree(destination, ignore_errors=True)
    without_contents = ["--no-checkout", "--filter=blob:none"]  # the commit's files come with the checkout
    reason = _git(None, "clone", "--quiet", *without_contents, "--", url, str(destination))
    if reason is not None:
        return reason
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
        cwd=destination,
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        return f"it has no branch, tag or commit {ref!r}"
    return _git(destination, "checkout", "--quiet", "--detach", found.stdout.strip())


def _git(cwd: Path | None, *args: str) -> str | None:
    """Run git; None when it succeeds, else the last line of what it said."""
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode == 0:
        return None
    return (result.stderr.strip().splitlines() or [f"git {args[0]} failed"])[-1]


def template_in(checkout: Path) -> Path:
    """The template inside a repository: `template/` (ours, a nested-templates layout) or the root."""
    for candidate in (checkout / "template", checkout):
        if (candidate / "cookiecutter.json").is_file() and "templates" not in read_config(candidate):
            return candidate
    raise ScaffoldError(f"{checkout.name}: no cookiecutter template found (no template/cookiecutter.json)")


def template_at_version(version: str, repo: str | None, workdir: Path) -> TemplateSource:
    """The template at `version`: installed when it matches, else tag `vVERSION` of `repo`."""
    installed = installed_template()
    if installed.version == version:
        return installed
    if not repo:
        raise ScaffoldError(
            f"template {version} is not available: the installed scaffold has template {installed.version} "
            "and the answers file records no `_template_repo` to fetch it from",
            hint=f"install scaffold {version}, or pass --to-git URL@REF",
        )
    try:
        return clone_template(repo, f"v{version}", workdir)
    except ScaffoldError as error:
        raise ScaffoldError(
            f"template {version} is not available: the installed scaffold has template "
            f"{installed.version}, and {error.message}",
            hint=f"install scaffold {version}, or check the network and that tag v{version} exists",
        ) from error
