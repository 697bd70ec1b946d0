class ProcessedData(Schema):
    """One row per insurance policy: the model's features and the year's charges."""

    age: Series[int] = pa.Field(ge=18, le=100)
    bmi: Series[float] = pa.Field(ge=10, le=70, nullable=True)  # missing when no check-up was recorded
    children: Series[int] = pa.Field(ge=0, le=10)
    doctor_visits: Series[int] = pa.Field(ge=0)
    gender: Series[str] = pa.Field(isin=CATEGORIES["gender"])
    smoker: Series[str] = pa.Field(isin=CATEGORIES["smoker"])
    region: Series[str] = pa.Field(isin=CATEGORIES["region"])
    plan: Series[str] = pa.Field(isin=CATEGORIES["plan"], nullable=True)
    annual_charges: Series[float] = pa.Field(ge=0)


class RawData(ProcessedData):
    """The raw extract: the processed columns plus a unique policy id."""

    policy_id: Series[str] = pa.Field(unique=True, str_matches=r"^P\d+$")
