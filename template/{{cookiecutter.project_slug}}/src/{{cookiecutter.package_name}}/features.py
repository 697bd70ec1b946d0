"""The feature spec of the churn data: one place that the generator, the schemas and the model read.

Standard library only, so the project's post-generation hook can use it before any dependency is installed.
"""

from typing import Final

ID_COLUMN: Final = "customer_id"
TARGET: Final = "churned"
PROTECTED_ATTRIBUTE: Final = "gender"

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
FEATURES: Final = NUMERIC_FEATURES + CATEGORICAL_FEATURES
