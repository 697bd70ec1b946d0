"""Supply chain: `make sbom` lists exactly what the serving image installs, from the lock file and offline;
the CI audits those same locked dependencies (pip-audit needs the network: here its command is checked)."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def runtime_packages() -> set[str]:
    """What uv.lock installs for the project without its dev groups: its dependencies, transitively."""
    lock = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text(encoding="utf-8"))
    packages = {package["name"]: package for package in lock["package"]}
    [project] = [package for package in packages.values() if package.get("source", {}).get("editable") == "."]
    found: set[tuple[str, str | None]] = set()  # (package, extra): `uvicorn[standard]` brings more
    waiting = list(project.get("dependencies", []))
    while waiting:
        dependency = waiting.pop()
        for extra in dependency.get("extra", [None]):
            if (dependency["name"], extra) not in found:
                found.add((dependency["name"], extra))
                package = packages[dependency["name"]]
                waiting += package.get("dependencies", []) if extra is None else []
                waiting += package.get("optional-dependencies", {}).get(extra, [])
                waiting.append({"name": dependency["name"]})  # an extra installs the package itself too
    return {name for name, _ in found}


def test_the_sbom_lists_exactly_what_the_serving_image_installs(tmp_path: Path) -> None:
    sbom = tmp_path / "sbom.cdx.json"
    made = subprocess.run(
        ["make", "--no-print-directory", "sbom", f"SBOM={sbom}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    document = json.loads(sbom.read_text(encoding="utf-8"))
    assert (document["bomFormat"], document["specVersion"]) == ("CycloneDX", "1.5")
    components = {component["name"] for component in document["components"]}
    assert components == runtime_packages()
    assert all(component.get("version") for component in document["components"])
    assert "pytest" not in components  # a dev tool is not in the image


def test_the_image_installs_the_lock_without_dev_as_the_sbom_says() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile.serve").read_text(encoding="utf-8")
    installs = re.findall(r"uv sync ([^\n]*)", dockerfile)
    assert installs and all("--locked" in flags and "--no-dev" in flags for flags in installs)


def test_the_audit_reads_the_same_locked_dependencies() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\naudit:", 1)[1].split("\n\n", 1)[0]
    assert "uv export --format requirements.txt --frozen --no-dev" in recipe
    assert re.search(r"uvx pip-audit==[\d.]+ --requirement \S+ --disable-pip --strict", recipe)
