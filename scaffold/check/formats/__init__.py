"""The output formats of `scaffold check`: one small renderer per format, each `render(report, rules) -> str`.

Every renderer is deterministic: findings sorted by path, line, column and code; paths relative to the
project; no timestamps or absolute paths, so the output can be compared byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable

from ..base import Report, Rule
from . import concise, github, gitlab, json, markdown, sarif, text

Renderer = Callable[[Report, dict[str, type[Rule]]], str]

FORMATS: dict[str, Renderer] = {
    "text": text.render,
    "concise": concise.render,
    "json": json.render,
    "github": github.render,
    "gitlab": gitlab.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
}
