"""The rule families, one module each, named by family; each lists its rules (`RULES`) and the fixtures only
its rules use (`FIXTURES`). The engine collects them from `FAMILIES`."""

from __future__ import annotations

from . import (
    containers,
    contract,
    data,
    deprecated_api,
    params,
    pipeline,
    structure,
    template_version,
    workflows,
)

FAMILIES = (
    structure,  # ST
    pipeline,  # DV
    params,  # PA
    data,  # DA
    contract,  # MC
    workflows,  # CI
    containers,  # DK
    template_version,  # TV
    deprecated_api,  # AP
)
