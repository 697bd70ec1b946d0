{%- import "inferred/macros.j2" as lit -%}
{%- set spec = cookiecutter._data_spec -%}
{%- macro field(column) -%}
{%- set arguments = [] -%}
{%- if column.attribute != column.name %}{% set _ = arguments.append("alias=" ~ lit.py(column.name)) %}{% endif -%}
{%- if column.role == "categorical" %}{% set _ = arguments.append("isin=CATEGORIES[" ~ lit.py(column.name) ~ "]") %}{% endif -%}
{%- if column.role == "target" and column.categories %}{% set _ = arguments.append("isin=CLASSES") %}{% endif -%}
{%- if column.minimum is not none %}{% set _ = arguments.append("ge=" ~ column.minimum) %}{% endif -%}
{%- if column.maximum is not none %}{% set _ = arguments.append("le=" ~ column.maximum) %}{% endif -%}
{%- if column.unique %}{% set _ = arguments.append("unique=True") %}{% endif -%}
{%- if column.nullable %}{% set _ = arguments.append("nullable=True") %}{% endif -%}
{%- set head = "    " ~ column.attribute ~ ": Series[" ~ column.dtype ~ "] = pa.Field(" -%}
{%- set inline = arguments | join(", ") -%}
{%- if (head ~ inline ~ ")") | length <= 110 -%}
{{ head }}{{ inline }})
{%- elif ("        " ~ inline) | length <= 110 -%}
{{ head }}
        {{ inline }}
    )
{%- else -%}
{{ head }}
{%- for argument in arguments %}
        {{ argument }},
{%- endfor %}
    )
{%- endif -%}
{%- endmacro -%}
class ProcessedData(Schema):
    """One row of the table: the model's features and the target.

    The checks were inferred from the table's values: a column may be missing where any value was, numbers
    stay within the observed range widened by 10% of its span each side (never below 0 where no value was),
    categories are the values seen. Tighten or widen them as you know the data.
    """

{% for column in spec.columns if column.role != "id" -%}
{{ field(column) }}
{% endfor %}

class RawData(ProcessedData):
{%- if spec.id_column is not none %}
    """The raw table: the processed columns plus its unique id."""
{% for column in spec.columns if column.role == "id" %}
{{ field(column) }}
{%- endfor %}
{%- else %}
    """The raw table: the same columns as the processed one (it has no id column)."""
{%- endif %}
