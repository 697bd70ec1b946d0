ABOUT = """Generate the bundled insurance-charges example, byte for byte the same on every machine.

The year's charges grow with age, BMI, smoking, doctor visits and the plan; they do not depend on gender, the
protected attribute, so a fair model is possible. BMI is missing for about 5% of policies (no check-up) and
the plan for about 3%.
"""


COLUMNS = (
    "policy_id",
    "age",
    "bmi",
    "children",
    "doctor_visits",
    "gender",
    "smoker",
    "region",
    "plan",
    "annual_charges",
)
DEFAULT_ROWS = 5000
REGION_FACTOR = {"northeast": 1.08, "northwest": 1.0, "southeast": 1.04, "southwest": 0.97}
PLAN_FACTOR = {"bronze": 0.85, "silver": 1.0, "gold": 1.25}


def example_row(rng: random.Random, index: int) -> Row:
    """One insurance policy."""
    age = 18 + int(rng.random() * 47)
    gender = choice(rng, ("female", "male"), (0.5, 0.5))
    smoker = choice(rng, ("no", "yes"), (0.8, 0.2))
    region = choice(rng, ("northeast", "northwest", "southeast", "southwest"), (0.25, 0.25, 0.27, 0.23))
    plan = choice(rng, ("bronze", "silver", "gold"), (0.4, 0.4, 0.2))
    bmi = min(60.0, max(15.0, normal(rng, 29.0, 5.5)))
    children = min(5, int(-math.log(1.0 - rng.random()) * 1.1))
    visits = min(30, int(-math.log(1.0 - rng.random()) * (2.0 + age / 25.0)))

    charges = (
        1_800.0
        + 240.0 * (age - 18)
        + 310.0 * max(0.0, bmi - 25.0)
        + 420.0 * children
        + 180.0 * visits
        + (21_000.0 if smoker == "yes" else 0.0)
        + (9_000.0 if smoker == "yes" and bmi > 30.0 else 0.0)
    )
    charges *= REGION_FACTOR[region] * PLAN_FACTOR[plan] * (0.75 + 0.5 * rng.random())
    charges = max(0.0, charges + normal(rng, 0.0, 2_500.0))
    return {
        "policy_id": f"P{index:06d}",
        "age": age,
        "bmi": "" if rng.random() < 0.05 else f"{bmi:.1f}",
        "children": children,
        "doctor_visits": visits,
        "gender": gender,
        "smoker": smoker,
        "region": region,
        "plan": "" if rng.random() < 0.03 else plan,
        "annual_charges": f"{charges:.2f}",
    }
