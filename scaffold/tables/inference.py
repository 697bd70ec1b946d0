"""From a table's profile to its data spec: the task, the feature spec and the schema's checks, said out loud.

The rules (docs/your-data.md states them for users):
- the task, unless given: a target of text or flags is `binary` with two values and `multiclass` with more
  (at most 50); a numeric target with two values is `binary`, whole numbers with 3 to 10 values are
  `multiclass`, anything else numeric is `regression`;
- for a binary target, the positive class (the one whose probability is served) is `1`/`True` when the values
  are 0/1 or flags, else the less frequent class (the event a model is usually built to find);
- features: every column but the target and the id; numbers are numeric features, flags boolean ones, text
  with at most 50 distinct values categorical; a column that is empty, constant, free text (more distinct
  values) or of another type (dates) is dropped, with a note;
- checks: a column may be missing where any value is; numbers stay within the observed range widened by 10%
  of its span on each side (never below 0 where no value was), whole numbers are integers; categories are the
  observed values; the id is unique;
- defaults that depend on the size: the test share (20%, at most 100,000 test rows), the drift check's
  minimum rows, and the trees' minimum leaf size.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable
from typing import Any

from ..errors import ScaffoldError
from .profile import MAX_DISTINCT, ColumnProfile, TableProfile
from .spec import Column, DataSpec

TASKS = ("binary", "multiclass", "regression")
MAX_CLASSES = MAX_DISTINCT
MAX_ORDINAL_CLASSES = 10  # whole-number targets with up to this many values are classes
MARGIN = 0.10  # of the observed span, added to each side of a numeric column's bounds
MAX_TEST_ROWS = 100_000


def infer(
    table: TableProfile,
    *,
    target: str,
    task: str | None = None,
    id_column: str | None = None,
    protected_attribute: str | None = None,
    personal: tuple[str, ...] = (),
    say: Callable[[str], None] = print,
) -> DataSpec:
    """The data spec of `table`, or a ScaffoldError naming what is wrong with the table or the options."""
    columns = table.columns
    for option, name in (
        ("--target", target),
        ("--id-column", id_column),
        ("--protected-attribute", protected_attribute),
        *(("--personal", name) for name in personal),
    ):
        if name is not None and name not in columns:
            raise ScaffoldError(
                f"{option} {name!r} is not a column of the table{close_matches(name, columns)}",
                file=table.path,
            )
    if target in (id_column,):
        raise ScaffoldError(f"--target and --id-column name the same column {target!r}", file=table.path)
    if target in personal:
        raise ScaffoldError(
            f"--personal {target!r} is the target: the service never receives it", file=table.path
        )
    target_profile = columns[target]
    chosen = task or infer_task(target_profile, table)
    classes = check_target(target_profile, chosen, table)
    if id_column is not None and table.duplicated_ids:
        raise ScaffoldError(
            f"--id-column {id_column!r} has {table.duplicated_ids} duplicate value(s): an id must be unique",
            file=table.path,
        )
    if task is None:
        say(f"task: {chosen} (inferred from the target {target!r}: {describe_target(target_profile)})")
    spec_columns, dropped = [], []
    for name, column in columns.items():
        if name == target:
            spec_columns.append(target_column(column, chosen, classes))
        elif name == id_column:
            spec_columns.append(id_spec(column))
        else:
            feature, reason = feature_column(column)
            if feature is None:
                dropped.append({"name": name, "reason": reason})
                say(f"note: column {name!r} is not a feature: {reason}")
            else:
                spec_columns.append(feature)
    if not any(column.role in ("numeric", "boolean", "categorical") for column in spec_columns):
        raise ScaffoldError("has no column that can be a feature (see the notes above)", file=table.path)
    if protected_attribute is not None and protected_attribute in {item["name"] for item in dropped}:
        say(f"note: {protected_attribute!r} is not a feature, but fairness is measured on it")
    attributes = unique_attributes([column.name for column in spec_columns])
    spec_columns = [column.with_attribute(attributes[column.name]) for column in spec_columns]
    return DataSpec(
        source=table.path.name,
        format=table.format,
        rows=table.rows,
        task=chosen,
        target=target,
        classes=classes,
        id_column=id_column,
        protected_attribute=protected_attribute,
        columns=spec_columns,
        dropped=dropped,
        defaults={**size_defaults(table.rows), **baseline(target_profile, chosen)},
        personal=personal_features(personal, protected_attribute, spec_columns, say),
    )


def personal_features(
    named: tuple[str, ...], protected_attribute: str | None, columns: list[Column], say: Callable[[str], None]
) -> list[str]:
    """The features the inference log must not hold raw: those named with --personal, else the protected
    attribute (a fact about a person by definition) when it is a feature. A named column that is not a
    feature (the id, a dropped column) never reaches the service: there is nothing to protect in its log."""
    features = {column.name for column in columns if column.role in ("numeric", "boolean", "categorical")}
    chosen = list(dict.fromkeys(named)) if named else [protected_attribute] if protected_attribute else []
    for name in chosen:
        if name not in features and named:
            say(f"note: --personal {name!r} is not a feature: the service never receives it, nor logs it")
    personal = [name for name in chosen if name in features]
    if personal and not named:
        say(f"note: {personal[0]!r}, the protected attribute, is personal: never logged raw (--personal)")
    return personal


def infer_task(target: ColumnProfile, table: TableProfile) -> str:
    values = target.distinct
    if target.kind == "boolean" or (target.kind == "text" and not target.many):
        return "binary" if len(values) == 2 else "multiclass"
    if target.kind == "number" and not target.many:
        if len(values) == 2:
            return "binary"
        if target.integral and len(values) <= MAX_ORDINAL_CLASSES:
            return "multiclass"
    if target.kind == "number":
        return "regression"
    raise ScaffoldError(
        f"--target {target.name!r} has more than {MAX_CLASSES} distinct text values: not classes to predict",
        file=table.path,
        hint="give a target with fewer classes, or a numeric one",
    )


def describe_target(target: ColumnProfile) -> str:
    if target.many:
        return f"numbers, more than {MAX_DISTINCT} distinct values"
    kind = (
        "whole numbers"
        if target.kind == "number" and target.integral
        else target.kind.replace("text", "text values")
    )
    return f"{kind}, {len(target.counts)} distinct value(s)"


def check_target(target: ColumnProfile, task: str, table: TableProfile) -> list[Any]:
    """The classes of a classification target (the positive class last for binary), [] for regression."""
    where = {"file": table.path}
    if target.present == 0:
        raise ScaffoldError(f"--target {target.name!r} is empty: no value to learn", **where)
    if target.nulls:
        raise ScaffoldError(
            f"--target {target.name!r} is missing in {target.nulls} row(s): drop them first", **where
        )
    if task == "regression":
        if target.kind != "number":
            raise ScaffoldError(
                f"--task regression needs a numeric target; {target.name!r} holds {target.kind}", **where
            )
        if target.minimum == target.maximum:
            raise ScaffoldError(f"--target {target.name!r} has one value only: nothing to learn", **where)
        return []
    if target.many:
        raise ScaffoldError(
            f"--task {task}: --target {target.name!r} has more than {MAX_CLASSES} values", **where
        )
    classes = [python_value(value, target) for value in target.distinct]
    if len(classes) < 2:
        raise ScaffoldError(
            f"--target {target.name!r} has one class only ({classes[0]!r}): nothing to learn", **where
        )
    if task == "binary" and len(classes) != 2:
        raise ScaffoldError(f"--task binary needs two classes; {target.name!r} has {len(classes)}", **where)
    if task == "multiclass" and len(classes) < 3:
        raise ScaffoldError(
            f"--task multiclass needs three classes or more; {target.name!r} has two", **where
        )
    if task == "binary" and set(classes) not in ({0, 1}, {False, True}):
        counts = {python_value(value, target): count for value, count in target.counts.items()}
        positive = min(classes, key=lambda label: (counts[label], str(label)))
        classes = [label for label in classes if label != positive] + [positive]
    rare = [label for label in classes if target.counts.get(raw_value(label, target), 0) < 2]
    if rare:
        raise ScaffoldError(
            f"--target {target.name!r}: class {rare[0]!r} occurs once only: too rare to learn", **where
        )
    return classes


def python_value(value: Any, column: ColumnProfile) -> Any:
    """A class as the generated code writes it: whole numbers as ints."""
    if isinstance(value, float) and column.integral:
        return int(value)
    return value


def raw_value(label: Any, column: ColumnProfile) -> Any:
    return float(label) if column.kind == "number" else label


def target_column(column: ColumnProfile, task: str, classes: list[Any]) -> Column:
    if task == "regression":
        low, high = widened(column)
        dtype = "int" if column.integral else "float"
        return Column(
            column.name,
            "target",
            dtype,
            nullable=False,
            minimum=typed(low, dtype),
            maximum=typed(high, dtype),
        )
    dtype = (
        "bool"
        if column.kind == "boolean"
        else "int"
        if column.kind == "number" and column.integral
        else ("float" if column.kind == "number" else "str")
    )
    return Column(column.name, "target", dtype, nullable=False, categories=classes)


def id_spec(column: ColumnProfile) -> Column:
    dtype = "int" if column.kind == "number" and column.integral else "str"
    return Column(column.name, "id", dtype, nullable=column.nulls > 0, unique=True)


def feature_column(column: ColumnProfile) -> tuple[Column | None, str]:
    """The feature a column makes, or None and why not."""
    if column.present == 0:
        return None, "it is empty"
    if column.kind == "other":
        return None, "its values are not numbers, flags or text (dates? derive features from them in a stage)"
    if not column.many and len(column.counts) == 1:
        return None, f"it holds one value only ({next(iter(column.counts))!r})"
    nullable = column.nulls > 0
    if column.kind == "number":
        low, high = widened(column)
        dtype = "int" if column.integral and not nullable else "float"
        return Column(
            column.name,
            "numeric",
            dtype,
            nullable=nullable,
            minimum=typed(low, dtype),
            maximum=typed(high, dtype),
        ), ""
    if column.kind == "boolean":
        return Column(column.name, "boolean", "bool", nullable=nullable), ""
    if column.many:
        return None, f"free text or an identifier: more than {MAX_DISTINCT} distinct values"
    categories = [str(value) for value in column.distinct]
    return Column(column.name, "categorical", "str", nullable=nullable, categories=categories), ""


def typed(bound: float, dtype: str) -> float | int:
    return int(bound) if dtype == "int" else bound


def widened(column: ColumnProfile) -> tuple[float, float]:
    """The observed range, widened by MARGIN of its span each side, never below 0 if no value was."""
    low, high = float(column.minimum or 0.0), float(column.maximum or 0.0)
    margin = (high - low) * MARGIN or abs(high) * MARGIN or 1.0
    wide_low, wide_high = low - margin, high + margin
    if low >= 0:
        wide_low = max(0.0, wide_low)
    if column.integral:
        return float(math.floor(wide_low)), float(math.ceil(wide_high))
    return round_down(wide_low), round_up(wide_high)


def round_down(value: float) -> float:
    digits = significant(value)
    return math.floor(value * 10**digits) / 10**digits


def round_up(value: float) -> float:
    digits = significant(value)
    return math.ceil(value * 10**digits) / 10**digits


def significant(value: float) -> int:
    """Decimals that keep about four significant digits."""
    return max(0, 3 - math.floor(math.log10(abs(value)))) if value else 0


def unique_attributes(names: list[str]) -> dict[str, str]:
    """A Python identifier per column name (`mean radius` -> `mean_radius`): distinct, never a keyword."""
    attributes: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        base = re.sub(r"\W+", "_", name).strip("_").lower() or "column"
        if base[0].isdigit():
            base = f"column_{base}"
        if keyword.iskeyword(base) or keyword.issoftkeyword(base):
            base += "_"
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}_{number}", number + 1
        taken.add(candidate)
        attributes[name] = candidate
    return attributes


def size_defaults(rows: int) -> dict[str, Any]:
    """The settings that depend on the table's size, each with the reason the files will state."""
    test_size = min(0.2, MAX_TEST_ROWS / rows)
    test_rows = max(1, round(rows * test_size))
    return {
        "test_size": round(test_size, 4),
        "min_current_rows": max(20, min(100, test_rows // 2)),
        "min_samples_leaf": max(5, min(20, rows // 200)),
        "psi_threshold": psi_threshold(rows - test_rows, test_rows),
    }


# Evidently's PSI (30 bins) of two samples of one distribution stays under 35 * (1/n + 1/m), 99 times in 100
PSI_NOISE = 35


def psi_threshold(reference_rows: int, current_rows: int) -> float:
    """The PSI above which a feature counts as drifted: the usual 0.2, raised for small tables to where a
    held-out split of the same data stays under it for 99 features in 100 (measured: with 455 and 114 rows
    the PSI of two samples of one normal distribution averages 0.15, its 99th percentile is 0.34)."""
    noise = PSI_NOISE * (1 / max(1, reference_rows) + 1 / max(1, current_rows))
    return max(0.2, math.ceil(noise * 100) / 100)


def baseline(target: ColumnProfile, task: str) -> dict[str, Any]:
    """What guessing scores, for the contract's floor: the most frequent class's share (multiclass)."""
    if task != "multiclass" or not target.counts:
        return {}
    share = max(target.counts.values()) / target.present
    return {"majority_share": math.ceil(share * 100) / 100}


def close_matches(name: str, columns: dict[str, Any]) -> str:
    from difflib import get_close_matches

    found = get_close_matches(name, list(columns), n=3, cutoff=0.6) or [
        column for column in columns if column.lower() == name.lower()
    ]
    return (
        f" (did you mean {', '.join(map(repr, found))}?)"
        if found
        else f" (columns: {', '.join(list(columns)[:8])}...)"
    )
