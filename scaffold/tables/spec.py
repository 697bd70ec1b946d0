"""The data spec inferred from a user's table: what the template renders features.py and schemas.py from.

Plain data (JSON), recorded in the project's answers file as `_data_spec` (never the data itself), so
`scaffold update` renders the same feature spec and schema again, and `scaffold check` knows them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Column:
    name: str  # as in the table: the data, the pipeline, the contract and the API keep it
    role: str  # "target", "id", "numeric", "boolean" or "categorical"
    dtype: str  # "int", "float", "str" or "bool"
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    categories: list[Any] | None = None  # allowed values (a category's, or a target's classes)
    unique: bool = False
    attribute: str = ""  # the Python name of the schema's field (an alias when it differs from `name`)

    def with_attribute(self, attribute: str) -> Column:
        return replace(self, attribute=attribute)


@dataclass(frozen=True)
class DataSpec:
    source: str  # the file's name, kept under data/raw/
    format: str  # "csv" or "parquet"
    rows: int
    task: str
    target: str
    classes: list[Any]
    id_column: str | None
    protected_attribute: str | None
    columns: list[Column]
    dropped: list[dict[str, str]] = field(default_factory=list)
    defaults: dict[str, Any] = field(default_factory=dict)
    personal: list[str] = field(default_factory=list)  # features the inference log keeps hashed or drops

    def of_role(self, *roles: str) -> list[Column]:
        return [column for column in self.columns if column.role in roles]

    def to_context(self) -> dict[str, Any]:
        """The spec as the template reads it (`cookiecutter._data_spec`)."""
        return asdict(self)

    @classmethod
    def from_context(cls, data: dict[str, Any]) -> DataSpec:
        return cls(**{**data, "columns": [Column(**column) for column in data["columns"]]})
