"""The feature spec of the customer-churn example: which columns the model reads, and what it predicts.

The one place the schemas, the pipeline, serving and monitoring take columns from. Bringing your own table
means replacing this file and schemas.py (and the data). Standard library only.
"""

from typing import Final, Literal

TASK: Final[Literal["binary", "multiclass", "regression"]] = "binary"
TARGET: Final = "churned"
# The target's values; for a binary task the last is the positive class, whose probability is served.
CLASSES: Final[tuple[int | str, ...]] = (0, 1)
ID_COLUMN: Final[str | None] = "customer_id"  # identifies a row, is not a feature; None when there is none

CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "gender": ("female", "male"),
    "contract": ("month-to-month", "one-year", "two-year"),
    "internet_service": ("dsl", "fiber", "none"),
    "payment_method": ("bank-transfer", "credit-card", "electronic-check", "mailed-check"),
}
CATEGORICAL_FEATURES: Final = tuple(CATEGORIES)
NUMERIC_FEATURES: Final = (
    "senior_citizen",
    "tenure_months",
    "monthly_charges",
    "total_charges",
    "support_calls",
)
BOOLEAN_FEATURES: Final[tuple[str, ...]] = ()
FEATURES: Final = NUMERIC_FEATURES + BOOLEAN_FEATURES + CATEGORICAL_FEATURES
# Features about a person: the inference log never holds their raw values (a keyed hash, or nothing when no
# key is set: serve/inference_log.py) and drift monitoring leaves them out. Gender is the protected attribute.
PERSONAL_FEATURES: Final[tuple[str, ...]] = ("gender",)
