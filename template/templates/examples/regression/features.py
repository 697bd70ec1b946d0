"""The feature spec of the insurance-charges example: which columns the model reads, and what it predicts.

The one place the schemas, the pipeline, serving and monitoring take columns from. Bringing your own table
means replacing this file and schemas.py (and the data). Standard library only.
"""

from typing import Final, Literal

TASK: Final[Literal["binary", "multiclass", "regression"]] = "regression"
TARGET: Final = "annual_charges"
CLASSES: Final[tuple[int | str, ...]] = ()  # a regression target is a number, not a class
ID_COLUMN: Final[str | None] = "policy_id"  # identifies a row, is not a feature; None when there is none

CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "gender": ("female", "male"),
    "smoker": ("no", "yes"),
    "region": ("northeast", "northwest", "southeast", "southwest"),
    "plan": ("bronze", "silver", "gold"),
}
CATEGORICAL_FEATURES: Final = tuple(CATEGORIES)
NUMERIC_FEATURES: Final = ("age", "bmi", "children", "doctor_visits")
BOOLEAN_FEATURES: Final[tuple[str, ...]] = ()
FEATURES: Final = NUMERIC_FEATURES + BOOLEAN_FEATURES + CATEGORICAL_FEATURES
# Features about a person: the inference log never holds their raw values (a keyed hash, or nothing when no
# key is set: serve/inference_log.py) and drift monitoring leaves them out. Gender is the protected attribute.
PERSONAL_FEATURES: Final[tuple[str, ...]] = ("gender",)
