ABOUT = """Generate the bundled credit-risk example, byte for byte the same on every machine.

The risk band (low, medium, high) depends on the debt-to-income ratio, late payments, income, credit history
and employment; it does not depend on gender, the protected attribute, so a fair model is possible. Income is
missing for about 4% of applications and employment for about 3%, as in real application forms.
"""


COLUMNS = (
    "application_id",
    "age",
    "annual_income",
    "debt_to_income",
    "credit_history_years",
    "open_accounts",
    "late_payments",
    "gender",
    "employment",
    "home_ownership",
    "loan_purpose",
    "risk_band",
)
DEFAULT_ROWS = 5000
EMPLOYMENT_RISK = {"salaried": 0.0, "self-employed": 0.5, "unemployed": 1.6, "retired": 0.3}
BASE_INCOME = {"salaried": 52_000.0, "self-employed": 61_000.0, "unemployed": 9_000.0, "retired": 28_000.0}
PURPOSE_RISK = {"car": 0.0, "home": -0.3, "education": 0.2, "business": 0.6, "personal": 0.3}


def example_row(rng: random.Random, index: int) -> Row:
    """One loan application."""
    age = 18 + int(rng.random() * 57)
    gender = choice(rng, ("female", "male"), (0.5, 0.5))
    employment = choice(rng, ("salaried", "self-employed", "unemployed", "retired"), (0.62, 0.18, 0.08, 0.12))
    home = choice(rng, ("rent", "mortgage", "own"), (0.45, 0.35, 0.20))
    purpose = choice(rng, ("car", "home", "education", "business", "personal"), (0.25, 0.2, 0.15, 0.15, 0.25))
    income = max(0.0, normal(rng, BASE_INCOME[employment], 14_000.0))
    debt_to_income = min(5.0, max(0.0, normal(rng, 0.35, 0.18)))
    history = min(age - 18, int(rng.random() * (age - 17)))
    accounts = min(30, int(-math.log(1.0 - rng.random()) * 4))
    late = min(20, int(-math.log(1.0 - rng.random()) * (0.6 + 1.2 * debt_to_income)))

    score = (
        3.2 * debt_to_income
        + 0.55 * late
        - income / 40_000.0
        - 0.04 * history
        + EMPLOYMENT_RISK[employment]
        + PURPOSE_RISK[purpose]
        + (0.3 if home == "rent" else 0.0)
        + normal(rng, 0.0, 0.35)
    )
    band = "low" if score < 0.2 else "medium" if score < 1.4 else "high"
    return {
        "application_id": f"A{index:06d}",
        "age": age,
        "annual_income": "" if rng.random() < 0.04 else f"{income:.2f}",
        "debt_to_income": f"{debt_to_income:.3f}",
        "credit_history_years": history,
        "open_accounts": accounts,
        "late_payments": late,
        "gender": gender,
        "employment": "" if rng.random() < 0.03 else employment,
        "home_ownership": home,
        "loan_purpose": purpose,
        "risk_band": band,
    }
