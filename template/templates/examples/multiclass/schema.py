class ProcessedData(Schema):
    """One row per loan application: the model's features and the risk band."""

    age: Series[int] = pa.Field(ge=18, le=100)
    annual_income: Series[float] = pa.Field(ge=0, nullable=True)  # not everyone declares it
    debt_to_income: Series[float] = pa.Field(ge=0, le=5)
    credit_history_years: Series[int] = pa.Field(ge=0, le=80)
    open_accounts: Series[int] = pa.Field(ge=0)
    late_payments: Series[int] = pa.Field(ge=0)
    gender: Series[str] = pa.Field(isin=CATEGORIES["gender"])
    employment: Series[str] = pa.Field(isin=CATEGORIES["employment"], nullable=True)
    home_ownership: Series[str] = pa.Field(isin=CATEGORIES["home_ownership"])
    loan_purpose: Series[str] = pa.Field(isin=CATEGORIES["loan_purpose"])
    risk_band: Series[str] = pa.Field(isin=CLASSES)


class RawData(ProcessedData):
    """The raw extract: the processed columns plus a unique application id."""

    application_id: Series[str] = pa.Field(unique=True, str_matches=r"^A\d+$")
