"""The docs site builds with `mkdocs build --strict`; every page is in the nav and built."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]
PAGES = (
    "index",
    "getting-started",
    "template",
    "project",
    "contract",
    "serving",
    "monitoring",
    "cli",
    "benchmarks",
)


def built_page(site: Path, page: str) -> Path:
    """Where mkdocs writes a page with directory URLs (its default)."""
    return site / "index.html" if page == "index" else site / page / "index.html"


def test_docs_build_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"

    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert (site / "index.html").is_file()
    assert [page for page in PAGES if not built_page(site, page).is_file()] == []
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    assert [Path(file).stem for entry in nav for file in entry.values()] == list(PAGES)
    assert sorted(path.stem for path in (ROOT / "docs").glob("*.md")) == sorted(PAGES)
