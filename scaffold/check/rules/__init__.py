"""The rule families; importing this package registers every rule."""

from . import (  # noqa: F401
    containers,
    contract,
    data,
    deprecated_api,
    pipeline,
    pyproject,
    structure,
    template_version,
    workflows,
)
