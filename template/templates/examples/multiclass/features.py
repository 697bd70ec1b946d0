"""The feature spec of the credit-risk example: which columns the model reads, and what it predicts.

The one place the schemas, the pipeline, serving and monitoring take columns from. Bringing your own table
means replacing this file and schemas.py (and the data). Standard library only.
"""

from typing import Final, Literal

TASK: Final[Literal["binary", "multiclass", "regression"]] = "multiclass"
TARGET: Final = "risk_band"
CLASSES: Final[tuple[int | str, ...]] = ("low", "medium", "high")  # the target's values
ID_COLUMN: Final[str | None] = "application_id"  # identifies a row, is not a feature; None when there is none

CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "gender": ("female", "male"),
    "employment": ("salaried", "self-employed", "unemployed", "retired"),
    "home_ownership": ("rent", "mortgage", "own"),
    "loan_purpose": ("car", "home", "education", "business", "personal"),
}
CATEGORICAL_FEATURES: Final = tuple(CATEGORIES)
NUMERIC_FEATURES: Final = (
    "age",
    "annual_income",
    "debt_to_income",
    "credit_history_years",
    "open_accounts",
    "late_payments",
)
BOOLEAN_FEATURES: Final[tuple[str, ...]] = ()
FEATURES: Final = NUMERIC_FEATURES + BOOLEAN_FEATURES + CATEGORICAL_FEATURES
# Features about a person: the inference log never holds their raw values (a keyed hash, or nothing when no
# key is set: serve/inference_log.py) and drift monitoring leaves them out. Gender is the protected attribute.
PERSONAL_FEATURES: Final[tuple[str, ...]] = ("gender",)
