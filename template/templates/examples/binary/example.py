ABOUT = """Generate the bundled customer-churn example, byte for byte the same on every machine.

Churn depends on contract, tenure, charges, support calls and payment method; it does not depend on gender,
the protected attribute, so a fair model is possible.
"""


COLUMNS = (
    "customer_id",
    "senior_citizen",
    "tenure_months",
    "monthly_charges",
    "total_charges",
    "support_calls",
    "gender",
    "contract",
    "internet_service",
    "payment_method",
    "churned",
)
DEFAULT_ROWS = 5000
CHURN_LOGIT = {
    "intercept": -2.6,
    "month-to-month": 2.6,
    "two-year": -2.2,
    "tenure_months": -0.07,
    "fiber": 1.1,
    "monthly_charges": 0.04,
    "support_calls": 0.7,
    "electronic-check": 0.9,
    "senior_citizen": 0.6,
}


def example_row(rng: random.Random, index: int) -> Row:
    """One customer."""
    contract = choice(rng, ("month-to-month", "one-year", "two-year"), (0.55, 0.25, 0.20))
    internet = choice(rng, ("dsl", "fiber", "none"), (0.35, 0.45, 0.20))
    payment = choice(
        rng, ("bank-transfer", "credit-card", "electronic-check", "mailed-check"), (0.22, 0.22, 0.34, 0.22)
    )
    gender = choice(rng, ("female", "male"), (0.5, 0.5))
    senior = int(rng.random() < 0.16)
    longest = {"month-to-month": 36, "one-year": 60, "two-year": 72}[contract]
    tenure = int(rng.random() * (longest + 1))
    base_charge = {"dsl": 55.0, "fiber": 85.0, "none": 25.0}[internet]
    monthly = round(max(18.0, normal(rng, base_charge, 12.0)), 2)
    total = round(monthly * tenure * (0.95 + 0.1 * rng.random()), 2)
    support_calls = min(10, int(-math.log(1.0 - rng.random()) * (2.2 if internet == "fiber" else 1.2)))

    logit = (
        CHURN_LOGIT["intercept"]
        + CHURN_LOGIT.get(contract, 0.0)
        + CHURN_LOGIT["tenure_months"] * tenure
        + CHURN_LOGIT.get(internet, 0.0)
        + CHURN_LOGIT["monthly_charges"] * (monthly - 60.0)
        + CHURN_LOGIT["support_calls"] * support_calls
        + CHURN_LOGIT.get(payment, 0.0)
        + CHURN_LOGIT["senior_citizen"] * senior
    )
    churned = int(rng.random() < 1.0 / (1.0 + math.exp(-logit)))
    return {
        "customer_id": f"C{index:06d}",
        "senior_citizen": senior,
        "tenure_months": tenure,
        "monthly_charges": f"{monthly:.2f}",
        "total_charges": f"{total:.2f}",
        "support_calls": support_calls,
        "gender": gender,
        "contract": contract,
        "internet_service": internet,
        "payment_method": payment,
        "churned": churned,
    }
