{%- import "inferred/macros.j2" as lit -%}
{%- set spec = cookiecutter._data_spec -%}
{%- set numeric = spec.columns | selectattr("role", "equalto", "numeric") | map(attribute="name") | list -%}
{%- set boolean = spec.columns | selectattr("role", "equalto", "boolean") | map(attribute="name") | list -%}
{%- set categorical = spec.columns | selectattr("role", "equalto", "categorical") | list -%}
"""The feature spec of your table: which columns the model reads, and what it predicts.

Inferred by `scaffold new --data` from the table's {{ "{:,}".format(spec.rows) }} rows: the task from the target's values, each
feature's kind from its values (docs/your-data.md states the rules). The one place the schemas, the pipeline,
serving and monitoring take columns from: edit it like any other file. The table:
    {{ spec.source }}
{%- if spec.dropped %}

Columns of the table that are not features:
{%- for item in spec.dropped %}
- {{ item.name | tojson }}: {{ item.reason }}
{%- endfor %}
{%- endif %}
"""

from typing import Final, Literal

TASK: Final[Literal["binary", "multiclass", "regression"]] = "{{ spec.task }}"
TARGET: Final = {{ lit.py(spec.target) }}
{%- if spec.task == "binary" %}
# The target's values; the last is the positive class, whose probability is served.
{%- elif spec.task == "multiclass" %}
# The target's values.
{%- else %}
# A regression target is a number, not a class.
{%- endif %}
CLASSES: Final[tuple[int | str, ...]] = {{ lit.tuple_of(spec.classes) }}
ID_COLUMN: Final[str | None] = {{ lit.py(spec.id_column) }}  # identifies a row, is not a feature
{% if categorical %}
CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
{%- for column in categorical %}
    {{ lit.py(column.name) }}: {{ lit.tuple_of(column.categories, "    ") }},
{%- endfor %}
}
{%- else %}
CATEGORIES: Final[dict[str, tuple[str, ...]]] = {}
{%- endif %}
CATEGORICAL_FEATURES: Final = tuple(CATEGORIES)
NUMERIC_FEATURES: Final[tuple[str, ...]] = {{ lit.tuple_of(numeric) }}
BOOLEAN_FEATURES: Final[tuple[str, ...]] = {{ lit.tuple_of(boolean) }}
FEATURES: Final = NUMERIC_FEATURES + BOOLEAN_FEATURES + CATEGORICAL_FEATURES
# Features about a person: the inference log never holds their raw values (a keyed hash, or nothing when no
# key is set: serve/inference_log.py) and drift monitoring leaves them out. `scaffold new --personal` named
# them (without it: the protected attribute, when it is a feature).
PERSONAL_FEATURES: Final[tuple[str, ...]] = {{ lit.tuple_of(spec.personal | default([])) }}
